"""Parsing with gerbonara, guarded: limits before parsing, clear problems after.

gerbonara reads almost anything without complaint and raises on the rest; a customer needs to
know which of their files could not be read and why, in their words, while the other files are
still analysed. So every parse is wrapped: the text is checked for what would blow up (step and
repeat that multiplies into millions of objects), gerbonara's warnings are collected, its
exceptions become a `Problem`, and the few warnings that matter (no end-of-file, transformations
gerbonara ignores) become warnings a CAM engineer would give.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from gerbonara import ExcellonFile
from gerbonara.apertures import ExcellonTool
from gerbonara.cam import FileSettings
from gerbonara.excellon import parse_allegro_logfile, parse_allegro_ncparam
from gerbonara.utils import MM, Inch

from flyfab.cam.fastpath import parse_gerber_text
from flyfab.cam.model import Problem, Severity

MAX_OBJECTS = 3_000_000  # graphic objects one file may expand to (step and repeat included)

_SR = re.compile(r"%SRX(\d+)Y(\d+)I")
_TRANSFORMS = re.compile(r"%L[RMS][^N]")
_STATEMENT = re.compile(r"D0?[123]\*")
_EOF = re.compile(r"M0?2\*?\s*%?\s*$")


@dataclass
class Parsed:
    path: str
    layer: Any | None  # gerbonara GerberFile or ExcellonFile
    problems: list[Problem] = field(default_factory=list)


def _message(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    # gerbonara prefixes "file:line" and the offending statement; keep the explanation it gives.
    text = re.sub(r"^\S+:\d+\s+\"[^\"]*\":\s*", "", text)
    return text.splitlines()[0][:300]


def _step_repeat_objects(text: str) -> int:
    """How many objects the file expands to, at most: drawing statements times repeats."""
    repeats = 1
    for x, y in _SR.findall(text):
        repeats = max(repeats, int(x) * int(y))
    return len(_STATEMENT.findall(text)) * repeats


def parse_gerber(path: str, text: str) -> Parsed:
    result = Parsed(path, None)
    expanded = _step_repeat_objects(text)
    if expanded > MAX_OBJECTS:
        result.problems.append(
            Problem(
                path,
                f"step and repeat expands this file to about {expanded:,} objects (limit {MAX_OBJECTS:,}); "
                "export the single board, the factory makes the panel",
                code="step-repeat-explosion",
            )
        )
        return result
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            layer = parse_gerber_text(text, filename=path)
        except Exception as err:  # gerbonara raises SyntaxError, ValueError, KeyError, IndexError...
            result.problems.append(
                Problem(path, f"cannot be read as Gerber: {_message(err)}; re-export it from your CAD tool")
            )
            return result
    result.layer = layer
    if not _EOF.search(text.rstrip()[-64:]):
        result.problems.append(
            Problem(
                path,
                "the file does not end with M02 (end of file): it may be cut short; check it is complete",
                Severity.WARNING,
                "truncated",
            )
        )
    if _TRANSFORMS.search(text):
        result.problems.append(
            Problem(
                path,
                "uses aperture transformations (%LR/%LM/%LS) that are not applied; "
                "pads may be drawn unrotated",
                Severity.WARNING,
                "unsupported-transform",
            )
        )
    unknown = sum(1 for w in caught if "Unknown statement" in str(w.message))
    if unknown and not layer.objects:
        result.layer = None
        result.problems.append(
            Problem(
                path, f"{unknown} statements are not Gerber and nothing is drawn: this is not a Gerber file"
            )
        )
    return result


def _excellon_settings(siblings: dict[str, str]) -> tuple[FileSettings | None, dict[int, Any] | None]:
    """Allegro writes the number format and tool plating beside the drill file, not in it."""
    settings = None
    for name in ("nc_param.txt", "ncdrill.log"):
        if name in siblings:
            try:
                settings = parse_allegro_ncparam(siblings[name])
                break
            except Exception:  # a damaged parameter file simply gives no settings
                settings = None
    tools = None
    if "ncdrill.log" in siblings:
        try:
            tools = parse_allegro_logfile(siblings["ncdrill.log"]) or None
        except Exception:
            tools = None
    return settings, tools


_COORD = re.compile(r"^(?:G0?[01])?X(-?)(\d+)Y(-?)(\d+)\s*$", re.M)
_UNIT_MM = re.compile(r"^\s*(METRIC|M71)\b", re.M)


def _format_candidates(text: str) -> list[FileSettings]:
    """Number formats a headless Excellon file could be in, from the digits it writes.

    When every coordinate has the same number of digits, zeros are kept and only the position of
    the decimal point is unknown; each plausible split is a candidate.
    """
    digits = {len(m[1]) for m in _COORD.findall(text)} | {len(m[3]) for m in _COORD.findall(text)}
    if len(digits) != 1:
        return []
    n = digits.pop()
    unit = MM if _UNIT_MM.search(text) else Inch
    out = []
    for integer in range(1, n):
        s = FileSettings(
            number_format=(integer, n - integer), zeros="leading", unit=unit, notation="absolute"
        )
        out.append(s)
    return out


def parse_excellon(
    path: str, text: str, siblings: dict[str, str] | None = None, reference: Any = None
) -> Parsed:
    """Parse a drill file; `siblings` are the texts of files in the same folder (for Allegro's
    parameter files) and `reference` is a callable scoring a parsed file against the copper (used to
    choose the number format when the file does not state it)."""
    result = Parsed(path, None)
    settings, tools = _excellon_settings(siblings or {})
    if tools and not re.search(r"^\s*T\d+\S*C[\d.]", text, re.M):
        tools = None  # the log's tool table is the drill program's, not this file's
    first_error: BaseException | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result.layer = ExcellonFile.from_string(
                text, settings=settings, filename=path, external_tools=tools
            )
            return result
        except Exception as err:
            first_error = err
        candidates = _format_candidates(text) if "number format" in str(first_error).lower() else []
        scored = []
        for cand in candidates:
            try:
                layer = ExcellonFile.from_string(text, settings=cand, filename=path, external_tools=tools)
            except Exception:
                continue
            score = reference(layer) if reference else 0.0
            scored.append((score, cand.number_format, layer))
    if first_error is not None and "undefined tool" in str(first_error).lower():
        # Route programs (Allegro's .rou) may select tools they never define; the drill log's
        # tools belong to the drill program, so read the paths with tools of unknown size.
        used = sorted({int(t) for t in re.findall(r"^\s*T(\d+)\s*$", text, re.M)})
        blanks = {t: ExcellonTool(diameter=0.0, plated=None, unit=MM) for t in used}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                layer = ExcellonFile.from_string(
                    text, settings=settings, filename=path, external_tools=blanks
                )
            except Exception:
                layer = None
        if layer is not None:
            result.layer = layer
            result.problems.append(
                Problem(
                    path,
                    f"selects tools it does not define (T{', T'.join(map(str, used))}): their sizes are "
                    "unknown; state the tool table in the file",
                    Severity.WARNING,
                    "undefined-tools",
                )
            )
            return result
    if scored:
        scored.sort(key=lambda s: s[0], reverse=True)
        score, fmt, layer = scored[0]
        if reference is not None and score > 0 and (len(scored) == 1 or score > scored[1][0]):
            result.layer = layer
            result.problems.append(
                Problem(
                    path,
                    f"the drill file does not state its number format; read as {fmt[0]}.{fmt[1]}, the only "
                    "format that puts the holes on the copper pads",
                    Severity.WARNING,
                    "drill-format-inferred",
                )
            )
            return result
    result.problems.append(
        Problem(
            path,
            f"cannot be read as an Excellon drill file: {_message(first_error or ValueError('unknown'))}",
        )
    )
    return result


def coincidence(holes: list[tuple[float, float]], pads: Any, tolerance: float = 0.05) -> float:
    """Share of hole positions that land on a pad centre, for choosing a drill number format."""
    if not holes or pads is None or len(pads) == 0:
        return 0.0
    from scipy.spatial import cKDTree

    tree = cKDTree(pads)
    d, _ = tree.query(holes, distance_upper_bound=tolerance)
    return float((d < math.inf).mean())
