"""Nesting and pooling checked by the independent validator (tests/pooling_validate.py)."""

from __future__ import annotations

import itertools
import json
import random
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flyfab.pooling import nesting
from flyfab.pooling.bounds import area_bound, lower_bound
from flyfab.pooling.elimination import perturb
from flyfab.pooling.model import Order, PanelSize, Process
from flyfab.pooling.nesting import Nesting, Sheet, nest
from flyfab.pooling.pool import pool
from flyfab.pooling.report import pool_json
from flyfab.pooling.settings import PoolSettings, load_settings
from tests.conftest import SHARED
from tests.pooling_validate import Box, deadline_errors, fits_among, layout_errors

CLASS = SHARED / "benchmarks" / "packing" / "class"


def _settings(**changes: Any) -> PoolSettings:
    return load_settings().model_copy(update=changes)


def _doc(orders: list[Order], s: PoolSettings, seconds: float = 1.0) -> dict[str, Any]:
    result = pool(orders, s, time_limit=seconds)
    return pool_json(result, orders, s, seconds)


def _check(doc: dict[str, Any], orders: list[Order], s: PoolSettings, keep: list[Box] | None = None) -> None:
    sizes = {o.id: (o.width_mm, o.height_mm) for o in orders}
    copies = {o.id: s.copies(o.quantity) for o in orders}
    assert layout_errors(doc["panels"], sizes, copies, keep or []) == []
    dues = {o.id: o.due.isoformat() for o in orders}
    assert deadline_errors(doc["panels"], sizes, dues, s.rotation, keep or []) == []


