"""DFM and rendering on every corpus board: time against the number of drawn primitives.

For each board, in a fresh process with the layer cache off: the analysis as `flyfab dfm` and
`flyfab render` run it (copper, mask, silkscreen and paste areas; copper spans kept under DFM's
strictest limit), then the DFM checks, then every picture (top, bottom, each layer, the DFM
overlays, SVG and PNG at 1200 px). Primitives are the graphic objects of all Gerber files (flashes,
lines, arcs, regions) plus drill hits. Default workers (the core count).

Run: `python -m benchmarks.dfm_corpus [--boards a,b] [--plot docs/dfm-scaling.png] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ENV = {**os.environ, "FLYFAB_CACHE_DIR": "off"}


def _measure(board: str) -> dict[str, Any]:
    from flyfab.cam.analyze import analyze
    from flyfab.cam.cache import LayerCache
    from flyfab.dfm import check, copper_limit, load_profiles
    from flyfab.render import RENDER_AREAS, render_board

    profiles = load_profiles()
    started = time.perf_counter()
    a = analyze(
        CORPUS / "boards" / board,
        cache=LayerCache(None),
        areas=RENDER_AREAS,
        spans=copper_limit(profiles),
    )
    analysed = time.perf_counter()
    report = check(a, profiles)
    checked = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        written = render_board(a, Path(out), 1200, None, report)
    drawn = time.perf_counter()
    primitives = sum(d.stats.objects for d in a.layers.values())
    return {
        "board": board,
        "copper_layers": a.board.copper_layers,
        "primitives": primitives,
        "analyze_s": round(analysed - started, 3),
        "dfm_s": round(checked - analysed, 3),
        "render_s": round(drawn - checked, 3),
        "pictures": len(written.all),
        "findings": len(report.findings),
    }


def _child(board: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.dfm_corpus", "--one", board],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{board}: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    x = [r["primitives"] for r in rows]
    for key, label, mark in (
        ("dfm_s", "DFM checks", "o"),
        ("render_s", "pictures", "s"),
        ("analyze_s", "analysis", "^"),
    ):
        ax.scatter(x, [r[key] for r in rows], label=label, marker=mark, s=22)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("primitives drawn (flashes, lines, arcs, regions, drill hits)")
    ax.set_ylabel("seconds")
    ax.set_title("Corpus boards: time against size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boards")
    parser.add_argument("--one")
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_measure(args.one)))
        return
    boards = args.boards.split(",") if args.boards else sorted(p.name for p in (CORPUS / "boards").iterdir())
    rows = []
    for board in boards:
        row = _child(board)
        rows.append(row)
        if not args.json:
            print(
                f"{board:28s} {row['copper_layers']:3d} cu {row['primitives']:8d} prims  "
                f"analyze {row['analyze_s']:7.2f} s  dfm {row['dfm_s']:6.2f} s  "
                f"render {row['render_s']:6.2f} s ({row['pictures']} files)",
                flush=True,
            )
    if args.plot:
        _plot(rows, args.plot)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
