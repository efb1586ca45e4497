"""The nesting search on several cores (pooling/portfolio.py), checked by the independent validator."""

from __future__ import annotations

import multiprocessing
from typing import Any

import numpy as np
import pytest

from flyfab.pooling.nesting import Nesting, Sheet, nest
from flyfab.pooling.portfolio import nest_on_cores
from tests.test_pooling_nesting import _class_instance, nesting_errors


@pytest.mark.parametrize("rotation", [False, True])
def test_searches_on_two_cores_give_a_valid_layout_no_worse_than_the_construction(rotation: bool) -> None:
    # CLASS10_100_01: the constructive phase needs a panel more than the bound, so both searches run
    # in their own processes.
    sizes, W, H = _class_instance(491)
    quick = nest(sizes[:, 0], sizes[:, 1], Sheet(W, H), rotation, 0.0, seed=3)
    assert not quick.optimal
    result = nest_on_cores(sizes[:, 0], sizes[:, 1], Sheet(W, H), rotation, 1.0, seed=3, workers=2)
    assert nesting_errors(result, sizes, W, H) == []
    assert result.bound.best <= result.panels <= quick.panels
    # Either a search reached the bound and ended the others, or both searched for the whole second.
    assert result.optimal or result.seconds > 0.9
    assert result.seconds < 10
    assert result.history and result.history[-1][1] == result.panels


def test_a_group_packed_at_the_bound_by_construction_starts_no_search() -> None:
    sizes = np.array([[50.0, 50.0]] * 8)
    result = nest_on_cores(sizes[:, 0], sizes[:, 1], Sheet(100, 100), True, 30.0, workers=2)
    assert result.panels == 2 and result.optimal and result.seconds < 1


def test_the_first_search_at_the_bound_stops_the_others() -> None:
    # CLASS01_40_02 with turning: 12 panels by construction, 11 by the bound, which a search reaches
    # within a fraction of a second; the minute allowed is not waited for.
    sizes, W, H = _class_instance(12)
    quick = nest(sizes[:, 0], sizes[:, 1], Sheet(W, H), True, 0.0, seed=1)
    assert quick.panels == quick.bound.best + 1
    result = nest_on_cores(sizes[:, 0], sizes[:, 1], Sheet(W, H), True, 60.0, seed=1, workers=2)
    assert result.optimal and result.panels == quick.bound.best
    assert result.seconds < 20
    assert nesting_errors(result, sizes, W, H) == []


def _in_daemon(out: Any) -> None:
    sizes, W, H = _class_instance(491)
    out.send(nest_on_cores(sizes[:, 0], sizes[:, 1], Sheet(W, H), False, 0.3, seed=3, workers=2).panels)


def test_a_daemonic_process_searches_on_its_own_core() -> None:
    # A task-queue worker's child may not start processes: the search then runs in it, as nest does.
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    p = multiprocessing.get_context("fork").Process(target=_in_daemon, args=(send,), daemon=True)
    p.start()
    assert receive.poll(30)
    panels = receive.recv()
    p.join()
    assert p.exitcode == 0 and panels >= 14


def test_a_failing_search_raises_in_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing here makes a search fail, so the search (not the constructive phase, which runs in the
    # caller) is made to: the forked process inherits the patched function.
    import flyfab.pooling.portfolio as portfolio

    def failing(*args: Any, **kwargs: Any) -> Nesting:
        if args[4] > 0:
            raise ValueError("search failed")
        return nest(*args, **kwargs)

    monkeypatch.setattr(portfolio, "nest", failing)
    sizes, W, H = _class_instance(491)
    with pytest.raises(ValueError, match="search failed"):
        nest_on_cores(sizes[:, 0], sizes[:, 1], Sheet(W, H), False, 2.0, workers=2)
