"""The colours a board comes out in: solder mask, silkscreen, surface finish, bare laminate.

The names are the ones customers choose when ordering (see the price book's options); the shades
approximate photographs of boards from the large online fabs.
"""

from __future__ import annotations

from dataclasses import dataclass

MASKS = {
    "green": "#1d6b3a",
    "red": "#a3201c",
    "yellow": "#d9b526",
    "blue": "#1f3f8f",
    "white": "#ececec",
    "black": "#151515",
    "purple": "#5a2a82",
    "matte-black": "#222222",
    "matte-green": "#2f5e3a",
}
SILKS = {"white": "#f4f4f4", "black": "#101010", "yellow": "#f0d23a"}
FINISHES = {
    "hasl": "#c9cdd2",
    "lead-free-hasl": "#c9cdd2",
    "enig": "#d9b45a",
    "osp": "#d08a4c",
    "immersion-silver": "#dfe3e6",
    "immersion-tin": "#cfd3d6",
    "hard-gold": "#e0ba50",
}
SUBSTRATE = "#c9b37e"  # FR-4 seen through no mask


def _mix(a: str, b: str, t: float) -> str:
    """Colour a blended towards b by t."""
    pa = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    pb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(pa, pb, strict=True))


@dataclass(frozen=True)
class Palette:
    mask: str
    mask_over_copper: str
    silk: str
    finish: str
    substrate: str = SUBSTRATE


class ColorError(ValueError):
    pass


def _pick(kind: str, table: dict[str, str], name: str) -> str:
    if name not in table:
        raise ColorError(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}")
    return table[name]


def palette(mask: str = "green", silk: str = "white", finish: str = "hasl") -> Palette:
    """The colours of one order's options; raises ColorError naming the choices for an unknown one."""
    m = _pick("solder-mask colour", MASKS, mask)
    # Copper under the mask shows through as a lighter shade of the mask (a darker one on white).
    light = _mix(m, "#000000", 0.12) if mask == "white" else _mix(m, "#ffffff", 0.22)
    return Palette(
        m, light, _pick("silkscreen colour", SILKS, silk), _pick("surface finish", FINISHES, finish)
    )
