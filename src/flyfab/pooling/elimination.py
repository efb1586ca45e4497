"""Panel elimination: a local search that empties the least loaded panel into the others.

A layout is seen as an assignment of boards to panels; each panel must hold its boards, which a
single-panel check decides (`_fits`): area, the boards taller (wider) than half the panel side by
side, then first-fit decodings of a few sorted orders with four placement rules, and for a handful
of boards a depth-first search over every board, orientation and corner of a maximal free rectangle
(with a node budget, so "no" can mean "not found"). Failed checks are remembered by a hash of the
board set, as the same sets come back again and again.

The search moves boards between panels, always so that the sum of squared panel loads grows
(strictly, so it cannot cycle):
1. a board of the least loaded panel, largest first, into the fullest panel that takes it;
2. an ejection: such a board into a panel in place of a smaller board, which moves on to a third;
3. a board of the least loaded panel swapped for a smaller one of another panel (one for one, two
   for one, one for two);
4. when that panel is stuck, boards of lightly loaded panels into fuller ones, which gathers the
   free space into fewer panels for the next try.
A panel is saved when the least loaded panel is empty. `perturb` (ruin and recreate) lets the
caller restart it from elsewhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numba.core import types
from numba.typed import Dict

from flyfab.pooling.decoder import _cut, _score

EPS = 1e-6
DFS_BOARDS = 7  # exact search only for panels of at most this many boards
DFS_NODES = 300  # node budget of one exact search
_GREEDY_RULES = (0, 1, 2, 3)


def new_cache() -> Dict:
    """Hashes of board sets known not to fit one panel."""
    return Dict.empty(key_type=types.int64, value_type=types.boolean)


@njit(cache=True)
def _init_free(W: float, H: float, obstacles: np.ndarray, buf: np.ndarray) -> tuple[np.ndarray, int]:
    f = np.empty((32, 4))
    f[0, 0], f[0, 1], f[0, 2], f[0, 3] = 0.0, 0.0, W, H
    c = 1
    for o in range(obstacles.shape[0]):
        f, c = _cut(f, c, obstacles[o, 0], obstacles[o, 1], obstacles[o, 2], obstacles[o, 3], buf)
    return f, c


@njit(cache=True)
def _greedy(
    order: np.ndarray,
    m: int,
    w: np.ndarray,
    h: np.ndarray,
    turnable: np.ndarray,
    W: float,
    H: float,
    obstacles: np.ndarray,
    rule: int,
    ox: np.ndarray,
    oy: np.ndarray,
    orot: np.ndarray,
    buf: np.ndarray,
) -> bool:
    """Boards `order[:m]` one by one into one panel at the rule's preferred spot; False if one fails."""
    f, c = _init_free(W, H, obstacles, buf)
    for k in range(m):
        i = order[k]
        best = np.inf
        bx, by, bw, bh, brot = 0.0, 0.0, 0.0, 0.0, False
        for t in range(2 if turnable[i] else 1):
            iw = h[i] if t else w[i]
            ih = w[i] if t else h[i]
            for j in range(c):
                if f[j, 2] >= iw - EPS and f[j, 3] >= ih - EPS:
                    s = _score(rule, f[j, 0], f[j, 1], f[j, 2], f[j, 3], iw, ih, W, H)
                    if s < best:
                        best = s
                        bx, by, bw, bh, brot = f[j, 0], f[j, 1], iw, ih, t == 1
        if best == np.inf:
            return False
        f, c = _cut(f, c, bx, by, bw, bh, buf)
        ox[i], oy[i], orot[i] = bx, by, brot
    return True


