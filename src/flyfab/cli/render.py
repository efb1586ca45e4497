"""`flyfab render`: pictures of the board as it will come out, every layer, and the DFM findings."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from flyfab.cli.app import app, fail
from flyfab.cli.cam import (
    CacheOption,
    ProfileOption,
    ProfilesOption,
    UploadArgument,
    WorkersOption,
    analyse_and_check,
)
from flyfab.render import FINISHES, MASKS, RENDER_AREAS, SILKS, ColorError, RenderError, palette, render_board


@app.command("render")
def render_command(
    path: UploadArgument,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the pictures into.")],
    width: Annotated[int, typer.Option(help="Width of the PNG pictures in pixels.")] = 1200,
    mask: Annotated[str, typer.Option(help="Solder-mask colour: " + ", ".join(MASKS))] = "green",
    silk: Annotated[str, typer.Option(help="Silkscreen colour: " + ", ".join(SILKS))] = "white",
    finish: Annotated[str, typer.Option(help="Surface finish: " + ", ".join(FINISHES))] = "hasl",
    dfm: Annotated[bool, typer.Option(help="Also write the DFM findings marked on the pictures.")] = True,
    profile: ProfileOption = None,
    profiles: ProfilesOption = None,
    workers: WorkersOption = None,
    cache: CacheOption = True,
) -> None:
    """Write top and bottom views (SVG and PNG), a picture per layer and the DFM overlay."""
    try:
        colors = palette(mask, silk, finish)
    except ColorError as e:
        raise fail(str(e)) from None
    if not 16 <= width <= 20000:
        raise fail(f"--width {width} is out of range: choose 16 to 20000 pixels")
    result, report = analyse_and_check(path, workers, cache, profile, profiles, show=True, areas=RENDER_AREAS)
    started = time.perf_counter()
    try:
        written = render_board(result, out, width, colors, report if dfm else None)
    except (OSError, RenderError) as e:
        raise fail(f"cannot write the pictures to {out}: {e}") from None
    seconds = time.perf_counter() - started
    print(
        f"wrote {len(written.all)} files to {out} in {seconds:.2f} s "
        f"(analysis {result.seconds:.2f} s): {len(written.views) // 2} views, "
        f"{len(written.layers) // 2} layers, {len(written.overlays) // 2} DFM overlays"
    )
    if not written.views:
        raise fail("nothing to draw: the upload has no board outline and no copper", code=1)
