"""Every picture of one analysed board, written to a folder."""

from __future__ import annotations

import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from flyfab.cam.analyze import Analysis
from flyfab.dfm import DFM_AREAS
from flyfab.dfm.checks import DfmReport
from flyfab.render import raster, svg
from flyfab.render.colors import Palette, palette
from flyfab.render.scene import Marker, Scene, board_view, layer_view

# Layer areas an analysis must draw for the pictures and the DFM overlays drawn on them.
RENDER_AREAS = DFM_AREAS | {"solderpaste"}
SEVERITY_COLORS = {"error": "#ff3b30", "upgrade": "#ff9500", "warning": "#ffd60a"}


class RenderError(ValueError):
    pass


@dataclass
class Rendered:
    """What was written, by kind: the two views, one picture per layer, the DFM overlays."""

    views: list[Path] = field(default_factory=list)
    layers: list[Path] = field(default_factory=list)
    overlays: list[Path] = field(default_factory=list)

    @property
    def all(self) -> list[Path]:
        return self.views + self.layers + self.overlays


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path).strip("_") or "layer"


class _Writer:
    """Writes scenes as SVG and PNG on a thread pool, sharing rasterised shapes between pictures.

    The pixel work (filling polygons, compositing, PNG encoding) runs in Pillow and numpy, which
    release the GIL, so pictures are drawn side by side on the machine's cores."""

    def __init__(self, out: Path, width: int, pool: ThreadPoolExecutor) -> None:
        self.out, self.width = out, width
        self.cache = raster.MaskCache()
        self.pool = pool
        self.pending: list[Future[list[Path]]] = []

    def write(self, scene: Scene, stem: str, overlay: str | None = None) -> Future[list[Path]]:
        """Write the scene (SVG and PNG); with `overlay`, also the same picture with its markers
        under that name. The future holds the files written, the plain picture's first."""
        done = self.pool.submit(self._write, scene, stem, overlay)
        self.pending.append(done)
        return done

    def _write(self, scene: Scene, stem: str, overlay: str | None) -> list[Path]:
        text = svg.to_svg(scene, self.width)
        image = raster.to_image(scene, self.width, self.cache)
        written = []
        for name, t, im in [(stem, text, image)] + (
            [(overlay, svg.with_markers(text, scene), raster.with_markers(image, scene, self.width))]
            if overlay
            else []
        ):
            (self.out / f"{name}.svg").write_text(t)
            raster.save_png(im, self.out / f"{name}.png")
            written += [self.out / f"{name}.svg", self.out / f"{name}.png"]
        return written


def _markers(report: DfmReport, keep: set[str | None]) -> list[Marker]:
    markers = []
    for f in report.findings:
        if f.layer not in keep:
            continue
        color = SEVERITY_COLORS[f.severity]
        # The worst place is labelled with the rule and its value; the others are only circled.
        head = f.rule if f.measured_mm is None else f"{f.rule} {f.measured_mm:g}"
        for k, (x, y) in enumerate(f.locations):
            markers.append(Marker(x, y, color, head if k == 0 else ""))
    return markers


def render_board(
    a: Analysis,
    out: Path,
    width: int = 1200,
    colors: Palette | None = None,
    report: DfmReport | None = None,
) -> Rendered:
    """Write top.svg/png, bottom.svg/png, layer-NN-<file>.svg/png and, with a DFM report,
    dfm-top, dfm-bottom and dfm-<file> for inner layers with findings."""
    if width < 16 or width > 20000:
        raise RenderError(f"picture width {width} px is out of range: choose 16 to 20000")
    colors = colors or palette()
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        writer = _Writer(out, width, pool)
        try:
            return _render(a, writer, colors, report)
        finally:
            for pending in writer.pending:
                pending.cancel()


def _render(a: Analysis, writer: _Writer, colors: Palette, report: DfmReport | None) -> Rendered:
    views: list[Future[list[Path]]] = []
    layers: list[Future[list[Path]]] = []
    side_of = {f.path: f.role.side for f in a.files}
    for side in ("top", "bottom"):
        scene = board_view(a, side, colors)
        if scene is None:
            continue
        if report is not None:
            keep = {p for p, s in side_of.items() if s in (side, "all", "none")} | {None}
            scene.markers = _markers(report, keep)
        views.append(writer.write(scene, side, f"dfm-{side}" if report is not None else None))
    inner_findings = {f.layer for f in report.findings if f.layer} if report is not None else set()
    for k, f in enumerate(a.files, start=1):
        scene = layer_view(a, f.path)
        if scene is None:
            continue
        overlay = None
        if report is not None and side_of.get(f.path) == "inner" and f.path in inner_findings:
            scene.markers = _markers(report, {f.path})
            overlay = f"dfm-{_slug(f.path)}"
        layers.append(writer.write(scene, f"layer-{k:02d}-{_slug(f.path)}", overlay))
    done = Rendered()
    for group, kept in ((views, done.views), (layers, done.layers)):
        for pending in group:
            files = pending.result()  # re-raises a failed write
            kept += files[:2]
            done.overlays += files[2:]
    return done