@njit(cache=True)
def _dfs(
    f0: np.ndarray,
    c0: int,
    ids: np.ndarray,
    m: int,
    w: np.ndarray,
    h: np.ndarray,
    turnable: np.ndarray,
    ox: np.ndarray,
    oy: np.ndarray,
    orot: np.ndarray,
    budget: int,
    buf: np.ndarray,
) -> bool:
    """Every unplaced board, either way round, at the lower left corner of every free rectangle that
    holds it. Complete up to the node budget: any packing can be pushed down and left until each
    board rests on boards placed before it, and then sits at such a corner. (Iterative: numba's cache
    does not keep recursive functions.)"""
    fmax = 128
    frees = np.empty((m + 1, fmax, 4))
    counts = np.zeros(m + 1, np.int64)
    if c0 > fmax:
        return False
    frees[0, :c0] = f0[:c0]
    counts[0] = c0
    used = np.zeros(m, np.bool_)
    ck = np.zeros(m + 1, np.int64)  # the board, orientation and rectangle tried next at each depth
    ct = np.zeros(m + 1, np.int64)
    cj = np.zeros(m + 1, np.int64)
    d = 0
    entering = True
    while True:
        if entering:
            entering = False
            if d == m:
                return True
            budget -= 1
            if budget < 0:
                return False
            dead = False
            c = counts[d]
            for k in range(m):
                if used[k]:
                    continue
                i = ids[k]
                ok = False
                for j in range(c):
                    fw, fh = frees[d, j, 2], frees[d, j, 3]
                    if (fw >= w[i] - EPS and fh >= h[i] - EPS) or (
                        turnable[i] and fw >= h[i] - EPS and fh >= w[i] - EPS
                    ):
                        ok = True
                        break
                if not ok:
                    dead = True
                    break
            ck[d], ct[d], cj[d] = 0, 0, 0
            if dead:
                ck[d] = m  # nothing to try here
        # Next placement at depth d.
        found = False
        c = counts[d]
        while ck[d] < m:
            k = ck[d]
            i = ids[k]
            skip = used[k]
            if not skip:
                for q in range(k):
                    if not used[q] and w[ids[q]] == w[i] and h[ids[q]] == h[i]:
                        skip = True
                        break
            if skip or ct[d] >= (2 if turnable[i] else 1):
                ck[d] += 1
                ct[d] = 0
                cj[d] = 0
                continue
            if cj[d] >= c:
                ct[d] += 1
                cj[d] = 0
                continue
            j = cj[d]
            cj[d] += 1
            iw = h[i] if ct[d] else w[i]
            ih = w[i] if ct[d] else h[i]
            if frees[d, j, 2] >= iw - EPS and frees[d, j, 3] >= ih - EPS:
                g = frees[d, :c].copy()
                g2, c2 = _cut(g, c, frees[d, j, 0], frees[d, j, 1], iw, ih, buf)
                if c2 > fmax:
                    continue
                frees[d + 1, :c2] = g2[:c2]
                counts[d + 1] = c2
                ox[i], oy[i], orot[i] = frees[d, j, 0], frees[d, j, 1], ct[d] == 1
                used[k] = True
                found = True
                break
        if found:
            d += 1
            entering = True
            continue
        # Exhausted: back to the previous depth, freeing the board placed there.
        d -= 1
        if d < 0:
            return False
        used[ck[d]] = False


@njit(cache=True)
def _fits(
    ids: np.ndarray,
    m: int,
    w: np.ndarray,
    h: np.ndarray,
    turnable: np.ndarray,
    W: float,
    H: float,
    obstacles: np.ndarray,
    free_area: float,
    zob: np.ndarray,
    cache: Dict,
    ox: np.ndarray,
    oy: np.ndarray,
    orot: np.ndarray,
    buf: np.ndarray,
) -> bool:
    """Do boards ids[:m] fit one panel? On True, ox/oy/orot hold their positions."""
    area = 0.0
    key = np.int64(0)
    for k in range(m):
        i = ids[k]
        area += w[i] * h[i]
        key ^= zob[i]
    if area > free_area + EPS:
        return False
    # Boards longer than half the panel both ways, or too tall to stack, must stand side by side.
    tall = 0.0
    wide = 0.0
    for k in range(m):
        i = ids[k]
        if turnable[i]:
            continue
        if h[i] > H / 2 + EPS:
            tall += w[i]
        if w[i] > W / 2 + EPS:
            wide += h[i]
    if tall > W + EPS or wide > H + EPS:
        return False
    if key in cache:
        return False
    order = np.empty(m, np.int64)
    keys = np.empty(m)
    for s in range(5):
        for k in range(m):
            i = ids[k]
            if s == 0:
                keys[k] = -w[i] * h[i]
            elif s == 1:
                keys[k] = -max(w[i], h[i])
            elif s == 2:
                keys[k] = -h[i]
            elif s == 3:
                keys[k] = -w[i]
            else:
                keys[k] = -(w[i] + h[i])
        pos = np.argsort(keys, kind="mergesort")
        for k in range(m):
            order[k] = ids[pos[k]]
        for r in range(4):
            if _greedy(order, m, w, h, turnable, W, H, obstacles, r, ox, oy, orot, buf):
                return True
    if m <= DFS_BOARDS:
        f, c = _init_free(W, H, obstacles, buf)
        pos = np.argsort(-(w[ids[:m]] * h[ids[:m]]), kind="mergesort")
        sorted_ids = ids[:m][pos].copy()
        if _dfs(f, c, sorted_ids, m, w, h, turnable, ox, oy, orot, DFS_NODES, buf):
            return True
    cache[key] = True
    return False


