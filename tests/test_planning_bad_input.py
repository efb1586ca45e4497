"""Bad input is reported per order with the reason, and everything else is still planned."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from flyfab.cli import app
from flyfab.planning.orders import parse_input
from flyfab.planning.scheduler import plan
from flyfab.planning.validate import violations
from tests.planning_helpers import MONDAY, TINY, order

EXTRA = """
[centres.laser]
machines = ["L1"]
per_panel_min = 5

[routings.flex]
steps = ["cut", "laser", "test"]

[segments.loop_a]
steps = ["cut", "loop_b"]

[segments.loop_b]
steps = ["loop_a"]

[routings.looping]
steps = ["loop_a", "test"]
"""


def bad_panels() -> list[Any]:
    def item(i: int, **kw: Any) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(order(i, **kw).model_dump_json(exclude_none=True))
        return data

    return [
        item(1),
        item(2, id="no-routing", technology="rigid_flex"),
        item(3, id="no-calendar", technology="flex"),
        item(4, id="too-long", panels=40, technology="double_sided", layers=2),
        item(5, id="cyclic", technology="looping"),
        item(6, id="due-before-release", due=MONDAY - timedelta(days=1)),
        item(7, id="due-too-soon", due=MONDAY + timedelta(minutes=30)),
        {**item(8), "id": "not-a-number", "layers": "four"},
        item(9),
        {**item(10), "id": "O9"},
        "not an object",
    ]


REASONS = {
    "no-routing": "no routing for technology 'rigid_flex'",
    "no-calendar": "machine L1 of laser has no calendar",
    "too-long": "longer than any shift",
    "cyclic": "cyclic: loop_a → loop_b → loop_a",
    "due-before-release": "is not after its release",
    "not-a-number": "layers",
    "O9": "same id",
    "#10": "not an object",
}


def test_each_bad_order_is_reported_and_the_rest_planned(tmp_path: Path) -> None:
    from flyfab.planning.factory import parse_factory

    factory = parse_factory(TINY + EXTRA, "bad.toml")
    data = parse_input({"start": MONDAY.isoformat(), "panels": bad_panels()})
    result = plan(factory, data.orders, MONDAY, time_limit=2)
    issues = {i.order: i for i in [*data.issues, *result.issues]}
    for name, reason in REASONS.items():
        assert name in issues, name
        assert reason in issues[name].reason, (name, issues[name].reason)
        assert not issues[name].planned
    assert (
        issues["due-too-soon"].planned
        and "cannot be met even by an idle factory" in issues["due-too-soon"].reason
    )
    planned = {result.problem.jobs[s.job].name for s in result.schedule.slots}
    assert planned == {"O1", "due-too-soon", "O9"}
    assert violations(result.problem, result.schedule) == []


def test_cli_plans_what_it_can_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(TINY + EXTRA)
    panels = tmp_path / "panels.json"
    panels.write_text(
        json.dumps({"schema": "flyfab.plan-input/1", "start": MONDAY.isoformat(), "panels": bad_panels()})
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            str(panels),
            "--factory",
            str(tmp_path / "bad.toml"),
            "--time-limit",
            "2",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    assert doc["schema"] == "flyfab.plan/1"
    assert {o["id"] for o in doc["orders"]} == {"O1", "due-too-soon", "O9"}
    problems = {p["order"]: p for p in doc["problems"]}
    assert set(REASONS) | {"due-too-soon"} <= set(problems)
    assert problems["due-too-soon"]["planned"] is True
    for name in ("plan.json", "gantt.html", "gantt-machines.png", "gantt-orders.png"):
        assert (out / name).stat().st_size > 1000, name
    assert (out / "gantt-machines.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plotly" in (out / "gantt.html").read_text()[:5_000_000].lower()


def test_cli_refuses_unusable_input_with_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    not_json = tmp_path / "x.json"
    not_json.write_text("{nope")
    result = runner.invoke(app, ["plan", str(not_json)])
    assert result.exit_code == 2 and "not JSON" in result.output.replace("\n", " ")
    wrong = tmp_path / "y.json"
    wrong.write_text(json.dumps({"panels": 3}))
    assert runner.invoke(app, ["plan", str(wrong)]).exit_code == 2
    broken_factory = tmp_path / "f.toml"
    broken_factory.write_text(TINY.replace("per_panel_min = 10", "per_panel_min = -1"))
    panels = tmp_path / "p.json"
    panels.write_text(json.dumps([json.loads(order(1).model_dump_json())]))
    result = runner.invoke(app, ["plan", str(panels), "--factory", str(broken_factory)])
    assert result.exit_code == 2
    assert "f.toml: centres.cut.per_panel_min" in result.output.replace("\n", "")
    assert runner.invoke(app, ["plan", str(panels), "--time-limit", "0"]).exit_code == 2


def test_cli_plans_the_demo_factory_end_to_end(tmp_path: Path) -> None:
    runner = CliRunner()
    panels = tmp_path / "panels.json"
    assert runner.invoke(app, ["plan-example", str(panels), "--panels", "40"]).exit_code == 0
    result = runner.invoke(app, ["plan", str(panels), "--time-limit", "4"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Work centres" in result.output and "lamination" in result.output
    assert "P0039" in result.output and "40 orders planned" in result.output


def test_cli_replans_from_the_previous_plan_json(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY)
    orders = [json.loads(order(i).model_dump_json(exclude_none=True)) for i in range(8)]
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"start": MONDAY.isoformat(), "panels": orders}))
    runner = CliRunner()
    factory = ["--factory", str(tmp_path / "tiny.toml"), "--time-limit", "3"]
    result = runner.invoke(app, ["plan", str(first), *factory, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    before = json.loads((tmp_path / "a" / "plan.json").read_text())
    now = MONDAY + timedelta(hours=4)
    rush = json.loads(order(50, release=now, due=now + timedelta(days=1)).model_dump_json(exclude_none=True))
    second = tmp_path / "second.json"
    second.write_text(json.dumps({"start": MONDAY.isoformat(), "panels": [*orders, rush]}))
    result = runner.invoke(
        app,
        [
            "plan",
            str(second),
            *factory,
            "--json",
            "--previous",
            str(tmp_path / "a" / "plan.json"),
            "--now",
            now.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    after = json.loads(result.output)
    new = {(op["order"], op["step"]): op for op in after["operations"]}
    started = [op for op in before["operations"] if op["start"] < now.isoformat(timespec="minutes")]
    assert started
    for op in started:
        again = new[(op["order"], op["step"])]
        assert (again["machine"], again["start"], again["end"]) == (op["machine"], op["start"], op["end"])
    assert any(o["id"] == "O50" for o in after["orders"])
    assert (
        runner.invoke(
            app, ["plan", str(second), *factory, "--previous", str(second), "--now", now.isoformat()]
        ).exit_code
        == 2
    )
    assert runner.invoke(app, ["plan", str(second), *factory, "--now", now.isoformat()]).exit_code == 2
