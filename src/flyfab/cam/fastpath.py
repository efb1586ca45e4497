"""gerbonara's Gerber parser with shortcuts for the statements that fill most files and for numbers.

A copper pour is a region of tens of thousands of vertices, each one a `X…Y…D01*` statement, and
gerbonara turns every vertex into a `Line` object (with a copy of the object attributes, two
coordinate mappings and a unit comparison) only to take its end point into the region's outline;
every statement also passes its statement splitter and a row of regular expressions. Profiled on a
12-layer board, that was most of parsing. This subclass takes a run of plain coordinate statements
(`X…Y…D0n*`, nothing else in them) in one step wherever gerbonara would do nothing with each but
the obvious: inside a region with no image transformation in force, linear D01 vertices and the
D02 that starts the next outline; outside regions, D01 lines (linear, with an aperture gerbonara
draws without a word), D02 moves and D03 flashes. Single such statements among others take the same
shortcuts. Every other statement, and every one that needs a warning or an error (a zero-size or
non-circular aperture drawing a line, an implied operation code, step and repeat), goes to
gerbonara unchanged. On the altium board its files parse in 2.0 s of CPU instead of 3.2 s
(docs/benchmarks.md). The result is object for object the same as gerbonara's, and so are the
warnings with their line numbers (tests/test_fastpath.py: every corpus file, and generated files
mixing runs with everything that changes how they are read).

Coordinates are read by a `FileSettings` whose `parse_gerber_value` divides the integer by the
power of ten the format implies instead of building a decimal string to convert: both are
correctly rounded, so the value is the same float; anything else (a decimal point, a sign, an
unknown format) goes to gerbonara's own method. Runs are taken only where the format omits leading
zeros (`_divisor`), by far the most common. The layer keeps a plain `FileSettings`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import fields
from typing import Any

from gerbonara import graphic_objects as go
from gerbonara.cam import FileSettings
from gerbonara.rs274x import GerberFile, GerberParser
from gerbonara.utils import InterpMode

_IDENTITY = (1, 0, 0, 1)
Step = tuple[float, float, float, float, str]  # a statement's point before, point after, operation

_STATEMENT = re.compile(r"G04.*?\*\s*|%.*?%\s*|[^*%]*\*\s*", re.DOTALL)  # gerbonara's statement split


def _run(ops: str) -> re.Pattern[str]:
    # D02 and D03 may come without coordinates (at the current point); a bare D01 goes the long way.
    bare = ops.replace("1", "")
    either = rf"|D0?[{bare}]" if bare else ""
    return re.compile(rf"(?:(?:(?:X-?\d+(?:Y-?\d+)?|Y-?\d+)D0?[{ops}]{either})\*\s*)+")


# Runs of coordinate statements of only those operations that may go without gerbonara's checks
# here and now (`_operations`).
_RUNS = {ops: _run(ops) for ops in ("2", "23", "123")}
_REGION_RUNS = {ops: _run(ops) for ops in ("1", "12")}
_OPERATION = re.compile(r"(?:X(-?\d+))?(?:Y(-?\d+))?D0?([123])")


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
    current_region: Any  # gerbonara's Region being drawn, None outside G36 ... G37
    last_operation: Any  # "1", "2" or "3", the last coordinate statement's

    def __init__(self, target: Any) -> None:
        super().__init__(target, override_settings=_Settings())
        self._drawable: dict[int, tuple[Any, bool]] = {}  # id(aperture) -> (aperture, width > 0)

    def parse(self, data: str, filename: str | None = None) -> None:
        try:
            super().parse(data, filename=filename)
        finally:
            if isinstance(self.target.import_settings, _Settings):
                self.target.import_settings = self.target.import_settings.plain()

    def _split_commands(self, data: str) -> Iterator[str]:
        """gerbonara's statements one by one, as its own splitter yields them, but for runs of
        plain coordinate statements, which are taken here (`_region_steps`, `_plain_steps`) where
        nothing in them needs gerbonara's checks."""
        self.lineno = 1
        pos, end = 0, len(data)
        while pos < end:
            in_region = self.current_region is not None
            # Runs read their numbers with `_divisor`: only formats that omit leading zeros.
            ops = self._operations() if self.file_settings._divisor is not None else ""
            run = (_REGION_RUNS if in_region else _RUNS)[ops].match(data, pos) if ops else None
            if run is not None:
                (self._region_steps if in_region else self._plain_steps)(self._steps(run[0]))
                self.lineno += run[0].count("\n")
                pos = run.end()
                continue
            match = _STATEMENT.search(data, pos)
            if match is None:
                break
            pos = match.end()
            cmd = match[0]
            newlines = cmd.count("\n")
            cmd = cmd.strip().strip("%").rstrip("*")
            if cmd:
                self.line = cmd
                yield cmd
            self.lineno += newlines
        self.lineno = 0
        self.line = ""

    def _operations(self) -> str:
        """The operations gerbonara would do here and now without a check, as a key of `_RUNS`
        outside regions ('' if none): D01 lines (linear, with an aperture gerbonara draws without a
        word, `_draws`), D02 moves and D03 flashes (with whatever aperture is selected); and of
        `_REGION_RUNS` inside regions: vertices where the image adds no transformation, and D02
        where the next region has the same unit."""
        gs = self.graphics_state
        if gs.point is None or gs.unit is None:
            return ""
        region = self.current_region
        if region is None:
            if gs._mat is None or self.step_repeat_objects:
                return ""
            if gs.aperture is None:
                return "2"
            if gs.interpolation_mode is InterpMode.LINEAR and self._draws(gs.aperture):
                return "123"
            return "23"
        if (
            gs.interpolation_mode is not InterpMode.LINEAR
            or region.unit is not gs.unit
            or gs._mat != _IDENTITY
            or gs.image_offset != (0, 0)
            or any(math.copysign(1.0, v) < 0 for v in gs.image_offset)
        ):
            return ""
        return "12" if self.file_settings.unit is gs.unit else "1"

    def _steps(self, text: str) -> Iterator[Step]:
        """Each statement of a run as the point before it, the point after it and its operation;
        once all are taken, the graphics state's point and last operation are the run's last."""
        divisor = self.file_settings._divisor
        gs = self.graphics_state
        px, py = gs.point
        op = self.last_operation
        for x, y, op in _OPERATION.findall(text):
            qx, qy = px, py
            if x:
                px = -(int(x[1:]) / divisor) if x[0] == "-" else int(x) / divisor
            if y:
                py = -(int(y[1:]) / divisor) if y[0] == "-" else int(y) / divisor
            yield qx, qy, px, py, op
        gs.point = (px, py)
        self.last_operation = op

    def _plain_steps(self, steps: Iterable[Step]) -> None:
        """D01 lines, D02 moves and D03 flashes outside regions, as gerbonara's graphics state
        does them."""
        gs = self.graphics_state
        a, b, c, d = gs._mat
        ox, oy = gs.image_offset
        aperture, dark, unit, attrs = gs.aperture, gs._polarity_dark, gs.unit, gs.object_attrs
        objects = self.target.objects
        for qx, qy, px, py, op in steps:
            if op == "2":
                continue
            ex, ey = a * px + b * py + ox, c * px + d * py + oy
            if op == "1":
                sx, sy = a * qx + b * qy + ox, c * qx + d * qy + oy
                objects.append(
                    go.Line(sx, sy, ex, ey, aperture, polarity_dark=dark, unit=unit, attrs=attrs.copy())
                )
            else:
                objects.append(go.Flash(ex, ey, aperture, polarity_dark=dark, unit=unit, attrs=attrs.copy()))

    def _region_steps(self, steps: Iterable[Step]) -> None:
        """Linear D01 vertices inside a region, which join its outline, and D02, which closes the
        outline and starts the next region, as gerbonara does them."""
        gs = self.graphics_state
        region = self.current_region
        outline, centres = region.outline, region.arc_centers
        for qx, qy, px, py, op in steps:
            if op == "1":
                # gerbonara maps points to the image, which here adds nothing but turns -0.0 into 0.0.
                if not outline:
                    outline.append((qx + 0.0, qy + 0.0))
                outline.append((px + 0.0, py + 0.0))
                centres.append(None)
            elif outline:
                (self.step_repeat_objects or self.target.objects).append(region)
                region = go.Region(polarity_dark=gs.polarity_dark, unit=self.file_settings.unit)
                outline, centres = region.outline, region.arc_centers
        self.current_region = region

    def _parse_coord(self, match: Any) -> None:
        """A single coordinate statement: where it is plain (`_operations`), taken as runs are,
        with its numbers read by the file's settings (any format); else gerbonara's way."""
        interp, x_s, x, y_s, y, i, _, j, _, op = match.groups()
        gs = self.graphics_state
        if op in ("1", "2", "3") and i is None and j is None and interp in (None, "G01") and (x or y):
            if interp is not None:
                gs.interpolation_mode = InterpMode.LINEAR
            if op in self._operations():
                old = gs.point
                new = self._point(x_s, x, y_s, y)
                step = [(*old, *new, op)]
                (self._region_steps if self.current_region is not None else self._plain_steps)(step)
                gs.point = new
                self.last_operation = op
                return
        super()._parse_coord(match)

    def _point(self, x_s: str | None, x: str | None, y_s: str | None, y: str | None) -> tuple[Any, Any]:
        value = self.file_settings.parse_gerber_value
        old = self.graphics_state.point
        nx = old[0] if x is None else (-value(x) if x_s else value(x))
        ny = old[1] if y is None else (-value(y) if y_s else value(y))
        return nx, ny

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


def parse_gerber_text(text: str, filename: str | None = None) -> Any:
    """A gerbonara `GerberFile` from Gerber text, as `GerberFile.from_string` would return it."""
    layer = GerberFile()
    _Parser(layer).parse(text, filename=filename)
    return layer
