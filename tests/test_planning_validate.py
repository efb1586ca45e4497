"""The schedule validator: every rule it checks, broken on purpose, is reported."""

from __future__ import annotations

from flyfab.planning.problem import Job, Machine, Operation, Option, Problem, Schedule, Slot
from flyfab.planning.validate import violations


def problem() -> Problem:
    return Problem(
        jobs=(
            Job(
                "a",
                (Operation(0, (Option(0, 3), Option(1, 4))), Operation(1, (Option(2, 2),), family="f")),
                release=1,
            ),
            Job("b", (Operation(0, (Option(0, 2),)), Operation(1, (Option(2, 2),), family="f"))),
            Job("c", (Operation(0, (Option(2, 2),), family="g"),)),
        ),
        machines=(Machine("m0"), Machine("m1", open_windows=((0, 5), (6, 20))), Machine("press", capacity=2)),
    )


def valid() -> list[Slot]:
    return [
        Slot(0, 0, 1, 1, 5),
        Slot(0, 1, 2, 5, 7, 0),
        Slot(1, 0, 0, 0, 2),
        Slot(1, 1, 2, 5, 7, 0),
        Slot(2, 0, 2, 0, 2, 1),
    ]


def broken(slots: list[Slot]) -> list[str]:
    return violations(problem(), Schedule(slots))


def replace(index: int, slot: Slot) -> list[Slot]:
    slots = valid()
    slots[index] = slot
    return slots


def test_a_valid_schedule_passes() -> None:
    assert broken(valid()) == []


def test_each_broken_rule_is_named() -> None:
    assert any("not scheduled" in v for v in broken(valid()[:-1]))
    assert any("more than once" in v for v in broken([*valid(), Slot(2, 0, 2, 10, 12)]))
    assert any("not one of its options" in v for v in broken(replace(2, Slot(1, 0, 1, 0, 2))))
    assert any("duration" in v for v in broken(replace(2, Slot(1, 0, 0, 0, 3))))
    assert any("before the job's release" in v for v in broken(replace(0, Slot(0, 0, 0, 0, 3))))
    assert any("open window" in v for v in broken(replace(0, Slot(0, 0, 1, 3, 7))))
    assert any("before step 0 ends" in v for v in broken(replace(1, Slot(0, 1, 2, 4, 6))))
    assert any("no such operation" in v for v in broken([*valid(), Slot(0, 5, 0, 0, 1)]))


def test_machines_take_one_operation_at_a_time() -> None:
    # job a moved onto m0 at the time job b runs there
    found = broken(replace(0, Slot(0, 0, 0, 1, 4)))
    assert any("overlap" in v for v in found)


def test_batch_cycles_start_together_hold_one_family_within_capacity() -> None:
    # c joins the cycle of a and b: three loads in a press for two, and two families
    found = broken(replace(4, Slot(2, 0, 2, 5, 7)))
    assert any("capacity 2" in v for v in found)
    assert any("mixes families" in v for v in found)
    # b's press step shifted by one: two cycles that overlap
    assert any("overlap" in v for v in broken(replace(3, Slot(1, 1, 2, 6, 8))))
