"""Routes: the steps a panel takes, per technology, with the options' extra or replaced steps.

A route names work centres (several alternatives as `a|b`) and segments, shared runs of steps such
as the inner-layer processes; segments may name segments, so a route can loop, which is an error
for the orders that use it, like a technology without routing or an unknown option.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flyfab.planning.factory import Count, Factory, StepSpec


class RouteError(ValueError):
    """Why a technology with these options cannot be routed."""


@dataclass(frozen=True)
class RouteStep:
    name: str  # as the route writes it, e.g. "ldi" or "flying_probe|fixture_test"
    centres: tuple[str, ...]
    count: Count = "panel"


def _spec(ref: str | StepSpec) -> StepSpec:
    return ref if isinstance(ref, StepSpec) else StepSpec(centre=ref)


def _expand(factory: Factory, refs: Sequence[str | StepSpec], trail: tuple[str, ...]) -> list[RouteStep]:
    out: list[RouteStep] = []
    for ref in refs:
        spec = _spec(ref)
        name = spec.centre
        if name in factory.segments:
            if name in trail:
                loop = " → ".join([*trail[trail.index(name) :], name])
                raise RouteError(f"the route is cyclic: {loop}")
            out.extend(_expand(factory, factory.segments[name].steps, (*trail, name)))
            continue
        centres = tuple(c.strip() for c in name.split("|"))
        unknown = [c for c in centres if c not in factory.centres]
        if unknown:
            raise RouteError(
                f"step {name!r} names no work centre or segment of the factory ({', '.join(unknown)})"
            )
        out.append(RouteStep(name=name, centres=centres, count=spec.count))
    return out


def route(factory: Factory, technology: str, options: Sequence[str] = ()) -> list[RouteStep]:
    """The steps of one panel of `technology` with `options`, or RouteError saying why not."""
    if technology not in factory.routings:
        known = ", ".join(factory.routings) or "none"
        raise RouteError(f"no routing for technology {technology!r} in {factory.source} (known: {known})")
    base = factory.routings[technology]
    refs: list[str | StepSpec] = list(base.steps)
    for name in options:
        if name not in factory.options:
            known = ", ".join(factory.options) or "none"
            raise RouteError(f"unknown option {name!r} (known: {known})")
        option = factory.options[name]
        for old, new in option.replace.items():
            hits = [i for i, r in enumerate(refs) if _spec(r).centre == old]
            if not hits:
                raise RouteError(f"option {name!r} replaces step {old!r}, which the {technology} route lacks")
            for i in hits:
                refs[i] = StepSpec(centre=new, count=_spec(refs[i]).count)
        for insert in option.insert:
            hits = [i for i, r in enumerate(refs) if _spec(r).centre == insert.after]
            if not hits:
                raise RouteError(
                    f"option {name!r} adds steps after {insert.after!r}, which the {technology} route lacks"
                )
            at = hits[-1] + 1
            refs[at:at] = list(insert.steps)
    return _expand(factory, refs, (f"routings.{technology}",))
