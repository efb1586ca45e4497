"""Layer identification on the corpus: flyfab beside gerbonara's `LayerStack` naming table.

gerbonara (the library flyfab parses with) identifies a board's layers in `LayerStack.open`: its
per-CAD-tool file-name rules (`MATCH_RULES`), its fallback name guesser, and a few header checks.
Both are scored against ../shared/corpus/truth.json on every file the answer key is sure of: right
when type and side match (inner copper counts as side `inner`; a file the tool leaves unmapped
counts as `other`). When gerbonara refuses a board (ambiguous names, too few layers), every file of
that board counts as missed, which is what a user of it gets.

Run: `python -m benchmarks.naming_vs_gerbonara [--json]`.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

Roles = dict[str, tuple[str, str]]  # path relative to the board -> (type, side)

_GERBONARA_USE = {
    "copper": "copper",
    "silk": "silkscreen",
    "mask": "soldermask",
    "paste": "solderpaste",
    "outline": "outline",
}


def gerbonara_roles(board: Path) -> tuple[Roles, str | None]:
    """What gerbonara's LayerStack makes of a board folder, or the reason it refused it."""
    from gerbonara import LayerStack

    try:
        with warnings.catch_warnings(), redirect_stdout(StringIO()):
            warnings.simplefilter("ignore")
            try:
                stack = LayerStack.open(board, lazy=True)
            except AttributeError:
                # Its Allegro drill-scale matching needs parsed layers; lazy loading cannot do it.
                stack = LayerStack.open(board, lazy=False)
    except Exception as err:  # gerbonara raises ValueError/SystemError/others when it gives up
        return {}, f"{type(err).__name__}: {err}"[:120]
    roles: Roles = {}
    for (side, use), layer in stack.graphic_layers.items():
        path = getattr(layer, "original_path", None)
        if path is None:
            continue
        kind = _GERBONARA_USE.get(use, "other")
        if kind == "outline":
            where = "all"
        elif side.startswith("inner"):
            where = "inner"
        else:
            where = side if side in ("top", "bottom") else "none"
        roles[Path(path).relative_to(board).as_posix()] = (kind, where)
    for layer in [stack.drill_pth, stack.drill_npth, *stack._drill_layers]:
        path = getattr(layer, "original_path", None)
        if path is not None:
            roles[Path(path).relative_to(board).as_posix()] = ("drill", "all")
    return roles, None


def flyfab_roles(board: Path) -> Roles:
    from flyfab.cam.analyze import analyze
    from flyfab.cam.cache import LayerCache

    a = analyze(board, cache=LayerCache(None))
    return {f.path: (f.role.type, f.role.side) for f in a.files}


@dataclass
class BoardScore:
    board: str
    files: int = 0
    flyfab: int = 0
    gerbonara: int = 0
    gerbonara_refused: str | None = None
    gerbonara_misses: list[str] = field(default_factory=list)
    flyfab_misses: list[str] = field(default_factory=list)


def _right(got: tuple[str, str] | None, expected: dict[str, Any]) -> bool:
    kind, side = got if got is not None else ("other", "none")
    if kind != expected["type"]:
        return False
    return kind == "other" or side == expected["side"]


def score_board(
    board: str, truth: dict[str, Any], ours: Callable[[Path], Roles] = flyfab_roles
) -> BoardScore:
    root = CORPUS / "boards" / board
    theirs, refused = gerbonara_roles(root)
    mine = ours(root)
    s = BoardScore(board, gerbonara_refused=refused)
    for path, expected in truth["files"].items():
        if expected.get("uncertain"):
            continue
        s.files += 1
        for name, roles, misses in (
            ("flyfab", mine, s.flyfab_misses),
            ("gerbonara", theirs, s.gerbonara_misses),
        ):
            if _right(roles.get(path), expected):
                setattr(s, name, getattr(s, name) + 1)
            else:
                misses.append(f"{path}: {roles.get(path)} expected ({expected['type']}, {expected['side']})")
    return s


def main() -> None:
    truth = json.loads((CORPUS / "truth.json").read_text())["boards"]
    scores = [score_board(b, truth[b]) for b in sorted(truth)]
    files = sum(s.files for s in scores)
    ours = sum(s.flyfab for s in scores)
    theirs = sum(s.gerbonara for s in scores)
    if "--json" in sys.argv:
        print(
            json.dumps(
                {"files": files, "flyfab": ours, "gerbonara": theirs, "boards": [vars(s) for s in scores]},
                indent=2,
            )
        )
        return
    for s in scores:
        note = f"  gerbonara refused: {s.gerbonara_refused}" if s.gerbonara_refused else ""
        print(
            f"{s.board:28s} flyfab {s.flyfab:3d}/{s.files:<3d} gerbonara {s.gerbonara:3d}/{s.files:<3d}{note}"
        )
    share = f"flyfab {ours}/{files} ({ours / files:.0%}), gerbonara {theirs}/{files} ({theirs / files:.0%})"
    print("total:", share)


if __name__ == "__main__":
    main()
