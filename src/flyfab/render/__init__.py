"""Pictures of a board: top and bottom as it will come out, every layer alone, and the DFM findings
marked on them, as SVG and PNG."""

from flyfab.render.board import RENDER_AREAS, RenderError, render_board
from flyfab.render.colors import FINISHES, MASKS, SILKS, ColorError, Palette, palette

__all__ = [
    "FINISHES",
    "MASKS",
    "RENDER_AREAS",
    "SILKS",
    "ColorError",
    "Palette",
    "RenderError",
    "palette",
    "render_board",
]
