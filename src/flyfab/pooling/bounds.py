"""Lower bounds on the number of panels: how far from the best possible a layout can be.

- the area bound: total board area over panel area, rounded up;
- the dual-feasible-function bound (Fekete & Schepers 2004; Carlier, Clautiaux & Moukrim 2007):
  a dual feasible function f maps sizes so that whatever fitted side by side still fits, so the area
  bound of the mapped instance (f(w), g(h)) in a (f(W), g(H)) panel is a bound of the original.
  Taking the best of many pairs of functions gives bounds far stronger than the area bound, and at
  least as strong as Martello & Vigo's L2 on most instances. With rotation allowed each board counts
  with the orientation that makes its mapped area smaller, which keeps the bound valid whatever
  orientation a packing chose (Dell'Amico, Martello & Vigo 2002 take the same view);
- pairwise incompatible boards: boards larger than half the panel both ways never share one; more
  generally two boards that fit neither side by side nor one above the other (in any orientation
  allowed) never share one, so a set of boards that pairwise cannot share (a clique of the conflict
  graph, grown greedily) needs one panel each, and the rest needs what their spare room cannot hold.

All bounds accept real sizes (millimetres): the functions used stay dual feasible on the reals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
TOL = 1e-9


@dataclass(frozen=True)
class Bound:
    area: int  # total area over panel area
    best: int  # the strongest bound found (>= area)
    method: str  # which bound gave `best`: "area", "dff", "large", "conflict" or "exact" (exact.py)


def _ceil(v: float) -> int:
    return max(0, math.ceil(v - 1e-7))


def area_bound(sizes: Array, width: float, height: float) -> int:
    if not len(sizes):
        return 0
    return _ceil(float(np.sum(sizes[:, 0] * sizes[:, 1])) / (width * height))


def _family(cap: float, relevant: Array, *values: Array) -> list[Array]:
    """Dual feasible functions for capacity `cap`, each normalised to f(cap) = 1, evaluated on every
    array of `values`: one (functions, len) matrix per array, row k being the same function in all.

    A threshold function is tried for every threshold that can matter, i.e. the `relevant` sizes."""
    half = cap / 2
    sizes = np.unique(np.round(relevant[(relevant > TOL) & (relevant <= cap + TOL)], 9))
    lambdas = sorted(
        {float(s) for s in sizes if s <= half + TOL} | {float(cap - s) for s in sizes if s >= half}
    )
    lambdas = [lam for lam in lambdas if TOL < lam <= half + TOL]
    out = []
    for x in values:
        rows: list[Array] = [x / cap]
        for lam in lambdas:
            # f0: sizes above cap - lam count as the whole capacity, sizes below lam as nothing.
            f0 = np.where(x > cap - lam + TOL, cap, np.where(x < lam - TOL, 0.0, x))
            rows.append(f0 / cap)
            # f2 (Carlier, Clautiaux & Moukrim): multiples of lam, sizes above half counted from the top.
            k = math.floor(cap / lam + TOL)
            big = 2 * (k - np.floor((cap - x) / lam + TOL))
            small = 2 * np.floor(x / lam + TOL)
            f2 = np.where(np.abs(x - half) <= TOL, k, np.where(x > half, big, small))
            rows.append(f2 / (2 * k))
        for k in range(1, 9):
            # u^(k) (Fekete & Schepers): round down to multiples of 1/k unless (k+1)x is whole.
            t = x / cap * (k + 1)
            whole = np.abs(t - np.round(t)) <= 1e-9
            rows.append(np.where(whole, x / cap, np.floor(t + TOL) / k))
        out.append(np.clip(np.array(rows), 0.0, None))
    return out


def dff_bound(sizes: Array, width: float, height: float, rotation: bool) -> int:
    """The best bound over pairs of dual feasible functions (one per panel side)."""
    if not len(sizes):
        return 0
    # Identical boards are counted once with their multiplicity: pooling has many copies of each.
    unique, counts = np.unique(np.round(sizes, 9), axis=0, return_counts=True)
    w, h, mult = unique[:, 0], unique[:, 1], counts.astype(np.float64)
    if not rotation:
        (fw,) = _family(width, w, w)
        (gh,) = _family(height, h, h)
        return _ceil(float(((fw * mult) @ gh.T).max()))
    # The turned board: its height runs along the panel's width. Where a board cannot be turned (too
    # long for the other side), only its own orientation counts.
    turnable = (h <= width + TOL) & (w <= height + TOL)
    both = np.concatenate([w, h])
    fw, fh = _family(width, both, w, np.where(turnable, h, 0.0))
    gh, gw = _family(height, both, h, np.where(turnable, w, 0.0))
    best = 0.0
    for a in range(len(fw)):
        own = fw[a][None, :] * gh
        turned = np.where(turnable[None, :], fh[a][None, :] * gw, np.inf)
        best = max(best, float((np.minimum(own, turned) @ mult).max()))
    return _ceil(best)


def large_bound(sizes: Array, width: float, height: float, rotation: bool) -> int:
    """Boards longer than half the panel both ways (in every orientation) each need their own panel;
    what is left must fit in the space they leave plus further panels."""
    if not len(sizes):
        return 0
    w, h = sizes[:, 0], sizes[:, 1]
    large = (w > width / 2 + TOL) & (h > height / 2 + TOL)
    if rotation:
        large &= (h > width / 2 + TOL) & (w > height / 2 + TOL) | (h > width + TOL) | (w > height + TOL)
    n = int(large.sum())
    area = w * h
    spare = n * width * height - float(area[large].sum())
    rest = float(area[~large].sum())
    return n + _ceil(max(0.0, rest - spare) / (width * height))


def _apart(a: Array, b: Array, width: float, height: float) -> NDArray[np.bool_]:
    """a[i] and b[j] (as oriented) fit neither side by side nor one above the other: (len a, len b)."""
    side = a[:, None, 0] + b[None, :, 0] <= width + TOL
    above = a[:, None, 1] + b[None, :, 1] <= height + TOL
    out: NDArray[np.bool_] = ~(side | above)
    return out


def conflict_bound(sizes: Array, width: float, height: float, rotation: bool) -> int:
    """Boards that pairwise cannot share a panel (greedy cliques from a few orders), one panel each;
    boards that can share none of those panels, and all area the cliques' spare room cannot hold,
    need more panels."""
    if not len(sizes):
        return 0
    unique, counts = np.unique(np.round(sizes, 9), axis=0, return_counts=True)
    if len(unique) > 3000:  # the pairwise matrix would grow too large; the other bounds remain
        return 0
    conflict = _apart(unique, unique, width, height)
    if rotation:
        turned = unique[:, ::-1]
        fits_turned = (turned[:, 0] <= width + TOL) & (turned[:, 1] <= height + TOL)
        t = np.where(fits_turned[:, None], turned, unique)
        conflict &= _apart(t, unique, width, height) & _apart(unique, t, width, height)
        conflict &= _apart(t, t, width, height)
    area = unique[:, 0] * unique[:, 1]
    cap = width * height
    best = 0
    for key in (area, unique[:, 0], unique[:, 1], np.minimum(unique[:, 0], unique[:, 1])):
        clique: list[int] = []
        for i in np.argsort(-key, kind="stable"):
            if all(conflict[i, j] for j in clique):
                clique.append(int(i))
        members = np.zeros(len(unique), np.bool_)
        members[clique] = True
        copies = np.where(members, np.where(np.diag(conflict), counts, 1), 0)
        n = int(copies.sum())
        spare = n * cap - float((copies * area).sum())
        rest_counts = counts - copies
        rest = float((rest_counts * area).sum())
        # Boards in conflict with every clique board cannot use the clique's spare room.
        shut_out = conflict[:, clique].all(axis=1) if clique else np.ones(len(unique), np.bool_)
        excluded = float((rest_counts * area)[shut_out].sum())
        need = max(excluded, rest - spare)
        best = max(best, n + _ceil(max(0.0, need) / cap))
    return best


def lower_bound(sizes: Array, width: float, height: float, rotation: bool) -> Bound:
    area = area_bound(sizes, width, height)
    candidates = {
        "area": area,
        "dff": dff_bound(sizes, width, height, rotation),
        "large": large_bound(sizes, width, height, rotation),
        "conflict": conflict_bound(sizes, width, height, rotation),
    }
    method = max(candidates, key=lambda k: (candidates[k], k == "area"))
    return Bound(area=area, best=candidates[method], method=method)
