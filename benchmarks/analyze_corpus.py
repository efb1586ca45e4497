"""Time and memory of `flyfab analyze` on every corpus board, beside gerbonara's parsing alone.

For each board, in fresh processes so that nothing is warm:
- `floor`: gerbonara parsing every Gerber and Excellon file of the board, one after another, and
  nothing else (no identification, drawing or measuring) -- the cost any gerbonara-based tool pays;
- `analyze`: `flyfab.cam.analyze.analyze` in-process with the layer cache off, default workers
  (FLYFAB_WORKERS or the core count), excluding interpreter start and imports;
- `cli`: wall time of `python -m flyfab analyze --json BOARD` as a customer runs it, imports included;
- peak resident memory of the analysing process (VmHWM) and of its largest worker (forked, so
  pages shared with the parent count in both).

Run: `python -m benchmarks.analyze_corpus [--boards a,b] [--repeat N] [--json]`. The median of N
repeats is reported; the machine is shared and noisy, so compare the ratios, not the seconds.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "FLYFAB_CACHE_DIR": "off"}


def _floor(board: Path) -> dict[str, Any]:
    from gerbonara import ExcellonFile, GerberFile

    from flyfab.cam.sniff import Kind, sniff

    texts = []
    for path in sorted(board.rglob("*")):
        if path.is_file():
            s = sniff(path.name, path.read_bytes())
            if s.kind in (Kind.GERBER, Kind.EXCELLON):
                texts.append((s.kind, s.text))
    started = time.perf_counter()
    failed = 0
    for kind, text in texts:
        try:
            if kind is Kind.GERBER:
                GerberFile.from_string(text)
            else:
                ExcellonFile.from_string(text)
        except Exception:  # gerbonara refuses some corpus files; the floor counts the attempt
            failed += 1
    return {"floor_s": time.perf_counter() - started, "files": len(texts), "gerbonara_failed": failed}


def _analyze(board: Path) -> dict[str, Any]:
    from flyfab.cam.analyze import analyze
    from flyfab.cam.cache import LayerCache

    started = time.perf_counter()
    a = analyze(board, cache=LayerCache(None))
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent's image.
    status = Path("/proc/self/status").read_text()
    own = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "analyze_s": seconds,
        "peak_mb": own,
        "worker_peak_mb": workers,
        "copper_layers": a.board.copper_layers,
    }


def _child(what: str, board: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.analyze_corpus", f"--{what}", board],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _cli(board: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flyfab", "analyze", "--json", str(CORPUS / "boards" / board)],
        capture_output=True,
        cwd=ROOT,
        env=ENV,
        check=False,
    )
    return time.perf_counter() - started


def measure(board: str, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        row = {**_child("floor", board), **_child("analyze", board), "cli_s": _cli(board)}
        runs.append(row)
    out: dict[str, Any] = {"board": board}
    for key, value in runs[0].items():
        out[key] = statistics.median(r[key] for r in runs) if isinstance(value, float) else value
    out["ratio"] = out["analyze_s"] / out["floor_s"]
    return out


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] in ("--floor", "--analyze"):
        folder = CORPUS / "boards" / args[1]
        print(json.dumps(_floor(folder) if args[0] == "--floor" else _analyze(folder)))
        return
    boards = sorted(p.name for p in (CORPUS / "boards").iterdir() if p.is_dir())
    if "--boards" in args:
        boards = args[args.index("--boards") + 1].split(",")
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 1
    rows = []
    for board in boards:
        row = measure(board, repeat)
        rows.append(row)
        if "--json" not in args:
            print(
                f"{board:28s} {row['copper_layers']!s:>3} cu  analyze {row['analyze_s']:6.2f} s  "
                f"gerbonara parse {row['floor_s']:6.2f} s  ratio {row['ratio']:4.2f}  "
                f"cli {row['cli_s']:6.2f} s  peak {row['peak_mb']:5.0f} MB "
                f"(worker {row['worker_peak_mb']:5.0f} MB)",
                flush=True,
            )
    if "--json" in args:
        print(json.dumps({"cpus": os.cpu_count(), "repeat": repeat, "boards": rows}, indent=2))


if __name__ == "__main__":
    main()