@njit(cache=True)
def _members(bin_of: np.ndarray, nbins: int) -> tuple[np.ndarray, np.ndarray]:
    """Boards of each panel, largest first: start[b]:start[b+1] in the returned list."""
    n = bin_of.shape[0]
    start = np.zeros(nbins + 1, np.int64)
    for i in range(n):
        start[bin_of[i] + 1] += 1
    for b in range(nbins):
        start[b + 1] += start[b]
    fill = start[:-1].copy()
    out = np.empty(n, np.int64)
    for i in range(n):
        b = bin_of[i]
        out[fill[b]] = i
        fill[b] += 1
    return start, out


@njit(cache=True)
def _usable_area(W: float, H: float, obstacles: np.ndarray) -> float:
    """Panel area less the keep-outs inside it (overlapping keep-outs counted once each: a lower
    estimate, which only makes the area test stricter than it need be)."""
    a = W * H
    for o in range(obstacles.shape[0]):
        ow = min(W, obstacles[o, 0] + obstacles[o, 2]) - max(0.0, obstacles[o, 0])
        oh = min(H, obstacles[o, 1] + obstacles[o, 3]) - max(0.0, obstacles[o, 1])
        if ow > 0 and oh > 0:
            a -= ow * oh
    return max(a, 0.0)


@njit(cache=True)
def _gather(ids: np.ndarray, m: int, members: np.ndarray, s: int, e: int, skip1: int, skip2: int) -> int:
    """Append members[s:e] but for positions skip1, skip2 to ids[m:]; returns the new length."""
    for k in range(s, e):
        if k != skip1 and k != skip2:
            ids[m] = members[k]
            m += 1
    return m


@njit(cache=True)
def _commit(ids: np.ndarray, m: int, panel: int, ctx: tuple[Any, ...], bin_of: np.ndarray, x: np.ndarray,
            y: np.ndarray, rot: np.ndarray) -> None:  # fmt: skip
    """Boards ids[:m] into `panel` at the positions the last successful check found."""
    ox, oy, orot = ctx[9], ctx[10], ctx[11]
    for k in range(m):
        q = ids[k]
        x[q], y[q], rot[q] = ox[q], oy[q], orot[q]
        bin_of[q] = panel


@njit(cache=True)
def _check(ids: np.ndarray, m: int, ctx: tuple[Any, ...]) -> bool:
    w, h, turnable, W, H, obstacles, free_area, zob, cache, ox, oy, orot, buf = ctx
    return _fits(ids, m, w, h, turnable, W, H, obstacles, free_area, zob, cache, ox, oy, orot, buf)


@njit(cache=True)
def _drop_if_empty(e: int, bin_of: np.ndarray, loads: np.ndarray, nbins: int) -> tuple[np.ndarray, int]:
    """Remove panel e if no board is left in it: the last panel takes its number."""
    for q in range(bin_of.shape[0]):
        if bin_of[q] == e:
            return loads, nbins
    last = nbins - 1
    for q in range(bin_of.shape[0]):
        if bin_of[q] == last:
            bin_of[q] = e
    loads[e] = loads[last]
    return loads[:last].copy(), last


