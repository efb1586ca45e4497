"""Understanding an upload as a CAM engineer would: `analyze(path)` from archive to findings.

The pipeline:
1. intake: the archive read safely into memory;
2. sniffing: fabrication data kept, everything else listed as ignored with the reason;
3. headers: attributes, job file, names, and the generating software, before any geometry;
4. parsing: every Gerber and Excellon file condensed by `read_layer`, copper with its area, in
   worker processes when the work is large, through the layer cache;
5. identification by content for what is still unknown, then the stack-up across files;
6. the board: outline, size, stack, drills, finest features per copper layer.

Nothing here prints or exits: the result is an `Analysis`, problems included.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from flyfab.cam import drills as drill_summary
from flyfab.cam import edgeplot, edges, forks, identify, stackup
from flyfab.cam.attributes import Header, read_excellon_header, read_gerber_header
from flyfab.cam.cache import LayerCache, cache_key, default_cache
from flyfab.cam.drills import DrillSummary
from flyfab.cam.generator import board_generator, vote
from flyfab.cam.intake import IntakeLimits, Skipped, Upload, read_upload
from flyfab.cam.jobfile import JobFile, read_job
from flyfab.cam.layerdata import LayerData, copper_area, measure_layer, read_layer
from flyfab.cam.model import Evidence, Problem, Role, Severity, Source
from flyfab.cam.outline import FILM_GAP_MM, SNAP_STEPS_MM, Outline, copper_core, find_outline
from flyfab.cam.parse import coincidence
from flyfab.cam.sniff import Kind, announces_fab_data, sniff
from flyfab.cam.stackup import Candidate

T = TypeVar("T")

# Forked workers start in milliseconds; measured on the corpus, two workers already pay off for
# 2-layer boards of ~100 kB per layer (benchmarks/analyze_corpus.py).
PARALLEL_MIN_BYTES = 100_000
# Uploads of this much Gerber text measure their copper on the compiled grid of edge pairs
# (`edges.load_grid`), loaded here while the workers parse: about 0.35 s of loading, which the
# grid saves several times over on boards this large, and which a two-layer board would only pay.
GRID_MIN_BYTES = 5_000_000
COPPER_ONLY = frozenset({"copper"})


@dataclass
class FileRole:
    path: str
    role: Role
    evidence: list[Evidence]
    format: str  # "gerber" or "excellon"
    units: str | None


@dataclass
class CopperFeatures:
    path: str
    index: int | None
    side: str
    min_trace_width_mm: float | None
    min_trace_at: tuple[float, float] | None
    min_gap_mm: float | None
    min_gap_at: tuple[float, float] | None
    copper_area_mm2: float
    copper_fraction: float | None
    islands: int


@dataclass
class Board:
    width_mm: float | None = None
    height_mm: float | None = None
    area_mm2: float | None = None
    bounds_mm: tuple[float, float, float, float] | None = None
    copper_layers: int = 0
    stack: list[tuple[int, str, str]] = field(default_factory=list)  # (index, path, side)
    outline_file: str | None = None
    outline_source: str | None = None  # the file the board edge was taken from
    size_from: str = "none"  # "outline", "drawing" (edge found in another layer), "copper" or "none"
    generator: str | None = None
    outline: Outline | None = None


@dataclass
class Analysis:
    name: str
    files: list[FileRole] = field(default_factory=list)
    ignored: list[Skipped] = field(default_factory=list)
    board: Board = field(default_factory=Board)
    drills: DrillSummary = field(default_factory=DrillSummary)
    features: list[CopperFeatures] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    layers: dict[str, LayerData] = field(default_factory=dict)  # for DFM, rendering and pooling
    seconds: float = 0.0

    def role_of(self, path: str) -> Role | None:
        return next((f.role for f in self.files if f.path == path), None)


Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def analyze(
    path: Path,
    limits: IntakeLimits | None = None,
    cache: LayerCache | None = None,
    workers: int | None = None,
    progress: Progress = _no_progress,
    areas: frozenset[str] = COPPER_ONLY,
    roles: Mapping[str, Role] | None = None,
    spans: float = 0.0,
) -> Analysis:
    """Analyse an upload (zip, tar.gz or folder). Raises IntakeError if it cannot be read at all.

    `areas`: the layer types whose drawn area is built (copper always; DFM adds mask and silkscreen).
    `roles`: layer roles the customer set for files (by path), stronger than any evidence.
    `spans`: keep every copper width and gap under this many mm (DFM asks for its strictest limit).
    """
    upload = read_upload(path, limits or IntakeLimits.from_env())
    return analyze_upload(
        upload, cache=cache, workers=workers, progress=progress, areas=areas, roles=roles, spans=spans
    )


def analyze_upload(
    upload: Upload,
    cache: LayerCache | None = None,
    workers: int | None = None,
    progress: Progress = _no_progress,
    areas: frozenset[str] = COPPER_ONLY,
    roles: Mapping[str, Role] | None = None,
    spans: float = 0.0,
) -> Analysis:
    started = time.perf_counter()
    cache = cache if cache is not None else default_cache()
    result = Analysis(upload.name, ignored=list(upload.skipped))
    texts: dict[str, str] = {}
    kinds: dict[str, str] = {}
    job: JobFile | None = None
    reports: dict[str, str] = {}
    for f in upload.files:
        s = sniff(f.path, f.data)
        if s.kind in (Kind.GERBER, Kind.EXCELLON):
            texts[f.path] = s.text
            kinds[f.path] = s.kind.value
        elif s.kind is Kind.GERBER_JOB:
            job = job or read_job(f.path, s.text)
            result.ignored.append(
                Skipped(f.path, "Gerber job file: metadata, used as evidence for the layers")
            )
        else:
            result.ignored.append(Skipped(f.path, s.reason))
            if s.text and len(s.text) < 1_000_000:
                reports[f.path] = s.text
            if s.kind is Kind.GARBAGE or (s.kind is Kind.EMPTY and announces_fab_data(f.path)):
                result.problems.append(
                    Problem(
                        f.path,
                        f"named like fabrication data but {s.reason}; re-export it from your CAD tool",
                        code="not-fabrication-data",
                    )
                )

    headers: dict[str, Header] = {
        p: (read_excellon_header(t) if kinds[p] == "excellon" else read_gerber_header(t))
        for p, t in texts.items()
    }
    votes = [vote(h, texts[p]) for p, h in headers.items()]
    # Reports beside the files (CAM logs, readmes) often name the tool that wrote them.
    votes += [vote(Header(comments=t.splitlines()[:40]), t) for t in reports.values()]
    result.board.generator = board_generator(votes, job.generator if job else None)
    cands = [Candidate(p, kinds[p], headers[p], None) for p in sorted(texts)]
    identify.first_pass(cands, job, result.board.generator, reports)
    _force(cands, roles)

    # Parse: copper with its area (the expensive part), the rest condensed only; drills later.
    gerbers = [c for c in cands if c.kind == "gerber"]
    areas = areas | COPPER_ONLY
    wants_area = {c.path: c.role is None or c.role.type in areas for c in gerbers}
    large = sum(len(texts[c.path]) for c in gerbers) >= GRID_MIN_BYTES
    layers = _read_all(
        [(c.path, texts[c.path], wants_area[c.path], _spans(c, spans)) for c in gerbers],
        cache,
        workers,
        progress,
        meanwhile=edges.try_load_grid if large else None,
    )
    for c in gerbers:
        c.data = layers[c.path]
    _read_drills(cands, texts, reports, layers, cache)

    board_bbox = _extent(c.data for c in cands if c.role is not None and c.role.type in ("outline", "copper"))
    identify.content_pass(cands, board_bbox)
    _force(cands, roles)
    # A file found to be copper (or another wanted type) only now still needs its area.
    late = [
        c
        for c in cands
        if c.role is not None
        and c.role.type in areas
        and c.data is not None
        and c.data.readable
        and not c.data.has_area
    ]
    if late:
        extra = _read_all(
            [(c.path, texts[c.path], True, _spans(c, spans)) for c in late],
            cache,
            workers,
            progress,
        )
        for c in late:
            c.data = extra[c.path]
            layers[c.path] = extra[c.path]

    ordered_copper = stackup.order_copper(cands)
    # Copper that stays clear of the outline layer's extent is measured while the board edge is
    # found, side by side; copper reaching it may have the edge plotted in (a drawing, taken out
    # first), and is measured once the edge is known. A film found with a plot after all comes
    # back from `_drop_edge_plots` unmeasured, and is measured again without it.
    early = _clear_of_the_edge(ordered_copper, _edge_layers(cands))
    finding = functools.partial(_find_edges, cands)
    measured, edge = _measure_copper(early, spans, _workers(workers), also=finding)
    assert edge is not None  # `also` was given
    _choose_outline(cands, result, edge)
    plotted = _drop_edge_plots(ordered_copper, result, _workers(workers))
    measured |= _measure_copper(ordered_copper, spans, _workers(workers))[0]
    for c in ordered_copper:
        if c.path in measured and c.path not in plotted and c.data is not None:
            cache.put(_measured_key(texts[c.path], _spans(c, spans)), c.data)
    for c in cands:
        if c.data is not None:
            result.problems.extend(c.data.problems)
            result.layers[c.path] = c.data
        if c.role is None:
            reason = "not understood: " + (
                "it could not be read"
                if c.data is not None and not c.data.readable
                else "no layer role could be established"
            )
            result.ignored.append(Skipped(c.path, reason))
            if c.data is not None and c.data.readable:
                result.problems.append(
                    Problem(
                        c.path,
                        "could not tell which layer this is; rename it after its "
                        "layer (e.g. top copper) or export with Gerber X2",
                        Severity.WARNING,
                        "unidentified",
                    )
                )
            continue
        units = c.data.stats.unit if c.data is not None and c.data.readable else None
        result.files.append(FileRole(c.path, c.role, c.evidence, c.kind, units))

    _board(result, cands, ordered_copper)
    _features(result, ordered_copper)
    drill_files = [
        (c.data, c.role.plating)
        for c in cands
        if c.role is not None and c.role.type == "drill" and c.data is not None and c.data.readable
    ]
    result.drills = drill_summary.summarise(drill_files)
    result.ignored.sort(key=lambda s: s.path)
    result.problems.sort(key=lambda p: (p.path or "", p.code))
    result.seconds = time.perf_counter() - started
    return result


def _force(cands: list[Candidate], roles: Mapping[str, Role] | None) -> None:
    """Roles the customer set win over all evidence; other files' evidence is read as usual."""
    for c in cands:
        role = (roles or {}).get(c.path)
        if role is None or (c.role == role and c.strength is Source.CUSTOMER):
            continue
        if c.kind == "excellon" and role.type != "drill":
            continue  # a drill program cannot be an image
        c.evidence = [e for e in c.evidence if e.source is not Source.CUSTOMER]
        c.role, c.strength = None, None
        c.set(role, Evidence(Source.CUSTOMER, "set by the customer"))
        c.evidence.insert(0, c.evidence.pop())  # the deciding evidence comes first


