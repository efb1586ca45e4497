"""gerbonara's Gerber parser with a shortcut for the statement that fills most files.

A copper pour is a region of tens of thousands of vertices, each one a `X…Y…D01*` statement, and
gerbonara turns every vertex into a `Line` object (with a copy of the object attributes, two
coordinate mappings and a unit comparison) only to take its end point into the region's outline.
Profiled on a 12-layer board, that is about 40 % of parsing. This subclass handles exactly that
statement, a linear D01 inside a region with no image transformation in force, by appending the
point to the outline as gerbonara would, and hands every other statement, and every statement that
needs a warning or an error, to gerbonara unchanged. The result is object for object the same as
gerbonara's (tests/test_fastpath.py checks it on every corpus file).
"""

from __future__ import annotations

from typing import Any

from gerbonara.rs274x import GerberFile, GerberParser
from gerbonara.utils import InterpMode

_IDENTITY = (1, 0, 0, 1)


class _Parser(GerberParser):  # type: ignore[misc]
    def _parse_coord(self, match: Any) -> None:
        interp, x_s, x, y_s, y, i, _, j, _, op = match.groups()
        region = self.current_region
        gs = self.graphics_state
        if (
            op == "1"
            and region is not None
            and i is None
            and j is None
            and (interp is None or interp == "G01")
            and (x or y)
            and gs.point is not None
            and gs.unit is not None
            and region.unit is gs.unit
            and gs._mat == _IDENTITY
            and gs.image_offset == (0, 0)
        ):
            if interp is not None:
                gs.interpolation_mode = InterpMode.LINEAR
            if gs.interpolation_mode is InterpMode.LINEAR:
                value = self.file_settings.parse_gerber_value
                old = gs.point
                nx = old[0] if x is None else (-value(x) if x_s else value(x))
                ny = old[1] if y is None else (-value(y) if y_s else value(y))
                gs.point = (nx, ny)
                self.last_operation = op
                outline = region.outline
                if not outline:
                    outline.append(old)
                outline.append((nx, ny))
                region.arc_centers.append(None)
                return
        super()._parse_coord(match)


def parse_gerber_text(text: str, filename: str | None = None) -> Any:
    """A gerbonara `GerberFile` from Gerber text, as `GerberFile.from_string` would return it."""
    layer = GerberFile()
    _Parser(layer).parse(text, filename=filename)
    return layer
