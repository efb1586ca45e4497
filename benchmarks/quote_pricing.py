"""How much of an instant quote the pricing itself takes, beside analysing and checking the board.

For each board: `analyze + dfm` is `analyze` (layer cache off) and `check` against the shipped
profiles, once, in-process, imports excluded; `price` is `make_quote` on the board's facts with the
shipped price book, the median over every quantity of QUANTITIES repeated N times; `share` = price /
(analyze + dfm). Loading the price book is timed on its own.

Run: `python -m benchmarks.quote_pricing [--boards a,b] [--repeat N]`. The machine is shared and
noisy: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime
from pathlib import Path

from flyfab.cam.analyze import analyze
from flyfab.cam.cache import LayerCache
from flyfab.dfm import DFM_AREAS, check, load_profiles
from flyfab.pricing import load_price_book, make_quote
from flyfab.pricing.from_analysis import board_facts

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
BOARDS = ["gb-eagle-newer", "gb-easyeda", "ts-arduino-uno", "gb-allegro", "gb-siemens"]
QUANTITIES = [1, 10, 100, 1000, 10000]
AT = datetime(2026, 3, 4, 10, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boards", default=",".join(BOARDS))
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    for _ in range(args.repeat):
        book = load_price_book()
    load_ms = (time.perf_counter() - started) / args.repeat * 1000
    profiles = load_profiles()
    print(f"price book load: {load_ms:.1f} ms")
    print("| board | copper | analyze + dfm s | price ms (median) | slowest ms | share |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.boards.split(","):
        started = time.perf_counter()
        a = analyze(CORPUS / "boards" / name, cache=LayerCache(None), areas=DFM_AREAS)
        report = check(a, profiles)
        checked = time.perf_counter() - started
        facts = board_facts(a, report)
        times = []
        for _ in range(args.repeat):
            for qty in QUANTITIES:
                t = time.perf_counter()
                make_quote(book, facts, qty, at=AT)
                times.append(time.perf_counter() - t)
        median = statistics.median(times)
        print(
            f"| {name} | {facts.layers} | {checked:.2f} | {median * 1000:.2f} | {max(times) * 1000:.2f} "
            f"| {median / checked:.4%} |"
        )


if __name__ == "__main__":
    main()