def _spans(c: Candidate, spans: float) -> float:
    """Widths and gaps are kept for copper, and for files whose role is not known yet."""
    return spans if c.role is None or c.role.type == "copper" else 0.0


Job = tuple[str, str, bool, float]  # path, text, with the area, spans kept under if it is copper


def _work(args: Job) -> LayerData:
    # Widths and gaps are measured later, on copper only and once any board edge plotted into
    # it is taken out (`_measure_copper`): the checks of other layers measure what they need.
    path, text, area, _ = args
    return read_layer(path, "gerber", text, area=area)


def _key(job: Job) -> str:
    _, text, area, _ = job
    return cache_key(text, area, measured=False)


def _measured_key(text: str, spans: float) -> str:
    return cache_key(text, True, spans, measured=True)


def _workers(workers: int | None) -> int:
    return workers if workers is not None else int(os.environ.get("FLYFAB_WORKERS", os.cpu_count() or 1))


def _read_all(
    jobs: list[Job],
    cache: LayerCache,
    workers: int | None,
    progress: Progress,
    meanwhile: Callable[[], None] | None = None,
) -> dict[str, LayerData]:
    """The layers parsed (in worker processes when there is enough to share); `meanwhile` runs
    here while the workers parse."""
    out: dict[str, LayerData] = {}
    todo = []
    for job in jobs:
        # A copper layer measured before comes back with its widths and gaps.
        hit = (cache.get(_measured_key(job[1], job[3])) if job[2] else None) or cache.get(_key(job))
        if hit is not None:
            hit.path = job[0]
            out[job[0]] = hit
        else:
            todo.append(job)
    total = len(jobs)
    progress("parse", len(out), total)
    n = _workers(workers)
    size = sum(len(job[1]) for job in todo)
    # A daemonic process (a task-queue worker's child) may not start processes of its own.
    if (
        n > 1
        and len(todo) > 1
        and size >= PARALLEL_MIN_BYTES
        and not multiprocessing.current_process().daemon
    ):
        # Largest first, so that two workers finish together: drawing the area costs about twice
        # the parse.
        todo.sort(key=lambda j: len(j[1]) * (1 + 2 * j[2]), reverse=True)
        context = multiprocessing.get_context(os.environ.get("FLYFAB_MP_START", "fork"))
        with ProcessPoolExecutor(max_workers=min(n, len(todo)), mp_context=context) as pool:
            parsed = pool.map(_work, todo)  # every job is handed out, the workers started, now
            if meanwhile is not None:
                meanwhile()
            for job, data in zip(todo, parsed, strict=True):
                out[job[0]] = data
                cache.put(_key(job), data)
                progress("parse", len(out), total)
    else:
        for job in todo:
            data = _work(job)
            out[job[0]] = data
            cache.put(_key(job), data)
            progress("parse", len(out), total)
    return out


