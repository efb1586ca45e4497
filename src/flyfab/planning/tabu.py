"""Tabu search for the job shop with machines fixed (the N7 neighbourhood of Zhang et al.).

No maintained library offers a job-shop tabu search (the Python scheduling packages wrap CP-SAT or
another constraint solver), and it is the method that finds near-optimal makespans fastest, so it
is written here, compiled with numba. The solution is a sequence per machine; start times are the
longest paths of the disjunctive graph. A move takes an operation of a block of the critical path
to the block's front or back, or the block's first or last operation inside it, only when it
provably creates no cycle, and is estimated from heads and tails without rescheduling (Balas &
Vazacopoulos' estimate). The reverse of recent
moves is tabu; after a long stretch without improvement the search restarts from the best solution
shaken by random critical swaps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

I64 = np.int64
MAX_SHAKES = 20
RESTART_FROM_WALK = 10


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
):
    # state: [iteration, best makespan, last improving iteration, restarts since]
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
                pu = pos[u]
                v = mseq[pu + 1]
                mseq[pu] = v
                mseq[pu + 1] = u
                pos[v] = pu
                pos[u] = pu + 1
            last = it
    state[0] = it
    state[1] = best
    state[2] = last


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
) -> TabuResult:
    """Improve the machine sequences (and, where operations have several, the machines) for
    `seconds` or `max_iterations`, or until `stop()` says so; the best found. `adopt(makespan)`
    may hand over a better solution found elsewhere (sequences and machines), to continue from."""
    n = len(graph.p)
    jobs = int((graph.jp < 0).sum())
    mseq, moff, pos = graph.layout(sequences)
    mach = graph.mach.copy()
    p = graph.p.copy()
    c0, _ = graph.starts(sequences, mach, p)
    if c0 < 0:
        raise ValueError("the starting sequences contain a cycle")
    best_seq, best_moff, best_mach = mseq.copy(), moff.copy(), mach.copy()
    state = np.array([0, c0, 0, 0], dtype=I64)
    tabu = np.zeros((n, n), I64)
    tabu_m = np.zeros((n, graph.machines), I64)
    lo = max(2, 8 + jobs // max(1, graph.machines))
    hi = lo + max(2, lo // 2)
    if tenure is not None:
        lo, hi = tenure
    stall = stall_limit if stall_limit is not None else max(10000, 10 * n)
    _seed(seed)
    deadline = time.perf_counter() + seconds
    chunk = 500

    def result() -> TabuResult:
        seqs = [best_seq[best_moff[m] : best_moff[m + 1]].tolist() for m in range(graph.machines)]
        bp = graph.p.copy()
        for i in range(n):
            for w in range(graph.alt_off[i], graph.alt_off[i + 1]):
                if graph.alt_m[w] == best_mach[i]:
                    bp[i] = graph.alt_p[w]
        return TabuResult(int(state[1]), seqs, best_mach.copy(), bp, int(state[0]))

    while time.perf_counter() < deadline and int(state[1]) > lower_bound:
        if (max_iterations is not None and int(state[0]) >= max_iterations) or (stop is not None and stop()):
            break
        if adopt is not None:
            other = adopt(int(state[1]))
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
                state[1] = c
                state[2] = state[0]
                tabu[:, :] = 0
                tabu_m[:, :] = 0
        before, best_before = int(state[0]), int(state[1])
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
        )
        if on_improve is not None and int(state[1]) < best_before:
            on_improve(result())
        if int(state[0]) < before + chunk:
            break  # stopped early: at the bound or provably optimal
    return result()
