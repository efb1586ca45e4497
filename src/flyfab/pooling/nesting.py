"""Nesting: every board copy of a group onto as few panels as possible, within a time limit.

1. Construct: the first-fit decoder (decoder.py) on several orderings (area, longest side, height,
   width, perimeter, all largest first) with each placement rule; the best is kept.
2. Improve, until the lower bound is met or time is up:
   - a biased random-key genetic algorithm (Gonçalves & Resende 2013) over the sequence, the
     placement rule and, with turning allowed, each board's preferred orientation, scored by panels
     plus the load of the least loaded panel (so that emptying a panel counts before it is empty);
   - when it stalls, panel elimination (elimination.py), an iterated local search from its best
     layout: boards of the least loaded panel are moved, ejected and swapped into the others (each
     panel checked by greedy orders and a bounded exact search) until it is empty or stuck; then a
     few panels are ruined and recreated and the local search runs again, from the new layout only
     if it is not clearly worse than the one ruined.
   - when the best layout is one panel above the lower bound and no board can turn, CP-SAT
     (exact.py) gets a tenth of the time, a quarter of it right after the constructive phase and the
     rest after the genetic search: it proves the layout optimal (the bound rises by one) or finds
     one on a panel fewer. Its answers mostly come within 0.1 s (on 20 to 80 boards, about one in five
     of the cases it is tried on are settled).
3. Stop as soon as the number of panels equals the lower bound (bounds.py): nothing can do better.

Boards are sorted by due-date tier before anything else in every sequence, which with first fit keeps
the deadline rule (see decoder.py). Elimination moves boards between panels regardless of due dates,
so it is used only when all boards share one tier.

Sizes given here already include the spacing between boards (each board and the panel's usable area
enlarged by it), so the nesting itself knows no spacing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from flyfab.pooling.bounds import Bound, lower_bound
from flyfab.pooling.decoder import RULES, first_fit
from flyfab.pooling.elimination import eliminate, new_cache, perturb
from flyfab.pooling.exact import on_panels
from flyfab.pooling.maxrects import FreeSpace

Floats = NDArray[np.float64]
GENETIC_SHARE = 0.7  # of the time limit, when panel elimination can follow
GENETIC_PATIENCE = 50  # generations without a better layout before the genetic search gives way
RESTART = 30  # rounds of the iterated local search without a better layout before it goes back to the best
# A round's layout replaces the one it started from unless its score is worse by more than this (a
# fiftieth of a panel on the least loaded one); otherwise the next round starts from the old layout.
ACCEPT = 0.02
RUIN = 3  # at most this many panels beside the weakest are ruined and recreated
EXACT_SHARE = 0.1  # of the time limit, for CP-SAT to close a gap of one panel (exact.py)
EXACT_FIRST = 0.25  # of that, tried right after the constructive phase


@dataclass
class Sheet:
    """The nesting area of a panel: width and height (spacing included) and keep-outs in it."""

    width: float
    height: float
    keep_outs: list[tuple[float, float, float, float]] = field(default_factory=list)

    def fits_empty(self, w: float, h: float) -> bool:
        return FreeSpace(self.width, self.height, self.keep_outs).fits(w, h)


@dataclass
class Nesting:
    panel: NDArray[np.int64]  # panel index of each board
    x: Floats
    y: Floats
    rotated: NDArray[np.bool_]
    panels: int
    bound: Bound
    seconds: float
    decodes: int = 0
    moves: int = 0  # rounds of panel elimination that found a better layout
    method: str = "constructive"  # what found the final panel count: constructive, genetic, elimination
    found_at: float = 0.0  # seconds until the final panel count was first reached
    history: list[tuple[float, int]] = field(default_factory=list)  # (seconds, panels) as they fell

    @property
    def optimal(self) -> bool:
        return self.panels == self.bound.best


def layout_score(k: int, loads: NDArray[Any], cap: float) -> float:
    """What the searches minimise: the k panels plus the least loaded one's share of a panel
    (`loads`: board area per panel, `cap`: a panel's area), so that emptying a panel counts before
    it is empty. Below 1 even for a full panel, so that int(score) is the number of panels."""
    return k + 0.999 * float(loads[:k].min()) / cap


class _Decoder:
    """Runs the compiled decoder and scores layouts: panels + load of the least loaded panel."""

    def __init__(self, w: Floats, h: Floats, turnable: NDArray[np.bool_], sheet: Sheet) -> None:
        n = len(w)
        self.w, self.h, self.turnable = w, h, turnable
        self.W, self.H = float(sheet.width), float(sheet.height)
        self.keep_outs = np.array(sheet.keep_outs, dtype=np.float64).reshape(-1, 4)
        self.panel = np.zeros(n, np.int64)
        self.x = np.zeros(n)
        self.y = np.zeros(n)
        self.rot = np.zeros(n, np.bool_)
        self.loads = np.zeros(n + 1)
        self.free_choice = np.zeros(n, np.int8)
        self.calls = 0

    def __call__(self, seq: NDArray[np.int64], rule: int, prefer: NDArray[np.int8] | None = None) -> float:
        self.calls += 1
        k = first_fit(
            self.w,
            self.h,
            self.turnable,
            self.free_choice if prefer is None else prefer,
            seq,
            self.W,
            self.H,
            rule,
            self.keep_outs,
            self.panel,
            self.x,
            self.y,
            self.rot,
            self.loads,
        )
        return layout_score(k, self.loads, self.W * self.H)

    def snapshot(self) -> tuple[NDArray[np.int64], Floats, Floats, NDArray[np.bool_]]:
        return self.panel.copy(), self.x.copy(), self.y.copy(), self.rot.copy()


def nest(
    w: Floats,
    h: Floats,
    sheet: Sheet,
    rotation: bool,
    time_limit: float,
    tiers: NDArray[np.int64] | None = None,
    seed: int = 0,
    patience: float | None = None,
) -> Nesting:
    """Nest boards of sizes w × h (each must fit an empty sheet in some allowed orientation). With
    `patience`, panel elimination also ends (or is skipped) once that many seconds have passed
    without a panel saved; the genetic search has its own patience."""
    started = time.perf_counter()
    deadline = started + max(0.0, time_limit)
    n = len(w)
    tiers = np.zeros(n, np.int64) if tiers is None else tiers
    turnable = np.zeros(n, np.bool_)
    if rotation:
        turnable = (np.abs(w - h) > 1e-9) & np.array(
            [sheet.fits_empty(b, a) for a, b in zip(w, h, strict=True)]
        )
    bound = lower_bound(np.stack([w, h], axis=1), sheet.width, sheet.height, rotation)
    if n == 0:
        empty = np.zeros(0)
        return Nesting(np.zeros(0, np.int64), empty, empty, np.zeros(0, np.bool_), 0, bound, 0.0)
    dec = _Decoder(w, h, turnable, sheet)
    rng = np.random.default_rng(seed)
    search = _Genetic(dec, w, h, tiers, rotation and bool(turnable.any()), rng)
    best_score, best = search.seed()
    method = "constructive"
    found_at = time.perf_counter() - started
    history = [(found_at, int(best_score))]
    single_tier = bool(np.all(tiers == tiers[0]))
    exact_left = EXACT_SHARE * time_limit

    def close_gap(share: float) -> None:
        """One panel from the bound: CP-SAT either proves the layout optimal or finds a better one.
        Boards that can turn make its model much weaker: with them it never settled a case in
        tests, so it is left out."""
        nonlocal exact_left, bound, best, best_score, method, found_at
        if int(best_score) != bound.best + 1 or sheet.keep_outs or turnable.any() or exact_left <= 0:
            return
        budget = min(share * exact_left, deadline - time.perf_counter())
        exact_left -= budget
        status, exact = on_panels(w, h, turnable, sheet.width, sheet.height, bound.best, budget, seed)
        if status == "infeasible":
            bound = Bound(bound.area, bound.best + 1, "exact")
        elif exact is not None and single_tier:  # it knows no due dates
            best, best_score, method = exact, float(bound.best), "exact"
            found_at = time.perf_counter() - started
            history.append((found_at, bound.best))

    # A short try first (most answers come within it), the rest once the genetic search is done, so
    # that the quick wins of the genetic search do not wait for CP-SAT.
    close_gap(EXACT_FIRST)
    if int(best_score) > bound.best:
        # 70 % of the time for the genetic search, the rest for panel elimination (when it applies).
        share = GENETIC_SHARE if single_tier else 1.0
        ga_deadline = started + max(0.0, time_limit) * share
        # With elimination to follow, a search that has stopped improving gives way early.
        score, layout = search.run(ga_deadline, bound.best, GENETIC_PATIENCE if single_tier else None)
        if int(score) < int(best_score):
            method, found_at = "genetic", search.found_at - started
            history += [(t - started, k) for t, k in search.history]
        if score < best_score - 1e-12:
            best_score, best = score, layout
        close_gap(1.0)
    panel, x, y, rot = best
    panels = int(best_score)
    moves = 0
    if panels > bound.best and time.perf_counter() < deadline and np.all(tiers == tiers[0]):
        before = panels
        panel, x, y, rot, panels, moves, when = _eliminate_phase(
            w, h, turnable, sheet, _renumber(panel), x, y, rot, panels, bound.best, deadline, rng,
            started + history[-1][0], patience,
        )  # fmt: skip
        if panels < before:
            method, found_at = "re-packing", when[-1][0] - started
            history += [(t - started, k) for t, k in when]
    panel = _renumber(panel)
    return Nesting(
        panel,
        x,
        y,
        rot,
        panels,
        bound,
        time.perf_counter() - started,
        dec.calls,
        moves,
        method,
        found_at,
        history,
    )


class _Genetic:
    """Biased random-key genetic algorithm: a chromosome is a key per board (the sequence, sorted
    within due-date tiers), one gene for the placement rule and, with turning, a gene per board for
    its preferred orientation."""

    POPULATION = 80
    ELITE = 0.2
    MUTANTS = 0.15
    BIAS = 0.7

    def __init__(
        self,
        dec: _Decoder,
        w: Floats,
        h: Floats,
        tiers: NDArray[np.int64],
        turning: bool,
        rng: np.random.Generator,
    ) -> None:
        self.dec, self.w, self.h, self.tiers, self.turning, self.rng = dec, w, h, tiers, turning, rng
        self.n = len(w)
        self.genes = self.n + 1 + (self.n if turning else 0)
        self.population: Floats = np.zeros((0, self.genes))
        self.scores: Floats = np.zeros(0)
        self.found_at = 0.0
        self.history: list[tuple[float, int]] = []

    def _evaluate(self, c: Floats) -> float:
        n = self.n
        seq = np.lexsort((c[:n], self.tiers)).astype(np.int64)
        rule = min(len(RULES) - 1, int(c[n] * len(RULES)))
        prefer = np.minimum(2, (c[n + 1 :] * 3).astype(np.int8)) if self.turning else None
        return self.dec(seq, rule, prefer)

    def seed(self) -> tuple[float, tuple[NDArray[np.int64], Floats, Floats, NDArray[np.bool_]]]:
        """The constructive phase: sorted orderings with every rule (free orientation choice)."""
        w, h, n = self.w, self.h, self.n
        chromosomes: list[Floats] = []
        for key in (w * h, np.maximum(w, h), h, w, w + h):
            keys = np.empty(n)
            keys[np.lexsort((-key, self.tiers))] = (np.arange(n) + 0.5) / n
            for rule in RULES:
                genes = [keys, np.array([(rule + 0.5) / len(RULES)])]
                if self.turning:
                    genes.append(np.full(n, 0.1))  # free choice of orientation
                chromosomes.append(np.concatenate(genes))
        self.population = np.array(chromosomes)
        self.scores = np.array([self._evaluate(c) for c in self.population])
        return self._best()

    def _best(self) -> tuple[float, tuple[NDArray[np.int64], Floats, Floats, NDArray[np.bool_]]]:
        i = int(np.argmin(self.scores))
        self._evaluate(self.population[i])
        return float(self.scores[i]), self.dec.snapshot()

    def run(
        self, deadline: float, bound: int, patience: int | None = None
    ) -> tuple[float, tuple[NDArray[np.int64], Floats, Floats, NDArray[np.bool_]]]:
        rng, size = self.rng, self.POPULATION
        pop, scores = self.population, self.scores
        if len(pop) < size:
            extra = rng.random((size - len(pop), self.genes))
            pop = np.concatenate([pop, extra])
            scores = np.concatenate([scores, [self._evaluate(c) for c in extra]])
        elite = max(1, int(size * self.ELITE))
        mutants = int(size * self.MUTANTS)
        best, stale = float(scores.min()), 0
        self.found_at = time.perf_counter()  # when the panel count last fell
        self.history = []
        while time.perf_counter() < deadline and int(scores.min()) > bound and stale < (patience or 1 << 30):
            order = np.argsort(scores, kind="stable")[:size]
            pop, scores = pop[order], scores[order]
            parents_a = pop[rng.integers(0, elite, size - elite - mutants)]
            parents_b = pop[rng.integers(elite, size, size - elite - mutants)]
            mask = rng.random(parents_a.shape) < self.BIAS
            kids = np.concatenate([np.where(mask, parents_a, parents_b), rng.random((mutants, self.genes))])
            kid_scores = np.empty(len(kids))
            for k, c in enumerate(kids):
                kid_scores[k] = self._evaluate(c)
                if time.perf_counter() > deadline:
                    kid_scores[k + 1 :] = np.inf
                    break
            pop = np.concatenate([pop[:elite], kids])
            scores = np.concatenate([scores[:elite], kid_scores])
            stale = stale + 1 if scores.min() >= best - 1e-12 else 0
            if int(scores.min()) < int(best):
                self.found_at = time.perf_counter()
                self.history.append((self.found_at, int(scores.min())))
            best = min(best, float(scores.min()))
        self.population, self.scores = pop, scores
        return self._best()


def _eliminate_phase(
    w: Floats,
    h: Floats,
    turnable: NDArray[np.bool_],
    sheet: Sheet,
    panel: NDArray[np.int64],
    x: Floats,
    y: Floats,
    rot: NDArray[np.bool_],
    panels: int,
    bound: int,
    deadline: float,
    rng: np.random.Generator,
    last_drop: float,
    patience: float | None,
) -> tuple[NDArray[np.int64], Floats, Floats, NDArray[np.bool_], int, int, list[tuple[float, int]]]:
    """Iterated local search (elimination.py): the local search empties the weakest panel as far as
    it can, then a few panels are ruined and recreated, and so on. Each round starts from the last
    layout no worse than its own start by more than ACCEPT (so a bad ruin is undone rather than
    built on), and after RESTART rounds without a better layout from the best one. With
    `patience`, it ends that many seconds after the last panel saved (`last_drop`, also before it
    started). Returns the best layout, its panel count, the number of rounds that improved it and
    when (perf_counter) the panel count fell."""
    panel, x, y, rot = panel.copy(), x.copy(), y.copy(), rot.copy()
    area = w * h
    cap = sheet.width * sheet.height
    keep_outs = np.array(sheet.keep_outs, dtype=np.float64).reshape(-1, 4)
    zob = rng.integers(1, 1 << 62, len(w), dtype=np.int64)
    cache = new_cache()

    def score(k: int, p: NDArray[np.int64]) -> float:
        return layout_score(k, np.bincount(p, weights=area, minlength=k), cap)

    best_score = score(panels, panel)
    best = _copied((panel, x, y, rot, panels))
    k, since, moves, checks = panels, 0, 0, 256
    when: list[tuple[float, int]] = []  # (time, panels) as they fell
    current, current_score = best, best_score  # the layout the next round perturbs
    while best[4] > bound and time.perf_counter() < deadline:
        if patience is not None and time.perf_counter() - last_drop > patience:
            break
        started = time.perf_counter()
        k, _, stuck = eliminate(w, h, turnable, sheet.width, sheet.height, keep_outs, panel, x, y, rot, k,
                                bound, zob, cache, checks)  # fmt: skip
        # Calls of about 10 ms keep the deadline whatever the boards per panel.
        took = time.perf_counter() - started
        checks = (
            max(16, min(checks * 2, 1 << 16))
            if took < 0.005
            else max(16, checks // 2)
            if took > 0.02
            else checks
        )
        now = score(k, panel)
        if now < best_score - 1e-12:
            if k < best[4]:
                last_drop = time.perf_counter()
                when.append((last_drop, k))
            best_score, best, since = now, _copied((panel, x, y, rot, k)), 0
            moves += 1
        if not stuck and k > bound:
            continue
        since += 1
        if since > RESTART:
            current, current_score, since = best, best_score, 0
        elif now <= current_score + ACCEPT:
            current, current_score = (panel, x, y, rot, k), now
        panel, x, y, rot, k = _copied(current)  # current's own arrays are never changed
        ruin, seed = int(rng.integers(1, RUIN + 1)), int(rng.integers(1 << 30))
        k = perturb(w, h, turnable, sheet.width, sheet.height, keep_outs, panel, x, y, rot, k, ruin, zob,
                    cache, seed)  # fmt: skip
    panel, x, y, rot, k = best
    return panel, x, y, rot, k, moves, when


Layout = tuple[NDArray[np.int64], Floats, Floats, NDArray[np.bool_], int]


def _copied(layout: Layout) -> Layout:
    panel, x, y, rot, k = layout
    return panel.copy(), x.copy(), y.copy(), rot.copy(), k


def _renumber(panel: NDArray[np.int64]) -> NDArray[np.int64]:
    """Panels numbered 0..k-1 in the order they were opened (emptied ones removed)."""
    _, inverse = np.unique(panel, return_inverse=True)
    return inverse.astype(np.int64)
