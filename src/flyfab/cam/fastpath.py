"""gerbonara's Gerber parser with shortcuts for the statement that fills most files and for numbers.

A copper pour is a region of tens of thousands of vertices, each one a `X…Y…D01*` statement, and
gerbonara turns every vertex into a `Line` object (with a copy of the object attributes, two
coordinate mappings and a unit comparison) only to take its end point into the region's outline.
Profiled on a 12-layer board, that is about 40 % of parsing. This subclass handles that statement,
a linear D01 inside a region with no image transformation in force, by appending the point to the
outline as gerbonara would. Outside regions it does what gerbonara's graphics state does for an
explicit linear D01 (a `Line`), D02 (a move) and D03 (a `Flash`), without the generic statement's
dispatch (the altium board's parse: 2.84-2.87 s instead of 2.98-3.11 s). Every other statement, and
every statement that needs a warning or an error (a zero-size or non-circular aperture drawing a
line, an implied operation code, step and repeat), goes to gerbonara unchanged. The result is
object for object the same as gerbonara's (tests/test_fastpath.py checks it on every corpus file).

Coordinates are read by a `FileSettings` whose `parse_gerber_value` divides the integer by the
power of ten the format implies instead of building a decimal string to convert: both are
correctly rounded, so the value is the same float; anything else (a decimal point, a sign, an
unknown format) goes to gerbonara's own method. The layer keeps a plain `FileSettings`.
"""

from __future__ import annotations

import copy
import math
from dataclasses import fields
from typing import Any

from gerbonara import graphic_objects as go
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
        self._drawable: dict[int, tuple[Any, bool]] = {}  # id(aperture) -> (aperture, width > 0)

    def parse(self, data: str, filename: str | None = None) -> None:
        try:
            super().parse(data, filename=filename)
        finally:
            if isinstance(self.target.import_settings, _Settings):
                self.target.import_settings = self.target.import_settings.plain()

    def _parse_coord(self, match: Any) -> None:
        interp, x_s, x, y_s, y, i, _, j, _, op = match.groups()
        gs = self.graphics_state
        if (
            op in ("1", "2", "3")
            and i is None
            and j is None
            and (interp is None or interp == "G01")
            and (x or y)
            and gs.point is not None
            and gs.unit is not None
        ):
            region = self.current_region
            if interp is not None:
                gs.interpolation_mode = InterpMode.LINEAR
            linear = gs.interpolation_mode is InterpMode.LINEAR
            if region is not None:
                if (
                    op == "1"
                    and linear
                    and region.unit is gs.unit
                    and gs._mat == _IDENTITY
                    and gs.image_offset == (0, 0)
                ):
                    self._region_vertex(x_s, x, y_s, y)
                    return
            elif (
                gs._mat is not None
                and not self.step_repeat_objects
                and (
                    op == "2"
                    or (gs.aperture is not None and self._draws(gs.aperture) and (op == "3" or linear))
                )
            ):
                self._outside_region(op, x_s, x, y_s, y)
                return
        super()._parse_coord(match)

    def _point(self, x_s: str | None, x: str | None, y_s: str | None, y: str | None) -> tuple[Any, Any]:
        value = self.file_settings.parse_gerber_value
        old = self.graphics_state.point
        nx = old[0] if x is None else (-value(x) if x_s else value(x))
        ny = old[1] if y is None else (-value(y) if y_s else value(y))
        return nx, ny

    def _region_vertex(self, x_s: str | None, x: str | None, y_s: str | None, y: str | None) -> None:
        """A linear D01 inside a region: the point joins the region's outline."""
        gs = self.graphics_state
        old = gs.point
        gs.point = self._point(x_s, x, y_s, y)
        self.last_operation = "1"
        outline = self.current_region.outline
        if not outline:
            outline.append(old)
        outline.append(gs.point)
        self.current_region.arc_centers.append(None)

    def _draws(self, aperture: Any) -> bool:
        """Whether gerbonara draws a line with this aperture without a word: not one of zero size
        (it warns) or without a width at all (it refuses): those go its own way."""
        known = self._drawable.get(id(aperture))
        if known is None or known[0] is not aperture:
            try:
                wide = not math.isclose(aperture.equivalent_width(), 0)
            except Exception:
                wide = False
            known = self._drawable[id(aperture)] = (aperture, wide)
        return known[1]

    def _outside_region(
        self, op: str, x_s: str | None, x: str | None, y_s: str | None, y: str | None
    ) -> None:
        """D01 (linear), D02 or D03 outside a region, as gerbonara's graphics state does them."""
        gs = self.graphics_state
        old = gs.point
        gs.point = self._point(x_s, x, y_s, y)
        self.last_operation = op
        if op == "2":
            return
        a, b, c, d = gs._mat
        ox, oy = gs.image_offset
        px, py = gs.point
        end = (a * px + b * py + ox, c * px + d * py + oy)
        attrs = copy.copy(gs.object_attrs)
        if op == "1":
            qx, qy = old
            start = (a * qx + b * qy + ox, c * qx + d * qy + oy)
            obj: Any = go.Line(
                *start, *end, gs.aperture, polarity_dark=gs._polarity_dark, unit=gs.unit, attrs=attrs
            )
        else:
            obj = go.Flash(*end, gs.aperture, polarity_dark=gs._polarity_dark, unit=gs.unit, attrs=attrs)
        self.target.objects.append(obj)


def parse_gerber_text(text: str, filename: str | None = None) -> Any:
    """A gerbonara `GerberFile` from Gerber text, as `GerberFile.from_string` would return it."""
    layer = GerberFile()
    _Parser(layer).parse(text, filename=filename)
    return layer
