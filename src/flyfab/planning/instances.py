"""Readers for the textbook scheduling instances: the classic job shop (Fisher & Thompson,
Lawrence, Taillard: `jobs machines` then `machine duration` pairs per job, machines from 0) and
Brandimarte's flexible job shop (`jobs machines flexibility`, then per job the operation count and
per operation its alternatives as `machine duration` pairs, machines from 1)."""

from __future__ import annotations

from pathlib import Path

from flyfab.planning.problem import Job, Machine, Operation, Option, Problem


class InstanceError(ValueError):
    """A file that is not a readable instance, with where and why."""


def _numbers(path: Path, header_words: int | None = None) -> list[int]:
    """Every whole number of the file in order; with `header_words`, only that many of the first
    line count (the rest of it, such as a fractional average flexibility, is informative)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise InstanceError(f"{path}: cannot read it ({e})") from None
    values: list[int] = []
    first = True
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if first and header_words is not None:
            line = " ".join(line.split()[:header_words])
        first = False
        for word in line.split():
            try:
                values.append(int(word))
            except ValueError:
                try:
                    as_float = float(word)
                except ValueError:
                    raise InstanceError(f"{path}:{n}: {word!r} is not a number") from None
                if not as_float.is_integer():
                    raise InstanceError(f"{path}:{n}: {word!r} is not a whole number") from None
                values.append(int(as_float))
    return values


class _Cursor:
    def __init__(self, values: list[int], path: Path) -> None:
        self.values, self.i, self.path = values, 0, path

    def take(self, what: str, low: int = 0, high: int | None = None) -> int:
        if self.i >= len(self.values):
            raise InstanceError(f"{self.path}: the file ends where {what} was expected")
        v = self.values[self.i]
        self.i += 1
        if v < low or (high is not None and v > high):
            bound = f"{low}..{high}" if high is not None else f"at least {low}"
            raise InstanceError(f"{self.path}: {what} is {v}, expected {bound}")
        return v


def read_jobshop(path: Path) -> Problem:
    values = _numbers(path)
    if len(values) < 2:
        raise InstanceError(f"{path}: expected `jobs machines` on the first line")
    cur = _Cursor(values, path)
    n = cur.take("the number of jobs", 1)
    m = cur.take("the number of machines", 1)
    jobs = []
    for j in range(n):
        ops = []
        for k in range(m):
            machine = cur.take(f"job {j} step {k} machine", 0, m - 1)
            duration = cur.take(f"job {j} step {k} duration", 0)
            ops.append(Operation(step=k, options=(Option(machine, duration),)))
        jobs.append(Job(name=str(j), operations=tuple(ops)))
    if cur.i != len(values):
        raise InstanceError(f"{path}: {len(values) - cur.i} numbers left over after {n} jobs of {m} steps")
    return _problem(path, jobs, m)


def read_fjsp(path: Path) -> Problem:
    values = _numbers(path, header_words=2)
    if len(values) < 2:
        raise InstanceError(f"{path}: expected `jobs machines [flexibility]` on the first line")
    cur = _Cursor(values, path)
    n = cur.take("the number of jobs", 1)
    m = cur.take("the number of machines", 1)
    jobs = []
    for j in range(n):
        count = cur.take(f"job {j}: the number of operations", 1)
        ops = []
        for k in range(count):
            alternatives = cur.take(f"job {j} step {k}: the number of machines", 1, m)
            options: dict[int, int] = {}
            for _ in range(alternatives):
                machine = cur.take(f"job {j} step {k} machine", 1, m) - 1
                duration = cur.take(f"job {j} step {k} duration", 0)
                options[machine] = min(duration, options.get(machine, duration))
            ops.append(Operation(step=k, options=tuple(Option(a, d) for a, d in sorted(options.items()))))
        jobs.append(Job(name=str(j), operations=tuple(ops)))
    if cur.i != len(values):
        raise InstanceError(f"{path}: {len(values) - cur.i} numbers left over after {n} jobs")
    return _problem(path, jobs, m)


def _problem(path: Path, jobs: list[Job], m: int) -> Problem:
    machines = tuple(Machine(name=str(i)) for i in range(m))
    return Problem(jobs=tuple(jobs), machines=machines, objective="makespan", name=path.stem)
