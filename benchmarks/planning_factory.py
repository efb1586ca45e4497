"""The demo factory's 500-panel plan: flyfab's planner against earliest-due-date dispatch and an
ERP-style forward planner (orders in order of arrival, each operation into the first free slot).

    python -m benchmarks.planning_factory [--time-limit S] [--panels N] [--seed K]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from flyfab.planning.build import build
from flyfab.planning.demo import demo_orders
from flyfab.planning.dispatching import edd_dispatch, forward_booking
from flyfab.planning.factory import load_factory
from flyfab.planning.orders import parse_input
from flyfab.planning.problem import Problem, Schedule, tardiness
from flyfab.planning.scheduler import plan
from flyfab.planning.validate import violations


def measure(problem: Problem, schedule: Schedule, seconds: float) -> dict[str, Any]:
    weighted, total = tardiness(problem, schedule)
    ends: dict[int, int] = {}
    for s in schedule.slots:
        ends[s.job] = max(ends.get(s.job, 0), s.end)
    late = sum(1 for j, e in ends.items() if e > (problem.jobs[j].due or e))
    return {
        "total_tardiness_min": total,
        "weighted_tardiness_min": weighted,
        "late_orders": late,
        "makespan_min": schedule.makespan,
        "seconds": round(seconds, 2),
        "valid": not violations(problem, schedule),
        "planned_orders": len(ends),
    }


def run_factory(time_limit: float = 60.0, panels: int = 500, seed: int = 7) -> dict[str, Any]:
    factory = load_factory()
    data = parse_input(demo_orders(panels, seed))
    assert data.start is not None
    t = time.perf_counter()
    built = build(factory, data.orders, data.start)
    build_s = time.perf_counter() - t
    problem = built.problem
    steps = [len(j.operations) for j in problem.jobs]
    out: dict[str, Any] = {
        "panels": panels,
        "seed": seed,
        "orders": len(problem.jobs),
        "operations": problem.operation_count(),
        "steps_min": min(steps),
        "steps_max": max(steps),
        "time_limit": time_limit,
        "build_seconds": round(build_s, 2),
    }
    t = time.perf_counter()
    edd = edd_dispatch(problem)
    out["edd_dispatch"] = measure(problem, edd, time.perf_counter() - t)
    t = time.perf_counter()
    erp = forward_booking(problem)
    out["erp_forward"] = measure(problem, erp, time.perf_counter() - t)
    t = time.perf_counter()
    planned = plan(factory, data.orders, data.start, time_limit=time_limit, workers=2)
    # Seconds from the orders to the plan: routing and timing them included.
    out["flyfab"] = measure(planned.problem, planned.schedule, time.perf_counter() - t)
    out["flyfab"]["lns_rounds"] = planned.stats.get("lns_rounds")
    out["flyfab"]["lns_improvements"] = planned.stats.get("lns_improvements")
    f, e, r = (out[k]["total_tardiness_min"] for k in ("flyfab", "edd_dispatch", "erp_forward"))
    out["tardiness_ratio_vs_edd"] = round(f / e, 3) if e else None
    out["tardiness_ratio_vs_erp"] = round(f / r, 3) if r else None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--panels", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run_factory(args.time_limit, args.panels, args.seed), indent=2))


if __name__ == "__main__":
    main()
