"""gerbonara's Gerber parser with shortcuts for the statement that fills most files and for numbers.

A copper pour is a region of tens of thousands of vertices, each one a `X…Y…D01*` statement, and
gerbonara turns every vertex into a `Line` object (with a copy of the object attributes, two
coordinate mappings and a unit comparison) only to take its end point into the region's outline.
Profiled on a 12-layer board, that is about 40 % of parsing. This subclass handles exactly that
statement, a linear D01 inside a region with no image transformation in force, by appending the
point to the outline as gerbonara would, and hands every other statement, and every statement that
needs a warning or an error, to gerbonara unchanged. The result is object for object the same as
gerbonara's (tests/test_fastpath.py checks it on every corpus file).

Coordinates are read by a `FileSettings` whose `parse_gerber_value` divides the integer by the
power of ten the format implies instead of building a decimal string to convert: both are
correctly rounded, so the value is the same float; anything else (a decimal point, a sign, an
unknown format) goes to gerbonara's own method. The layer keeps a plain `FileSettings`.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from gerbonara.cam import FileSettings
from gerbonara.rs274x import GerberFile, GerberParser
from gerbonara.utils import InterpMode

_IDENTITY = (1, 0, 0, 1)


class _Settings(FileSettings):  # type: ignore[misc]
    """File settings that read fixed-width coordinates with one integer division."""

    _divisor: int | None
    _integer: int | None

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in ("zeros", "number_format"):
            integer, decimal = self.number_format or (2, 5)
            # Leading zeros omitted: the last `decimal` digits are the fraction. Trailing zeros
            # omitted (or none): the first `integer` digits are the integer part.
            if self.zeros == "leading":
                object.__setattr__(self, "_divisor", None if decimal is None else 10**decimal)
                object.__setattr__(self, "_integer", None)
            else:
                object.__setattr__(self, "_divisor", None)
                object.__setattr__(self, "_integer", integer)

    def parse_gerber_value(self, value: str | None) -> float | None:
        if value and value.isdigit() and value.isascii():
            divisor = self._divisor
            if divisor is not None:
                return int(value) / divisor
            integer = self._integer
            if integer is not None:
                # Python divides integers correctly rounded, as float() reads a decimal string.
                whole: int = int(value) * 10**integer
                places: int = 10 ** len(value)
                return whole / places
        return super().parse_gerber_value(value)  # type: ignore[no-any-return]

    def plain(self) -> FileSettings:
        return FileSettings(**{f.name: getattr(self, f.name) for f in fields(FileSettings)})


class _Parser(GerberParser):  # type: ignore[misc]
    def __init__(self, target: Any) -> None:
        super().__init__(target, override_settings=_Settings())

    def parse(self, data: str, filename: str | None = None) -> None:
        try:
            super().parse(data, filename=filename)
        finally:
            if isinstance(self.target.import_settings, _Settings):
                self.target.import_settings = self.target.import_settings.plain()

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
