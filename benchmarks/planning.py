"""Scheduling benchmark: flyfab's solver against a plain CP-SAT model on the public job-shop and
flexible job-shop instances, and the demo factory's 500-panel plan against dispatching rules.

    python -m benchmarks.planning [--time-limit S] [--instances NAMES] [--out FILE] [--flyfab-only]

NAMES: instance names or families separated by commas (`ft`, `la`, `ta`, `mk`, `factory`, or
e.g. `la21,ta05`); default: ft, la, ta01–ta30, mk01–mk15 and the factory. Every result is written
to the JSON file as soon as it is known, and instances already in the file (same time limit) are
not run again, so an interrupted run resumes. `--flyfab-only` runs flyfab again on instances
whose flyfab result is from another commit and keeps the plain model's result (its row's `commit`;
flyfab's own is `flyfab.commit`).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import time
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

from flyfab.planning.instances import read_fjsp, read_jobshop
from flyfab.planning.problem import Problem, Schedule, Slot
from flyfab.planning.shop import solve_shop
from flyfab.planning.validate import violations

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks"
WORKERS = 2


def plain_cpsat(problem: Problem, time_limit: float, workers: int = WORKERS) -> Schedule:
    """The model of OR-Tools' job-shop and flexible job-shop samples: a start, an end and one
    (optional) interval per machine option, no-overlap per machine, precedence along the job,
    minimise the makespan. Nothing more."""
    model = cp_model.CpModel()
    horizon = sum(max(o.duration for o in op.options) for j in problem.jobs for op in j.operations)
    per_machine: dict[int, list[cp_model.IntervalVar]] = {}
    chosen: dict[tuple[int, int], list[tuple[int, Any]]] = {}
    starts: dict[tuple[int, int], cp_model.IntVar] = {}
    ends: dict[tuple[int, int], cp_model.IntVar] = {}
    last: list[cp_model.IntVar] = []
    for j, job in enumerate(problem.jobs):
        previous: cp_model.IntVar | None = None
        for k, op in enumerate(job.operations):
            s = model.new_int_var(0, horizon, "")
            e = model.new_int_var(0, horizon, "")
            lits = []
            for o in op.options:
                if len(op.options) == 1:
                    lit: Any = model.new_constant(1)
                    iv = model.new_interval_var(s, o.duration, e, "")
                else:
                    lit = model.new_bool_var("")
                    iv = model.new_optional_interval_var(s, o.duration, e, lit, "")
                per_machine.setdefault(o.machine, []).append(iv)
                lits.append((o.machine, lit))
            if len(lits) > 1:
                model.add_exactly_one(lit for _, lit in lits)
            if previous is not None:
                model.add(s >= previous)
            previous = e
            chosen[(j, k)], starts[(j, k)], ends[(j, k)] = lits, s, e
        if previous is not None:
            last.append(previous)
    for ivs in per_machine.values():
        model.add_no_overlap(ivs)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, last)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Schedule([], bound=None, source="plain cp-sat")
    slots = [
        Slot(
            j,
            k,
            next(m for m, lit in chosen[(j, k)] if solver.value(lit)),
            solver.value(starts[(j, k)]),
            solver.value(ends[(j, k)]),
        )
        for (j, k) in starts
    ]
    bound = math.ceil(solver.best_objective_bound - 1e-6)
    return Schedule(slots, bound=bound, optimal=status == cp_model.OPTIMAL, source="plain cp-sat")


def classic_instances() -> dict[str, tuple[Path, bool, int]]:
    """name -> (file, flexible, best-known makespan)."""
    out: dict[str, tuple[Path, bool, int]] = {}
    for folder, flexible in (("jobshop", False), ("fjsp", True)):
        bks = {
            b["instance"]: int(b["upper_bound"])
            for b in json.loads((SHARED / folder / "bks.json").read_text())
        }
        for path in sorted((SHARED / folder / "instances").glob("*.txt")):
            if path.stem in bks:
                out[path.stem] = (path, flexible, bks[path.stem])
    return out


def family(name: str) -> str:
    return name[:2]


def selected(spec: str | None, known: dict[str, Any]) -> list[str]:
    default = [
        n for n in known if family(n) in ("ft", "la", "mk") or (family(n) == "ta" and int(n[2:4]) <= 30)
    ]
    if spec is None:
        return [*default, "factory"]
    out: list[str] = []
    for word in spec.split(","):
        word = word.strip()
        if word == "factory" or word in known:
            out.append(word)
        elif word in ("ft", "la", "ta", "mk"):
            out.extend(n for n in default if family(n) == word)
        else:
            raise SystemExit(f"unknown instance or family {word!r}")
    return out


def run_classic(
    name: str,
    path: Path,
    flexible: bool,
    bks: int,
    time_limit: float,
    labels: tuple[str, ...] = ("flyfab", "plain_cpsat"),
) -> dict[str, Any]:
    problem = read_fjsp(path) if flexible else read_jobshop(path)
    row: dict[str, Any] = {"instance": name, "best_known": bks, "time_limit": time_limit}
    for label in labels:
        t = time.perf_counter()
        if label == "flyfab":
            schedule = solve_shop(problem, time_limit=time_limit, workers=WORKERS)
        else:
            schedule = plain_cpsat(problem, time_limit)
        seconds = time.perf_counter() - t
        broken = violations(problem, schedule)
        row[label] = {
            "makespan": schedule.makespan if schedule.slots else None,
            "bound": schedule.bound,
            "seconds": round(seconds, 2),
            "valid": not broken,
            "gap_pct": round(100 * (schedule.makespan / bks - 1), 3) if schedule.slots else None,
        }
    return row


def geomean_gap(rows: list[dict[str, Any]], label: str) -> float | None:
    ratios = [r[label]["makespan"] / r["best_known"] for r in rows if r[label]["makespan"]]
    if not ratios:
        return None
    return 100 * (math.exp(sum(math.log(x) for x in ratios) / len(ratios)) - 1)


def summary(results: dict[str, Any]) -> str:
    rows = [r for n, r in results["classic"].items()]
    lines = [
        "| instance | best known | flyfab | gap % | plain CP-SAT | gap % | flyfab s | plain s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        f, p = r["flyfab"], r["plain_cpsat"]
        lines.append(
            f"| {r['instance']} | {r['best_known']} | {f['makespan']}{'' if f['valid'] else ' INVALID'} | "
            f"{f['gap_pct']:.2f} | {p['makespan']}{'' if p['valid'] else ' INVALID'} | {p['gap_pct']:.2f} | "
            f"{f['seconds']:.1f} | {p['seconds']:.1f} |"
        )
    lines.append("")
    lines.append(
        "| family | instances | flyfab geomean gap % | plain CP-SAT geomean gap % | flyfab at best known "
        "| plain at best known | flyfab better / same / worse |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(family(r["instance"]), []).append(r)
    groups["all"] = rows
    for fam, items in groups.items():
        g1, g2 = geomean_gap(items, "flyfab"), geomean_gap(items, "plain_cpsat")
        at = sum(
            1
            for r in items
            if r["flyfab"]["makespan"] is not None and r["flyfab"]["makespan"] <= r["best_known"]
        )
        at_plain = sum(
            1
            for r in items
            if r["plain_cpsat"]["makespan"] is not None and r["plain_cpsat"]["makespan"] <= r["best_known"]
        )
        pairs = [(r["flyfab"]["makespan"], r["plain_cpsat"]["makespan"]) for r in items]
        better = sum(1 for a, b in pairs if b is None or (a is not None and a < b))
        worse = sum(1 for a, b in pairs if a is None or (b is not None and a > b))
        lines.append(
            f"| {fam} | {len(items)} | {g1:.2f} | {g2:.2f} | {at} | {at_plain} | "
            f"{better} / {len(items) - better - worse} / {worse} |"
        )
    if "factory" in results:
        f = results["factory"]
        lines.append("")
        lines.append(
            f"Demo factory: {f['orders']} panels, {f['operations']} operations, "
            f"{f['steps_min']}–{f['steps_max']} steps, time limit {f['time_limit']:g} s"
        )
        lines.append("")
        lines.append(
            "| planner | total tardiness min | weighted | late orders | makespan min | seconds | valid |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---|")
        for key, label in (
            ("flyfab", "flyfab (dispatch + CP-SAT LNS)"),
            ("edd_dispatch", "earliest-due-date dispatch"),
            ("erp_forward", "ERP forward booking (arrival order, first free slot)"),
        ):
            m = f[key]
            lines.append(
                f"| {label} | {m['total_tardiness_min']} | {m['weighted_tardiness_min']} | "
                f"{m['late_orders']} | {m['makespan_min']} | {m['seconds']} | {m['valid']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--instances", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "planning.json")
    parser.add_argument("--summary", action="store_true", help="Only print the tables of the results file.")
    parser.add_argument(
        "--flyfab-only",
        action="store_true",
        help="Run flyfab again where the file has no result of this commit; keep plain CP-SAT's results.",
    )
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"classic": {}}
    if args.out.exists():
        results = json.loads(args.out.read_text())
    if args.summary:
        print(summary(results))
        return
    known = classic_instances()
    names = selected(args.instances, known)
    results.setdefault("machine", {"cores": WORKERS})
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name == "factory":
            from benchmarks.planning_factory import run_factory

            results["factory"] = {**run_factory(args.time_limit), "commit": commit}
        else:
            done = results["classic"].get(name)
            path, flexible, bks = known[name]
            if args.flyfab_only and done is not None and done["time_limit"] == args.time_limit:
                if done["flyfab"].get("commit") == commit:
                    continue
                row = run_classic(name, path, flexible, bks, args.time_limit, labels=("flyfab",))
                done["flyfab"] = {**row["flyfab"], "commit": commit}
            else:
                if done is not None and done["time_limit"] == args.time_limit:
                    continue
                results["classic"][name] = {
                    **run_classic(name, path, flexible, bks, args.time_limit),
                    "commit": commit,
                }
            r = results["classic"][name]
            print(
                f"{name}: flyfab {r['flyfab']['makespan']} ({r['flyfab']['gap_pct']:+.2f} %), plain CP-SAT "
                f"{r['plain_cpsat']['makespan']} ({r['plain_cpsat']['gap_pct']:+.2f} %), best known {bks}",
                flush=True,
            )
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(summary(results))


if __name__ == "__main__":
    main()
