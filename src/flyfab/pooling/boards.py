"""A customer's board as pooling needs it: its size from `analyze`, its layers as gerbonara objects.

The size is the bounding box of the board outline `analyze` found (or of the copper when there is
no outline, which the analysis reports). The layers are parsed again from the upload with the roles
the analysis gave them, because the analysis keeps only condensed data, and panel production data
needs every object to place, turn and merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flyfab.cam.analyze import Analysis, analyze
from flyfab.cam.intake import IntakeError, read_upload
from flyfab.cam.model import Role, Severity
from flyfab.cam.parse import parse_excellon, parse_gerber
from flyfab.cam.sniff import sniff


class BoardError(ValueError):
    """The board's files cannot give a size: the message says why and what to do."""


@dataclass
class BoardFiles:
    path: Path
    width_mm: float
    height_mm: float
    bounds: tuple[float, float, float, float]  # x0, y0, x1, y1 of the outline, board coordinates
    copper_layers: int
    size_from: str  # "outline", "drawing" or "copper" (see cam.analyze.Board)
    roles: dict[str, Role] = field(default_factory=dict)  # file path -> role
    formats: dict[str, str] = field(default_factory=dict)  # file path -> "gerber" or "excellon"
    _layers: dict[str, Any] | None = None

    def layers(self) -> dict[str, Any]:
        """Every identified file parsed with gerbonara (GerberFile or ExcellonFile), by path."""
        if self._layers is None:
            self._layers = _parse_layers(self.path, self.formats)
        return self._layers


def read_board(path: Path, analysis: Analysis | None = None) -> BoardFiles:
    """The board at `path` (zip, tar.gz or folder), measured by `analyze`."""
    if not path.exists():
        raise BoardError(
            f"board {path} does not exist: give the path of the fabrication files (zip or folder)"
        )
    try:
        result = analysis or analyze(path)
    except IntakeError as e:
        raise BoardError(f"board {path} cannot be read: {e}") from None
    b = result.board
    if (
        b.width_mm is None
        or b.height_mm is None
        or b.bounds_mm is None
        or b.width_mm <= 0
        or b.height_mm <= 0
    ):
        errors = "; ".join(p.message for p in result.problems if p.severity is Severity.ERROR)[:300]
        raise BoardError(
            f"board {path}: no board outline or copper was found, so its size is unknown"
            + (f" ({errors})" if errors else "")
            + "; check the upload or give width_mm and height_mm"
        )
    roles = {f.path: f.role for f in result.files}
    formats = {f.path: f.format for f in result.files}
    return BoardFiles(
        path, b.width_mm, b.height_mm, b.bounds_mm, b.copper_layers, b.size_from, roles, formats
    )


def _parse_layers(path: Path, formats: dict[str, str]) -> dict[str, Any]:
    upload = read_upload(path)
    out: dict[str, Any] = {}
    for f in upload.files:
        kind = formats.get(f.path)
        if kind is None:
            continue
        text = sniff(f.path, f.data).text
        parsed = parse_excellon(f.path, text) if kind == "excellon" else parse_gerber(f.path, text)
        if parsed.layer is not None:
            out[f.path] = parsed.layer
    return out
