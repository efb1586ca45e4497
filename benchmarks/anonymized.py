"""Identification by content alone, on the real corpus with every clue but the drawing removed.

Each corpus board is rewritten into a temporary folder: fabrication files renamed `file01.gbr`,
`file02.gbr`, ... (Excellon files `file07.drl`), X2 attributes, layer names and comments stripped,
reports, job files and everything else dropped. What identification then gets right is what the
drawings themselves say. Run: `python -m benchmarks.anonymized [--json]`.
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flyfab.cam.analyze import analyze
from flyfab.cam.cache import LayerCache
from flyfab.cam.sniff import Kind, sniff

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

_GERBER_CLUES = re.compile(r"G04[^*]*\*\s*|%(?:TF|TA|TO|TD|IN|LN)[^%]*%\s*")
# Comments go, except Allegro's tool table (";T01 Holesize 1. = 12.0 ..."), which is drill data.
_EXCELLON_CLUES = re.compile(r"^\s*;(?!T\d+\s+Holesize).*$\n?", re.M)


def strip(kind: Kind, text: str) -> str:
    if kind is Kind.GERBER:
        return _GERBER_CLUES.sub("", text)
    return _EXCELLON_CLUES.sub("", text)


@dataclass
class Score:
    files: int = 0
    type_right: int = 0
    side_right: int = 0

    def add(self, other: Score) -> None:
        self.files += other.files
        self.type_right += other.type_right
        self.side_right += other.side_right


def anonymise(board: str, out: Path, seed: int = 7) -> dict[str, str]:
    """Write the board's fabrication files, clueless, into `out`; returns {new name: original path}."""
    root = CORPUS / "boards" / board
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    rng = random.Random(f"{seed}-{board}")
    rng.shuffle(files)
    mapping: dict[str, str] = {}
    for n, path in enumerate(files, start=1):
        data = path.read_bytes()
        s = sniff(path.name, data)
        if s.kind not in (Kind.GERBER, Kind.EXCELLON):
            continue
        name = f"file{n:02d}." + ("drl" if s.kind is Kind.EXCELLON else "gbr")
        (out / name).write_text(strip(s.kind, s.text))
        mapping[name] = path.relative_to(root).as_posix()
    return mapping


def score(board: str, truth: dict[str, Any]) -> tuple[Score, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        mapping = anonymise(board, out)
        a = analyze(out, cache=LayerCache(None))
    s = Score()
    misses = []
    for name, original in mapping.items():
        expected = truth["files"].get(original)
        if expected is None or expected.get("uncertain"):
            continue
        got = a.role_of(name)
        s.files += 1
        type_ok = got is not None and got.type == expected["type"]
        side_ok = (
            type_ok and got is not None and (got.side == expected["side"] or expected["type"] == "other")
        )
        s.type_right += type_ok
        s.side_right += side_ok
        if not side_ok:
            shown = f"{got.type}/{got.side}" if got else "unidentified"
            misses.append(f"{board}/{original}: {shown}, expected {expected['type']}/{expected['side']}")
    return s, misses


def main() -> None:
    truth = json.loads((CORPUS / "truth.json").read_text())["boards"]
    total = Score()
    rows: list[dict[str, Any]] = []
    misses: list[str] = []
    for board in sorted(truth):
        s, missed = score(board, truth[board])
        total.add(s)
        misses += missed
        rows.append({"board": board, "files": s.files, "type": s.type_right, "type_and_side": s.side_right})
    result = {
        "files": total.files,
        "type_right": total.type_right,
        "type_and_side_right": total.side_right,
        "boards": rows,
        "misses": misses,
    }
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2))
        return
    for r in rows:
        n = r["files"]
        print(f"{r['board']:28s} {r['type']:3d}/{n:<3d} types  {r['type_and_side']:3d}/{n:<3d} sides")
    print(
        f"total: types {total.type_right}/{total.files} ({total.type_right / total.files:.0%}), "
        f"types and sides {total.side_right}/{total.files} ({total.side_right / total.files:.0%})"
    )
    for miss in misses:
        print("  miss:", miss)


if __name__ == "__main__":
    main()
