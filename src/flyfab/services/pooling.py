"""Use case: pool approved orders onto production panels and make the panels' production data.

The platform calls `pool_orders` with orders (domain objects, read from its database or from order
files by `read_orders`) and the factory's pooling settings; it gets back the panels and every order
that could not be pooled, with the reason. `write_panel_files` then writes each panel's production
data, pictures and traveller into a folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flyfab.pooling.boards import BoardError, BoardFiles, read_board
from flyfab.pooling.model import Order, Rejected
from flyfab.pooling.orders import check_groups, parse_order
from flyfab.pooling.pool import PoolResult, pool
from flyfab.pooling.production import panel_data, write_panel_data
from flyfab.pooling.settings import PoolSettings

Progress = Callable[[str, int, int], None]


@dataclass
class Pooled:
    result: PoolResult
    orders: list[Order]  # the orders that went into pooling (sizes known)
    rejected: list[Rejected] = field(default_factory=list)  # before pooling: bad orders, unreadable boards
    boards: dict[str, BoardFiles] = field(default_factory=dict)  # order id -> its fabrication files

    @property
    def unplaced(self) -> list[Rejected]:
        return [*self.rejected, *self.result.rejected]


def read_orders(
    raw: Iterable[tuple[Any, Path | None]], today: date, settings: PoolSettings
) -> tuple[list[Order], list[Rejected]]:
    """Orders from their JSON objects (each with the folder its relative board path is taken from);
    every order checked on its own, duplicates of an id refused."""
    orders: list[Order] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for index, (item, base) in enumerate(raw):
        parsed = parse_order(item, index, today, settings.defaults, base)
        if isinstance(parsed, Rejected):
            rejected.append(parsed)
        elif parsed.id in seen:
            rejected.append(
                Rejected(parsed.id, f"order id {parsed.id} appears more than once: this one is not pooled; "
                         "give every order its own id", "duplicate-id")
            )  # fmt: skip
        else:
            seen.add(parsed.id)
            orders.append(parsed)
    kept, mismatched = check_groups(orders)
    return kept, rejected + mismatched


def pool_orders(
    orders: list[Order],
    settings: PoolSettings,
    time_limit: float = 10.0,
    seed: int = 0,
    progress: Progress | None = None,
    board_reader: Callable[[Path], BoardFiles] = read_board,
) -> Pooled:
    """Measure boards given by their files, then pool everything that can be."""
    rejected: list[Rejected] = []
    ready: list[Order] = []
    boards: dict[str, BoardFiles] = {}
    with_files = [o for o in orders if o.board is not None]
    for o in orders:
        if o.board is None:
            ready.append(o)
            continue
        try:
            board = board_reader(o.board)
        except BoardError as e:
            rejected.append(Rejected(o.id, str(e), "unreadable-board"))
            continue
        if board.copper_layers and board.copper_layers != o.process.layers:
            rejected.append(
                Rejected(
                    o.id,
                    f"params.layers is {o.process.layers} but the board's files have {board.copper_layers} "
                    "copper layers; correct the order's parameters",
                    "bad-params",
                )
            )
            continue
        o.width_mm, o.height_mm = board.width_mm, board.height_mm
        boards[o.id] = board
        ready.append(o)
        if progress is not None:
            progress("reading boards", len(boards), len(with_files))

    def nesting_progress(done: int, total: int) -> None:
        if progress is not None:
            progress("nesting", done, total)

    result = pool(ready, settings, time_limit=time_limit, seed=seed, progress=nesting_progress)
    return Pooled(result, ready, rejected, boards)


def write_panel_files(pooled: Pooled, folder: Path, progress: Progress | None = None) -> dict[str, list[str]]:
    """Each panel's production data (Gerber X2 + Excellon), layout picture (SVG, PNG) and traveller
    (HTML) in folder/<panel id>/; returns the files written per panel, relative to `folder`."""
    from flyfab.pooling.pictures import png_bytes, traveller, write_pictures  # matplotlib loads slowly

    quantities = {o.id: o.quantity for o in pooled.orders}
    dues = {o.id: o.due.isoformat() for o in pooled.orders}
    written: dict[str, list[str]] = {}
    panels = pooled.result.panels
    for n, panel in enumerate(panels):
        where = folder / panel.id
        data = panel_data(panel, {o: pooled.boards.get(o) for o in panel.orders()})
        panel.notes += [note for note in data.notes if note not in panel.notes]
        files = write_panel_data(panel, data, where)
        files += write_pictures(panel, where)
        sheet = where / f"{panel.id}-traveller.html"
        sheet.write_text(traveller(panel, quantities, dues, png_bytes(panel)), encoding="utf-8")
        files.append(sheet)
        written[panel.id] = [str(f.relative_to(folder)) for f in files]
        if progress is not None:
            progress("writing panels", n + 1, len(panels))
    return written