def _read_drills(
    cands: list[Candidate],
    texts: dict[str, str],
    reports: dict[str, str],
    layers: dict[str, LayerData],
    cache: LayerCache,
) -> None:
    # Holes sit on copper pads; when no file is known to be copper yet, on anyone's flashes.
    pads = [
        c.data.flash_points
        for c in cands
        if c.data is not None and c.role is not None and c.role.type == "copper" and len(c.data.flash_points)
    ]
    if not pads:
        pads = [c.data.flash_points for c in cands if c.data is not None and len(c.data.flash_points)]
    pad_points = np.vstack(pads) if pads else np.zeros((0, 2))
    folders: dict[str, dict[str, str]] = {}
    for path, text in [*texts.items(), *reports.items()]:
        folders.setdefault(str(PurePosixPath(path).parent), {})[PurePosixPath(path).name.lower()] = text

    def reference(layer: Any) -> float:
        holes = [(o.x * _mm(o.unit), o.y * _mm(o.unit)) for o in layer.objects if hasattr(o, "x")]
        return coincidence(holes, pad_points)

    for c in cands:
        if c.kind != "excellon":
            continue
        text = texts[c.path]
        key = cache_key(text, False)
        data = cache.get(key)
        if data is None:
            siblings = folders.get(str(PurePosixPath(c.path).parent), {})
            data = read_layer(c.path, "excellon", text, siblings=siblings, reference=reference)
            if data.readable:
                cache.put(key, data)
        data.path = c.path
        c.data = data
        layers[c.path] = data


