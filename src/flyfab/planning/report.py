"""What a plan says, as data: each order's completion, lateness and ship date, each work centre's
utilisation, and the versioned JSON document of `flyfab plan --json` (docs/planning.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flyfab.planning.calendar import ship_date
from flyfab.planning.explain import Lateness, why_late
from flyfab.planning.factory import Factory, parse_days
from flyfab.planning.problem import tardiness
from flyfab.planning.scheduler import Booked, Plan

PLAN_SCHEMA = "flyfab.plan/1"


@dataclass(frozen=True)
class OrderResult:
    order: str
    release: datetime
    due: datetime
    completion: datetime
    lateness: int  # minutes after the due date; negative when early
    ship: date
    steps: int
    why: Lateness | None


@dataclass(frozen=True)
class CentreLoad:
    centre: str
    machines: int
    busy: int  # machine-minutes at work
    open: int  # machine-minutes open from the plan's start to its end
    cycles: int  # batch cycles run (0 for other centres)
    fill: float  # mean load of a cycle over its capacity

    @property
    def utilisation(self) -> float:
        return self.busy / self.open if self.open else 0.0


def order_results(plan: Plan, factory: Factory) -> list[OrderResult]:
    p, start = plan.problem, plan.start
    ends: dict[int, int] = defaultdict(int)
    for s in plan.schedule.slots:
        ends[s.job] = max(ends[s.job], s.end)
    cutoff = factory.factory.ship_cutoff
    days = parse_days(factory.factory.ship_days)
    out = []
    for j, job in enumerate(p.jobs):
        if j not in ends:
            continue
        done = start + timedelta(minutes=ends[j])
        due = start + timedelta(minutes=job.due or 0)
        out.append(
            OrderResult(
                job.name,
                start + timedelta(minutes=job.release),
                due,
                done,
                ends[j] - (job.due or 0),
                ship_date(done, cutoff.hour, cutoff.minute, days),
                len(job.operations),
                why_late(p, plan.schedule, j),
            )
        )
    return out


def centre_loads(plan: Plan) -> list[CentreLoad]:
    p = plan.problem
    end = plan.schedule.makespan
    busy: dict[str, int] = defaultdict(int)
    opened: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    cycles: dict[tuple[int, int, int], int] = defaultdict(int)
    for _i, m in enumerate(p.machines):
        count[m.centre] += 1
        windows = m.open_windows if m.open_windows is not None else ((0, end),)
        opened[m.centre] += sum(max(0, min(b, end) - a) for a, b in windows if a < end)
    for s in plan.schedule.slots:
        m = p.machines[s.machine]
        if m.batch:
            cycles[(s.machine, s.start, s.end)] += p.jobs[s.job].operations[s.step].load
        else:
            busy[m.centre] += s.end - s.start
    runs: dict[str, list[float]] = defaultdict(list)
    for (mi, a, b), load in cycles.items():
        m = p.machines[mi]
        busy[m.centre] += b - a
        runs[m.centre].append(load / m.capacity)
    return [
        CentreLoad(
            c, count[c], busy[c], opened[c], len(runs[c]), sum(runs[c]) / len(runs[c]) if runs[c] else 0.0
        )
        for c in count
    ]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def plan_json(plan: Plan, factory: Factory) -> dict[str, Any]:
    p = plan.problem
    results = order_results(plan, factory)
    weighted, total = tardiness(p, plan.schedule)
    return {
        "schema": PLAN_SCHEMA,
        "factory": factory.factory.name,
        "start": _iso(plan.start),
        "source": plan.schedule.source,
        "summary": {
            "orders": len(results),
            "late": sum(1 for r in results if r.lateness > 0),
            "total_tardiness_min": total,
            "weighted_tardiness_min": weighted,
            "makespan_end": _iso(plan.start + timedelta(minutes=plan.schedule.makespan)),
            "seconds": plan.stats.get("seconds"),
        },
        "orders": [
            {
                "id": r.order,
                "release": _iso(r.release),
                "due": _iso(r.due),
                "completion": _iso(r.completion),
                "lateness_min": r.lateness,
                "ship_date": r.ship.isoformat(),
                "steps": r.steps,
                "why_late": None
                if r.why is None
                else {
                    "text": r.why.text(),
                    "unavoidable_min": r.why.unavoidable,
                    "bottleneck": None
                    if r.why.bottleneck is None
                    else {
                        "step": r.why.bottleneck.step,
                        "name": r.why.bottleneck.name,
                        "centre": r.why.bottleneck.centre,
                        "machine": r.why.bottleneck.machine,
                        "busy_wait_min": r.why.bottleneck.busy,
                        "closed_wait_min": r.why.bottleneck.closed,
                    },
                },
            }
            for r in results
        ],
        "centres": [
            {
                "centre": c.centre,
                "machines": c.machines,
                "busy_min": c.busy,
                "open_min": c.open,
                "utilisation": round(c.utilisation, 4),
                "cycles": c.cycles,
                "mean_fill": round(c.fill, 4),
            }
            for c in centre_loads(plan)
        ],
        "operations": [
            {
                "order": p.jobs[s.job].name,
                "step": s.step,
                "name": p.jobs[s.job].operations[s.step].name,
                "machine": p.machines[s.machine].name,
                "centre": p.machines[s.machine].centre,
                "start": _iso(plan.start + timedelta(minutes=s.start)),
                "end": _iso(plan.start + timedelta(minutes=s.end)),
                "cycle": s.batch,
            }
            for s in sorted(plan.schedule.slots, key=lambda s: (s.job, s.step))
        ],
        "problems": [{"order": i.order, "reason": i.reason, "planned": i.planned} for i in plan.issues],
    }


class PlanFileError(ValueError):
    """A previous plan that cannot be read back."""


def read_booked(document: Any, source: str) -> tuple[datetime, list[Booked]]:
    """The start and the operations of a `flyfab.plan/1` document, for re-planning."""
    if not isinstance(document, dict) or document.get("schema") != PLAN_SCHEMA:
        raise PlanFileError(
            f"{source}: not a {PLAN_SCHEMA} document (written by flyfab plan --json or --out)"
        )
    try:
        start = datetime.fromisoformat(document["start"])
        out = [
            Booked(
                str(op["order"]),
                int(op["step"]),
                str(op["machine"]),
                int((datetime.fromisoformat(op["start"]) - start).total_seconds() // 60),
                int((datetime.fromisoformat(op["end"]) - start).total_seconds() // 60),
                int(op.get("cycle", -1)),
            )
            for op in document["operations"]
        ]
    except (KeyError, TypeError, ValueError) as e:
        raise PlanFileError(f"{source}: an operation cannot be read ({e!r})") from None
    return start, out
