"""Orders as the platform or a planner hands them over: checked one by one, never all-or-nothing.

An order is `{id, board` (path to its fabrication files) or `width_mm, height_mm, quantity, due`
(ISO date), `params` (process parameters), optionally `group`}`. Each order that cannot be used is
reported with what is wrong and what to do; the others go on to pooling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from flyfab.pooling.model import Order, Process, Rejected

FINISHES = ("hasl", "lead-free-hasl", "enig", "osp", "immersion-silver", "immersion-tin", "hard-gold")
MASK_COLOURS = (
    "green",
    "red",
    "yellow",
    "blue",
    "white",
    "black",
    "purple",
    "matte-green",
    "matte-black",
    "none",
)
SILKSCREEN_COLOURS = ("white", "black", "yellow", "none")
MATERIALS = ("fr4", "fr4-high-tg", "aluminium", "rogers", "polyimide")
MAX_QUANTITY = 1_000_000
MAX_SIDE_MM = 10_000.0

# Spellings met in order files for the same parameter.
ALIASES = {
    "copper_layers": "layers",
    "thickness": "thickness_mm",
    "copper_weight_oz": "copper_oz",
    "outer_copper_oz": "copper_oz",
    "inner_copper_weight_oz": "inner_copper_oz",
    "surface_finish": "finish",
    "solder_mask": "mask",
    "mask_colour": "mask",
    "mask_color": "mask",
    "silkscreen_colour": "silkscreen",
    "silkscreen_color": "silkscreen",
    "klass": "class",
}
PARAMS = (
    "layers",
    "thickness_mm",
    "copper_oz",
    "inner_copper_oz",
    "finish",
    "mask",
    "silkscreen",
    "class",
    "material",
)


class OrderError(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _word(value: Any, key: str, allowed: tuple[str, ...] | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OrderError(f"params.{key} must be a word, not {value!r}", "bad-params")
    word = value.strip().lower().replace(" ", "-").replace("_", "-")
    if allowed is not None and word not in allowed:
        raise OrderError(f"params.{key} {value!r} is not one of {', '.join(allowed)}", "bad-params")
    return word


def _number(value: Any, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OrderError(f"params.{key} must be a number, not {value!r}", "bad-params")
    if not low <= value <= high:
        raise OrderError(f"params.{key} {value:g} is outside {low:g}–{high:g}", "bad-params")
    return float(value)


def parse_process(params: Any, defaults: Process) -> Process:
    """Process parameters, normalised (lower case, one spelling) and checked for consistency."""
    if params is None:
        return defaults
    if not isinstance(params, Mapping):
        raise OrderError(
            f"params must be an object of process parameters, not {type(params).__name__}", "bad-params"
        )
    given: dict[str, Any] = {}
    for raw, value in params.items():
        key = ALIASES.get(str(raw), str(raw))
        if key not in PARAMS:
            raise OrderError(
                f"params.{raw} is not a process parameter (known: {', '.join(PARAMS)}); "
                "a misspelt parameter could pool the board with the wrong process",
                "bad-params",
            )
        given[key] = value
    layers = given.get("layers", defaults.layers)
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1 or layers > 32:
        raise OrderError(
            f"params.layers must be a whole number of copper layers 1–32, not {layers!r}", "bad-params"
        )
    if layers > 2 and layers % 2:
        raise OrderError(
            f"params.layers {layers}: multilayer boards have an even number of layers", "bad-params"
        )
    inner = given.get("inner_copper_oz")
    if inner is not None:
        if layers <= 2:
            raise OrderError(
                f"params.inner_copper_oz is given but a {layers}-layer board has no inner layers; "
                "remove it or correct params.layers",
                "bad-params",
            )
        inner = _number(inner, "inner_copper_oz", 0.25, 4.0)
    elif layers > 2:
        inner = defaults.inner_copper_oz if defaults.inner_copper_oz is not None else 0.5
    thickness = _number(given.get("thickness_mm", defaults.thickness_mm), "thickness_mm", 0.2, 6.0)
    if layers >= 6 and thickness < 0.6:
        raise OrderError(
            f"params.thickness_mm {thickness:g} is too thin for {layers} layers (at least 0.6 mm)",
            "bad-params",
        )
    klass = given.get("class", defaults.klass)
    return Process(
        layers=layers,
        thickness_mm=round(thickness, 3),
        copper_oz=round(_number(given.get("copper_oz", defaults.copper_oz), "copper_oz", 0.25, 6.0), 3),
        inner_copper_oz=None if inner is None else round(float(inner), 3),
        finish=_word(given.get("finish", defaults.finish), "finish", FINISHES),
        mask=_word(given.get("mask", defaults.mask), "mask", MASK_COLOURS),
        silkscreen=_word(given.get("silkscreen", defaults.silkscreen), "silkscreen", SILKSCREEN_COLOURS),
        klass=_word(klass, "class", None),
        material=_word(given.get("material", defaults.material), "material", MATERIALS),
    )


def _size(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OrderError(f"{key} must be a number of millimetres, not {value!r}", "bad-size")
    if value <= 0:
        raise OrderError(f"{key} is {value:g}: a board needs a positive size", "bad-size")
    if value > MAX_SIDE_MM:
        raise OrderError(f"{key} {value:g} mm is not a board size (over {MAX_SIDE_MM:g} mm)", "bad-size")
    return float(value)


def parse_order(
    raw: Any, index: int, today: date, defaults: Process, base: Path | None = None
) -> Order | Rejected:
    """One order from its JSON object; a `Rejected` saying why when it cannot be pooled. Sizes are
    left at 0 when the order names a board: they are read from its files later."""
    if not isinstance(raw, Mapping):
        return Rejected(
            f"#{index + 1}", f"order #{index + 1} is not an object but {type(raw).__name__}", "bad-order"
        )
    oid = raw.get("id")
    if isinstance(oid, bool) or not isinstance(oid, str | int) or str(oid).strip() == "":
        return Rejected(
            f"#{index + 1}", f'order #{index + 1} has no id: give each order an "id"', "bad-order"
        )
    order_id = str(oid).strip()
    try:
        board: Path | None = None
        width = height = 0.0
        if raw.get("board") is not None:
            if not isinstance(raw["board"], str) or not raw["board"].strip():
                raise OrderError(
                    "board must be the path of the fabrication files (a zip or folder)", "bad-board"
                )
            board = Path(raw["board"])
            if base is not None and not board.is_absolute():
                board = base / board
        elif "width_mm" in raw or "height_mm" in raw:
            width = _size(raw.get("width_mm"), "width_mm")
            height = _size(raw.get("height_mm"), "height_mm")
        else:
            raise OrderError(
                "give either board (the fabrication files) or width_mm and height_mm", "bad-size"
            )
        quantity = raw.get("quantity")
        if isinstance(quantity, float) and quantity.is_integer():
            quantity = int(quantity)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise OrderError(f"quantity must be a whole number of boards, not {quantity!r}", "bad-quantity")
        if quantity <= 0:
            raise OrderError(f"quantity is {quantity}: order at least one board", "bad-quantity")
        if quantity > MAX_QUANTITY:
            raise OrderError(
                f"quantity {quantity:,} is beyond pooling (at most {MAX_QUANTITY:,}); "
                "such volumes get dedicated panels",
                "bad-quantity",
            )
        due_raw = raw.get("due")
        try:
            due = date.fromisoformat(str(due_raw)) if isinstance(due_raw, str) else None
        except ValueError:
            due = None
        if due is None:
            raise OrderError(f"due must be an ISO date like 2026-12-24, not {due_raw!r}", "bad-due")
        if due < today:
            raise OrderError(
                f"due date {due.isoformat()} is already past (today is {today.isoformat()}); "
                "agree a new date with the customer and correct it",
                "past-due",
            )
        process = parse_process(raw.get("params"), defaults)
        group = raw.get("group")
        if group is not None and (not isinstance(group, str | int) or isinstance(group, bool)):
            raise OrderError(f"group must be a name, not {group!r}", "bad-order")
    except OrderError as e:
        return Rejected(order_id, str(e), e.code)
    return Order(
        order_id, width, height, quantity, due, process, board, None if group is None else str(group), index
    )


def check_groups(orders: list[Order]) -> tuple[list[Order], list[Rejected]]:
    """Orders naming the same group promise to share panels, so their process parameters must match:
    the parameters most of the group's orders have (the earliest order's on a tie) are the group's;
    an order with other parameters is reported, naming the parameters that differ."""
    by_group: dict[str, list[Order]] = {}
    for o in orders:
        if o.group is not None:
            by_group.setdefault(o.group, []).append(o)
    rejected: list[Rejected] = []
    bad: set[int] = set()
    for name, members in by_group.items():
        counts: dict[Process, int] = {}
        for o in members:
            counts[o.process] = counts.get(o.process, 0) + 1
        common = max(counts, key=lambda p: (counts[p], -min(o.index for o in members if o.process == p)))
        for o in members:
            if o.process != common:
                mine, theirs = o.process.as_dict(), common.as_dict()
                diff = ", ".join(f"{k} {mine[k]} (group: {theirs[k]})" for k in mine if mine[k] != theirs[k])
                rejected.append(
                    Rejected(
                        o.id,
                        f"its process parameters differ from group {name!r}: {diff}; boards of one group "
                        "share a panel, so correct the parameters or take it out of the group",
                        "group-mismatch",
                    )
                )
                bad.add(o.index)
    return [o for o in orders if o.index not in bad], rejected
