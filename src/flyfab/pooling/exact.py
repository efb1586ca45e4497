"""An exact check: can the boards go onto k panels? CP-SAT, for closing a gap of one panel.

When the best layout found has one panel more than the lower bound, either the bound is weak or
the search missed a better layout. CP-SAT settles it often within a fraction of a second (mostly on
small groups, where the bounds are weakest): "no" raises the lower bound, so the layout is proven
optimal and the search stops, leaving the time unused; "yes" comes with the better layout.

The model puts the k panels side by side along x (panel b spans b·W to (b + 1)·W), so one
two-dimensional no-overlap constraint covers them all: each board's x is b·W plus its position in
its panel, which keeps it inside. The q-th largest board goes on one of the first q + 1 panels, which
removes the symmetry of renumbering panels. CP-SAT needs integers: sizes are scaled by the first
power of ten that makes them whole; when none does, or the panel has keep-outs, the check is
skipped (a rounded model could prove "no" wrongly).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

Floats = NDArray[np.float64]
SCALES = (1, 10, 100, 1000)
MAX_DOMAIN = 10**7  # largest scaled panel row (k · W) CP-SAT is given


def _scale(values: Floats) -> int | None:
    for s in SCALES:
        v = values * s
        if np.all(np.abs(v - np.round(v)) <= 1e-6):
            return s
    return None


def on_panels(
    w: Floats,
    h: Floats,
    turnable: NDArray[np.bool_],
    width: float,
    height: float,
    k: int,
    time_limit: float,
    seed: int = 0,
) -> tuple[str, tuple[NDArray[np.int64], Floats, Floats, NDArray[np.bool_]] | None]:
    """("infeasible", None) when the boards provably do not fit k panels, ("feasible", layout) with
    a layout on k panels, ("unknown", None) when the time ran out or the check does not apply."""
    n = len(w)
    s = _scale(np.concatenate([w, h, [width, height]]))
    if s is None or k < 1 or n == 0 or k * width * s > MAX_DOMAIN or time_limit <= 0:
        return "unknown", None
    W, H = round(width * s), round(height * s)
    iw, ih = np.round(w * s).astype(np.int64), np.round(h * s).astype(np.int64)
    model = cp_model.CpModel()
    order = np.argsort(-(w * h), kind="stable")
    panel_of, xs, ys, turns, x_iv, y_iv = {}, {}, {}, {}, [], []
    for q, i in enumerate(order.tolist()):
        a, b = int(iw[i]), int(ih[i])
        p = model.new_int_var(0, min(k - 1, q), "")
        sw: cp_model.IntVar | int
        sh: cp_model.IntVar | int
        if turnable[i]:
            t = model.new_bool_var("")
            sw = model.new_int_var(min(a, b), max(a, b), "")
            sh = model.new_int_var(min(a, b), max(a, b), "")
            model.add(sw == a + (b - a) * t)
            model.add(sh == b + (a - b) * t)
            turns[i] = t
            lo_w, lo_h = min(a, b), min(a, b)
        else:
            sw, sh, lo_w, lo_h = a, b, a, b
        x = model.new_int_var(0, W - lo_w, "")
        y = model.new_int_var(0, H - lo_h, "")
        model.add(x + sw <= W)
        model.add(y + sh <= H)
        gx = model.new_int_var(0, k * W, "")
        model.add(gx == W * p + x)
        x_iv.append(model.new_interval_var(gx, sw, model.new_int_var(0, k * W, ""), ""))
        y_iv.append(model.new_interval_var(y, sh, model.new_int_var(0, H, ""), ""))
        panel_of[i], xs[i], ys[i] = p, x, y
    model.add_no_overlap_2d(x_iv, y_iv)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1  # the rest of nesting is single-threaded too
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return "infeasible", None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "unknown", None
    panel = np.array([solver.value(panel_of[i]) for i in range(n)], np.int64)
    px = np.array([solver.value(xs[i]) for i in range(n)], np.float64) / s
    py = np.array([solver.value(ys[i]) for i in range(n)], np.float64) / s
    rot = np.array([bool(solver.value(turns[i])) if i in turns else False for i in range(n)], np.bool_)
    return "feasible", (panel, px, py, rot)
