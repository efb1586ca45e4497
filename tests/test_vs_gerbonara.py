"""Identification must beat gerbonara's naming table on the corpus, board by board."""

from __future__ import annotations

from functools import cache

import pytest
from benchmarks.naming_vs_gerbonara import BoardScore, Roles, score_board

from tests.conftest import analysed, corpus_truth

TRUTH = corpus_truth()


def _ours(board: str) -> Roles:
    return {f.path: (f.role.type, f.role.side) for f in analysed(board).files}


@cache
def _score(board: str) -> BoardScore:
    # gerbonara's side is scored once per board for both tests (it parses some boards in full).
    return score_board(board, TRUTH[board], ours=lambda root: _ours(root.name))


@pytest.mark.parametrize("board", sorted(TRUTH))
def test_never_worse_than_gerbonara(board: str) -> None:
    s = _score(board)
    assert s.flyfab >= s.gerbonara, s.flyfab_misses
    assert s.flyfab == s.files, s.flyfab_misses


def test_better_than_gerbonara_overall() -> None:
    scores = [_score(b) for b in sorted(TRUTH)]
    ours = sum(s.flyfab for s in scores)
    theirs = sum(s.gerbonara for s in scores)
    refused = [s.board for s in scores if s.gerbonara_refused]
    # The comparison means something only where gerbonara really stumbles.
    assert refused, "gerbonara refused no corpus board"
    assert ours > theirs, (ours, theirs)
