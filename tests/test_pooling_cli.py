"""`flyfab pool` run as a planner would: a real process, real files, the JSON schema, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from flyfab.cam.synth import example_board
from tests.conftest import ROOT
from tests.pooling_validate import deadline_errors, layout_errors

SCHEMA = json.loads((ROOT / "src/flyfab/pooling/schemas/pool-1.schema.json").read_text())
TODAY = "2030-01-01"


def flyfab(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLYFAB_CACHE_DIR": "off", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "flyfab", *args], capture_output=True, text=True, env=env, timeout=600
    )


def order(oid: str, w: float, h: float, q: int, due: str, **extra: Any) -> dict[str, Any]:
    return {"id": oid, "width_mm": w, "height_mm": h, "quantity": q, "due": due, **extra}


def _valid(doc: dict[str, Any], orders: list[dict[str, Any]]) -> None:
    jsonschema.validate(doc, SCHEMA)
    placed = {o["id"]: o for o in doc["orders"]}
    sizes = {oid: (o["width_mm"], o["height_mm"]) for oid, o in placed.items()}
    copies = {oid: o["copies"] for oid, o in placed.items()}
    assert layout_errors(doc["panels"], sizes, copies) == []
    dues = {oid: o["due"] for oid, o in placed.items()}
    assert deadline_errors(doc["panels"], sizes, dues, doc["settings"]["rotation"]) == []
    assert {o["id"] for o in orders} == set(placed) | {u["order"] for u in doc["unplaced"]}


def test_pool_json_with_panel_frame_and_spacing_options(tmp_path: Path) -> None:
    orders = [order("A", 50, 30, 40, "2030-01-05"), order("B", 85.25, 53.34, 25, "2030-01-03"),
              order("C", 25, 32, 100, "2030-01-04", params={"finish": "ENIG"})]  # fmt: skip
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(orders))
    done = flyfab("pool", str(path), "--panel", "300x400", "--frame", "0", "--spacing", "0", "--json",
                  "--time-limit", "2", "--today", TODAY)  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    _valid(doc, orders)
    assert doc["settings"] == {
        **doc["settings"],
        "panel_sizes": ["300x400"],
        "frame_mm": 0.0,
        "spacing_mm": 0.0,
    }
    assert all(p["width_mm"] == 300 and p["height_mm"] == 400 for p in doc["panels"])
    assert len(doc["groups"]) == 2  # ENIG apart from HASL
    assert doc["lower_bound"] <= len(doc["panels"]) and doc["gap"] == len(doc["panels"]) - doc["lower_bound"]
    assert doc["unplaced"] == []


def test_no_rotation_keeps_every_board_as_drawn(tmp_path: Path) -> None:
    orders = [order("T", 120, 20, 30, "2030-01-05")]
    path = tmp_path / "o.json"
    path.write_text(json.dumps(orders))
    done = flyfab("pool", str(path), "--no-rotation", "--json", "--time-limit", "0.5", "--today", TODAY)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    _valid(doc, orders)
    assert not any(q["rotated"] for p in doc["panels"] for q in p["placements"])


def test_bad_orders_exit_1_with_reasons_and_the_rest_pooled(tmp_path: Path) -> None:
    orders = [order("ok", 40, 40, 10, "2030-01-05"), order("huge", 900, 900, 1, "2030-01-05"),
              order("none", 40, 40, 0, "2030-01-05"), order("old", 40, 40, 2, "2029-01-05")]  # fmt: skip
    path = tmp_path / "o.json"
    path.write_text(json.dumps(orders))
    done = flyfab("pool", str(path), "--json", "--time-limit", "0.5", "--today", TODAY)
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    _valid(doc, orders)
    assert {u["order"]: u["code"] for u in doc["unplaced"]} == {
        "huge": "too-large",
        "none": "bad-quantity",
        "old": "past-due",
    }
    text = flyfab("pool", str(path), "--time-limit", "0.5", "--today", TODAY)
    assert text.returncode == 1
    assert "not pooled: huge" in text.stdout and "does not fit any panel" in text.stdout


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        ("{not json", (), "not a JSON list"),
        ('"a string"', (), "not a list of orders"),
        ("[]", ("--panel", "big"), "not a panel size"),
        ("[]", ("--frame", "-1"), "--frame"),
        ("[]", ("--today", "yesterday"), "--today"),
        ("[]", ("--panel", "100x100", "--frame", "60"), "leaves no room"),
    ],
)
def test_unusable_input_or_options_exit_2(
    tmp_path: Path, content: str, args: tuple[str, ...], words: str
) -> None:
    path = tmp_path / "o.json"
    path.write_text(content)
    done = flyfab("pool", str(path), *args)
    assert done.returncode == 2
    assert words in done.stderr


def test_missing_input_exits_2(tmp_path: Path) -> None:
    done = flyfab("pool", str(tmp_path / "nothing.json"))
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_folder_input_with_boards_writes_panel_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "boards").mkdir(parents=True)
    example_board().write_zip(folder / "boards" / "ex.zip", naming="kicad")
    (folder / "a.json").write_text(
        json.dumps([{"id": "F1", "board": "boards/ex.zip", "quantity": 8, "due": "2030-01-04"}])
    )
    (folder / "b.json").write_text(json.dumps(order("F2", 30, 20, 12, "2030-01-03")))
    (folder / "broken.json").write_text("[{")
    out = tmp_path / "out"
    done = flyfab("pool", str(folder), "--out", str(out), "--json", "--time-limit", "1", "--today", TODAY)
    assert done.returncode == 1, done.stderr  # the broken file is reported
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert [u["code"] for u in doc["unplaced"]] == ["bad-file"]
    assert json.loads((out / "pool.json").read_text()) == doc
    f1 = next(o for o in doc["orders"] if o["id"] == "F1")
    assert (f1["width_mm"], f1["height_mm"]) == (50.0, 30.0)  # measured from the board's outline
    for p in doc["panels"]:
        names = {Path(f).name for f in p["files"]}
        pid = p["id"]
        assert {f"{pid}.svg", f"{pid}.png", f"{pid}-traveller.html", f"{pid}-copper-l1-top.gbr",
                f"{pid}-outline.gbr", f"{pid}-drill-plated.drl"} <= names  # fmt: skip
        assert (out / pid / f"{pid}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in (out / pid / f"{pid}.svg").read_text()
        html = (out / pid / f"{pid}-traveller.html").read_text()
        assert "F1" in html and "F2" in html and f"{p['utilisation']:.1%}" in html