def _mm(unit: Any) -> float:
    return float(unit.convert_to("mm", 1.0)) if unit is not None else 1.0


def _extent(datas: Iterable[LayerData | None]) -> tuple[float, float, float, float] | None:
    boxes = [d.stats.bbox for d in datas if d is not None and d.stats.bbox is not None]
    if not boxes:
        return None
    a = np.array(boxes)
    return float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max())


def _copper_extent(cands: list[Candidate]) -> BaseGeometry | None:
    box = _extent(c.data for c in cands if c.role is not None and c.role.type == "copper")
    return shapely.box(*box) if box else None


def _copper_points(cands: list[Candidate]) -> np.ndarray[Any, Any]:
    """Points where the board's copper is: the pad centres, which only ever lie on the board; on a
    board with (almost) no pads, points along its traces and pours instead."""
    copper = [c.data for c in cands if c.role is not None and c.role.type == "copper" and c.data is not None]
    pads = [d.flash_points for d in copper if len(d.flash_points)]
    if sum(len(p) for p in pads) >= 20:
        return np.vstack(pads)
    pts = pads + [st.points[:: max(1, len(st.points) // 8)] for d in copper for st in d.strokes]
    return np.vstack(pts) if pts else np.zeros((0, 2))


def _fallback_kind(c: Candidate) -> int:
    return {"other": 0, "outline": 0, "silkscreen": 1, "copper": 2}.get(c.role.type if c.role else "other", 3)


@dataclass
class _EdgeFound:
    """What `_choose_outline` needs first: where the copper is, and each outline layer's contour."""

    points: np.ndarray[Any, Any]
    copper: BaseGeometry | None
    outlines: dict[str, Outline | None]


def _edge_layers(cands: list[Candidate]) -> list[Candidate]:
    return sorted(
        (c for c in cands if c.role is not None and c.role.type == "outline" and c.data is not None),
        key=identify.outline_rank,
    )


def _find_edges(cands: list[Candidate]) -> _EdgeFound:
    points = _copper_points(cands)
    copper = copper_core(points) or _copper_extent(cands)
    outlines = {}
    for c in _edge_layers(cands):
        assert c.data is not None
        outlines[c.path] = find_outline(c.data.strokes, copper, dedicated=True, copper_points=points)
    return _EdgeFound(points, copper, outlines)


# Copper ends at least this far inside the outline layer's drawn extent unless it may carry the
# board edge: a plotted edge reaches that extent but for half the difference of the two pens.
EDGE_CLEARANCE_MM = 0.2


def _clear_of_the_edge(copper: list[Candidate], edge_layers: list[Candidate]) -> list[Candidate]:
    frame = edge_layers[0].data.stats.bbox if edge_layers and edge_layers[0].data is not None else None
    if frame is None:
        return []
    out = []
    for c in copper:
        b = c.data.stats.bbox if c.data is not None else None
        if b is None:
            continue
        inside = (
            b[0] > frame[0] + EDGE_CLEARANCE_MM
            and b[1] > frame[1] + EDGE_CLEARANCE_MM
            and b[2] < frame[2] - EDGE_CLEARANCE_MM
            and b[3] < frame[3] - EDGE_CLEARANCE_MM
        )
        if inside:
            out.append(c)
    return out


def _choose_outline(cands: list[Candidate], result: Analysis, edge: _EdgeFound) -> None:
    """The board edge: the best outline layer; failing that, a closed contour in another layer.
    `edge`: the outline layers' contours, found already (`_find_edges`)."""
    points, copper = edge.points, edge.copper
    edge_layers = _edge_layers(cands)
    chosen: tuple[Candidate, Outline] | None = None
    for c in edge_layers:
        found = edge.outlines[c.path]
        if found is not None and chosen is None:
            chosen = (c, found)
        elif chosen is not None:
            c.role = Role("other", "none")
            c.evidence.append(
                Evidence(Source.CONTENT, f"a second board-edge layer; {chosen[0].path} is the outline")
            )
    if edge_layers and chosen is None:
        result.problems.append(
            Problem(
                edge_layers[0].path,
                "the outline layer holds no closed board contour",
                Severity.WARNING,
                "open-outline",
            )
        )
    board = result.board
    if chosen is not None:
        c, found = chosen
        board.outline_file = board.outline_source = c.path
        board.size_from = "outline"
        board.outline = found
        for note in found.notes:
            result.problems.append(Problem(c.path, note, Severity.WARNING, "outline-repaired"))
        return
    if copper is None:
        return
    # No usable outline layer: drawings first (fabrication, mechanical), then the films themselves,
    # where many tools plot the board edge as a thin rectangle.
    fallbacks = sorted(
        (
            c
            for c in cands
            if c.role is not None
            and c.data is not None
            and c.role.type in ("other", "outline", "copper", "silkscreen")
        ),
        key=_fallback_kind,
    )
    found_in: list[tuple[tuple[float, ...], Candidate, Outline]] = []
    for c in fallbacks:
        assert c.data is not None
        film = c.role is not None and c.role.type in ("copper", "silkscreen")
        found = find_outline(
            c.data.strokes,
            copper,
            dedicated=False,
            copper_points=points,
            max_gap=FILM_GAP_MM if film else SNAP_STEPS_MM[-1],
        )
        if found is not None:
            found_in.append((tuple(round(v / 0.05) * 0.05 for v in found.bounds), c, found))
    if found_in:
        # Tools that plot the board edge into their films plot it into many; the edge most films
        # agree on is the board. Then the smallest, since drawings add connector bodies and
        # frames that only ever make a contour larger; then drawings before films.
        votes: dict[tuple[float, ...], int] = {}
        for key, _, _ in found_in:
            votes[key] = votes.get(key, 0) + 1

        def rank(f: tuple[tuple[float, ...], Candidate, Outline]) -> tuple[int, float, int]:
            (x0, y0, x1, y1) = f[0]
            return (-votes[f[0]], round((x1 - x0) * (y1 - y0), 1), _fallback_kind(f[1]))

        _, c, found = min(found_in, key=rank)
        board.outline_source = c.path
        board.size_from = "drawing"
        board.outline = found
        agree = votes[min(found_in, key=rank)[0]]
        result.problems.append(
            Problem(
                None,
                f"no board outline file: the board edge was taken from the contour "
                f"drawn in {c.path}"
                + (f" (and {agree - 1} other layers)" if agree > 1 else "")
                + "; add an outline (edge cuts) layer",
                Severity.WARNING,
                "outline-from-drawing",
            )
        )
        return
    board.size_from = "copper"
    result.problems.append(
        Problem(
            None,
            "no board outline found: the size is the extent of the copper; add an outline (edge cuts) layer",
            Severity.WARNING,
            "no-outline",
        )
    )


def _drop_edge_plots(copper: list[Candidate], result: Analysis, workers: int) -> set[str]:
    """Take the board outline out of copper films that have it plotted in (see `edgeplot`), which
    leaves them unmeasured; returns the paths of those films."""
    if result.board.outline is None:
        return set()
    edge = shapely.boundary(result.board.outline.board)
    found: list[tuple[Candidate, LayerData, float]] = []
    for c in copper:
        if c.data is not None and c.data.islands is not None:
            pen = edgeplot.edge_pen(c.data, edge)
            if pen is not None:
                found.append((c, c.data, pen))
    cleaned = forks.in_forks(
        [functools.partial(edgeplot.without_edge_plot, data, edge, pen) for _, data, pen in found], workers
    )
    for (c, _, pen), data in zip(found, cleaned, strict=True):
        c.data = data
        result.problems.append(
            Problem(
                c.path,
                f"the board outline is drawn into this copper layer ({pen:.3g} mm line); it is a "
                "drawing, not copper, and was left out",
                Severity.WARNING,
                "outline-in-copper",
            )
        )
    return {c.path for c, _, _ in found}


def _measure_copper(
    copper: list[Candidate], spans: float, workers: int, also: Callable[[], T] | None = None
) -> tuple[set[str], T | None]:
    """Narrowest width and closest gap of every drawn copper layer not measured yet, side by side
    in forked workers, with `also` as one more job beside them; the paths measured, and what
    `also` returned."""
    todo = [
        (c, c.data)
        for c in copper
        if c.data is not None and c.data.islands is not None and c.data.features is None
    ]
    jobs: list[Callable[[], Any]] = [
        functools.partial(measure_layer, data, _spans(c, spans)) for c, data in todo
    ]
    costs = [float(shapely.get_num_coordinates(data.islands).sum()) for _, data in todo]
    if also is not None:
        jobs.append(also)
        costs.append(max(costs, default=1.0))  # about as long as the largest layer's: start early
    done = forks.in_forks(jobs, workers, costs=costs)
    for (c, data), features in zip(todo, done, strict=False):
        c.data = replace(data, features=features)
    return {c.path for c, _ in todo}, (done[-1] if also is not None else None)


def _board(result: Analysis, cands: list[Candidate], copper: list[Candidate]) -> None:
    board = result.board
    board.copper_layers = len(copper)
    board.stack = [(c.role.index or 0, c.path, c.role.side) for c in copper if c.role is not None]
    if board.outline is not None:
        o = board.outline
        board.width_mm, board.height_mm = round(o.width, 4), round(o.height, 4)
        board.area_mm2 = round(o.area, 3)
        board.bounds_mm = tuple(round(v, 4) for v in o.bounds)  # type: ignore[assignment]
    else:
        box = _extent(c.data for c in copper)
        if box:
            board.bounds_mm = box
            board.width_mm, board.height_mm = round(box[2] - box[0], 4), round(box[3] - box[1], 4)
            board.area_mm2 = round(board.width_mm * board.height_mm, 3)


def _features(result: Analysis, copper: list[Candidate]) -> None:
    board_area = result.board.area_mm2
    for c in copper:
        if c.data is None or c.role is None:
            continue
        f = c.data.features
        width = f.width if f else None
        gap = f.gap if f else None
        area = copper_area(c.data)
        result.features.append(
            CopperFeatures(
                path=c.path,
                index=c.role.index,
                side=c.role.side,
                min_trace_width_mm=round(width.value, 4) if width else None,
                min_trace_at=(round(width.x, 3), round(width.y, 3)) if width else None,
                min_gap_mm=round(gap.value, 4) if gap else None,
                min_gap_at=(round(gap.x, 3), round(gap.y, 3)) if gap else None,
                copper_area_mm2=round(area, 3),
                copper_fraction=round(min(1.0, area / board_area), 4) if board_area else None,
                islands=len(c.data.islands) if c.data.islands is not None else 0,
            )
        )
