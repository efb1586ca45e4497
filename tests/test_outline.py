"""Board edges found in layers that are not outline layers (drawings and films), by find_outline."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from flyfab.cam.image import Stroke
from flyfab.cam.outline import FILM_GAP_MM, find_outline


def _rectangle_with_gaps(x0: float, y0: float, x1: float, y1: float, gap: float) -> list[Stroke]:
    """Four sides of a rectangle, each stopping `gap` short of the next corner."""
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    sides = []
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
        length = np.hypot(bx - ax, by - ay)
        ux, uy = (bx - ax) / length, (by - ay) / length
        sides.append(Stroke(np.array([[ax, ay], [bx - ux * gap, by - uy * gap]]), 0.1))
    return sides


def _pads() -> np.ndarray:
    xs, ys = np.meshgrid(np.linspace(5, 45, 9), np.linspace(5, 25, 5))
    return np.column_stack([xs.ravel(), ys.ravel()])


@pytest.mark.parametrize("gap", [0.003, 0.05])
def test_a_film_edge_joined_to_the_tools_resolution_is_the_board(gap: float) -> None:
    pads = _pads()
    found = find_outline(
        _rectangle_with_gaps(0, 0, 50, 30, gap),
        shapely.MultiPoint(pads).envelope,
        dedicated=False,
        copper_points=pads,
        max_gap=FILM_GAP_MM,
    )
    assert found is not None
    assert found.bounds == pytest.approx((0, 0, 50, 30), abs=1e-6)


def test_a_contour_closing_only_over_wide_gaps_is_a_board_in_a_drawing_but_not_in_a_film() -> None:
    pads = _pads()
    strokes = _rectangle_with_gaps(0, 0, 50, 30, 0.25)
    copper = shapely.MultiPoint(pads).envelope
    drawing = find_outline(strokes, copper, dedicated=False, copper_points=pads)
    assert drawing is not None and drawing.gap_closed_mm == pytest.approx(0.25, abs=1e-6)
    assert find_outline(strokes, copper, dedicated=False, copper_points=pads, max_gap=FILM_GAP_MM) is None
