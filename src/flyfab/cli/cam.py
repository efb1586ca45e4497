"""The fabrication-data commands: `analyze`, `dfm` and `example`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from flyfab.cam.analyze import Analysis, analyze
from flyfab.cam.cache import LayerCache, default_cache
from flyfab.cam.intake import IntakeError, IntakeLimits
from flyfab.cam.model import Severity
from flyfab.cam.report import to_json
from flyfab.cam.synth import NAMINGS, example_board
from flyfab.cli.app import app, fail, progress_bar
from flyfab.cli.report_text import print_analysis, print_dfm
from flyfab.dfm import DFM_AREAS, ProfileError, Profiles, check, copper_limit, load_profiles
from flyfab.dfm.checks import DfmReport
from flyfab.dfm.report import dfm_json

# Options that `analyze` and `dfm` share.
UploadArgument = Annotated[Path, typer.Argument(help="The upload: a .zip, a .tar.gz/.tgz, or a folder.")]
WorkersOption = Annotated[
    int | None, typer.Option(help="Processes for parsing (default: the number of cores).")
]
CacheOption = Annotated[bool, typer.Option(help="Reuse parsed layers cached from earlier runs.")]
ProfileOption = Annotated[
    str | None, typer.Option(help="Capability class to check against (default: the plainest).")
]
ProfilesOption = Annotated[
    Path | None, typer.Option(help="Capability profiles file (default: the shipped one).")
]


@app.command("analyze")
def analyze_command(
    path: UploadArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the analysis as JSON (schema flyfab.analysis/1).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write analysis.json into this folder.")
    ] = None,
    workers: WorkersOption = None,
    cache: CacheOption = True,
    profile: ProfileOption = None,
    profiles: ProfilesOption = None,
) -> None:
    """Tell what an upload of fabrication files holds: layers, board, drills, finest features,
    manufacturability findings, problems."""
    result, report = analyse_and_check(path, workers, cache, profile, profiles, show=not as_json)
    document = to_json(result)
    document["dfm"] = dfm_json(report)
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "analysis.json").write_text(json.dumps(document, indent=2) + "\n")
        except OSError as e:
            raise fail(f"cannot write to {out}: {e.strerror}") from None
    if as_json:
        print(json.dumps(document, indent=2))
    else:
        print_analysis(result, Console())
        print_dfm(report, Console())
    if any(p.severity is Severity.ERROR for p in result.problems):
        raise typer.Exit(1)


def analyse_and_check(
    path: Path,
    workers: int | None,
    cache: bool,
    profile: str | None,
    profiles_file: Path | None,
    show: bool,
    areas: frozenset[str] = DFM_AREAS,
) -> tuple[Analysis, DfmReport]:
    """Analyse an upload and check it, or exit with a clear message and code 2."""
    if not path.exists():
        raise fail(f"{path} does not exist: give the .zip, .tar.gz or folder of the fabrication files")
    if workers is not None and workers < 1:
        raise fail("--workers must be at least 1")
    try:
        classes: Profiles = load_profiles(profiles_file)
        if profile is not None:
            classes.get(profile)
    except ProfileError as e:
        raise fail(str(e)) from None
    try:
        limits = IntakeLimits.from_env()
        layer_cache = default_cache() if cache else LayerCache(None)
        spans = copper_limit(classes)
        result = _run(path, limits, layer_cache, workers, areas, spans, show=show and sys.stderr.isatty())
    except IntakeError as e:
        raise fail(str(e)) from None
    return result, check(result, classes, profile)


@app.command("dfm")
def dfm_command(
    path: UploadArgument,
    profile: ProfileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    profiles: ProfilesOption = None,
    workers: WorkersOption = None,
    cache: CacheOption = True,
) -> None:
    """Check whether the factory can build the board: findings with locations and the lowest class.

    Exit code 0 when some class can build it, 1 when none can, 2 when the input cannot be read."""
    result, report = analyse_and_check(path, workers, cache, profile, profiles, show=not as_json)
    if as_json:
        print(json.dumps({"schema": "flyfab.dfm/1", "upload": result.name, **dfm_json(report)}, indent=2))
    else:
        print_dfm(report, Console())
    if report.min_class is None:
        raise typer.Exit(1)


def _run(
    path: Path,
    limits: IntakeLimits,
    cache: LayerCache,
    workers: int | None,
    areas: frozenset[str],
    spans: float,
    show: bool,
) -> Analysis:
    if not show:
        return analyze(path, limits=limits, cache=cache, workers=workers, areas=areas, spans=spans)
    with progress_bar() as bar:
        task = bar.add_task("reading layers", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return analyze(
            path, limits=limits, cache=cache, workers=workers, progress=progress, areas=areas, spans=spans
        )


@app.command("example")
def example_command(
    out: Annotated[Path, typer.Argument(help="Where to write the example board (.zip).")] = Path(
        "example-board.zip"
    ),
    units: Annotated[str, typer.Option(help="Units written into the files: mm or inch.")] = "mm",
    naming: Annotated[str, typer.Option(help="File-naming convention: " + ", ".join(NAMINGS))] = "kicad",
    x2: Annotated[bool, typer.Option(help="Write Gerber X2 attributes.")] = True,
) -> None:
    """Write a small, realistic 2-layer example board that flyfab generates itself."""
    if units not in ("mm", "inch"):
        raise fail(f"--units must be mm or inch, not {units!r}")
    if naming not in NAMINGS:
        raise fail(f"--naming must be one of {', '.join(NAMINGS)}, not {naming!r}")
    try:
        roles = example_board(units=units).write_zip(out, naming=naming, x2=x2)  # type: ignore[arg-type]
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    print(f"wrote {out} ({len(roles)} files)")
