"""Gerber X2 `.FileFunction` values (specification 2023.08, section 5.6.3) as layer roles."""

from __future__ import annotations

import re

from flyfab.cam.model import Role, Side

_SIDES: dict[str, Side] = {"top": "top", "bot": "bottom", "inr": "inner"}
_OTHER_FUNCTIONS = {
    "assemblydrawing",
    "fabricationdrawing",
    "arraydrawing",
    "otherdrawing",
    "drillmap",
    "component",
    "keep-out",
    "pads",
    "glue",
    "carbonmask",
    "goldmask",
    "heatsinkmask",
    "peelablemask",
    "silvermask",
    "tinmask",
    "depthrout",
    "vcut",
    "viafill",
    "other",
    "drawing",
    "plated-drill-map",
}


def _side(value: str | None) -> Side:
    return _SIDES.get((value or "").lower(), "none")


def role_from_function(fields: tuple[str, ...], layer_count: int | None = None) -> Role | None:
    """The role a FileFunction states; None when it is not a layer image (a job file, say)."""
    if not fields:
        return None
    kind = fields[0].strip().lower()
    args = [f.strip() for f in fields[1:]]
    if kind == "copper":
        index = None
        if args and (m := re.fullmatch(r"L(\d+)", args[0], re.I)):
            index = int(m.group(1))
        side = _side(args[1] if len(args) > 1 else None)
        if side == "none" and index is not None:
            side = "top" if index == 1 else "bottom" if layer_count and index == layer_count else "inner"
        return Role("copper", side, index)
    if kind in ("soldermask", "legend", "paste"):
        layer = {"soldermask": "soldermask", "legend": "silkscreen", "paste": "solderpaste"}[kind]
        side = _side(args[0] if args else None)
        return Role(layer, side if side in ("top", "bottom") else "none")  # type: ignore[arg-type]
    if kind == "profile":
        return Role("outline", "all")
    if kind in ("plated", "nonplated"):
        return Role("drill", "all", plating="plated" if kind == "plated" else "non-plated")
    if kind == "jobinfo":
        return None
    side = _side(args[0] if args else None)
    if kind in _OTHER_FUNCTIONS or kind:
        return Role("other", side if side in ("top", "bottom") else "none")
    return None
