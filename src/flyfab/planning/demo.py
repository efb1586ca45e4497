"""Demo orders for the demo factory: a week of a prototype shop's pooled panels (mostly double-sided
and 4–8-layer boards, some ENIG/OSP, gold fingers and V-scoring; due two to eight days after
release), reproducible from a seed. Used by `flyfab plan-example` and the planning benchmark."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from flyfab.planning.orders import INPUT_SCHEMA

DEMO_START = datetime(2026, 11, 30, 6, 0)  # a Monday, first shift


def demo_orders(panels: int = 500, seed: int = 7, start: datetime = DEMO_START) -> dict[str, Any]:
    rng = random.Random(seed)
    out = []
    for i in range(panels):
        technology = rng.choices(["single_sided", "double_sided", "multilayer"], [1, 5, 4])[0]
        layers = {"single_sided": 1, "double_sided": 2}.get(technology) or rng.choice([4, 4, 4, 6, 6, 8])
        options = []
        if rng.random() < 0.3:
            options.append(rng.choice(["enig", "osp"]))
        if technology == "double_sided" and rng.random() < 0.08:
            options.append("gold_fingers")
        if technology != "multilayer" and rng.random() < 0.1:
            options.append("v_score")
        release = start + timedelta(hours=rng.uniform(0, 96))
        due = release + timedelta(days=rng.choice([2, 3, 5, 5, 7, 8]))
        out.append(
            {
                "id": f"P{i:04d}",
                "technology": technology,
                "layers": layers,
                "options": options,
                "panels": rng.choice([1, 1, 1, 2]),
                "holes": rng.randint(300, 4000),
                "tools": rng.randint(5, 20),
                "test_points": rng.randint(200, 3000),
                "release": release.isoformat(timespec="minutes"),
                "due": due.isoformat(timespec="minutes"),
                "weight": rng.choice([1, 1, 2, 3]),
            }
        )
    return {"schema": INPUT_SCHEMA, "start": start.isoformat(timespec="minutes"), "panels": out}