@njit(cache=True)
def eliminate(
    w: np.ndarray,
    h: np.ndarray,
    turnable: np.ndarray,
    W: float,
    H: float,
    obstacles: np.ndarray,
    bin_of: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    rot: np.ndarray,
    nbins: int,
    bound: int,
    zob: np.ndarray,
    cache: Dict,
    max_checks: int,
) -> tuple[int, int, bool]:
    """Improve the layout in place (panels numbered 0..nbins-1). Returns the panel count, the checks
    used and whether the search is stuck (no improving move left)."""
    n = w.shape[0]
    area = w * h
    free_area = _usable_area(W, H, obstacles)
    loads = np.zeros(nbins)
    for i in range(n):
        loads[bin_of[i]] += area[i]
    ctx = (w, h, turnable, W, H, obstacles, free_area, zob, cache, np.empty(n), np.empty(n),
           np.zeros(n, np.bool_), np.empty((64, 4)))  # fmt: skip
    ids = np.empty(n + 2, np.int64)
    ids2 = np.empty(n + 2, np.int64)
    checks = 0
    scanned = 0  # candidates looked at: panels of many small boards have very many
    while checks + scanned // 64 < max_checks and nbins > bound:
        start, members = _members(bin_of, nbins)
        t = int(np.argmin(loads))
        by_load = np.argsort(-loads, kind="mergesort")
        tm = members[start[t] : start[t + 1]].copy()
        tm = tm[np.argsort(-area[tm], kind="mergesort")]
        tn = len(tm)
        moved = False
        # 1. A board of the weakest panel into the fullest panel that takes it.
        for i in tm:
            for b in by_load:
                if b == t or loads[b] + area[i] > free_area + EPS:
                    continue
                m = _gather(ids, 0, members, start[b], start[b + 1], -1, -1)
                ids[m] = i
                checks += 1
                if _check(ids, m + 1, ctx):
                    _commit(ids, m + 1, b, ctx, bin_of, x, y, rot)
                    loads[b] += area[i]
                    loads[t] -= area[i]
                    moved = True
                    break
            if moved:
                break
        # 2. Ejection: a board of the weakest panel into panel b in place of a smaller board of b,
        # which goes into a third panel c, when that raises the sum of squared loads.
        for i in tm:
            if moved:
                break
            for b in by_load:
                if b == t or moved:
                    continue
                for kj in range(start[b], start[b + 1]):
                    j = members[kj]
                    if area[j] >= area[i] - EPS or loads[b] - area[j] + area[i] > free_area + EPS:
                        continue
                    scanned += 1
                    lt, lb = loads[t], loads[b]
                    base = (lt - area[i]) ** 2 - lt**2 + (lb + area[i] - area[j]) ** 2 - lb**2
                    tried = False
                    for c in by_load:
                        if c == t or c == b or loads[c] + area[j] > free_area + EPS:  # noqa: SIM109
                            continue
                        if base + (loads[c] + area[j]) ** 2 - loads[c] ** 2 <= EPS:
                            continue
                        if not tried:
                            tried = True
                            m = _gather(ids, 0, members, start[b], start[b + 1], kj, -1)
                            ids[m] = i
                            m += 1
                            checks += 1
                            if not _check(ids, m, ctx):
                                break
                        m2 = _gather(ids2, 0, members, start[c], start[c + 1], -1, -1)
                        ids2[m2] = j
                        m2 += 1
                        checks += 1
                        if _check(ids2, m2, ctx):
                            # The two sets are disjoint: the positions of both are at hand.
                            _commit(ids, m, b, ctx, bin_of, x, y, rot)
                            _commit(ids2, m2, c, ctx, bin_of, x, y, rot)
                            loads[t] -= area[i]
                            loads[b] += area[i] - area[j]
                            loads[c] += area[j]
                            moved = True
                            break
                    if moved:
                        break
        if moved:
            loads, nbins = _drop_if_empty(t, bin_of, loads, nbins)
            continue
        # 3. Swaps with the weakest panel: it gives more area than it takes (one or two boards each
        # way, not two for two).
        for b in by_load:
            if b == t or moved:
                continue
            bs, be = start[b], start[b + 1]
            for g1 in range(tn):
                if moved:
                    break
                for g2 in range(g1, tn):
                    if moved:
                        break
                    if checks + scanned // 64 >= max_checks:
                        return nbins, checks, False
                    give = area[tm[g1]] + (area[tm[g2]] if g2 > g1 else 0.0)
                    for j1 in range(bs, be):
                        if moved:
                            break
                        for j2 in range(j1, be):
                            if g2 > g1 and j2 > j1:
                                continue
                            scanned += 1
                            take = area[members[j1]] + (area[members[j2]] if j2 > j1 else 0.0)
                            if take >= give - EPS or loads[b] - take + give > free_area + EPS:
                                continue
                            m = _gather(ids, 0, members, bs, be, j1, j2)
                            ids[m] = tm[g1]
                            m += 1
                            if g2 > g1:
                                ids[m] = tm[g2]
                                m += 1
                            checks += 1
                            if not _check(ids, m, ctx):
                                continue
                            m2 = _gather(ids2, 0, tm, 0, tn, g1, g2)
                            ids2[m2] = members[j1]
                            m2 += 1
                            if j2 > j1:
                                ids2[m2] = members[j2]
                                m2 += 1
                            checks += 1
                            if not _check(ids2, m2, ctx):
                                continue
                            _commit(ids, m, b, ctx, bin_of, x, y, rot)
                            _commit(ids2, m2, t, ctx, bin_of, x, y, rot)
                            loads[b] += give - take
                            loads[t] -= give - take
                            moved = True
                            break
        if moved:
            continue
        # 4. Gather free space: a board of a lighter panel into a fuller one (not the weakest).
        for a in by_load[::-1]:
            if a == t or moved:
                continue
            for k0 in range(start[a], start[a + 1]):
                i = members[k0]
                for b in by_load:
                    if b == t or b == a or loads[b] < loads[a] or loads[b] + area[i] > free_area + EPS:  # noqa: SIM109
                        continue
                    m = _gather(ids, 0, members, start[b], start[b + 1], -1, -1)
                    ids[m] = i
                    checks += 1
                    if _check(ids, m + 1, ctx):
                        _commit(ids, m + 1, b, ctx, bin_of, x, y, rot)
                        loads[b] += area[i]
                        loads[a] -= area[i]
                        moved = True
                        break
                if moved:
                    loads, nbins = _drop_if_empty(a, bin_of, loads, nbins)
                    break
        if moved:
            continue
        return nbins, checks, True
    return nbins, checks, False