def _stream(rng: random.Random, n: int, dues: int = 4) -> list[Order]:
    start = date(2030, 1, 1)
    return [
        Order(
            f"O{i}",
            round(rng.uniform(8, 120), 2),
            round(rng.uniform(8, 90), 2),
            rng.randint(1, 40),
            start + timedelta(days=rng.randrange(dues)),
            Process(),
            index=i,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("rotation", [True, False])
def test_random_streams_give_valid_layouts_that_keep_the_deadline_rule(seed: int, rotation: bool) -> None:
    orders = _stream(random.Random(seed), 12)
    s = _settings(rotation=rotation, sizes=(PanelSize(305, 457), PanelSize(457, 610)))
    doc = _doc(orders, s, 1.0)
    _check(doc, orders, s)
    assert doc["lower_bound"] <= len(doc["panels"])
    if not rotation:
        assert not any(q["rotated"] for p in doc["panels"] for q in p["placements"])


def test_zero_frame_and_spacing_pack_boards_edge_to_edge() -> None:
    # 4 × 6 boards of 100 × 100 tile a 400 × 600 panel exactly: one panel, 100 %.
    orders = [Order("T", 100, 100, 24, date(2030, 1, 1), Process(), index=0)]
    s = _settings(sizes=(PanelSize(400, 600),), frame_mm=0.0, spacing_mm=0.0, overage_percent=0.0)
    doc = _doc(orders, s)
    _check(doc, orders, s)
    assert len(doc["panels"]) == 1
    assert doc["panels"][0]["utilisation"] == 1.0
    assert doc["panels"][0]["marks"] == []  # no frame, no room for marks
    assert any("no tooling holes" in n for n in doc["panels"][0]["notes"])


def test_spacing_is_kept_between_boards_and_from_the_frame_edge() -> None:
    # A 10 mm frame, 2 mm spacing: 437 usable mm hold 4 boards of 107 (4·107 + 3·2 = 434), not 5 of 85.5.
    orders = [Order("S", 107, 50, 4, date(2030, 1, 1), Process(), index=0)]
    s = _settings(
        sizes=(PanelSize(457, 80),), frame_mm=10.0, spacing_mm=2.0, rotation=False, overage_percent=0.0
    )
    doc = _doc(orders, s)
    _check(doc, orders, s)
    xs = sorted(q["x_mm"] for q in doc["panels"][0]["placements"])
    assert xs == pytest.approx([10, 119, 228, 337])
    # One more copy does not fit the row: it needs a second panel.
    more = [Order("S", 107, 50, 5, date(2030, 1, 1), Process(), index=0)]
    assert len(_doc(more, s)["panels"]) == 2


def test_configured_keep_outs_are_avoided() -> None:
    keep = (100.0, 100.0, 50.0, 50.0)
    orders = [Order("K", 40, 40, 30, date(2030, 1, 1), Process(), index=0)]
    s = _settings(sizes=(PanelSize(305, 457),), keep_outs=(keep,), overage_percent=0.0)
    doc = _doc(orders, s)
    _check(doc, orders, s, [Box(*keep)])


def test_deadline_rule_earlier_orders_take_the_earlier_panels() -> None:
    # Ten orders of one size, each due a day later; each fills a third of a panel. Earlier orders
    # must come first, whatever the search finds.
    orders = [
        Order(f"D{i}", 100, 60, 6, date(2030, 1, 10) - timedelta(days=i), Process(), index=i)
        for i in range(10)
    ]
    s = _settings(sizes=(PanelSize(305, 457),), overage_percent=0.0)
    doc = _doc(orders, s, 2.0)
    _check(doc, orders, s)
    panel_of: dict[str, list[int]] = {}
    for k, p in enumerate(doc["panels"]):
        for q in p["placements"]:
            panel_of.setdefault(q["order"], []).append(k)
    by_due = sorted(orders, key=lambda o: o.due)
    for a, b in itertools.pairwise(by_due):
        assert max(panel_of[a.id]) <= min(panel_of[b.id]), (a.id, b.id)


def test_validator_catches_a_board_due_later_taking_the_room_of_one_due_earlier() -> None:
    # The validator itself must be able to fail: the late order sits on panel 1, the early one on panel 2.
    def panel(pid: str, order: str) -> dict[str, Any]:
        return {"id": pid, "frame_mm": 0, "spacing_mm": 0, "width_mm": 100, "height_mm": 100,
                "placements": [{"order": order, "copy": 1, "x_mm": 0, "y_mm": 0, "width_mm": 100,
                                "height_mm": 100, "rotated": False}]}  # fmt: skip

    panels = [panel("P1", "late"), panel("P2", "early")]
    sizes = {"late": (100.0, 100.0), "early": (100.0, 100.0)}
    dues = {"late": "2030-01-02", "early": "2030-01-01"}
    assert deadline_errors(panels, sizes, dues, True)
    assert layout_errors(panels, sizes, {"late": 1, "early": 1}) == []
    overlapping = [{**panels[0], "placements": panels[0]["placements"] + [{**panels[1]["placements"][0]}]}]
    assert layout_errors(overlapping, sizes, {"late": 1, "early": 1})


def test_fits_among_finds_the_only_hole() -> None:
    area = Box(0, 0, 10, 10)
    boxes = [Box(0, 0, 10, 4), Box(0, 4, 4, 6), Box(7, 4, 3, 6)]
    assert fits_among(3, 6, boxes, area, 0)
    assert not fits_among(3.5, 6, boxes, area, 0)
    assert not fits_among(3, 6, boxes, area, 0.5)


def _class_instance(n: int) -> tuple[np.ndarray, float, float]:
    d = json.loads((CLASS / f"{n}.json").read_text())
    W, H = d["Objects"][0]["Length"], d["Objects"][0]["Height"]
    items = [(i["Length"], i["Height"]) for i in d["Items"] for _ in range(i["Demand"])]
    return np.array(items, dtype=np.float64), float(W), float(H)


def nesting_errors(result: Nesting, sizes: np.ndarray, W: float, H: float) -> list[str]:
    """The validator's findings on a nesting of boards `sizes` on W × H sheets (no frame, no
    spacing), an empty panel counted among them included."""
    panels = []
    for k in range(result.panels):
        placements = []
        for i in np.flatnonzero(result.panel == k):
            w, h = sizes[i]
            bw, bh = (h, w) if result.rotated[i] else (w, h)
            placements.append(
                {"order": f"i{i}", "copy": 1, "x_mm": float(result.x[i]), "y_mm": float(result.y[i]),
                 "width_mm": float(bw), "height_mm": float(bh), "rotated": bool(result.rotated[i])}
            )  # fmt: skip
        panels.append(
            {
                "id": f"B{k}",
                "frame_mm": 0,
                "spacing_mm": 0,
                "width_mm": W,
                "height_mm": H,
                "placements": placements,
            }
        )
    item_sizes = {f"i{i}": (float(w), float(h)) for i, (w, h) in enumerate(sizes)}
    empty = [f"panel {p['id']} is empty" for p in panels if not p["placements"]]
    return layout_errors(panels, item_sizes, dict.fromkeys(item_sizes, 1)) + empty


@pytest.mark.parametrize("instance", [3, 57, 128, 213, 305, 399, 444, 490])
@pytest.mark.parametrize("rotation", [False, True])
def test_class_instances_packed_validly_and_never_below_the_bound(instance: int, rotation: bool) -> None:
    sizes, W, H = _class_instance(instance)
    result = nest(sizes[:, 0], sizes[:, 1], Sheet(W, H), rotation, 0.5, seed=1)
    assert nesting_errors(result, sizes, W, H) == []
    assert result.bound.area <= result.bound.best <= result.panels
    if not rotation:
        assert not result.rotated.any()


@st.composite
def perfect_packings(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int, int, int]:
    """Items cut from k panels by random guillotine cuts: k panels are enough, so every lower bound
    must be at most k."""
    W, H = draw(st.integers(20, 120)), draw(st.integers(20, 120))
    k = draw(st.integers(1, 4))
    items: list[tuple[int, int]] = []
    for _ in range(k):
        stack = [(W, H)]
        cuts = draw(st.integers(0, 12))
        while stack:
            w, h = stack.pop()
            if cuts > 0 and (w > 1 or h > 1):
                cuts -= 1
                if w > 1 and (h == 1 or draw(st.booleans())):
                    c = draw(st.integers(1, w - 1))
                    stack += [(c, h), (w - c, h)]
                else:
                    c = draw(st.integers(1, h - 1))
                    stack += [(w, c), (w, h - c)]
            else:
                items.append((w, h))
    return items, W, H, k


@settings(max_examples=150, deadline=None)
@given(perfect_packings(), st.booleans())
def test_lower_bounds_never_exceed_a_known_packing(
    case: tuple[list[tuple[int, int]], int, int, int], turn: bool
) -> None:
    items, W, H, k = case
    sizes = np.array(items, dtype=np.float64)
    if turn:  # with rotation allowed, turned items still fit k panels
        sizes = sizes[:, ::-1].copy()
    bound = lower_bound(sizes, W, H, rotation=turn)
    assert area_bound(sizes, W, H) <= bound.best <= k


def test_stronger_bound_beats_the_area_bound_on_large_boards() -> None:
    # Boards just over half the panel both ways never share one: the area bound says 3, the truth is 5.
    sizes = np.array([[51.0, 51.0]] * 5)
    bound = lower_bound(sizes, 100, 100, rotation=True)
    assert bound.area == 2 and bound.best == 5


def test_lower_bound_reached_stops_the_search_early() -> None:
    sizes = np.array([[50.0, 50.0]] * 8)
    result = nest(sizes[:, 0], sizes[:, 1], Sheet(100, 100), True, 30.0)
    assert result.panels == 2 and result.optimal and result.seconds < 5


def test_last_panel_takes_the_smallest_size_that_holds_it() -> None:
    # 25 boards of 100 × 100: 20 fit a 457 × 610 panel (10 mm frame), 8 a 305 × 457 one. Two large
    # panels need no more area than four small ones, and the five left over fit a small panel.
    orders = [Order("M", 100, 100, 25, date(2030, 1, 1), Process(), index=0)]
    s = _settings(sizes=(PanelSize(457, 610), PanelSize(305, 457)), spacing_mm=0.0, overage_percent=0.0)
    doc = _doc(orders, s)
    _check(doc, orders, s)
    assert [(p["width_mm"], p["height_mm"], p["boards"]) for p in doc["panels"]] == [
        (457, 610, 20),
        (305, 457, 5),
    ]


def test_patience_ends_a_search_that_saves_no_panel() -> None:
    # CLASS10_100_01: 15 panels from the start, the lower bound says 14 (and no search has found 14
    # so far); with patience the search gives up long before its minute.
    sizes, W, H = _class_instance(491)
    result = nest(sizes[:, 0], sizes[:, 1], Sheet(W, H), False, 60.0, seed=1, patience=0.5)
    assert result.seconds < 20
    assert result.history[0][1] >= result.panels and result.found_at <= result.seconds


def test_a_ruin_that_leaves_a_worse_layout_is_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every round of panel elimination starts by ruining the layout handed to perturb. Whatever the
    # round ends with, the next round's layout must score at most ACCEPT worse than this one's (or
    # be the best so far, after RESTART rounds): the search never builds on a ruin that went badly.
    # CLASS08_040_01 with turning: 11 panels found, 10 by the bound, so the search runs to the end.
    sizes, W, H = _class_instance(361)
    area = sizes[:, 0] * sizes[:, 1]
    starts: list[float] = []
    real_perturb = perturb

    def recording(*args: Any) -> int:
        panel, k = args[6], args[10]
        starts.append(nesting.layout_score(k, np.bincount(panel, weights=area, minlength=k), W * H))
        return int(real_perturb(*args))

    monkeypatch.setattr("flyfab.pooling.nesting.perturb", recording)
    result = nest(sizes[:, 0], sizes[:, 1], Sheet(W, H), True, 1.5, seed=3)
    assert nesting_errors(result, sizes, W, H) == []
    assert len(starts) > 50, "the search should run many rounds on this instance"
    best = starts[0]
    for before, after in itertools.pairwise(starts):
        assert after <= before + nesting.ACCEPT + 1e-9 or after <= best + 1e-9
        best = min(best, after)
