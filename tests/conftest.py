"""Shared fixtures: the corpus beside the project, analysed once per test session."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flyfab.cam.analyze import Analysis, analyze
from flyfab.cam.cache import LayerCache

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def corpus_truth() -> dict[str, Any]:
    path = CORPUS / "truth.json"
    if not path.exists():
        # The corpus is part of the test set-up, not optional: without it the suite must fail loudly.
        raise FileNotFoundError(f"{path} is missing: the tests need ../shared/corpus beside the project")
    boards: dict[str, Any] = json.loads(path.read_text())["boards"]
    return boards


_ANALYSES: dict[str, Analysis] = {}
_CACHE = LayerCache(None, memory_entries=4096)


def analysed(board: str) -> Analysis:
    """A corpus board's analysis, computed once per session (layers kept in memory only)."""
    if board not in _ANALYSES:
        _ANALYSES[board] = analyze(CORPUS / "boards" / board, cache=_CACHE)
    return _ANALYSES[board]


@pytest.fixture(autouse=True)
def _no_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    # Tests never read or write the user's layer cache.
    monkeypatch.setenv("FLYFAB_CACHE_DIR", os.environ.get("FLYFAB_TEST_CACHE_DIR", "off"))
    yield


@pytest.fixture(autouse=True)
def _edge_pairs_as_before() -> Iterator[None]:
    """An analysis of a large upload loads the compiled edge-pair grid for its process; each test
    starts and ends with whichever way of finding edge pairs was in force before it."""
    from flyfab.cam import edges

    loaded = edges._GRID
    yield
    edges._GRID = loaded
