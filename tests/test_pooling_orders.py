"""Bad input: every bad order reported on its own, with the reason; the other orders still pooled."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from flyfab.pooling.model import PanelSize, Process
from flyfab.pooling.orders import parse_order, parse_process
from flyfab.pooling.settings import SettingsError, load_settings, parse_settings
from flyfab.services.pooling import pool_orders, read_orders

TODAY = date(2030, 1, 1)


def good(oid: str, **extra: Any) -> dict[str, Any]:
    return {"id": oid, "width_mm": 40, "height_mm": 30, "quantity": 10, "due": "2030-01-05", **extra}


BAD = {
    "too-large": good("big", width_mm=800, height_mm=700),
    "bad-size-zero": good("zero", width_mm=0),
    "bad-size-negative": good("neg", height_mm=-5),
    "bad-quantity-zero": good("q0", quantity=0),
    "bad-quantity-negative": good("qneg", quantity=-3),
    "bad-quantity-absurd": good("qbig", quantity=10**9),
    "past-due": good("late", due="2029-12-24"),
    "bad-params": good("inner", params={"layers": 2, "inner_copper_oz": 1}),
    "group-mismatch": good("odd", group="batch-7", params={"finish": "enig"}),
}


def test_each_bad_order_is_reported_and_the_others_are_pooled() -> None:
    s = load_settings()
    raw = [good("ok-1", group="batch-7"), good("ok-2", group="batch-7"), *BAD.values(), good("ok-3")]
    orders, rejected = read_orders([(r, None) for r in raw], TODAY, s)
    pooled = pool_orders(orders, s, time_limit=0.5)
    unplaced = {r.order: r for r in [*rejected, *pooled.unplaced]}
    expected = {
        v["id"]: k.removesuffix("-zero").removesuffix("-negative").removesuffix("-absurd")
        for k, v in BAD.items()
    }
    assert {oid: r.code for oid, r in unplaced.items()} == expected
    assert all(len(r.reason) > 30 for r in unplaced.values())
    placed = {q.order for p in pooled.result.panels for q in p.placements}
    assert placed == {"ok-1", "ok-2", "ok-3"}


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        (good("a", width_mm=0), "bad-size", "positive"),
        (good("a", width_mm="40"), "bad-size", "number"),
        (good("a", quantity=2.5), "bad-quantity", "whole"),
        (good("a", quantity=0), "bad-quantity", "at least one"),
        (good("a", due="5 Jan"), "bad-due", "ISO date"),
        (good("a", due="2029-06-01"), "past-due", "past"),
        (good("a", params={"finsh": "enig"}), "bad-params", "not a process parameter"),
        (good("a", params={"finish": "chocolate"}), "bad-params", "not one of"),
        (good("a", params={"layers": 3}), "bad-params", "even"),
        ({"width_mm": 40}, "bad-order", "no id"),
        ("not an object", "bad-order", "not an object"),
        ({"id": "a", "quantity": 1, "due": "2030-01-02"}, "bad-size", "width_mm and height_mm"),
    ],
)
def test_bad_fields_name_what_is_wrong(raw: Any, code: str, words: str) -> None:
    got = parse_order(raw, 0, TODAY, Process())
    assert not hasattr(got, "quantity"), got
    assert got.code == code
    assert words in got.reason


def test_parameters_are_normalised_so_that_equal_processes_group_together() -> None:
    a = parse_process({"finish": "ENIG", "mask_colour": "Green", "thickness": 1.6}, Process())
    b = parse_process({"surface_finish": "enig", "mask": "green"}, Process())
    assert a == b
    four = parse_process({"layers": 4}, Process())
    assert four.inner_copper_oz == 0.5


def test_different_processes_never_share_a_panel() -> None:
    s = load_settings().model_copy(update={"sizes": (PanelSize(305, 457),)})
    raw = [
        good(f"g{i}", quantity=3, params={"finish": f}) for i, f in enumerate(["hasl", "enig", "hasl", "osp"])
    ]
    orders, rejected = read_orders([(r, None) for r in raw], TODAY, s)
    pooled = pool_orders(orders, s, time_limit=0.5)
    assert not rejected and not pooled.unplaced
    finish = {o.id: o.process.finish for o in orders}
    for p in pooled.result.panels:
        assert len({finish[q.order] for q in p.placements}) == 1
    assert len(pooled.result.groups) == 3


def test_duplicate_ids_are_refused_after_the_first() -> None:
    s = load_settings()
    orders, rejected = read_orders([(good("x"), None), (good("x", quantity=4), None)], TODAY, s)
    assert [o.quantity for o in orders] == [10]
    assert [r.code for r in rejected] == ["duplicate-id"]


def test_unreadable_board_is_reported_per_order(tmp_path: Path) -> None:
    s = load_settings()
    (tmp_path / "junk.zip").write_bytes(b"this is not a zip")
    raw = [{**good("files"), "board": "junk.zip"}, good("plain")]
    del raw[0]["width_mm"], raw[0]["height_mm"]
    orders, _rejected = read_orders([(r, tmp_path) for r in raw], TODAY, s)
    pooled = pool_orders(orders, s, time_limit=0.2)
    assert [(r.order, r.code) for r in pooled.unplaced] == [("files", "unreadable-board")]
    assert {q.order for p in pooled.result.panels for q in p.placements} == {"plain"}


def test_settings_errors_name_the_file_and_key() -> None:
    text = """
[panel]
sizes = ["457x610", "oops"]
frame_mm = -1
spacing_mm = 2
colour = "red"
"""
    with pytest.raises(SettingsError) as e:
        parse_settings(text, "factory.toml")
    msg = str(e.value)
    assert "factory.toml: panel.sizes" in msg
    assert "factory.toml: panel.frame_mm" in msg
    assert "factory.toml: panel.colour: unknown key" in msg


def test_overage_adds_copies_for_yield() -> None:
    s = load_settings().model_copy(update={"overage_percent": 10.0, "overage_min": 2})
    assert s.copies(5) == 7  # 10 % of 5 rounds up to 1, but at least 2
    assert s.copies(100) == 110
