"""Panel production data re-read with gerbonara and compared with the layout: boards, positions, turns."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from gerbonara import ExcellonFile, GerberFile
from gerbonara import graphic_objects as go
from gerbonara.utils import MM

from flyfab.cam.analyze import analyze
from flyfab.cam.synth import example_board
from flyfab.pooling.boards import BoardFiles, read_board
from flyfab.pooling.model import Order, Panel, PanelSize, Placement, Process
from flyfab.pooling.pool import marks_for, pool
from flyfab.pooling.production import panel_data, write_panel_data
from flyfab.pooling.settings import load_settings

Point = tuple[float, float]


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> BoardFiles:
    path = tmp_path_factory.mktemp("board") / "example.zip"
    example_board().write_zip(path, naming="kicad")
    return read_board(path)


def _holes(layer: ExcellonFile) -> list[Point]:
    mm = [o.converted(MM) for o in layer.objects if isinstance(o, go.Flash)]
    return sorted((round(o.x, 3), round(o.y, 3)) for o in mm)


def _board_holes(board: BoardFiles, plated: bool) -> list[Point]:
    out: list[Point] = []
    for path, layer in board.layers().items():
        role = board.roles[path]
        if role.type == "drill" and (role.plating == "plated") == plated:
            out += _holes(layer)
    return out


def _placed(points: list[Point], board: BoardFiles, p: Placement) -> list[Point]:
    x0, y0, _x1, y1 = board.bounds
    if p.rotated:  # turned 90° counter-clockwise: (u, v) -> (-v, u), then moved to the placement
        return [(round(-v + y1 + p.x_mm, 3), round(u - x0 + p.y_mm, 3)) for u, v in points]
    return [(round(u - x0 + p.x_mm, 3), round(v - y0 + p.y_mm, 3)) for u, v in points]


def _close(a: list[Point], b: list[Point]) -> bool:
    return len(a) == len(b) and all(
        math.dist(p, q) < 0.002 for p, q in zip(sorted(a), sorted(b), strict=True)
    )


def test_merged_drills_hold_every_hole_of_every_board_where_the_layout_puts_it(
    board: BoardFiles, tmp_path: Path
) -> None:
    s = load_settings()
    size = PanelSize(305, 457)
    marks, notes = marks_for(size, 10.0, s)
    w, h = board.width_mm, board.height_mm
    placements = [
        Placement("E", 1, 10.0, 10.0, w, h, False),
        Placement("E", 2, 70.0, 10.0, h, w, True),
        Placement("E", 3, 10.0, 100.0, w, h, False),
    ]
    panel = Panel("P042", size, 10.0, 2.0, Process(), placements, date(2030, 1, 1), 0, marks, notes)
    files = write_panel_data(panel, panel_data(panel, {"E": board}), tmp_path)
    names = {f.name for f in files}
    assert {"P042-copper-l1-top.gbr", "P042-copper-l2-bottom.gbr", "P042-outline.gbr",
            "P042-drill-plated.drl", "P042-drill-non-plated.drl"} <= names  # fmt: skip
    plated = _holes(ExcellonFile.open(tmp_path / "P042-drill-plated.drl"))
    expected = [q for p in placements for q in _placed(_board_holes(board, True), board, p)]
    assert len(_board_holes(board, True)) > 3
    assert _close(plated, expected)
    npth = _holes(ExcellonFile.open(tmp_path / "P042-drill-non-plated.drl"))
    tooling = [(round(m.x_mm, 3), round(m.y_mm, 3)) for m in marks if m.kind == "tooling-hole"]
    expected_npth = tooling + [q for p in placements for q in _placed(_board_holes(board, False), board, p)]
    assert _close(npth, expected_npth)
    # The board outlines: each placement's box is the extent of its part of the outline layer.
    outline = GerberFile.open(tmp_path / "P042-outline.gbr")
    (bx0, by0), (bx1, by1) = outline.bounding_box(MM)
    assert (round(bx0, 2), round(by0, 2), round(bx1, 2), round(by1, 2)) == (-0.05, -0.05, 305.05, 457.05)


def test_pooled_panel_data_reads_back_as_a_board_with_the_layout(board: BoardFiles, tmp_path: Path) -> None:
    s = load_settings().model_copy(update={"sizes": (PanelSize(305, 457),), "overage_percent": 0.0})
    orders = [
        Order(
            "E", board.width_mm, board.height_mm, 14, date(2030, 1, 1), Process(), board=board.path, index=0
        ),
        Order("S", 45.0, 80.0, 6, date(2030, 1, 2), Process(), index=1),
    ]
    result = pool(orders, s, time_limit=0.5)
    assert len(result.panels) == 1
    panel = result.panels[0]
    files = write_panel_data(panel, panel_data(panel, {"E": board, "S": None}), tmp_path)
    mine = [p for p in panel.placements if p.order == "E"]
    plated = _holes(ExcellonFile.open(tmp_path / f"{panel.id}-drill-plated.drl"))
    per_board = _board_holes(board, True)
    assert len(plated) == len(mine) * len(per_board)  # every board, once
    assert _close(plated, [q for p in mine for q in _placed(per_board, board, p)])
    # flyfab's own analysis reads the merged files as one board the size of the panel.
    seen = analyze(tmp_path)
    assert (seen.board.width_mm, seen.board.height_mm) == pytest.approx(
        (305.0, 457.0), abs=0.01
    )  # the edge, centre line
    assert seen.board.copper_layers == 2
    roles = {f.path: (f.role.type, f.role.side) for f in seen.files}
    assert roles[f"{panel.id}-copper-l1-top.gbr"] == ("copper", "top")
    assert roles[f"{panel.id}-soldermask-bottom.gbr"] == ("soldermask", "bottom")
    assert len(files) >= 8
