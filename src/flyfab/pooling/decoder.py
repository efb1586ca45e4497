"""The placement decoder: boards in a given sequence, each into the first panel where it fits.

This is the inner loop of nesting, run thousands of times per second by the search, so it is compiled
with numba. Each panel's free space is kept as its maximal free rectangles (MaxRects, as in
maxrects.py); a board goes into the first panel (in the order panels were opened) that can hold it,
at the position a placement rule prefers, turned if that fits better and turning is allowed.

First fit in sequence order is what makes the deadline rule hold by construction: with the sequence
sorted by due date, a board is only ever placed after every board due earlier, and only in a panel
where it fits, so it never takes space a board due earlier could still have used.

Placement rules (the `rule` argument), from the literature on MaxRects and maximal spaces:
0 bottom-left: the lowest top edge, then the leftmost;
1 best short side fit: the smallest leftover along the shorter side of the free rectangle;
2 best area fit: the smallest free rectangle that holds it;
3 distance to the far corner (Gonçalves & Resende's DFTRC): as far from the panel's top-right
  corner as possible, which keeps the free space in one large block;
4 contact: the most perimeter touching the panel's edges and boards already placed (Lodi, Martello
  & Vigo's touching perimeter; Jylänki's contact point), which packs boards into the corners left.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPS = 1e-6
BOTTOM_LEFT, SHORT_SIDE, BEST_AREA, FAR_CORNER, CONTACT = 0, 1, 2, 3, 4
RULES = (BOTTOM_LEFT, SHORT_SIDE, BEST_AREA, FAR_CORNER, CONTACT)


@njit(cache=True)
def _score(
    rule: int, fx: float, fy: float, fw: float, fh: float, w: float, h: float, W: float, H: float
) -> float:
    if rule == BOTTOM_LEFT:
        return (fy + h) * 4.0 * (W + 1.0) + fx
    if rule == SHORT_SIDE:
        lw = fw - w
        lh = fh - h
        return min(lw, lh) * 4.0 * (W + H + 1.0) + max(lw, lh)
    if rule == BEST_AREA:
        return (fw * fh - w * h) * 4.0 * (W + H + 1.0) + min(fw - w, fh - h)
    dx = W - fx - w
    dy = H - fy - h
    return -(dx * dx + dy * dy)


@njit(cache=True)
def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


@njit(cache=True)
def _contact(
    placed: np.ndarray, count: int, x: float, y: float, w: float, h: float, W: float, H: float
) -> float:
    """Length of the rectangle's perimeter touching the panel's edges or the placed rectangles."""
    c = 0.0
    if x <= EPS:
        c += h
    if x + w >= W - EPS:
        c += h
    if y <= EPS:
        c += w
    if y + h >= H - EPS:
        c += w
    for k in range(count):
        px, py, pw, ph = placed[k, 0], placed[k, 1], placed[k, 2], placed[k, 3]
        if abs(px + pw - x) <= EPS or abs(px - x - w) <= EPS:
            c += _overlap(y, y + h, py, py + ph)
        if abs(py + ph - y) <= EPS or abs(py - y - h) <= EPS:
            c += _overlap(x, x + w, px, px + pw)
    return c


@njit(cache=True)
def _cut(
    free: np.ndarray, count: int, x: float, y: float, w: float, h: float, buf: np.ndarray
) -> tuple[np.ndarray, int]:
    """Take x, y, w, h out of the `count` free rectangles in `free`; returns the (possibly grown)
    array and the new count. `buf` is scratch space for the pieces."""
    npieces = 0
    i = 0
    r, t = x + w, y + h
    while i < count:
        fx, fy, fw, fh = free[i, 0], free[i, 1], free[i, 2], free[i, 3]
        fr, ft = fx + fw, fy + fh
        if fx < r - EPS and fr > x + EPS and fy < t - EPS and ft > y + EPS:
            if npieces + 4 > buf.shape[0]:
                nb = np.empty((buf.shape[0] * 2, 4))
                nb[:npieces] = buf[:npieces]
                buf = nb
            if x > fx + EPS:
                buf[npieces, 0], buf[npieces, 1], buf[npieces, 2], buf[npieces, 3] = fx, fy, x - fx, fh
                npieces += 1
            if r < fr - EPS:
                buf[npieces, 0], buf[npieces, 1], buf[npieces, 2], buf[npieces, 3] = r, fy, fr - r, fh
                npieces += 1
            if y > fy + EPS:
                buf[npieces, 0], buf[npieces, 1], buf[npieces, 2], buf[npieces, 3] = fx, fy, fw, y - fy
                npieces += 1
            if t < ft - EPS:
                buf[npieces, 0], buf[npieces, 1], buf[npieces, 2], buf[npieces, 3] = fx, t, fw, ft - t
                npieces += 1
            count -= 1
            free[i] = free[count]
        else:
            i += 1
    old = count
    for p in range(npieces):
        px, py, pw, ph = buf[p, 0], buf[p, 1], buf[p, 2], buf[p, 3]
        pr, pt = px + pw, py + ph
        contained = False
        for j in range(count):
            if (
                px >= free[j, 0] - EPS
                and py >= free[j, 1] - EPS
                and pr <= free[j, 0] + free[j, 2] + EPS
                and pt <= free[j, 1] + free[j, 3] + EPS
            ):
                contained = True
                break
        if contained:
            continue
        # Pieces added before this one that it contains are dropped (old rectangles cannot be).
        j = old
        while j < count:
            if (
                free[j, 0] >= px - EPS
                and free[j, 1] >= py - EPS
                and free[j, 0] + free[j, 2] <= pr + EPS
                and free[j, 1] + free[j, 3] <= pt + EPS
            ):
                count -= 1
                free[j] = free[count]
            else:
                j += 1
        if count >= free.shape[0]:
            grown = np.empty((free.shape[0] * 2, 4))
            grown[:count] = free[:count]
            free = grown
        free[count, 0], free[count, 1], free[count, 2], free[count, 3] = px, py, pw, ph
        count += 1
    return free, count


@njit(cache=True)
def _extent(free: np.ndarray, count: int) -> tuple[float, float]:
    mw = 0.0
    mh = 0.0
    for j in range(count):
        mw = max(mw, free[j, 2])
        mh = max(mh, free[j, 3])
    return mw, mh


@njit(cache=True)
def first_fit(
    w: np.ndarray,
    h: np.ndarray,
    turnable: np.ndarray,
    prefer: np.ndarray,
    seq: np.ndarray,
    W: float,
    H: float,
    rule: int,
    obstacles: np.ndarray,
    out_bin: np.ndarray,
    out_x: np.ndarray,
    out_y: np.ndarray,
    out_rot: np.ndarray,
    loads: np.ndarray,
) -> int:
    """Place the boards in `seq` order; returns the number of panels and fills the out_* arrays and
    `loads` (board area per panel). Every board must fit an empty panel in some allowed orientation.
    `obstacles` (k, 4) are keep-outs present in every panel."""
    n = seq.shape[0]
    cap = 64
    maxbins = n + 1
    frees = [np.empty((cap, 4)) for _ in range(1)]
    frees.pop()
    placed_rects = [np.empty((cap, 4)) for _ in range(1)]  # boards and keep-outs, for the contact rule
    placed_rects.pop()
    placed_counts = np.zeros(maxbins, np.int64)
    counts = np.zeros(maxbins, np.int64)
    # The widest and the tallest free rectangle of each panel: a board that is wider or taller than
    # these cannot fit, so most full panels are passed over without scanning their rectangles.
    maxw = np.zeros(maxbins)
    maxh = np.zeros(maxbins)
    buf = np.empty((64, 4))
    nbins = 0
    for k in range(n):
        i = seq[k]
        placed = False
        for b in range(nbins + 1):
            if b == nbins:
                f = np.empty((cap, 4))
                f[0, 0], f[0, 1], f[0, 2], f[0, 3] = 0.0, 0.0, W, H
                c = 1
                for o in range(obstacles.shape[0]):
                    f, c = _cut(f, c, obstacles[o, 0], obstacles[o, 1], obstacles[o, 2], obstacles[o, 3], buf)
                frees.append(f)
                counts[b] = c
                maxw[b], maxh[b] = _extent(f, c)
                pr = np.empty((obstacles.shape[0] + cap, 4))
                pr[: obstacles.shape[0]] = obstacles
                placed_rects.append(pr)
                placed_counts[b] = obstacles.shape[0]
                loads[b] = 0.0
                nbins += 1
            if loads[b] + w[i] * h[i] > W * H + EPS:
                continue
            if not (maxw[b] >= w[i] - EPS and maxh[b] >= h[i] - EPS) and not (
                turnable[i] and maxw[b] >= h[i] - EPS and maxh[b] >= w[i] - EPS
            ):
                continue
            f = frees[b]
            best = np.inf
            bx, by, bw, bh, brot = 0.0, 0.0, 0.0, 0.0, False
            for t in range(2 if turnable[i] else 1):
                # prefer[i]: 0 the better-scoring orientation, 1 as given unless only turned fits,
                # 2 turned unless only as given fits.
                turn = t if prefer[i] != 2 else 1 - t
                if t == 1 and prefer[i] != 0 and best < np.inf:
                    break
                iw = h[i] if turn else w[i]
                ih = w[i] if turn else h[i]
                for j in range(counts[b]):
                    if f[j, 2] >= iw - EPS and f[j, 3] >= ih - EPS:
                        if rule == CONTACT:
                            # Any corner of the free rectangle touches two of its sides.
                            for corner in range(4):
                                cx = f[j, 0] if corner % 2 == 0 else f[j, 0] + f[j, 2] - iw
                                cy = f[j, 1] if corner < 2 else f[j, 1] + f[j, 3] - ih
                                touch = _contact(placed_rects[b], placed_counts[b], cx, cy, iw, ih, W, H)
                                s = -touch * 4.0 * (W + 1.0) * (H + 1.0) + (cy + ih) * 2.0 * (W + 1.0) + cx
                                if s < best:
                                    best = s
                                    bx, by, bw, bh, brot = cx, cy, iw, ih, turn == 1
                            continue
                        s = _score(rule, f[j, 0], f[j, 1], f[j, 2], f[j, 3], iw, ih, W, H)
                        if s < best:
                            best = s
                            bx, by, bw, bh, brot = f[j, 0], f[j, 1], iw, ih, turn == 1
            if best < np.inf:
                f2, c2 = _cut(f, counts[b], bx, by, bw, bh, buf)
                frees[b] = f2
                counts[b] = c2
                maxw[b], maxh[b] = _extent(f2, c2)
                loads[b] += w[i] * h[i]
                pr = placed_rects[b]
                if placed_counts[b] >= pr.shape[0]:
                    grown = np.empty((pr.shape[0] * 2, 4))
                    grown[: placed_counts[b]] = pr[: placed_counts[b]]
                    placed_rects[b] = pr = grown
                pc = placed_counts[b]
                pr[pc, 0], pr[pc, 1], pr[pc, 2], pr[pc, 3] = bx, by, bw, bh
                placed_counts[b] = pc + 1
                out_bin[i], out_x[i], out_y[i], out_rot[i] = b, bx, by, brot
                placed = True
                break
        if not placed:  # cannot happen when every board fits an empty panel
            out_bin[i] = -1
    return nbins
