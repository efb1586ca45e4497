"""Tabu search for the job shop with machines fixed (the N7 neighbourhood of Zhang et al.).

No maintained library offers a job-shop tabu search (the Python scheduling packages wrap CP-SAT or
another constraint solver), and it is the method that finds near-optimal makespans fastest, so it
is written here, compiled with numba. The solution is a sequence per machine; start times are the
longest paths of the disjunctive graph. A move takes an operation of a block of the critical path
to the block's front or back, or the block's first or last operation inside it, only when it
provably creates no cycle, and is estimated from heads and tails without rescheduling (Balas &
Vazacopoulos' estimate). The reverse of recent moves is tabu.

A walk ends after a long stretch without improvement. In a classic job shop its best joins a pool
of elite solutions, kept short and far apart, and the next walk starts on the path that relinks
two of them (path relinking, as in Peng, Lü & Cheng's TS/PR): on the plateaus where one walk
circles, the pool finds shorter schedules within seconds (la22, la27, la29 in docs/benchmarks.md).
Flexible shops restart from the best solution shaken by random critical swaps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

I64 = np.int64
MAX_SHAKES = 20
ELITE = 10  # solutions in the pool that walks start between
POOL_RESET = 100  # walks without a better pool best before it is filled anew
POOL_QUALITY = 0.6  # weight of the makespan against the distance to the others
RELINK = (0.4, 0.6, 16)  # where on the path between two to start; swaps tried a step
RESTART_FROM_WALK = 10


@njit(cache=True, nogil=True)
def _swap_next(seq, pos, t):  # type: ignore[no-untyped-def]
    """Swap the operations at t and t + 1 of a machine sequence, keeping `pos` (operation ->
    place in the sequence) right."""
    a = seq[t]
    b = seq[t + 1]
    seq[t] = b
    seq[t + 1] = a
    pos[b] = t
    pos[a] = t + 1


@njit(cache=True, nogil=True)
def _heads(p, jp, js, rel, mach, mseq, moff, pos, r, order, indeg, stack):  # type: ignore[no-untyped-def]
    n = p.size
    for i in range(n):
        d = 0
        if jp[i] >= 0:
            d += 1
        if pos[i] > moff[mach[i]]:
            d += 1
        indeg[i] = d
    top = 0
    for i in range(n):
        if indeg[i] == 0:
            stack[top] = i
            top += 1
    cnt = 0
    while top > 0:
        top -= 1
        i = stack[top]
        order[cnt] = i
        cnt += 1
        t = rel[i]
        a = jp[i]
        if a >= 0 and r[a] + p[a] > t:
            t = r[a] + p[a]
        k = pos[i]
        m = mach[i]
        if k > moff[m]:
            b = mseq[k - 1]
            if r[b] + p[b] > t:
                t = r[b] + p[b]
        r[i] = t
        s = js[i]
        if s >= 0:
            indeg[s] -= 1
            if indeg[s] == 0:
                stack[top] = s
                top += 1
        if k + 1 < moff[m + 1]:
            s = mseq[k + 1]
            indeg[s] -= 1
            if indeg[s] == 0:
                stack[top] = s
                top += 1
    return cnt


@njit(cache=True, nogil=True)
def _tails(p, js, mach, mseq, moff, pos, q, order, cnt):  # type: ignore[no-untyped-def]
    for idx in range(cnt - 1, -1, -1):
        i = order[idx]
        t = 0
        s = js[i]
        if s >= 0:
            t = q[s] + p[s]
        k = pos[i]
        if k + 1 < moff[mach[i] + 1]:
            b = mseq[k + 1]
            if q[b] + p[b] > t:
                t = q[b] + p[b]
        q[i] = t


@njit(cache=True, nogil=True)
def makespan_of(p, jp, js, rel, mach, mseq, moff, pos, r):  # type: ignore[no-untyped-def]
    """Heads (start times) into `r` and the makespan, or -1 when the sequences make a cycle."""
    n = p.size
    order = np.empty(n, I64)
    indeg = np.empty(n, I64)
    stack = np.empty(n, I64)
    cnt = _heads(p, jp, js, rel, mach, mseq, moff, pos, r, order, indeg, stack)
    if cnt < n:
        return -1
    c = 0
    for i in range(n):
        if r[i] + p[i] > c:
            c = r[i] + p[i]
    return c


@njit(cache=True, nogil=True)
def _restore(mseq, moff, pos, mach, p, best_seq, best_moff, best_mach, alt_off, alt_m, alt_p):  # type: ignore[no-untyped-def]
    mseq[:] = best_seq[:]
    moff[:] = best_moff[:]
    mach[:] = best_mach[:]
    for i in range(mseq.size):
        pos[mseq[i]] = i
        for w in range(alt_off[i], alt_off[i + 1]):
            if alt_m[w] == mach[i]:
                p[i] = alt_p[w]


@njit(cache=True, nogil=True)
def _search(  # type: ignore[no-untyped-def]
    p,
    jp,
    js,
    rel,
    mach,
    mseq,
    moff,
    pos,
    alt_off,
    alt_m,
    alt_p,
    best_seq,
    best_moff,
    best_mach,
    state,
    tabu,
    tabu_m,
    iters,
    stall_limit,
    tenure_lo,
    tenure_hi,
    lower_bound,
    own_restart,
):
    # state: [iteration, best makespan, last improving iteration, restarts since, why it returned
    # early: 1 stalled (without own restarts), 2 at a lower bound]
    n = p.size
    r = np.empty(n, I64)
    q = np.empty(n, I64)
    order = np.empty(n, I64)
    indeg = np.empty(n, I64)
    stack = np.empty(n, I64)
    path = np.empty(n, I64)
    mv_u = np.empty(4 * n, I64)
    mv_v = np.empty(4 * n, I64)
    mv_d = np.empty(4 * n, I64)
    seg = np.empty(n, I64)
    rr = np.empty(n, I64)
    it = state[0]
    best = state[1]
    last = state[2]
    end_it = it + iters
    while it < end_it:
        it += 1
        cnt = _heads(p, jp, js, rel, mach, mseq, moff, pos, r, order, indeg, stack)
        if cnt < n:
            # A move closed a cycle (possible only with zero durations): back to the best.
            _restore(mseq, moff, pos, mach, p, best_seq, best_moff, best_mach, alt_off, alt_m, alt_p)
            cnt = _heads(p, jp, js, rel, mach, mseq, moff, pos, r, order, indeg, stack)
        _tails(p, js, mach, mseq, moff, pos, q, order, cnt)
        cmax = 0
        for i in range(n):
            if r[i] + p[i] > cmax:
                cmax = r[i] + p[i]
        if cmax < best:
            best = cmax
            last = it
            state[3] = 0
            best_seq[:] = mseq[:]
            best_moff[:] = moff[:]
            best_mach[:] = mach[:]
            if best <= lower_bound:
                state[4] = 2
                break
        # One critical path, traced back from a randomly chosen critical end.
        ends = 0
        pick = -1
        for i in range(n):
            if r[i] + p[i] == cmax and q[i] == 0:
                ends += 1
                if np.random.randint(ends) == 0:
                    pick = i
        plen = 0
        cur = pick
        while cur >= 0:
            path[plen] = cur
            plen += 1
            nxt = -1
            k = pos[cur]
            if k > moff[mach[cur]]:
                b = mseq[k - 1]
                if r[b] + p[b] == r[cur]:
                    nxt = b
            a = jp[cur]
            if a >= 0 and r[a] + p[a] == r[cur] and (nxt < 0 or np.random.randint(4) == 0):
                nxt = a
            cur = nxt
        path[:plen] = path[:plen][::-1].copy()
        # Blocks: maximal runs of the path on one machine. Moves (N7): an operation of a block
        # moved to its front or back, the first or last moved inside it. A move is (u, v, dir):
        # dir 1 moves u right after v, dir 0 moves v right before u; u precedes v on the machine.
        nmv = 0
        bstart = 0
        nblocks = 0
        for idx in range(1, plen + 1):
            if idx == plen or mach[path[idx]] != mach[path[idx - 1]]:
                blen = idx - bstart
                if blen >= 2:
                    f = path[bstart]
                    g = path[idx - 1]
                    for t in range(bstart + 1, idx):
                        x = path[t]
                        if nmv + 4 > mv_u.size:
                            break
                        # first moved right after x; x moved right before first
                        mv_u[nmv] = f
                        mv_v[nmv] = x
                        mv_d[nmv] = 1
                        nmv += 1
                        if t < idx - 1:
                            mv_u[nmv] = f
                            mv_v[nmv] = x
                            mv_d[nmv] = 0
                            nmv += 1
                    for t in range(bstart, idx - 1):
                        x = path[t]
                        if nmv + 4 > mv_u.size:
                            break
                        # last moved right before x; x moved right after last
                        if t > bstart:
                            mv_u[nmv] = x
                            mv_v[nmv] = g
                            mv_d[nmv] = 0
                            nmv += 1
                            mv_u[nmv] = x
                            mv_v[nmv] = g
                            mv_d[nmv] = 1
                            nmv += 1
                        elif blen > 2:
                            mv_u[nmv] = x
                            mv_v[nmv] = g
                            mv_d[nmv] = 0
                            nmv += 1
                nblocks += 1
                bstart = idx
        if nmv == 0 and alt_off[n] == n:
            state[4] = 2
            break  # every block is one operation or the only block starts at zero: a lower bound
        best_mv = -1
        best_est = np.iinfo(np.int64).max
        old_mv = -1
        old_exp = np.iinfo(np.int64).max
        for k in range(nmv):
            u = mv_u[k]
            v = mv_v[k]
            d = mv_d[k]
            lo_p = pos[u]
            hi_p = pos[v]
            m = mach[u]
            # Acyclic for sure (Balas & Vazacopoulos): otherwise skip.
            if d == 1:
                x = js[u]
                if x >= 0 and q[v] + p[v] < q[x] + p[x]:
                    continue
            else:
                x = jp[v]
                if x >= 0 and r[u] + p[u] < r[x] + p[x]:
                    continue
            # The segment in its new order.
            ln = 0
            if d == 1:
                for t in range(lo_p + 1, hi_p + 1):
                    seg[ln] = mseq[t]
                    ln += 1
                seg[ln] = u
                ln += 1
            else:
                seg[ln] = v
                ln += 1
                for t in range(lo_p, hi_p):
                    seg[ln] = mseq[t]
                    ln += 1
            # Tabu when it puts back an order a recent move undid.
            expires = 0
            if d == 1:
                for t in range(ln - 1):
                    if tabu[seg[t], u] > expires:
                        expires = tabu[seg[t], u]
            else:
                for t in range(1, ln):
                    if tabu[v, seg[t]] > expires:
                        expires = tabu[v, seg[t]]
            prev = 0
            if lo_p > moff[m]:
                x = mseq[lo_p - 1]
                prev = r[x] + p[x]
            for t in range(ln):
                x = seg[t]
                h = rel[x]
                y = jp[x]
                if y >= 0 and r[y] + p[y] > h:
                    h = r[y] + p[y]
                if prev > h:
                    h = prev
                rr[t] = h
                prev = h + p[x]
            nq = 0
            if hi_p + 1 < moff[m + 1]:
                x = mseq[hi_p + 1]
                nq = q[x] + p[x]
            est = 0
            for t in range(ln - 1, -1, -1):
                x = seg[t]
                h = nq
                y = js[x]
                if y >= 0 and q[y] + p[y] > h:
                    h = q[y] + p[y]
                nq = h + p[x]
                if rr[t] + nq > est:
                    est = rr[t] + nq
            if expires <= it or est < best:
                if est < best_est or (est == best_est and np.random.randint(2) == 0):
                    best_est = est
                    best_mv = k
            elif expires < old_exp:
                old_exp = expires
                old_mv = k
        if best_mv < 0:
            best_mv = old_mv
        # Flexible shops: a critical operation moved to another of its machines, at a position
        # that provably creates no cycle, estimated by the longest path through it.
        ra_v = -1
        ra_m = -1
        ra_i = -1
        ra_p = 0
        ra_est = np.iinfo(np.int64).max
        for t in range(plen):
            v = path[t]
            if alt_off[v + 1] - alt_off[v] < 2:
                continue
            a = jp[v]
            head0 = rel[v]
            if a >= 0 and r[a] + p[a] > head0:
                head0 = r[a] + p[a]
            b = js[v]
            tail0 = 0
            lim_r = np.iinfo(np.int64).max
            if b >= 0:
                tail0 = q[b] + p[b]
                lim_r = r[b] + p[b]
            lim_q = np.iinfo(np.int64).max
            if a >= 0:
                lim_q = q[a] + p[a]
            for w in range(alt_off[v], alt_off[v + 1]):
                k = alt_m[w]
                if k == mach[v]:
                    continue
                pk = alt_p[w]
                taboo = tabu_m[v, k] > it
                for i in range(moff[k], moff[k + 1] + 1):
                    h = head0
                    if i > moff[k]:
                        x = mseq[i - 1]
                        if r[x] >= lim_r:
                            break  # x follows v's job successor: later positions only worse
                        if r[x] + p[x] > h:
                            h = r[x] + p[x]
                    tl = tail0
                    if i < moff[k + 1]:
                        x = mseq[i]
                        if q[x] >= lim_q:
                            continue  # x precedes v's job predecessor
                        if q[x] + p[x] > tl:
                            tl = q[x] + p[x]
                    est = h + pk + tl
                    if taboo and est >= best:
                        continue
                    if est < ra_est or (est == ra_est and np.random.randint(2) == 0):
                        ra_est = est
                        ra_v = v
                        ra_m = k
                        ra_i = i
                        ra_p = pk
        if ra_v >= 0 and ra_est < best_est:
            v = ra_v
            old = mach[v]
            src = pos[v]
            dst = ra_i if ra_i <= src else ra_i - 1
            # Shift the flat sequence between the two places, then fix the machines' offsets.
            if dst < src:
                for t in range(src, dst, -1):
                    mseq[t] = mseq[t - 1]
                    pos[mseq[t]] = t
            else:
                for t in range(src, dst):
                    mseq[t] = mseq[t + 1]
                    pos[mseq[t]] = t
            mseq[dst] = v
            pos[v] = dst
            if old < ra_m:
                for mm in range(old + 1, ra_m + 1):
                    moff[mm] -= 1
            else:
                for mm in range(ra_m + 1, old + 1):
                    moff[mm] += 1
            mach[v] = ra_m
            p[v] = ra_p
            tabu_m[v, old] = it + tenure_lo + np.random.randint(tenure_hi - tenure_lo + 1)
            best_mv = -2
        if best_mv == -1:
            last = it - stall_limit - 1  # no admissible move: restart
        if best_mv >= 0:
            u = mv_u[best_mv]
            v = mv_v[best_mv]
            d = mv_d[best_mv]
            lo_p = pos[u]
            hi_p = pos[v]
            tenure = tenure_lo + np.random.randint(tenure_hi - tenure_lo + 1)
            if d == 1:
                for t in range(lo_p, hi_p):
                    x = mseq[t + 1]
                    mseq[t] = x
                    pos[x] = t
                    tabu[u, x] = it + tenure
                mseq[hi_p] = u
                pos[u] = hi_p
            else:
                for t in range(hi_p, lo_p, -1):
                    x = mseq[t - 1]
                    mseq[t] = x
                    pos[x] = t
                    tabu[x, v] = it + tenure
                mseq[lo_p] = v
                pos[v] = lo_p

        if it - last > stall_limit and not own_restart:
            state[4] = 1
            break
        if it - last > stall_limit:
            # Restart from the best, shaken by random swaps of adjacent critical operations, the
            # harder the longer no restart has helped; now and then from where the walk is.
            state[3] += 1
            if state[3] % RESTART_FROM_WALK != 0:
                _restore(mseq, moff, pos, mach, p, best_seq, best_moff, best_mach, alt_off, alt_m, alt_p)
            tabu[:, :] = 0
            tabu_m[:, :] = 0
            shakes = 2 + np.random.randint(4 + min(state[3], MAX_SHAKES))
            for _ in range(shakes):
                cnt = _heads(p, jp, js, rel, mach, mseq, moff, pos, r, order, indeg, stack)
                _tails(p, js, mach, mseq, moff, pos, q, order, cnt)
                cmax = 0
                for i in range(n):
                    if r[i] + p[i] > cmax:
                        cmax = r[i] + p[i]
                cands = 0
                for i in range(n):
                    if r[i] + p[i] + q[i] == cmax and pos[i] + 1 < moff[mach[i] + 1]:
                        b = mseq[pos[i] + 1]
                        if r[b] + p[b] + q[b] == cmax and r[i] + p[i] == r[b]:
                            cands += 1
                            if np.random.randint(cands) == 0:
                                u = i
                if cands == 0:
                    break
                _swap_next(mseq, pos, pos[u])
            last = it
    state[0] = it
    state[1] = best
    state[2] = last


@njit(cache=True, nogil=True)
def _distance(moff, a, b):  # type: ignore[no-untyped-def]
    """Pairs of operations that two solutions' machine sequences order differently."""
    n = a.size
    pb = np.empty(n, I64)
    for i in range(n):
        pb[b[i]] = i
    d = 0
    for m in range(moff.size - 1):
        for x in range(moff[m], moff[m + 1]):
            for y in range(x + 1, moff[m + 1]):
                if pb[a[x]] > pb[a[y]]:
                    d += 1
    return d


