"""Tabu search's pieces: random sequences, the distance between solutions, path relinking, the
elite pool; all by iteration counts, not by time."""

from __future__ import annotations

import numpy as np

from flyfab.planning.instances import read_jobshop
from flyfab.planning.shop import dispatch, graph_of, lower_bound, schedule_of
from flyfab.planning.tabu import (
    I64,
    Graph,
    _distance,
    _random_sequences,
    _relink,
    _seed,
    makespan_of,
    tabu_search,
)
from flyfab.planning.validate import violations
from tests.conftest import SHARED

JOBSHOP = SHARED / "benchmarks" / "jobshop" / "instances"


def _makespan(graph: Graph, flat: np.ndarray, moff: np.ndarray) -> int:
    pos = np.empty(len(flat), I64)
    pos[flat] = np.arange(len(flat))
    r = np.zeros(len(flat), I64)
    return int(makespan_of(graph.p, graph.jp, graph.js, graph.rel, graph.mach, flat, moff, pos, r))


def _ft10() -> tuple[Graph, np.ndarray, np.ndarray]:
    problem = read_jobshop(JOBSHOP / "ft10.txt")
    graph, sequences = graph_of(problem, dispatch(problem))
    mseq, moff, _ = graph.layout(sequences)
    return graph, mseq, moff


def test_random_sequences_are_acyclic_and_keep_each_machine_its_operations() -> None:
    graph, mseq, moff = _ft10()
    _seed(3)
    for _ in range(20):
        out = np.empty_like(mseq)
        _random_sequences(graph.jp, graph.js, graph.mach, moff, out)
        assert _makespan(graph, out, moff) > 0
        for m in range(graph.machines):
            assert sorted(out[moff[m] : moff[m + 1]]) == sorted(mseq[moff[m] : moff[m + 1]])


def test_distance_counts_pairs_ordered_differently() -> None:
    moff = np.array([0, 3, 5], I64)
    a = np.array([0, 1, 2, 3, 4], I64)
    assert _distance(moff, a, a) == 0
    assert _distance(moff, a, np.array([2, 1, 0, 3, 4], I64)) == 3
    assert _distance(moff, a, np.array([1, 0, 2, 4, 3], I64)) == 2


def test_relinking_lands_between_the_two_solutions() -> None:
    graph, _, moff = _ft10()
    _seed(5)
    a = np.empty(graph.p.size, I64)
    b = np.empty(graph.p.size, I64)
    _random_sequences(graph.jp, graph.js, graph.mach, moff, a)
    _random_sequences(graph.jp, graph.js, graph.mach, moff, b)
    d = _distance(moff, a, b)
    assert d > 10
    out = np.empty_like(a)
    c = _relink(graph.p, graph.jp, graph.js, graph.rel, graph.mach, moff, a, b, 0.4, 0.6, 16, out)
    assert c == _makespan(graph, out, moff) > 0
    # Each step swaps one pair towards b: between 40 % and 60 % of the way, as far from a.
    da, db = _distance(moff, a, out), _distance(moff, out, b)
    assert da + db == d
    assert int(0.4 * d) <= da <= int(0.6 * d)
    assert _relink(graph.p, graph.jp, graph.js, graph.rel, graph.mach, moff, a, a, 0.4, 0.6, 16, out) == -1


def test_walks_with_the_elite_pool_solve_ft06_and_return_valid_schedules() -> None:
    problem = read_jobshop(JOBSHOP / "ft06.txt")
    graph, sequences = graph_of(problem, dispatch(problem))
    # Short walks, so that the pool fills and relinking starts within the iterations.
    result = tabu_search(
        graph, sequences, seconds=60, seed=2, stall_limit=200, max_iterations=200_000, elite=4
    )
    schedule = schedule_of(problem, graph, result, "tabu search")
    assert violations(problem, schedule) == []
    assert schedule.makespan == result.makespan
    assert lower_bound(problem) <= result.makespan <= 57  # 55 is optimal
