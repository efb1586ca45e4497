"""The analysis as JSON, in the versioned schema documented in docs/analysis-json.md.

Schema "flyfab.analysis/1". Lengths are millimetres, coordinates are board coordinates as in the
files (origin wherever the CAD tool put it), areas mm². New fields may be added within a version;
a field is never removed or changed in meaning without a new version.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from flyfab import __version__
from flyfab.cam.analyze import Analysis

SCHEMA = "flyfab.analysis/1"


def _ring(geom: BaseGeometry) -> list[list[float]]:
    coords = shapely.get_coordinates(geom)
    return [[round(float(x), 4), round(float(y), 4)] for x, y in coords]


def _outline(analysis: Analysis) -> dict[str, Any] | None:
    o = analysis.board.outline
    if o is None:
        return None
    return {
        "exteriors": [_ring(e.exterior) for e in o.exteriors],
        "cutouts": [_ring(c.exterior) for c in o.cutouts],
        "pen_mm": round(o.pen_mm, 4) if o.pen_mm is not None else None,
        "gap_closed_mm": round(o.gap_closed_mm, 4),
    }


def to_json(analysis: Analysis) -> dict[str, Any]:
    b = analysis.board
    d = analysis.drills
    return {
        "schema": SCHEMA,
        "flyfab": __version__,
        "upload": analysis.name,
        "files": [
            {
                "path": f.path,
                "type": f.role.type,
                "side": f.role.side,
                "index": f.role.index,
                "plating": f.role.plating,
                "format": f.format,
                "units": f.units,
                "evidence": [
                    {"source": e.source.value, "detail": e.detail, "tool": e.tool} for e in f.evidence
                ],
            }
            for f in analysis.files
        ],
        "ignored": [{"path": s.path, "reason": s.reason} for s in analysis.ignored],
        "board": {
            "width_mm": b.width_mm,
            "height_mm": b.height_mm,
            "area_mm2": b.area_mm2,
            "bounds_mm": list(b.bounds_mm) if b.bounds_mm else None,
            "copper_layers": b.copper_layers,
            "stack": [{"index": i, "path": p, "side": s} for i, p, s in b.stack],
            "outline_file": b.outline_file,
            "outline_source": b.outline_source,
            "size_from": b.size_from,
            "generator": b.generator,
            "outline": _outline(analysis),
        },
        "drills": {
            "tools": [
                {
                    "diameter_mm": t.diameter_mm,
                    "plating": t.plating,
                    "hits": t.hits,
                    "slots": t.slots,
                    "files": t.files,
                }
                for t in d.tools
            ],
            "total_holes": d.total_holes,
            "total_slots": d.total_slots,
            "smallest_hole_mm": d.smallest_hole_mm,
            "plated_holes": d.plated_holes,
            "non_plated_holes": d.non_plated_holes,
            "unknown_plating_holes": d.unknown_plating_holes,
            "files": d.files,
        },
        "features": [
            {
                "path": f.path,
                "index": f.index,
                "side": f.side,
                "min_trace_width_mm": f.min_trace_width_mm,
                "min_trace_at": list(f.min_trace_at) if f.min_trace_at else None,
                "min_gap_mm": f.min_gap_mm,
                "min_gap_at": list(f.min_gap_at) if f.min_gap_at else None,
                "copper_area_mm2": f.copper_area_mm2,
                "copper_fraction": f.copper_fraction,
                "islands": f.islands,
            }
            for f in analysis.features
        ],
        "problems": [
            {"path": p.path, "severity": p.severity.value, "code": p.code, "message": p.message}
            for p in analysis.problems
        ],
        "seconds": round(analysis.seconds, 3),
    }
