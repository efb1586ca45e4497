"""Pooling benchmark: flyfab's nesting beside the rectpack library, on the same inputs in one run.

rectpack is run as its maintainer recommends for spacing: MaxRects with best short side fit (its
default offline packer, largest area first, best bin first), every rectangle and the bin enlarged
by the spacing, unlimited bins.

flyfab is what `pool` runs: `nest_on_cores` (the constructive phase, then a search per core from its
own seed, the best kept). On this 2-core machine that is two searches side by side.

(a) the 500 two-dimensional bin packing instances in ../shared/benchmarks/packing/class (Berkey &
    Wang classes 1–6, Martello & Vigo classes 7–10), without and with 90° rotation: total bins of
    each, the area lower bound and flyfab's stronger bound, against the best published
    metaheuristic totals (BRKGA, Gonçalves & Resende 2013: 7,234 without rotation, 6,988 with);
    seconds per instance;
(b) realistic order streams: board sizes measured by `analyze` on the corpus boards, quantities
    5–100, due dates over a week, on 457 × 610 mm panels with a 10 mm frame and 2 mm spacing:
    panels and utilisation (flyfab also keeps the deadline rule, rectpack knows no due dates);
(c) speed: 2,000 boards pooled, from orders read to panels laid out.

Run: `python -m benchmarks.pooling [--parts a,b,c] [--time-limit S] [--patience S] [--classes 1,2,...]
[--rotation both|without|with] [--json]`
(`nice -n 10` on a shared machine). Results go to docs/benchmarks.md, section "Pooling". The goal
of (a) bounds the average time per instance, so each way of turning is run with the largest limit
that keeps it within 1 s: `--parts a --rotation with --time-limit 4` and `--parts a --rotation
without --time-limit 6`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from flyfab.pooling.model import Order, PanelSize, Process
from flyfab.pooling.nesting import Sheet, nest
from flyfab.pooling.pool import pool
from flyfab.pooling.portfolio import nest_on_cores
from flyfab.pooling.settings import PoolSettings, load_settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CLASS = SHARED / "benchmarks" / "packing" / "class"
CORPUS = SHARED / "corpus"
BRKGA = {False: 7234, True: 6988}  # Gonçalves & Resende (2013), totals over the 500 instances


def rectpack_bins(
    sizes: list[tuple[float, float]], width: float, height: float, spacing: float, rotation: bool
) -> int:
    import rectpack  # type: ignore[import-untyped]

    packer = rectpack.newPacker(rotation=rotation)  # offline, best bin first, MaxRects BSSF, area order
    packer.add_bin(width + spacing, height + spacing, count=float("inf"))
    for i, (w, h) in enumerate(sizes):
        packer.add_rect(w + spacing, h + spacing, rid=i)
    packer.pack()
    placed = sum(len(b) for b in packer)
    if placed != len(sizes):
        raise RuntimeError(f"rectpack placed {placed} of {len(sizes)} rectangles")
    return len(packer)


def read_class(n: int) -> tuple[str, list[tuple[float, float]], float, float]:
    d = json.loads((CLASS / f"{n}.json").read_text())
    W, H = d["Objects"][0]["Length"], d["Objects"][0]["Height"]
    items = [(float(i["Length"]), float(i["Height"])) for i in d["Items"] for _ in range(i["Demand"])]
    return d["Name"], items, float(W), float(H)


@dataclass
class ClassTotals:
    rotation: bool
    flyfab: int = 0
    rectpack: int = 0
    area_bound: int = 0
    bound: int = 0
    at_bound: int = 0
    instances: int = 0
    flyfab_s: list[float] = field(default_factory=list)
    rectpack_s: list[float] = field(default_factory=list)
    per_class: dict[str, list[int]] = field(default_factory=dict)  # class -> [flyfab, rectpack, area, bound]
    better: int = 0
    worse: int = 0


def warm_up() -> None:
    """Load the compiled decoder and local search before anything is timed."""
    sizes = np.array([[6.0, 4.0], [5.0, 5.0], [4.0, 7.0]] * 3)
    nest(sizes[:, 0].copy(), sizes[:, 1].copy(), Sheet(10.0, 10.0), True, 0.2)
    from flyfab.pooling.elimination import eliminate, new_cache, perturb

    w, h = sizes[:, 0].copy(), sizes[:, 1].copy()
    args = (w, h, np.ones(len(w), np.bool_), 10.0, 10.0, np.zeros((0, 4)))
    panel, x, y, rot = np.arange(len(w)), np.zeros(len(w)), np.zeros(len(w)), np.zeros(len(w), np.bool_)
    zob = np.arange(1, len(w) + 1, dtype=np.int64)
    k, _, _ = eliminate(*args, panel, x, y, rot, len(w), 1, zob, new_cache(), 10)
    perturb(*args, panel, x, y, rot, k, 1, zob, new_cache(), 0)


def part_a(
    time_limit: float,
    classes: set[int] | None,
    log: Any,
    patience: float | None = None,
    rotations: tuple[bool, ...] = (False, True),
) -> list[ClassTotals]:
    warm_up()
    out = []
    for rotation in rotations:
        t = ClassTotals(rotation)
        for n in range(1, 501):
            name, items, W, H = read_class(n)
            klass = name[5:7]
            if classes and int(klass) not in classes:
                continue
            sizes = np.array(items)
            started = time.perf_counter()
            result = nest_on_cores(sizes[:, 0].copy(), sizes[:, 1].copy(), Sheet(W, H), rotation, time_limit,
                                   seed=n, patience=patience)  # fmt: skip
            t.flyfab_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            theirs = rectpack_bins(items, W, H, 0.0, rotation)
            t.rectpack_s.append(time.perf_counter() - started)
            t.flyfab += result.panels
            t.rectpack += theirs
            t.area_bound += result.bound.area
            t.bound += result.bound.best
            t.at_bound += result.optimal
            t.instances += 1
            t.better += result.panels < theirs
            t.worse += result.panels > theirs
            row = t.per_class.setdefault(klass, [0, 0, 0, 0])
            row[0] += result.panels
            row[1] += theirs
            row[2] += result.bound.area
            row[3] += result.bound.best
            print(
                f"{'rot' if rotation else 'fix'} {name}: flyfab {result.panels} ({result.method}, "
                f"{t.flyfab_s[-1]:.2f} s, last bin saved at {result.found_at:.2f} s) rectpack {theirs} "
                f"bound {result.bound.best}",
                file=log,
                flush=True,
            )
        out.append(t)
    return out


def corpus_sizes() -> dict[str, tuple[float, float]]:
    """Board sizes as `analyze` measures them (outline extents); boards it finds no size for are left out."""
    from flyfab.cam.analyze import analyze

    sizes = {}
    for board in sorted((CORPUS / "boards").iterdir()):
        a = analyze(board)
        if a.board.width_mm and a.board.height_mm:
            sizes[board.name] = (float(a.board.width_mm), float(a.board.height_mm))
    return sizes


def stream(rng: random.Random, sizes: list[tuple[float, float]], boards: int, start: date) -> list[Order]:
    """Orders of corpus boards, quantities 5–100, due over a week, until `boards` copies are reached."""
    orders: list[Order] = []
    total = 0
    while total < boards:
        w, h = rng.choice(sizes)
        q = min(rng.randint(5, 100), boards - total)
        orders.append(Order(f"S{len(orders) + 1}", w, h, max(q, 1), start + timedelta(days=rng.randrange(7)),
                            Process(), index=len(orders)))  # fmt: skip
        total += max(q, 1)
    return orders


def _settings(size: PanelSize) -> PoolSettings:
    return load_settings().model_copy(update={"sizes": (size,), "overage_percent": 0.0, "overage_min": 0})


def part_b(
    sizes: dict[str, tuple[float, float]], streams: int, boards: int, time_limit: float
) -> list[dict[str, Any]]:
    panel = PanelSize(457, 610)
    s = _settings(panel)
    fits = [v for v in sizes.values() if max(v) <= 437 and min(v) <= 437]
    rows = []
    warm_up()
    for k in range(streams):
        orders = stream(random.Random(k), fits, boards, date(2030, 1, 1))
        started = time.perf_counter()
        result = pool(orders, s, time_limit=time_limit, seed=k)
        ours_s = time.perf_counter() - started
        # The same boards all due the same day: nesting alone, as rectpack does it.
        same_day = [replace(o, due=date(2030, 1, 1)) for o in orders]
        started = time.perf_counter()
        nesting_only = pool(same_day, s, time_limit=time_limit, seed=k)
        nesting_s = time.perf_counter() - started
        items = [(o.width_mm, o.height_mm) for o in orders for _ in range(o.quantity)]
        started = time.perf_counter()
        theirs = rectpack_bins(items, panel.width_mm - 2 * s.frame_mm, panel.height_mm - 2 * s.frame_mm,
                               s.spacing_mm, True)  # fmt: skip
        theirs_s = time.perf_counter() - started
        board_area = sum(w * h for w, h in items)
        rows.append(
            {
                "stream": k,
                "orders": len(orders),
                "boards": len(items),
                "flyfab_panels": len(result.panels),
                "flyfab_same_day_panels": len(nesting_only.panels),
                "rectpack_panels": theirs,
                "lower_bound": result.lower_bound,
                "flyfab_utilisation": board_area / (len(result.panels) * panel.area),
                "flyfab_same_day_utilisation": board_area / (len(nesting_only.panels) * panel.area),
                "flyfab_same_day_s": nesting_s,
                "rectpack_utilisation": board_area / (theirs * panel.area),
                "flyfab_s": ours_s,
                "rectpack_s": theirs_s,
            }
        )
    return rows


def part_c(sizes: dict[str, tuple[float, float]], time_limit: float) -> dict[str, Any]:
    panel = PanelSize(457, 610)
    s = _settings(panel)
    fits = [v for v in sizes.values() if max(v) <= 437]
    orders = stream(random.Random(2000), fits, 2000, date(2030, 1, 1))
    warm_up()
    started = time.perf_counter()
    result = pool(orders, s, time_limit=time_limit)
    ours_s = time.perf_counter() - started
    same_day = [replace(o, due=date(2030, 1, 1)) for o in orders]
    started = time.perf_counter()
    nesting_only = pool(same_day, s, time_limit=time_limit)
    nesting_s = time.perf_counter() - started
    items = [(o.width_mm, o.height_mm) for o in orders for _ in range(o.quantity)]
    started = time.perf_counter()
    theirs = rectpack_bins(items, panel.width_mm - 20, panel.height_mm - 20, s.spacing_mm, True)
    theirs_s = time.perf_counter() - started
    return {
        "orders": len(orders),
        "boards": len(items),
        "flyfab_panels": len(result.panels),
        "flyfab_s": ours_s,
        "flyfab_same_day_panels": len(nesting_only.panels),
        "flyfab_same_day_s": nesting_s,
        "lower_bound": result.lower_bound,
        "rectpack_panels": theirs,
        "rectpack_s": theirs_s,
        "time_limit": time_limit,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--parts", default="a,b,c")
    ap.add_argument("--time-limit", type=float, default=4.0, help="seconds per class instance (a)")
    ap.add_argument("--patience", type=float, default=None,
                    help="(a): also stop after this many seconds without a bin saved")  # fmt: skip
    ap.add_argument("--classes", default="", help="only these classes in (a), e.g. 1,3,5")
    ap.add_argument("--rotation", choices=["both", "without", "with"], default="both", help="(a) only")
    ap.add_argument("--streams", type=int, default=5)
    ap.add_argument("--stream-boards", type=int, default=600)
    ap.add_argument("--speed-limit", type=float, default=6.0, help="search seconds in (c)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--log", default="", help="write one line per instance of (a) here")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    classes = {int(c) for c in args.classes.split(",") if c} or None
    report: dict[str, Any] = {}
    log = open(args.log, "w") if args.log else sys.stderr  # noqa: SIM115, PTH123
    if "a" in parts:
        rotations = {"both": (False, True), "without": (False,), "with": (True,)}[args.rotation]
        totals = part_a(args.time_limit, classes, log, args.patience, rotations)
        report["a"] = [
            {
                "rotation": t.rotation,
                "instances": t.instances,
                "flyfab": t.flyfab,
                "rectpack": t.rectpack,
                "area_bound": t.area_bound,
                "lower_bound": t.bound,
                "at_bound": t.at_bound,
                "brkga": BRKGA[t.rotation] if t.instances == 500 else None,
                "flyfab_better": t.better,
                "flyfab_worse": t.worse,
                "flyfab_mean_s": statistics.fmean(t.flyfab_s),
                "flyfab_max_s": max(t.flyfab_s),
                "rectpack_mean_s": statistics.fmean(t.rectpack_s),
                "per_class": t.per_class,
            }
            for t in totals
        ]
    if "b" in parts or "c" in parts:
        sizes = corpus_sizes()
        report["corpus_sizes"] = sizes
        if "b" in parts:
            report["b"] = part_b(sizes, args.streams, args.stream_boards, 5.0)
        if "c" in parts:
            report["c"] = part_c(sizes, args.speed_limit)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)


def _print(r: dict[str, Any]) -> None:
    for t in r.get("a", []):
        mode = "with rotation" if t["rotation"] else "without rotation"
        print(f"\n(a) class instances {mode}: {t['instances']} instances")
        print("| class | flyfab | rectpack | area bound | lower bound |")
        print("|---|---:|---:|---:|---:|")
        for k, (f, rp, ab, lb) in sorted(t["per_class"].items()):
            print(f"| {k} | {f} | {rp} | {ab} | {lb} |")
        print(f"| total | {t['flyfab']} | {t['rectpack']} | {t['area_bound']} | {t['lower_bound']} |")
        print(
            f"flyfab/rectpack {t['flyfab'] / t['rectpack']:.4f}; BRKGA {t['brkga']}; at the bound "
            f"{t['at_bound']}; fewer bins than rectpack on {t['flyfab_better']}, "
            f"more on {t['flyfab_worse']}; "
            f"flyfab {t['flyfab_mean_s']:.3f} s/instance (max {t['flyfab_max_s']:.2f}), "
            f"rectpack {t['rectpack_mean_s']:.3f} s"
        )
    if "b" in r:
        print("\n(b) order streams, 457 × 610 panels, 10 mm frame, 2 mm spacing")
        print(
            "| stream | orders | boards | flyfab (due dates) | flyfab (one due date) | rectpack | bound "
            "| utilisation flyfab (due dates / one date) | rectpack |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for s in r["b"]:
            print(
                f"| {s['stream']} | {s['orders']} | {s['boards']} | {s['flyfab_panels']} | "
                f"{s['flyfab_same_day_panels']} | {s['rectpack_panels']} | {s['lower_bound']} | "
                f"{s['flyfab_utilisation']:.1%} / {s['flyfab_same_day_utilisation']:.1%} | "
                f"{s['rectpack_utilisation']:.1%} |"
            )
    if "c" in r:
        c = r["c"]
        print(
            f"\n(c) {c['boards']} boards ({c['orders']} orders): flyfab {c['flyfab_panels']} panels in "
            f"{c['flyfab_s']:.2f} s with due dates, {c['flyfab_same_day_panels']} in "
            f"{c['flyfab_same_day_s']:.2f} s "
            f"all due one day (search limit {c['time_limit']} s, bound {c['lower_bound']}); rectpack "
            f"{c['rectpack_panels']} panels in {c['rectpack_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
