"""The nesting search on every core: one search per core, each from its own seed, the best kept.

The improvement phase of `nest` is a randomised search; on the layouts it does not settle, two runs
from different seeds often end a panel apart, and which seed wins varies from group to group. Run
side by side in forked processes, the searches cost no more wall time than one. The constructive
phase runs here first: a group it already packs onto as few panels as the lower bound allows (most
of them) needs no search and no process. As soon as one search reaches the lower bound, the others
are stopped: nothing can do better. A search that does not answer in time is stopped too, and the
layouts found so far (at worst the constructive one) are used.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import replace
from multiprocessing.connection import Connection, wait

import numpy as np
from numpy.typing import NDArray

from flyfab.pooling.nesting import Floats, Nesting, Sheet, nest

SEED_STEP = 1_000_003  # between the seeds of the searches, so that groups seeded 0, 1, 2... do not share one
# A search that has not answered this long after its time limit (plus a share of it) is stopped and
# the layouts found so far are used: a stuck process never holds up the pooling.
GRACE_S = 5.0
GRACE_SHARE = 0.5


def _search(
    out: Connection,
    w: Floats,
    h: Floats,
    sheet: Sheet,
    rotation: bool,
    time_limit: float,
    tiers: NDArray[np.int64] | None,
    seed: int,
    patience: float | None,
) -> None:
    try:
        out.send(nest(w, h, sheet, rotation, time_limit, tiers, seed, patience))
    except BaseException as e:  # the parent re-raises it
        out.send(e)
    finally:
        out.close()


def nest_on_cores(
    w: Floats,
    h: Floats,
    sheet: Sheet,
    rotation: bool,
    time_limit: float,
    tiers: NDArray[np.int64] | None = None,
    seed: int = 0,
    patience: float | None = None,
    workers: int | None = None,
) -> Nesting:
    """`nest` with its search run on `workers` cores (default: all), the best layout kept. Without
    forking (one worker, or a daemonic process, which may not start children) it is `nest`."""
    started = time.perf_counter()
    n = workers if workers is not None else os.cpu_count() or 1
    if n <= 1 or multiprocessing.current_process().daemon:
        return nest(w, h, sheet, rotation, time_limit, tiers, seed, patience)
    quick = nest(w, h, sheet, rotation, 0.0, tiers, seed)  # the constructive phase and the bound
    left = time_limit - (time.perf_counter() - started)
    if quick.optimal or left <= 0:
        return replace(quick, seconds=time.perf_counter() - started)
    context = multiprocessing.get_context("fork")
    running: dict[Connection, multiprocessing.process.BaseProcess] = {}
    found: list[Nesting] = []
    forked = time.perf_counter() - started
    try:
        for k in range(n):
            receive, send = context.Pipe(duplex=False)
            args = (send, w, h, sheet, rotation, left, tiers, seed + k * SEED_STEP, patience)
            search = context.Process(target=_search, args=args, daemon=True)
            search.start()
            send.close()
            running[receive] = search
        give_up = time.perf_counter() + left * (1 + GRACE_SHARE) + GRACE_S
        while running and not any(r.optimal for r in found):
            ready_now = wait(list(running), timeout=max(0.0, give_up - time.perf_counter()))
            if not ready_now:
                break
            for ready in ready_now:
                assert isinstance(ready, Connection)
                ended = running.pop(ready)
                try:
                    got = ready.recv()
                except EOFError:  # the process died without a word (killed from outside)
                    got = RuntimeError(f"a nesting search ended without a result (exit {ended.exitcode})")
                ended.join()
                if isinstance(got, BaseException):
                    raise got
                found.append(got)
    finally:
        for left_running in running.values():
            left_running.terminate()
            left_running.join()
    if not found:
        return replace(quick, seconds=time.perf_counter() - started)
    best = min(found, key=lambda r: (r.panels, r.found_at))
    return replace(
        best,
        # Every search starts from the bound computed here and may only raise it (CP-SAT's proofs).
        bound=max((r.bound for r in found), key=lambda b: b.best),
        seconds=time.perf_counter() - started,
        found_at=best.found_at + forked,
        history=[(t + forked, k) for t, k in best.history],
    )