@njit(cache=True)
def perturb(
    w: np.ndarray,
    h: np.ndarray,
    turnable: np.ndarray,
    W: float,
    H: float,
    obstacles: np.ndarray,
    bin_of: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    rot: np.ndarray,
    nbins: int,
    ruin: int,
    zob: np.ndarray,
    cache: Dict,
    seed: int,
) -> int:
    """Ruin and recreate: the weakest panel and `ruin` random others are emptied, and their boards
    (largest first, sizes jittered) go each into the fullest panel that takes it, new panels opened
    as needed. Returns the new panel count (may be larger)."""
    np.random.seed(seed)
    n = w.shape[0]
    area = w * h
    free_area = _usable_area(W, H, obstacles)
    loads = np.zeros(nbins + n)
    for i in range(n):
        loads[bin_of[i]] += area[i]
    gone = np.zeros(nbins, np.bool_)
    gone[int(np.argmin(loads[:nbins]))] = True
    for _ in range(min(ruin, nbins - 1)):
        while True:
            b = np.random.randint(0, nbins)
            if not gone[b]:
                gone[b] = True
                break
    # The kept panels renumbered 0..k-1.
    label = np.full(nbins, -1, np.int64)
    k = 0
    for b in range(nbins):
        if not gone[b]:
            label[b] = k
            loads[k] = loads[b]
            k += 1
    loose = []
    for i in range(n):
        if gone[bin_of[i]]:
            loose.append(i)
            bin_of[i] = -1
        else:
            bin_of[i] = label[bin_of[i]]
    keys = np.empty(len(loose))
    for q in range(len(loose)):
        keys[q] = -area[loose[q]] * np.random.uniform(0.7, 1.3)
    ox = np.empty(n)
    oy = np.empty(n)
    orot = np.zeros(n, np.bool_)
    buf = np.empty((64, 4))
    ids = np.empty(n + 1, np.int64)
    # Each panel's boards as a linked list: head[b], then nxt[i].
    head = np.full(k + n, -1, np.int64)
    nxt = np.full(n, -1, np.int64)
    for i in range(n):
        if bin_of[i] >= 0:
            nxt[i] = head[bin_of[i]]
            head[bin_of[i]] = i
    for q in np.argsort(keys):
        i = loose[q]
        order = np.argsort(-loads[:k] + np.random.uniform(0.0, 0.05 * free_area, k))
        placed = False
        for b in order:
            if loads[b] + area[i] > free_area + EPS:
                continue
            m = 0
            j = head[b]
            while j >= 0:
                ids[m] = j
                m += 1
                j = nxt[j]
            ids[m] = i
            m += 1
            if _fits(ids, m, w, h, turnable, W, H, obstacles, free_area, zob, cache, ox, oy, orot, buf):
                for z in range(m):
                    j = ids[z]
                    x[j], y[j], rot[j] = ox[j], oy[j], orot[j]
                bin_of[i] = b
                nxt[i] = head[b]
                head[b] = i
                loads[b] += area[i]
                placed = True
                break
        if not placed:
            ids[0] = i
            _fits(ids, 1, w, h, turnable, W, H, obstacles, free_area, zob, cache, ox, oy, orot, buf)
            x[i], y[i], rot[i] = ox[i], oy[i], orot[i]
            bin_of[i] = k
            head[k] = i
            nxt[i] = -1
            loads[k] = area[i]
            k += 1
    return k
