"""Every real board in ../shared/corpus against its answer key (../shared/corpus/truth.json).

Each file's role (type, side, copper index, drill plating), the ignored files, the copper layer
count and the board size (within 0.1 mm) must match. A mismatch is a failure. Entries the key marks
uncertain are not scored; one entry is an expected failure, with the evidence at XFAILS.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CORPUS, analysed, corpus_truth

TRUTH = corpus_truth()

# (board, file) -> why the answer key is not reachable from the fabrication files.
XFAILS = {
    ("gb-pcb-rnd", "power-art.xln"): (
        "the key says 'plated', taken from the design source power-art.lht (hplated=1), which the "
        "analysis does not read; no fabrication file states the plating (pcb-rnd's OSH Park job writes "
        "plated and unplated holes into this one Excellon file), and the key itself says 'mixed' for "
        "the five other boards whose single drill file states nothing, although all their holes carry "
        "pads too (gb-kicad-older, ts-mchck, gb-eagle-newer, gb-diptrace-panel, ts-usbvil)"
    ),
}


def _files() -> list[Any]:
    out = []
    for board, t in sorted(TRUTH.items()):
        for path, role in sorted(t["files"].items()):
            if role.get("uncertain"):
                continue
            marks = []
            if (board, path) in XFAILS:
                marks.append(pytest.mark.xfail(reason=XFAILS[(board, path)], strict=True))
            out.append(pytest.param(board, path, role, id=f"{board}/{path}", marks=marks))
    return out


def _expected_index(board: str, role: dict[str, Any], copper_layers: int) -> int | None:
    if role["type"] != "copper" or role.get("index_uncertain"):
        return None
    t = TRUTH[board]
    # Where the key accepts more than one layer count, the bottom layer is the last of the count read.
    if role["side"] == "bottom" and copper_layers in (t.get("copper_layers_accept") or []):
        return copper_layers
    index: int = role["index"]
    return index


@pytest.mark.parametrize(("board", "path", "role"), _files())
def test_file_role(board: str, path: str, role: dict[str, Any]) -> None:
    a = analysed(board)
    got = a.role_of(path)
    assert got is not None, (
        f"{path} was not identified; ignored as {[s.reason for s in a.ignored if s.path == path]}"
    )
    assert (got.type, got.side) == (role["type"], role["side"]), got
    expected_index = _expected_index(board, role, a.board.copper_layers)
    if expected_index is not None:
        assert got.index == expected_index, got
    if role["type"] == "drill":
        assert got.plating == role["plating"], got


@pytest.mark.parametrize("board", sorted(TRUTH))
def test_ignored_files(board: str) -> None:
    a = analysed(board)
    identified = {f.path for f in a.files}
    ignored = {s.path for s in a.ignored}
    for path in TRUTH[board]["ignore"]:
        assert path in ignored and path not in identified, path


@pytest.mark.parametrize("board", sorted(TRUTH))
def test_copper_layer_count(board: str) -> None:
    t = TRUTH[board]
    assert analysed(board).board.copper_layers in (t.get("copper_layers_accept") or [t["copper_layers"]])


@pytest.mark.parametrize("board", sorted(b for b, t in TRUTH.items() if t["size_mm"]))
def test_board_size(board: str) -> None:
    w, h = TRUTH[board]["size_mm"]
    b = analysed(board).board
    assert b.width_mm == pytest.approx(w, abs=0.1) and b.height_mm == pytest.approx(h, abs=0.1), (
        b.width_mm,
        b.height_mm,
    )


@pytest.mark.parametrize("board", sorted(TRUTH))
def test_outline_file(board: str) -> None:
    assert analysed(board).board.outline_file == TRUTH[board]["outline_file"]


@pytest.mark.parametrize("board", sorted(TRUTH))
def test_every_file_accounted_for(board: str) -> None:
    """Every file of the upload is either identified or ignored with a reason, never both, never lost."""
    a = analysed(board)
    identified = [f.path for f in a.files]
    ignored = [s.path for s in a.ignored]
    assert len(identified) == len(set(identified))
    assert not set(identified) & set(ignored)
    root = CORPUS / "boards" / board
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk == set(identified) | set(ignored)
    assert all(s.reason for s in a.ignored)
