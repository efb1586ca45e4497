"""Every picture of one analysed board, written to a folder."""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import shapely

from flyfab.cam import forks
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


@dataclass
class _Picture:
    """One scene to write: its plain picture's file stem and, with markers, its overlay's."""

    scene: Scene
    stem: str
    overlay: str | None
    group: str  # "views" or "layers"


class _Writer:
    """Writes pictures as SVG and PNG files: a picture's SVG and its PNG are jobs of their own.

    On a small board one view is most of the work, and writing both its files in one job would
    leave the other core idle at the end."""

    def __init__(self, out: Path, width: int) -> None:
        self.out, self.width = out, width

    def svg(self, picture: _Picture) -> list[Path]:
        text = svg.to_svg(picture.scene, self.width)
        written = [self.out / f"{picture.stem}.svg"]
        written[0].write_text(text)
        if picture.overlay:
            written.append(self.out / f"{picture.overlay}.svg")
            written[1].write_text(svg.with_markers(text, picture.scene))
        return written

    def png(self, picture: _Picture) -> list[Path]:
        scene = picture.scene
        image = raster.to_image(scene, self.width)
        plain = raster.png_bytes(image)
        written = [self.out / f"{picture.stem}.png"]
        written[0].write_bytes(plain)
        if picture.overlay:
            # Without markers the overlay is the plain picture: its bytes, not a second encoding.
            marked = plain
            if scene.markers:
                marked = raster.png_bytes(raster.with_markers(image, scene, self.width))
            written.append(self.out / f"{picture.overlay}.png")
            written[1].write_bytes(marked)
        return written

    def cost(self, picture: _Picture) -> tuple[float, int]:
        """A PNG's work for ordering the jobs, biggest first: fine pixels times shapes plus a
        rough weight per vertex of its shapes; and the vertices alone."""
        c = raster.Canvas(picture.scene, self.width)
        vertices = sum(int(shapely.get_num_coordinates(g).sum()) for g in picture.scene.shapes.values())
        pixels = c.width * c.height * c.supersample**2 * max(1, len(picture.scene.shapes))
        return pixels + 50.0 * vertices, vertices


# Pictures of fewer vertices than this in all are drawn on threads: starting processes costs more
# than it saves on them (measured on the corpus: threads as fast or faster on boards of 5,000 to
# 66,000 vertices, processes 15 to 40 % faster from 170,000 up).
FORK_MIN_VERTICES = 100_000


def _run(jobs: list[Callable[[], list[Path]]], costs: list[float], vertices: int) -> list[list[Path]]:
    """The jobs' results in order, on all cores.

    Pillow's polygon filling and numpy's table lookups do not run side by side on threads
    (measured: two threads do them no faster than one), so the pictures are drawn in forked
    processes, which inherit the scenes and write their files themselves. Where a process may not
    start children (a task queue's worker) or the pictures are small, threads do it."""
    workers = os.cpu_count() or 1
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if (
        workers > 1
        and can_fork
        and not multiprocessing.current_process().daemon
        and vertices >= FORK_MIN_VERTICES
    ):
        return forks.in_forks(jobs, workers, costs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        order = sorted(range(len(jobs)), key=lambda k: -costs[k])
        done = dict(zip(order, pool.map(lambda k: jobs[k](), order), strict=True))
    return [done[k] for k in range(len(jobs))]


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
    writer = _Writer(out, width)
    pictures = _pictures(a, colors, report)
    jobs: list[Callable[[], list[Path]]] = []
    costs: list[float] = []
    vertices = 0
    for p in pictures:
        work, n = writer.cost(p)
        jobs += [partial(writer.png, p), partial(writer.svg, p)]
        costs += [work, 10.0 * n]  # an SVG costs only its vertices' formatting
        vertices += n
    files = _run(jobs, costs, vertices)
    done = Rendered()
    for k, p in enumerate(pictures):
        pngs, svgs = files[2 * k], files[2 * k + 1]
        getattr(done, p.group).extend([svgs[0], pngs[0]])
        done.overlays += [*svgs[1:], *pngs[1:]]
    return done


def _pictures(a: Analysis, colors: Palette, report: DfmReport | None) -> list[_Picture]:
    pictures: list[_Picture] = []
    side_of = {f.path: f.role.side for f in a.files}
    for side in ("top", "bottom"):
        scene = board_view(a, side, colors)
        if scene is None:
            continue
        if report is not None:
            keep = {p for p, s in side_of.items() if s in (side, "all", "none")} | {None}
            scene.markers = _markers(report, keep)
        pictures.append(_Picture(scene, side, f"dfm-{side}" if report is not None else None, "views"))
    inner_findings = {f.layer for f in report.findings if f.layer} if report is not None else set()
    for k, f in enumerate(a.files, start=1):
        scene = layer_view(a, f.path)
        if scene is None:
            continue
        overlay = None
        if report is not None and side_of.get(f.path) == "inner" and f.path in inner_findings:
            scene.markers = _markers(report, {f.path})
            overlay = f"dfm-{_slug(f.path)}"
        pictures.append(_Picture(scene, f"layer-{k:02d}-{_slug(f.path)}", overlay, "layers"))
    return pictures
