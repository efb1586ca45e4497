"""Choosing the options of a quote: the customer's choices, checked against the board and each other,
and a value for every other option.

A value is available when the board meets its rules (and its option's rules); the capability class
must be at least the class DFM requires. Two values are compatible when neither `requires` the other
option to take a different value. The customer's choices must be available and compatible, or the
quote is refused with what is allowed. Every other option takes the first value that is available
and compatible with everything chosen so far, in the book's order: a value suggested by the board
(the class DFM requires, castellated holes it shows), then the default, then the values as listed.
A value is listed as unavailable when the board's rules or the customer's own choices exclude it;
values chosen by default never do, they give way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flyfab.pricing.book import CLASS, Option, PriceBook, PriceBookError, Rules
from flyfab.pricing.facts import BoardFacts


class QuoteError(ValueError):
    """A request that cannot be quoted as asked: the message says what is allowed."""


@dataclass(frozen=True)
class Unavailable:
    option: str
    value: str | None  # None: the whole option does not apply to this board
    reason: str


@dataclass(frozen=True)
class Choice:
    option: str
    value: str
    by: str  # "customer", "default", "board" (suggested by the board) or "adjusted"
    note: str | None = None


def show_value(option: Option, value: str) -> str:
    return f"{value} {option.unit}" if option.unit else value


def _num(v: Decimal) -> str:
    return f"{v.normalize():f}"


def rule_failures(rules: Rules, facts: BoardFacts, layers: int) -> list[str]:
    """Why the board does not meet `rules` (empty: it does)."""
    out = []
    short, long = facts.short_long_mm
    if rules.layers is not None and not rules.layers[0] <= layers <= rules.layers[1]:
        low, high = rules.layers
        out.append(f"needs {low}–{high} copper layers; this board has {layers}")
    if rules.min_board_mm is not None and (short < rules.min_board_mm[0] or long < rules.min_board_mm[1]):
        a, b = rules.min_board_mm
        out.append(
            f"needs a board of at least {_num(a)} × {_num(b)} mm; this one is {_num(short)} × {_num(long)} mm"
        )
    if rules.max_board_mm is not None and (short > rules.max_board_mm[0] or long > rules.max_board_mm[1]):
        a, b = rules.max_board_mm
        out.append(
            f"takes boards up to {_num(a)} × {_num(b)} mm; this one is {_num(short)} × {_num(long)} mm"
        )
    feature = facts.min_feature_mm
    if rules.min_feature_mm is not None and feature is not None and feature < rules.min_feature_mm:
        out.append(
            f"needs traces and gaps of at least {_num(rules.min_feature_mm)} mm; "
            f"this board has {_num(feature)} mm"
        )
    hole = facts.smallest_hole_mm
    if rules.min_hole_mm is not None and hole is not None and hole < rules.min_hole_mm:
        out.append(
            f"needs holes of at least {_num(rules.min_hole_mm)} mm; the smallest here is {_num(hole)} mm"
        )
    if rules.needs_plated_holes and facts.plated_holes == 0:
        out.append("needs plated holes; this board has none")
    if out and rules.note:
        out[-1] += f" ({rules.note})"
    return out


def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().casefold())


def match_option(book: PriceBook, name: str, extra: tuple[str, ...]) -> str:
    key = _key(name).replace(" ", "_")
    for known in (*book.options, *extra):
        if key == known:
            return known
    allowed = ", ".join((*book.options, *extra))
    raise QuoteError(f"unknown option {name!r}; the options are: {allowed}")


def match_value(name: str, values: list[str], unit: str | None, asked: str) -> str:
    """The value of `values` that `asked` names: case, spaces, dashes and a trailing unit ignored."""
    key = _key(asked)
    if unit and key.endswith(unit.casefold()):
        key = key[: -len(unit)].strip()
    for v in values:
        if _key(v) == key:
            return v
    try:
        number = Decimal(key)
        for v in values:
            try:
                if Decimal(v) == number:
                    return v
            except InvalidOperation:
                continue
    except InvalidOperation:
        pass
    raise QuoteError(f"{name}: unknown value {asked!r}; the values are: {', '.join(values)}")


@dataclass
class Resolution:
    choices: dict[str, Choice]
    unavailable: list[Unavailable]


def _board_reasons(option: Option, name: str, value: str, facts: BoardFacts, layers: int) -> list[str]:
    reasons = rule_failures(option.values[value], facts, layers)
    required, why = facts.min_class, facts.class_reasons
    if name == CLASS and required is not None and required in facts.classes:
        order = list(facts.classes)
        rank = order.index(value) if value in order else len(order)
        if rank < order.index(required):
            reasons.append(f"the board needs the {required} class: {'; '.join(why) or 'its finest features'}")
    return reasons


def _conflict(book: PriceBook, a: str, va: str, b: str, vb: str) -> str | None:
    """Why value va of option a and value vb of option b cannot go together (None: they can)."""
    for (x, vx), (y, vy) in (((a, va), (b, vb)), ((b, vb), (a, va))):
        value = book.options[x].values[vx]
        allowed = value.requires.get(y)
        if allowed is not None and vy not in allowed:
            ox, oy = book.options[x], book.options[y]
            shown = ", ".join(show_value(oy, v) for v in allowed)
            why = f" ({value.note})" if value.note else ""
            return f"{ox.label} {show_value(ox, vx)} needs {oy.label} {shown}, not {show_value(oy, vy)}{why}"
    return None


def check_class_prices(book: PriceBook, facts: BoardFacts) -> None:
    if CLASS not in book.options or not facts.classes:
        return
    missing = [c for c in facts.classes if c not in book.options[CLASS].values]
    if missing:
        raise PriceBookError(
            f"{book.source}: options.class.values: no price for the capability class "
            f"{', '.join(map(repr, missing))} (the capability profiles offer: {', '.join(facts.classes)})"
        )


def resolve(book: PriceBook, facts: BoardFacts, layers: int, asked: dict[str, str]) -> Resolution:
    """Every option's value for this board; `asked` maps option names to the customer's values."""
    check_class_prices(book, facts)
    unavailable: list[Unavailable] = []
    board_ok: dict[str, dict[str, list[str]]] = {}
    for name, option in book.options.items():
        not_here = rule_failures(option, facts, layers)
        if not_here:
            if name in asked:
                raise QuoteError(f"{name} does not apply to this board: {'; '.join(not_here)}")
            unavailable.append(Unavailable(name, None, "; ".join(not_here)))
            continue
        board_ok[name] = {v: _board_reasons(option, name, v, facts, layers) for v in option.values}

    choices: dict[str, Choice] = {}
    for name in [n for n in book.options if n in asked]:  # the book's order, not the asking's
        raw = asked[name]
        option = book.options[name]
        value = match_value(name, list(option.values), option.unit, raw)
        reasons = board_ok[name][value]
        if reasons:
            allowed = [show_value(option, v) for v, r in board_ok[name].items() if not r]
            raise QuoteError(
                f"{name}={show_value(option, value)} is not available for this board: {'; '.join(reasons)}. "
                f"Available: {', '.join(allowed)}"
            )
        for other in choices.values():
            why = _conflict(book, name, value, other.option, other.value)
            if why:
                raise QuoteError(f"{name}={value} and {other.option}={other.value} do not go together: {why}")
        choices[name] = Choice(name, value, "customer")

    for name, option in book.options.items():
        if name not in board_ok or name in choices:
            continue
        suggested = [v for v, value in option.values.items() if value.suggested_by in facts.hints]
        if name == CLASS and facts.min_class in option.values:
            suggested = [facts.min_class]
        order = list(dict.fromkeys([*suggested, option.default, *option.values]))
        refusals: list[str] = []
        for value in order:
            reasons = list(board_ok[name][value])
            reasons += [r for c in choices.values() if (r := _conflict(book, name, value, c.option, c.value))]
            if reasons:
                refusals.append(f"{show_value(option, value)}: {reasons[0]}")
                continue
            if value == option.default:
                choices[name] = Choice(name, value, "default")
            elif value in suggested:
                hint = option.values[value].suggested_by
                why = f"the board shows {hint} features" if hint else f"the board needs the {value} class"
                choices[name] = Choice(name, value, "board", why)
            else:
                choices[name] = Choice(name, value, "adjusted", refusals[0] if refusals else None)
            break
        else:
            raise QuoteError(
                f"no {option.label} fits this board with the options chosen: {'; '.join(refusals)}"
            )

    for name, option in book.options.items():
        if name not in board_ok:
            continue
        for value in option.values:
            if value == choices[name].value:
                continue
            reasons = board_ok[name][value]
            if not reasons:
                # Values chosen by default give way to the customer's choice; the customer's do not.
                mine = [c for c in choices.values() if c.by == "customer"]
                reasons = [r for c in mine if (r := _conflict(book, name, value, c.option, c.value))]
            if reasons:
                unavailable.append(Unavailable(name, value, "; ".join(reasons)))
    return Resolution({n: choices[n] for n in book.options if n in choices}, unavailable)
