"""The exact check (flyfab.pooling.exact): its layouts pass the independent validator, and its "no"
only where no layout exists."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flyfab.pooling.exact import on_panels
from flyfab.pooling.nesting import Sheet, nest
from tests.conftest import SHARED
from tests.pooling_validate import layout_errors

CLASS = SHARED / "benchmarks" / "packing" / "class"
# A pinwheel: four 3 × 2 boards around a 1 × 1 one fill a 5 × 5 panel exactly, in no guillotine way.
PINWHEEL = np.array([[3.0, 2.0], [2.0, 3.0], [3.0, 2.0], [2.0, 3.0], [1.0, 1.0]])


def _errors(sizes: np.ndarray, panel: np.ndarray, x: np.ndarray, y: np.ndarray, rot: np.ndarray,
            W: float, H: float) -> list[str]:  # fmt: skip
    panels = []
    for k in np.unique(panel).tolist():
        placements = []
        for i in np.flatnonzero(panel == k):
            w, h = sizes[i]
            bw, bh = (h, w) if rot[i] else (w, h)
            placements.append(
                {"order": f"i{i}", "copy": 1, "x_mm": float(x[i]), "y_mm": float(y[i]),
                 "width_mm": float(bw), "height_mm": float(bh), "rotated": bool(rot[i])}
            )  # fmt: skip
        panels.append({"id": f"B{k}", "frame_mm": 0, "spacing_mm": 0, "width_mm": W, "height_mm": H,
                       "placements": placements})  # fmt: skip
    sizes_of = {f"i{i}": (float(w), float(h)) for i, (w, h) in enumerate(sizes)}
    return layout_errors(panels, sizes_of, dict.fromkeys(sizes_of, 1))


def _class_instance(n: int) -> tuple[np.ndarray, float, float]:
    d = json.loads((CLASS / f"{n}.json").read_text())
    items = [(i["Length"], i["Height"]) for i in d["Items"] for _ in range(i["Demand"])]
    panel = d["Objects"][0]
    return np.array(items, dtype=np.float64), float(panel["Length"]), float(panel["Height"])


def test_exact_layout_is_valid_with_every_board_once() -> None:
    sizes, W, H = _class_instance(4)  # CLASS01_020_04: 20 boards, 6 panels
    n = len(sizes)
    status, layout = on_panels(sizes[:, 0], sizes[:, 1], np.zeros(n, np.bool_), W, H, 6, 10.0)
    assert status == "feasible" and layout is not None
    panel, x, y, rot = layout
    assert len(panel) == n and panel.min() >= 0 and panel.max() < 6
    assert _errors(sizes, panel, x, y, rot, W, H) == []


def test_exact_turns_boards_only_where_allowed_and_needed() -> None:
    sizes = np.array([[2.0, 3.0], [1.0, 2.0]])
    status, layout = on_panels(sizes[:, 0], sizes[:, 1], np.array([True, False]), 3.0, 2.0, 1, 5.0)
    assert status == "infeasible"  # 3 × 2 turned fills the panel: no room for the other
    status, layout = on_panels(sizes[:1, 0], sizes[:1, 1], np.array([True]), 3.0, 2.0, 1, 5.0)
    assert status == "feasible" and layout is not None and bool(layout[3][0])
    assert _errors(sizes[:1], *layout, 3.0, 2.0) == []


def test_exact_proves_a_heuristic_layout_optimal_and_the_search_stops() -> None:
    # CLASS01_020_04: the bounds say 5, the layout found has 6, and 5 is impossible.
    sizes, W, H = _class_instance(4)
    status, _ = on_panels(sizes[:, 0], sizes[:, 1], np.zeros(len(sizes), np.bool_), W, H, 5, 10.0)
    assert status == "infeasible"
    result = nest(sizes[:, 0], sizes[:, 1], Sheet(W, H), False, 30.0, seed=1)
    assert result.panels == 6 and result.bound.best == 6 and result.bound.method == "exact"
    # Stopped right after the proof, long before the limit (the first call may compile the decoder).
    assert result.optimal and result.seconds < result.found_at + 5


def test_exact_finds_the_pinwheel_first_fit_misses() -> None:
    result = nest(PINWHEEL[:, 0], PINWHEEL[:, 1], Sheet(5.0, 5.0), False, 5.0, seed=1)
    assert result.panels == 1
    assert _errors(PINWHEEL, result.panel, result.x, result.y, result.rotated, 5.0, 5.0) == []


@pytest.mark.parametrize("keep_outs", [[], [(0.0, 0.0, 1.0, 1.0)]])
def test_exact_skips_what_it_cannot_model_exactly(keep_outs: list[tuple[float, float, float, float]]) -> None:
    # Sizes no power of ten up to 1000 makes whole: a rounded model could prove "no" wrongly.
    sizes = np.array([[1 / 3, 1.0]] * 4)
    status, _ = on_panels(sizes[:, 0], sizes[:, 1], np.zeros(4, np.bool_), 1.0, 1.0, 1, 5.0)
    assert status == "unknown"
    # With keep-outs nest does not call it, and the bound stays what the bounds say.
    result = nest(PINWHEEL[:, 0], PINWHEEL[:, 1], Sheet(5.0, 5.0, keep_outs), False, 0.5, seed=1)
    assert result.bound.method != "exact"