@njit(cache=True, nogil=True)
def _relink(p, jp, js, rel, mach, moff, src, dst, lo_frac, hi_frac, sample, out):  # type: ignore[no-untyped-def]
    """Path relinking: walk from `src` towards `dst` by swaps of adjacent operations that `dst`
    orders the other way (each brings them one pair closer), the shortest of a few sampled swaps
    at every step; the best solution met between lo_frac and hi_frac of the way goes to `out`
    and its makespan is returned (-1 when the two are the same or no step was possible)."""
    n = p.size
    cur = src.copy()
    pos = np.empty(n, I64)
    for i in range(n):
        pos[cur[i]] = i
    pd = np.empty(n, I64)
    for i in range(n):
        pd[dst[i]] = i
    d = _distance(moff, src, dst)
    if d == 0:
        return -1
    lo = max(1, int(lo_frac * d))
    hi = max(lo, int(hi_frac * d))
    r = np.empty(n, I64)
    order = np.empty(n, I64)
    indeg = np.empty(n, I64)
    stack = np.empty(n, I64)
    cand = np.empty(n, I64)
    best_c = -1
    for step in range(1, hi + 1):
        nc = 0
        for t in range(n - 1):
            if t + 1 < moff[mach[cur[t]] + 1] and pd[cur[t]] > pd[cur[t + 1]]:
                cand[nc] = t
                nc += 1
        if nc == 0:
            break
        bc = np.iinfo(np.int64).max
        bt = -1
        tries = nc if nc <= sample else sample
        for k in range(tries):
            t = cand[k] if nc <= sample else cand[np.random.randint(nc)]
            _swap_next(cur, pos, t)
            c = -1
            if _heads(p, jp, js, rel, mach, cur, moff, pos, r, order, indeg, stack) == n:
                c = 0
                for i in range(n):
                    if r[i] + p[i] > c:
                        c = r[i] + p[i]
            _swap_next(cur, pos, t)  # and back
            if c >= 0 and (c < bc or (c == bc and np.random.randint(2) == 0)):
                bc = c
                bt = t
        if bt < 0:
            break
        _swap_next(cur, pos, bt)
        if step >= lo and (best_c < 0 or bc < best_c):
            best_c = bc
            out[:] = cur[:]
    return best_c


