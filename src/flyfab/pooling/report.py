"""The pooling result as a versioned JSON document (schema flyfab.pool/1, docs/pooling.md)."""

from __future__ import annotations

from typing import Any

from flyfab.pooling.model import Order, Panel, Rejected
from flyfab.pooling.pool import PoolResult
from flyfab.pooling.settings import PoolSettings

SCHEMA = "flyfab.pool/1"


def _panel(p: Panel, files: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "id": p.id,
        "width_mm": p.size.width_mm,
        "height_mm": p.size.height_mm,
        "frame_mm": p.frame_mm,
        "spacing_mm": p.spacing_mm,
        "group": p.group,
        "due": p.due.isoformat(),
        "utilisation": round(p.utilisation, 4),
        "boards": len(p.placements),
        "orders": p.orders(),
        "placements": [
            {
                "order": q.order,
                "copy": q.copy,
                "x_mm": q.x_mm,
                "y_mm": q.y_mm,
                "width_mm": q.width_mm,
                "height_mm": q.height_mm,
                "rotated": q.rotated,
            }
            for q in p.placements
        ],
        "marks": [
            {
                "kind": m.kind,
                "x_mm": round(m.x_mm, 4),
                "y_mm": round(m.y_mm, 4),
                "diameter_mm": m.diameter_mm,
                "keep_out_mm": m.keep_out_mm,
            }
            for m in p.marks
        ],
        "notes": list(p.notes),
        "files": files.get(p.id, []),
    }


def pool_json(
    result: PoolResult,
    orders: list[Order],
    settings: PoolSettings,
    time_limit: float,
    extra_rejected: list[Rejected] | None = None,
    files: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    files = files or {}
    on: dict[str, list[str]] = {}
    for p in result.panels:
        for o in p.orders():
            on.setdefault(o, []).append(p.id)
    unplaced = [*(extra_rejected or []), *result.rejected]
    rejected_ids = {r.order for r in unplaced}
    panels = len(result.panels)
    return {
        "schema": SCHEMA,
        "settings": {
            "panel_sizes": [s.label() for s in settings.sizes],
            "frame_mm": settings.frame_mm,
            "spacing_mm": settings.spacing_mm,
            "rotation": settings.rotation,
            "overage_percent": settings.overage_percent,
            "overage_min": settings.overage_min,
            "time_limit_s": time_limit,
        },
        "panels": [_panel(p, files) for p in result.panels],
        "groups": [
            {
                "index": g.index,
                "params": g.process.as_dict(),
                "orders": g.orders,
                "panel_size": g.size.label(),
                "panels": [p.id for p in g.panels],
                "lower_bound": g.bound.best,
                "area_bound": g.bound.area,
                "method": g.method,
                "seconds": round(g.seconds, 3),
            }
            for g in result.groups
        ],
        "orders": [
            {
                "id": o.id,
                "quantity": o.quantity,
                "copies": settings.copies(o.quantity),
                "due": o.due.isoformat(),
                "width_mm": o.width_mm,
                "height_mm": o.height_mm,
                "panels": on.get(o.id, []),
            }
            for o in orders
            if o.id not in rejected_ids
        ],
        "lower_bound": result.lower_bound,
        "area_bound": result.area_bound,
        "gap": panels - result.lower_bound,
        "utilisation": round(
            sum(p.board_area for p in result.panels) / sum(p.size.area for p in result.panels), 4
        )
        if panels
        else 0.0,
        "unplaced": [{"order": r.order, "reason": r.reason, "code": r.code} for r in unplaced],
        "seconds": round(result.seconds, 3),
    }
