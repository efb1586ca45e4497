"""Exact re-packing of a few panels with CP-SAT: empty the weakest panel into the others.

The search hands over a handful of panels; the model places every board of them in exactly one of
those panels (in either orientation when turning is allowed), no two boards of a panel overlapping
(NoOverlap2D), keep-outs fixed, and minimises the board area left in the first (weakest) panel. When
that reaches zero, a panel has been saved. Started from the current layout (as a hint), CP-SAT only
returns layouts at least one board-area unit better, so the caller never loses ground.

CP-SAT works on integers: sizes are scaled to `scale` units per millimetre and rounded up, panel sides
rounded down, so an integer solution is always valid in millimetres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass
class Repacked:
    bins: list[int]  # the panel each board went to (index into the panels given)
    x: list[float]
    y: list[float]
    rotated: list[bool]
    left_in_first: float  # board area left in the first panel


def integer_scale(*values: NDArray[np.float64] | float) -> int:
    """1 when every size is a whole number (benchmark instances), else hundredths of a millimetre."""
    for v in values:
        a = np.asarray(v, dtype=np.float64)
        if np.any(np.abs(a - np.round(a)) > 1e-9):
            return 100
    return 1


def repack(
    w: NDArray[np.float64],
    h: NDArray[np.float64],
    turnable: NDArray[np.bool_],
    current: list[tuple[int, float, float, bool]],  # (panel, x, y, rotated) of each board now
    panels: int,
    width: float,
    height: float,
    keep_outs: NDArray[np.float64],
    scale: int,
    seconds: float,
    workers: int = 1,
) -> Repacked | None:
    """Re-place the boards of `panels` panels, minimising the board area in panel 0; None when no
    better layout was found in time."""
    from ortools.sat.python import cp_model  # imported on first use: it takes seconds to load

    W = math.floor(width * scale + 1e-9)
    H = math.floor(height * scale + 1e-9)
    iw = [math.ceil(v * scale - 1e-9) for v in w]
    ih = [math.ceil(v * scale - 1e-9) for v in h]
    area = [a * b for a, b in zip(iw, ih, strict=True)]
    m = cp_model.CpModel()
    xs: list[list[Any]] = [[] for _ in range(panels)]
    ys: list[list[Any]] = [[] for _ in range(panels)]
    for ox, oy, ow, oh in keep_outs:
        for b in range(panels):
            x0, y0 = math.floor(ox * scale), math.floor(oy * scale)
            x1, y1 = math.ceil((ox + ow) * scale), math.ceil((oy + oh) * scale)
            xs[b].append(m.new_fixed_size_interval_var(x0, x1 - x0, ""))
            ys[b].append(m.new_fixed_size_interval_var(y0, y1 - y0, ""))
    choice: list[list[tuple[int, bool, Any, Any, Any]]] = []
    for i in range(len(iw)):
        options = []
        for turned in (False, True) if turnable[i] else (False,):
            bw, bh = (ih[i], iw[i]) if turned else (iw[i], ih[i])
            if bw > W or bh > H:
                continue
            for b in range(panels):
                lit = m.new_bool_var("")
                x = m.new_int_var(0, W - bw, "")
                y = m.new_int_var(0, H - bh, "")
                xs[b].append(m.new_optional_fixed_size_interval_var(x, bw, lit, ""))
                ys[b].append(m.new_optional_fixed_size_interval_var(y, bh, lit, ""))
                options.append((b, turned, lit, x, y))
        if not options:
            return None
        m.add_exactly_one(o[2] for o in options)
        choice.append(options)
    for b in range(panels):
        m.add_no_overlap_2d(xs[b], ys[b])
        m.add(sum(area[i] * o[2] for i, opts in enumerate(choice) for o in opts if o[0] == b) <= W * H)
    left = sum(area[i] * o[2] for i, opts in enumerate(choice) for o in opts if o[0] == 0)
    now = sum(area[i] for i, c in enumerate(current) if c[0] == 0)
    m.add(left <= now - 1)
    m.minimize(left)
    for i, (b0, x0, y0, r0) in enumerate(current):
        for b, turned, lit, x, y in choice[i]:
            here = b == b0 and turned == r0
            m.add_hint(lit, here)
            if here:
                m.add_hint(x, min(round(x0 * scale), W))
                m.add_hint(y, min(round(y0 * scale), H))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = workers
    try:
        status = solver.solve(m)
    except IndexError:
        # OR-Tools 9.15 has been seen to raise from inside the solver ("raw_hash_map<>::at") on a
        # small share of these models; that attempt is simply lost, as a timeout would be.
        return None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out = Repacked([], [], [], [], 0.0)
    for opts in choice:
        b, turned, _, x, y = next(o for o in opts if solver.value(o[2]))
        out.bins.append(b)
        out.x.append(solver.value(x) / scale)
        out.y.append(solver.value(y) / scale)
        out.rotated.append(turned)
    out.left_in_first = solver.objective_value / (scale * scale)
    return out