@njit(cache=True, nogil=True)
def _random_sequences(jp, js, mach, moff, out):  # type: ignore[no-untyped-def]
    """Machine sequences of a random order of the jobs' operations (always acyclic)."""
    n = jp.size
    firsts = np.empty(n, I64)
    nj = 0
    for i in range(n):
        if jp[i] < 0:
            firsts[nj] = i
            nj += 1
    fill = moff[:-1].copy()
    while nj > 0:
        k = np.random.randint(nj)
        i = firsts[k]
        out[fill[mach[i]]] = i
        fill[mach[i]] += 1
        if js[i] >= 0:
            firsts[k] = js[i]
        else:
            nj -= 1
            firsts[k] = firsts[nj]


@njit(cache=True)
def _seed(seed):  # type: ignore[no-untyped-def]
    np.random.seed(seed)


@dataclass
class Graph:
    """A job shop with every operation's machine chosen: operation i runs on mach[i] for p[i];
    alt_m[alt_off[i]:alt_off[i+1]] are the machines it may run on, alt_p their durations."""

    p: np.ndarray
    jp: np.ndarray  # job predecessor or -1
    js: np.ndarray  # job successor or -1
    rel: np.ndarray  # earliest start (the job's release for first operations)
    mach: np.ndarray
    machines: int
    alt_off: np.ndarray
    alt_m: np.ndarray
    alt_p: np.ndarray

    def layout(self, sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        moff = np.zeros(self.machines + 1, I64)
        for m, seq in enumerate(sequences):
            moff[m + 1] = moff[m] + len(seq)
        mseq = np.array([i for seq in sequences for i in seq], dtype=I64)
        pos = np.empty(len(mseq), I64)
        pos[mseq] = np.arange(len(mseq))
        return mseq, moff, pos

    def starts(self, sequences: list[list[int]], mach: np.ndarray, p: np.ndarray) -> tuple[int, np.ndarray]:
        """The makespan (-1 for a cycle) and start times of the semi-active schedule."""
        mseq, moff, pos = self.layout(sequences)
        r = np.zeros(len(p), I64)
        c = makespan_of(p, self.jp, self.js, self.rel, mach, mseq, moff, pos, r)
        return int(c), r


@dataclass
class TabuResult:
    makespan: int
    sequences: list[list[int]]
    mach: np.ndarray
    p: np.ndarray
    iterations: int


def tabu_search(
    graph: Graph,
    sequences: list[list[int]],
    seconds: float,
    lower_bound: int = 0,
    seed: int = 1,
    stall_limit: int | None = None,
    max_iterations: int | None = None,
    tenure: tuple[int, int] | None = None,
    stop: Callable[[], bool] | None = None,
    on_improve: Callable[[TabuResult], None] | None = None,
    adopt: Callable[[int], tuple[list[list[int]], np.ndarray] | None] | None = None,
    elite: int | None = None,
    fresh: Callable[[], list[list[int]]] | None = None,
) -> TabuResult:
    """Improve the machine sequences (and, where operations have several, the machines) for
    `seconds` or `max_iterations`, or until `stop()` says so; the best found. `adopt(makespan)`
    may hand over a better solution found elsewhere (sequences and machines), to continue from.

    With machines fixed, each walk ends when it stalls and its best joins a pool of `elite`
    solutions (the worst leaves); the next walk starts halfway between two of them, on the path
    that relinks one to the other (Peng, Lü & Cheng's TS/PR). Until the pool is full, walks start
    from `fresh()` sequences (random ones by default). Flexible shops, and `elite=0`, restart
    from the best shaken by random swaps instead."""
    n = len(graph.p)
    jobs = int((graph.jp < 0).sum())
    mseq, moff, pos = graph.layout(sequences)
    mach = graph.mach.copy()
    p = graph.p.copy()
    c0, _ = graph.starts(sequences, mach, p)
    if c0 < 0:
        raise ValueError("the starting sequences contain a cycle")
    flexible = int(graph.alt_off[n]) != n
    size = 0 if flexible else (ELITE if elite is None else elite)
    best_seq, best_moff, best_mach = mseq.copy(), moff.copy(), mach.copy()
    # The best of all walks (with a pool, best_seq is the current walk's best).
    g_seq, g_moff, g_mach = mseq.copy(), moff.copy(), mach.copy()
    g_c = c0
    state = np.array([0, c0, 0, 0, 0], dtype=I64)
    tabu = np.zeros((n, n), I64)
    tabu_m = np.zeros((n, graph.machines), I64)
    # Tenure: shorter for classic shops, where the pool does the diversifying (measured on la29:
    # 6–10 reached 1153 in two of five 30 s walks, 10–15 never went below 1163).
    lo = max(2, (4 if size else 8) + jobs // max(1, graph.machines))
    hi = lo + max(3 if size else 2, lo // 2)
    if tenure is not None:
        lo, hi = tenure
    stall = stall_limit if stall_limit is not None else max(10000, 10 * n)
    _seed(seed)
    rng = np.random.default_rng(seed)
    pool: list[tuple[int, np.ndarray]] = []
    since = [0]  # walks since one improved on the pool's best
    deadline = time.perf_counter() + seconds
    chunk = 500

    def result() -> TabuResult:
        seqs = [g_seq[g_moff[m] : g_moff[m + 1]].tolist() for m in range(graph.machines)]
        bp = graph.p.copy()
        for i in range(n):
            for w in range(graph.alt_off[i], graph.alt_off[i + 1]):
                if graph.alt_m[w] == g_mach[i]:
                    bp[i] = graph.alt_p[w]
        return TabuResult(int(g_c), seqs, g_mach.copy(), bp, int(state[0]))

    def walk_from(flat: np.ndarray) -> None:
        mseq[:] = flat
        pos[mseq] = np.arange(n)
        state[1] = np.iinfo(np.int64).max  # the walk's best is set at its first step
        state[2] = state[0]
        tabu[:, :] = 0

    def remember(c: int, flat: np.ndarray) -> None:
        # The pool keeps solutions that are short and far from the others: the new one replaces
        # the member that scores worst on both (Peng et al.'s goodness), unless that is itself.
        if any(c == pc and np.array_equal(flat, ps) for pc, ps in pool):
            return
        if len(pool) < size:
            pool.append((c, flat.copy()))
            return
        members = [*pool, (c, flat)]
        k = len(members)
        dist = np.full((k, k), np.iinfo(np.int64).max, I64)
        for a in range(k):
            for b in range(a + 1, k):
                dist[a, b] = dist[b, a] = _distance(moff, members[a][1], members[b][1])
        near = dist.min(axis=1)
        if near.min() == 0:
            return
        f = np.array([m[0] for m in members], np.float64)
        qf = (f.max() - f) / (f.max() - f.min() + 1)
        qd = (near - near.min()) / (near.max() - near.min() + 1)
        worst = int(np.argmin(POOL_QUALITY * qf + (1 - POOL_QUALITY) * qd))
        if worst < size:
            pool[worst] = (c, flat.copy())

    def next_start() -> np.ndarray:
        if len(pool) == size:
            a, b = rng.choice(size, 2, replace=False)
            out = np.empty(n, I64)
            c = _relink(p, graph.jp, graph.js, graph.rel, mach, moff, pool[a][1], pool[b][1], *RELINK, out)
            if c >= 0:
                return out
        if fresh is not None:
            return graph.layout(fresh())[0]
        out = np.empty(n, I64)
        _random_sequences(graph.jp, graph.js, mach, moff, out)
        return out

    while time.perf_counter() < deadline and g_c > lower_bound:
        if (max_iterations is not None and int(state[0]) >= max_iterations) or (stop is not None and stop()):
            break
        if adopt is not None:
            other = adopt(int(g_c))
            if other is not None:
                seqs, machines = other
                mseq[:], moff[:], pos[:] = graph.layout(seqs)
                mach[:] = machines
                for i in range(n):
                    for w in range(graph.alt_off[i], graph.alt_off[i + 1]):
                        if graph.alt_m[w] == mach[i]:
                            p[i] = graph.alt_p[w]
                c, _ = graph.starts(seqs, mach, p)
                best_seq[:], best_moff[:], best_mach[:] = mseq, moff, mach
                g_seq[:], g_moff[:], g_mach[:] = mseq, moff, mach
                g_c = c
                state[1] = c
                state[2] = state[0]
                tabu[:, :] = 0
                tabu_m[:, :] = 0
        state[4] = 0
        _search(
            p,
            graph.jp,
            graph.js,
            graph.rel,
            mach,
            mseq,
            moff,
            pos,
            graph.alt_off,
            graph.alt_m,
            graph.alt_p,
            best_seq,
            best_moff,
            best_mach,
            state,
            tabu,
            tabu_m,
            chunk,
            stall,
            lo,
            hi,
            lower_bound,
            size == 0,
        )
        if int(state[1]) < g_c:
            g_c = int(state[1])
            g_seq[:], g_moff[:], g_mach[:] = best_seq, best_moff, best_mach
            if on_improve is not None:
                on_improve(result())
        if state[4] == 2:
            break  # at the bound or provably optimal
        if state[4] == 1:
            if pool and int(state[1]) < min(pc for pc, _ in pool):
                since[0] = 0
            else:
                since[0] += 1
            remember(int(state[1]), best_seq)
            if since[0] >= POOL_RESET and len(pool) == size:
                # The pool has stopped helping: keep its best, fill it anew.
                pool[:] = [min(pool, key=lambda m: m[0])]
                since[0] = 0
            walk_from(next_start())
    return result()
