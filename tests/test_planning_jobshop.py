"""Textbook instances: the readers, the known optimum of ft06, a flexible instance, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flyfab.cli import app
from flyfab.planning.instances import InstanceError, read_fjsp, read_jobshop
from flyfab.planning.shop import dispatch, lower_bound, solve_shop
from flyfab.planning.validate import violations
from tests.conftest import SHARED

JOBSHOP = SHARED / "benchmarks" / "jobshop" / "instances"
FJSP = SHARED / "benchmarks" / "fjsp" / "instances"


def test_ft06_is_solved_to_its_known_optimum_55() -> None:
    problem = read_jobshop(JOBSHOP / "ft06.txt")
    assert (len(problem.jobs), len(problem.machines)) == (6, 6)
    schedule = solve_shop(problem, time_limit=30)
    assert violations(problem, schedule) == []
    assert schedule.makespan == 55
    assert schedule.bound == 55 and schedule.optimal


def test_dispatch_alone_is_valid_but_worse_on_ft10() -> None:
    problem = read_jobshop(JOBSHOP / "ft10.txt")
    start = dispatch(problem)
    assert violations(problem, start) == []
    assert start.makespan > 930 >= lower_bound(problem)


def test_flexible_instance_machines_are_numbered_from_zero() -> None:
    problem = read_fjsp(FJSP / "mk01.txt")
    assert len(problem.jobs) == 10 and len(problem.machines) == 6
    assert min(o.machine for j in problem.jobs for op in j.operations for o in op.options) == 0
    schedule = solve_shop(problem, time_limit=5)
    assert violations(problem, schedule) == []
    assert 40 <= schedule.makespan <= 42  # 40 is optimal


def test_unreadable_instances_say_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\n0 5 1 x\n")
    with pytest.raises(InstanceError, match=r"bad\.txt:2: 'x' is not a number"):
        read_jobshop(bad)
    bad.write_text("2 2\n0 5 7 3\n1 2 0 4\n")
    with pytest.raises(InstanceError, match="machine is 7"):
        read_jobshop(bad)
    bad.write_text("2 2\n0 5 1 3\n")
    with pytest.raises(InstanceError, match="ends"):
        read_jobshop(bad)


def test_cli_jobshop_json() -> None:
    result = CliRunner().invoke(
        app, ["plan", "--jobshop", str(JOBSHOP / "ft06.txt"), "--time-limit", "20", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["makespan"] == 55 and doc["bound"] == 55
    assert len(doc["operations"]) == 36
    assert {op["machine"] for op in doc["operations"]} == set(range(6))
    first = next(op for op in doc["operations"] if op["job"] == 0 and op["step"] == 0)
    assert first["machine"] == 2  # ft06 job 0 starts on machine 2


def test_cli_jobshop_bad_usage(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["plan", "--jobshop", str(tmp_path / "missing.txt")]).exit_code == 2
    assert runner.invoke(app, ["plan", "--fjsp"]).exit_code == 2
    assert runner.invoke(app, ["plan"]).exit_code == 2
