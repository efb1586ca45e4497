"""Panel elimination (local search) and its single-panel check, checked by the independent validator."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flyfab.pooling.elimination import _fits, eliminate, new_cache, perturb
from tests.pooling_validate import Box, apart


def _valid(w: np.ndarray, h: np.ndarray, panel: np.ndarray, x: np.ndarray, y: np.ndarray,
           rot: np.ndarray, W: float, H: float, keep: list[Box] | None = None) -> bool:  # fmt: skip
    sides = [(float(h[i]), float(w[i])) if rot[i] else (float(w[i]), float(h[i])) for i in range(len(w))]
    boxes = [Box(float(x[i]), float(y[i]), *sides[i]) for i in range(len(w))]
    for i, a in enumerate(boxes):
        if a.x < -1e-9 or a.y < -1e-9 or a.x + a.w > W + 1e-9 or a.y + a.h > H + 1e-9:
            return False
        if any(not apart(a, k, 0.0) for k in keep or []):
            return False
        for j in range(i):
            if panel[i] == panel[j] and not apart(a, boxes[j], 0.0):
                return False
    return True


def _run(w: np.ndarray, h: np.ndarray, turnable: np.ndarray, W: float, H: float, panel: np.ndarray,
         x: np.ndarray, y: np.ndarray, rot: np.ndarray, panels: int, keep: np.ndarray) -> int:  # fmt: skip
    zob = np.random.default_rng(0).integers(1, 1 << 62, len(w), dtype=np.int64)
    cache = new_cache()
    for _ in range(100):
        panels, _, stuck = eliminate(
            w, h, turnable, W, H, keep, panel, x, y, rot, panels, 1, zob, cache, 1000
        )
        if stuck or panels == 1:
            break
    return panels


def test_elimination_empties_a_panel_a_heuristic_layout_wasted() -> None:
    # Panel 1 holds three 50 × 50 boards placed so that a fourth cannot join them; panel 0 holds one.
    w = np.full(4, 50.0)
    h = np.full(4, 50.0)
    panel = np.array([0, 1, 1, 1])
    x = np.array([0.0, 0.0, 50.0, 25.0])
    y = np.array([0.0, 0.0, 0.0, 50.0])
    rot = np.zeros(4, np.bool_)
    panels = _run(w, h, np.zeros(4, np.bool_), 100.0, 100.0, panel, x, y, rot, 2, np.zeros((0, 4)))
    assert panels == 1 and set(panel.tolist()) == {0}
    assert _valid(w, h, panel, x, y, rot, 100.0, 100.0)


def test_elimination_moves_boards_until_the_weakest_panel_is_empty() -> None:
    # Three panels, 11,600 mm² of boards in 100 × 100 panels: two are needed and enough (the 40 × 40
    # of panel 2 fits above the 40 × 60 of panel 1).
    w = np.array([60.0, 40.0, 40.0, 40.0])
    h = np.array([100.0, 40.0, 60.0, 40.0])
    panel = np.array([0, 0, 1, 2])
    x = np.zeros(4)
    y = np.zeros(4)
    rot = np.zeros(4, np.bool_)
    panels = _run(w, h, np.zeros(4, np.bool_), 100.0, 100.0, panel, x, y, rot, 3, np.zeros((0, 4)))
    assert panels == 2
    assert _valid(w, h, panel, x, y, rot, 100.0, 100.0)


def test_elimination_keeps_out_of_keep_outs() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(10, 41, 40).astype(np.float64)
    h = rng.integers(10, 41, 40).astype(np.float64)
    keep = np.array([[40.0, 40.0, 20.0, 20.0]])
    # One board per panel at the origin (clear of the keep-out): the search must pack them.
    panel = np.arange(40)
    x = np.zeros(40)
    y = np.zeros(40)
    rot = np.zeros(40, np.bool_)
    turnable = np.ones(40, np.bool_)
    panels = _run(w, h, turnable, 100.0, 100.0, panel, x, y, rot, 40, keep)
    for _ in range(20):
        panels = perturb(w, h, turnable, 100.0, 100.0, keep, panel, x, y, rot, panels, 2,
                         np.arange(1, 41, dtype=np.int64), new_cache(), 7)  # fmt: skip
        panels = _run(w, h, turnable, 100.0, 100.0, panel, x, y, rot, panels, keep)
    assert panels < 30 and sorted(set(panel.tolist())) == list(range(panels))
    assert _valid(w, h, panel, x, y, rot, 100.0, 100.0, [Box(40.0, 40.0, 20.0, 20.0)])


@st.composite
def one_panel(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int, int]:
    """Up to five boards cut from one panel by cuts that need not be guillotine cuts: a pinwheel or
    a guillotine split of a random panel."""
    W, H = draw(st.integers(10, 60)), draw(st.integers(10, 60))
    if draw(st.booleans()) and W > 2 and H > 2:
        # Pinwheel: four boards around a centre one, no guillotine cut separates them.
        a = draw(st.integers(1, W - 2))
        b = draw(st.integers(a + 1, W - 1))
        c = draw(st.integers(1, H - 2))
        d = draw(st.integers(c + 1, H - 1))
        items = [(b, c), (W - b, d), (W - a, H - d), (a, H - c), (b - a, d - c)]
    else:
        c = draw(st.integers(1, W - 1)) if W > 1 else 0
        items = [(c, H), (W - c, H)] if c else [(W, H)]
    return items, W, H


@settings(max_examples=150, deadline=None)
@given(one_panel(), st.booleans())
def test_single_panel_check_finds_packings_greedy_orders_miss(case: tuple[list[tuple[int, int]], int, int],
                                                               turn: bool) -> None:  # fmt: skip
    items, W, H = case
    w = np.array([a for a, _ in items], dtype=np.float64)
    h = np.array([b for _, b in items], dtype=np.float64)
    if turn:
        w, h = h.copy(), w.copy()
    turnable = np.full(len(w), turn)
    ids = np.arange(len(w), dtype=np.int64)
    ox, oy, orot = np.zeros(len(w)), np.zeros(len(w)), np.zeros(len(w), np.bool_)
    zob = np.arange(1, len(w) + 1, dtype=np.int64)
    ok = _fits(ids, len(w), w, h, turnable, float(W), float(H), np.zeros((0, 4)), float(W * H), zob,
               new_cache(), ox, oy, orot, np.empty((64, 4)))  # fmt: skip
    assert ok
    assert _valid(w, h, np.zeros(len(w), np.int64), ox, oy, orot, float(W), float(H))
