"""Candidate edge pairs: GEOS's STRtree against the compiled grid, as a long-lived worker sees them.

In one process (the grid's code loaded once, as the platform's task workers do when they start), the
board is analysed alternately with each, after a warm-up run: wall time of `analyze` (2 workers,
plain and as `flyfab dfm` runs it), and every copper layer's widths and gaps checked identical.

Run: `python -m benchmarks.edge_pairs [--board NAME] [--repeat N]`. Results go to docs/benchmarks.md,
section "`flyfab analyze`".
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from flyfab.cam import edges
from flyfab.cam.analyze import Analysis, analyze
from flyfab.cam.cache import LayerCache
from flyfab.dfm import copper_limit, load_profiles
from flyfab.render import RENDER_AREAS

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def _features(a: Analysis) -> list[tuple[object, ...]]:
    return [(f.path, f.min_trace_width_mm, f.min_gap_mm) for f in a.features]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--board", default="gb-altium-composite-drill")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    board = CORPUS / "boards" / args.board
    profiles = load_profiles()
    modes = {"analyze": {}, "dfm": {"areas": RENDER_AREAS, "spans": copper_limit(profiles)}}
    started = time.perf_counter()
    edges.load_grid()
    print(f"grid loaded in {time.perf_counter() - started:.2f} s")
    for mode, kwargs in modes.items():
        times: dict[str, list[float]] = {"strtree": [], "grid": []}
        seen: dict[str, list[tuple[object, ...]]] = {}
        analyze(board, cache=LayerCache(None), **kwargs)  # type: ignore[arg-type]  # warm-up
        for _ in range(args.repeat):
            for way in ("strtree", "grid"):
                if way == "grid":
                    edges.load_grid()
                else:
                    edges.unload_grid()
                t = time.perf_counter()
                a = analyze(board, cache=LayerCache(None), **kwargs)  # type: ignore[arg-type]
                times[way].append(time.perf_counter() - t)
                seen.setdefault(way, _features(a))
        same = seen["strtree"] == seen["grid"]
        print(
            f"{args.board} {mode}: STRtree {' '.join(f'{t:.2f}' for t in times['strtree'])} s, "
            f"grid {' '.join(f'{t:.2f}' for t in times['grid'])} s, median ratio "
            f"{statistics.median(times['grid']) / statistics.median(times['strtree']):.3f}, "
            f"widths and gaps {'identical' if same else 'DIFFERENT'}"
        )


if __name__ == "__main__":
    main()
