"""The price book: what the factory charges and promises, read from a TOML file it edits.

The file is validated as a whole on load. An unknown key, a wrong type, an impossible value, an
offered option value without a price, or rules that would make a larger order cost more per board
or a faster tier cost less, are refused with the file and the dotted key named. docs/pricing.md
documents every key; the shipped book (`price_book.toml` beside this module) is the example.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import date, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from flyfab.pricing.money import ONE, ZERO, to_decimal
from flyfab.tomlfile import dotted, read_toml

# Numbers are exact decimals; strings ("12.50") are the safe spelling, plain TOML numbers are read
# by their decimal spelling.
Dec = Annotated[Decimal, BeforeValidator(to_decimal)]
Money = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0)]
Rate = Annotated[Decimal, BeforeValidator(to_decimal), Field(gt=0)]
Length = Annotated[Decimal, BeforeValidator(to_decimal), Field(gt=0, lt=10_000)]
Days = Annotated[int, Field(ge=0, le=365)]
Layers = Annotated[int, Field(ge=1, le=128)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]

# Options that the quote itself answers to on the command line; no option may take these names.
LEAD_TIME = "lead_time"
SHIPPING = "shipping"
CLASS = "class"  # the capability class: its values are the DFM classes, its minimum is DFM's verdict
THICKNESS = "thickness"  # values in mm; shipping weight follows it
RESERVED = frozenset({LEAD_TIME, SHIPPING})
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AREA_UNITS: dict[str, Decimal] = {  # mm² per unit
    "mm2": ONE,
    "cm2": Decimal(100),
    "in2": Decimal("645.16"),
    "m2": Decimal(1_000_000),
}


class PriceBookError(ValueError):
    """A price book that cannot be used, with the reason and where."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantity(Strict):
    min: Annotated[int, Field(ge=1)] = 1
    max: Annotated[int, Field(ge=1, le=10_000_000)]
    sale_unit: Annotated[int, Field(ge=1, le=1000)] = 1  # boards are sold in whole multiples of this
    max_area_m2: Rate | None = None  # the most board area one order may hold

    @model_validator(mode="after")
    def _range(self) -> Quantity:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) exceeds max ({self.max})")
        if self.max < self.sale_unit:
            raise ValueError(f"max ({self.max}) is below one sale unit ({self.sale_unit})")
        return self


class Setup(Strict):
    label: Name = "engineering and setup"
    fixed: Money = ZERO
    per_copper_layer: Money = ZERO  # films, drilling and test programs grow with the layers


class Panel(Strict):
    name: Name
    width_mm: Length
    height_mm: Length
    frame_mm: Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0)] = ZERO  # each side, not usable

    @model_validator(mode="after")
    def _usable(self) -> Panel:
        if 2 * self.frame_mm >= min(self.width_mm, self.height_mm):
            raise ValueError(f"frame_mm {self.frame_mm} leaves no usable area on the panel")
        return self

    @property
    def usable_mm(self) -> tuple[Decimal, Decimal]:
        return self.width_mm - 2 * self.frame_mm, self.height_mm - 2 * self.frame_mm

    @property
    def area_m2(self) -> Decimal:
        return self.width_mm * self.height_mm / AREA_UNITS["m2"]


class Pool(Strict):
    panel: Name  # the panel size pooled orders share
    fill: Annotated[Decimal, BeforeValidator(to_decimal), Field(gt=0, le=1)]  # usable area filled on average


class PanelProduction(Strict):
    """Boards made on production panels: a share of a pooled panel, or whole dedicated panels."""

    method: Literal["panels"]
    spacing_mm: Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0, lt=100)]
    panels: list[Panel] = Field(min_length=1)
    pool: Pool | None = None
    rates_m2: dict[Layers, Rate] = Field(min_length=1)  # per m² of production panel, by copper layers

    @model_validator(mode="after")
    def _pool_panel(self) -> PanelProduction:
        names = [p.name for p in self.panels]
        if len(set(names)) != len(names):
            raise ValueError("panels: two panels share a name")
        if self.pool is not None and self.pool.panel not in names:
            raise ValueError(f"pool.panel {self.pool.panel!r} is not one of the panels: {', '.join(names)}")
        return self

    @property
    def layer_counts(self) -> list[int]:
        return sorted(self.rates_m2)


class AreaProduction(Strict):
    """Boards priced by their own area: a rate per area unit per sale unit, by copper layers."""

    method: Literal["area"]
    area_unit: Literal["mm2", "cm2", "in2", "m2"]
    rates: dict[Layers, Rate] = Field(min_length=1)

    @property
    def layer_counts(self) -> list[int]:
        return sorted(self.rates)


class QuantityBreak(Strict):
    from_quantity: Annotated[int, Field(ge=1)]
    factor: Annotated[Decimal, BeforeValidator(to_decimal), Field(gt=0, le=1)]


class Price(Strict):
    """What an option value adds; every part is optional, an empty table costs nothing."""

    fixed: Money = ZERO  # once per order
    per_board: Money = ZERO
    per_m2: Money = ZERO  # per m² of board (extents)
    per_hole: Money = ZERO  # per drilled hole of each board
    percent: Money = ZERO  # of the board production price

    def is_free(self) -> bool:
        return not any((self.fixed, self.per_board, self.per_m2, self.per_hole, self.percent))


class Rules(Strict):
    """Which boards an option (or one of its values) is offered for. Every rule is optional."""

    layers: tuple[Layers, Layers] | None = None  # copper layers [fewest, most]
    min_board_mm: tuple[Length, Length] | None = None  # [short side, long side]
    max_board_mm: tuple[Length, Length] | None = None
    min_feature_mm: Length | None = None  # smallest trace width and copper gap at least this
    min_hole_mm: Length | None = None  # smallest drilled hole at least this
    needs_plated_holes: bool = False
    note: str | None = None  # the factory's reason, shown with every refusal


class Value(Rules):
    label: Name | None = None
    price: Price  # required: an offered value without a price is a mistake in the book
    requires: dict[Identifier, list[str]] = Field(default_factory=dict)  # other option -> allowed values
    extra_days: Days = 0  # working days added to every lead-time tier
    pool: bool = True  # False: never on a shared (pooled) panel
    suggested_by: Identifier | None = None  # a board hint ("castellated") that makes this the default


class Option(Rules):
    label: Name
    unit: str | None = None  # shown after values ("mm")
    default: str
    values: dict[str, Value] = Field(min_length=1)

    @model_validator(mode="after")
    def _default(self) -> Option:
        if self.default not in self.values:
            raise ValueError(f"default {self.default!r} is not one of the values: {', '.join(self.values)}")
        return self


class Tier(Strict):
    name: Identifier
    label: Name | None = None
    working_days: dict[Layers, Annotated[int, Field(ge=1, le=365)]] = Field(min_length=1)
    percent: Money = ZERO  # of the price before shipping
    fixed: Money = ZERO
    max_area_m2: Rate | None = None  # larger orders cannot be made this fast


class ExtraDays(Strict):
    from_area_m2: Rate
    days: Annotated[int, Field(ge=1, le=365)]


class Calendar(Strict):
    time_zone: str
    working_weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    cut_off: time  # orders placed later on a working day start the next working day
    holidays: list[date] = Field(default_factory=list)
    extra_working_days: list[date] = Field(default_factory=list)  # worked although the weekday is not

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'{value!r} is not a time zone name (write e.g. "Europe/Berlin")') from None
        return value

    @field_validator("cut_off", mode="before")
    @classmethod
    def _cut_off(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
            return value.strip().zfill(5) + ":00"
        return value


class ShippingOption(Strict):
    name: Identifier
    label: Name | None = None
    base: Money
    per_kg: Money
    kg_step: Rate  # the carrier charges whole steps of this weight
    transit_days: tuple[Annotated[int, Field(ge=0, le=90)], Annotated[int, Field(ge=0, le=90)]]
    max_kg: Rate | None = None


class Shipping(Strict):
    board_density_g_cm3: Rate  # FR-4 laminate with copper: about 1.85
    packaging_g: Money = ZERO  # per parcel
    default_thickness_mm: Length = Decimal("1.6")  # when the book has no thickness option
    options: list[ShippingOption] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Shipping:
        names = [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise ValueError("options: two shipping options share a name")
        return self


class PriceBook(Strict):
    name: Name
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    minor_unit: Annotated[Decimal, BeforeValidator(to_decimal), Field(gt=0, le=1)] = Decimal("0.01")
    valid_days: Annotated[int, Field(ge=1, le=365)]  # a quote holds this many days
    quantity: Quantity
    setup: Setup = Setup()
    production: Annotated[PanelProduction | AreaProduction, Field(discriminator="method")]
    quantity_breaks: list[QuantityBreak] = Field(default_factory=list)
    options: dict[Identifier, Option] = Field(default_factory=dict)
    lead_times: list[Tier] = Field(min_length=1)  # slowest (cheapest) first
    lead_time_extra_days: list[ExtraDays] = Field(default_factory=list)  # large orders take longer
    calendar: Calendar
    shipping: Shipping | None = None
    source: str = ""
    digest: str = ""

    @field_validator("minor_unit")
    @classmethod
    def _minor(cls, value: Decimal) -> Decimal:
        if value != Decimal(1).scaleb(value.adjusted()) or value.adjusted() > 0:
            raise ValueError("must be a power of ten such as 0.01 or 1")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PriceBook:
        _check_breaks(self.quantity_breaks)
        _check_options(self.options)
        _check_tiers(self.lead_times, self.production.layer_counts)
        steps = [e.from_area_m2 for e in self.lead_time_extra_days]
        if steps != sorted(steps) or [e.days for e in self.lead_time_extra_days] != sorted(
            e.days for e in self.lead_time_extra_days
        ):
            raise ValueError("lead_time_extra_days: list larger areas later, with at least as many days")
        if self.quantity.min % self.quantity.sale_unit and self.quantity.min > self.quantity.sale_unit:
            raise ValueError("quantity.min must be a multiple of quantity.sale_unit")
        return self

    @property
    def layer_counts(self) -> list[int]:
        return self.production.layer_counts

    def option_label(self, name: str) -> str:
        return self.options[name].label if name in self.options else name.replace("_", " ")


def _check_breaks(breaks: list[QuantityBreak]) -> None:
    for i, (low, high) in enumerate(itertools.pairwise(breaks)):
        if high.from_quantity <= low.from_quantity:
            raise ValueError(f"quantity_breaks.{i + 1}: list the breaks by rising from_quantity")
        if high.factor > low.factor:
            raise ValueError(
                f"quantity_breaks.{i + 1}: factor {high.factor} above {low.factor}: "
                "a larger order would cost more per board"
            )


def _check_options(options: dict[str, Option]) -> None:
    for name, option in options.items():
        if name in RESERVED:
            raise ValueError(f"options.{name}: the name is taken by the quote itself ({', '.join(RESERVED)})")
        if name == THICKNESS:
            for mm in option.values:
                try:
                    if to_decimal(mm) <= 0:
                        raise ValueError
                except ValueError:
                    raise ValueError(f"options.thickness.values.{mm}: thickness values are mm") from None
        for value_name, value in option.values.items():
            for other, allowed in value.requires.items():
                where = f"options.{name}.values.{value_name}.requires.{other}"
                if other == name or other not in options:
                    raise ValueError(f"{where}: no other option is called {other!r}")
                unknown = [v for v in allowed if v not in options[other].values]
                if unknown or not allowed:
                    raise ValueError(
                        f"{where}: {', '.join(map(repr, unknown)) or 'an empty list'} "
                        f"(values: {', '.join(options[other].values)})"
                    )


def _check_tiers(tiers: list[Tier], layer_counts: list[int]) -> None:
    names = [t.name for t in tiers]
    if len(set(names)) != len(names):
        raise ValueError("lead_times: two tiers share a name")
    missing = [n for n in layer_counts if n not in tiers[0].working_days]
    if missing:
        raise ValueError(
            f"lead_times.0.working_days: the slowest tier must serve every layer count production "
            f"offers; missing {', '.join(map(str, missing))}"
        )
    for i, (slow, fast) in enumerate(itertools.pairwise(tiers)):
        where = f"lead_times.{i + 1}"
        if fast.percent < slow.percent or fast.fixed < slow.fixed:
            raise ValueError(f"{where}: a faster tier must not cost less than {slow.name}")
        for layers, days in fast.working_days.items():
            slower = [t.working_days[layers] for t in tiers[: i + 1] if layers in t.working_days]
            if slower and days >= min(slower):
                raise ValueError(
                    f"{where}.working_days.{layers}: {days} days is not faster than the tiers listed before"
                )


def _where(loc: tuple[int | str, ...]) -> str:
    parts = list(loc)
    if len(parts) > 1 and parts[0] == "production" and parts[1] in ("panels", "area"):
        del parts[1]  # the method tag pydantic puts into the location
    return dotted(tuple(parts))


def _message(e: Any) -> str:
    if e["type"] == "missing" and e["loc"] and e["loc"][-1] == "price":
        return "missing: every offered value needs a price (price = {} when it costs nothing)"
    if e["type"] == "extra_forbidden":
        return "unknown key (docs/pricing.md lists the keys)"
    if e["type"] == "missing":
        return "missing"
    msg = str(e["msg"])
    return msg.removeprefix("Value error, ")


def parse_price_book(text: str, source: str) -> PriceBook:
    raw = read_toml(text, source, PriceBookError)
    for key in ("source", "digest"):
        if key in raw:
            raise PriceBookError(f"{source}: {key}: unknown key (docs/pricing.md lists the keys)")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        return PriceBook.model_validate({**raw, "source": source, "digest": digest})
    except ValidationError as err:
        lines = []
        for e in err.errors():
            shown = e["input"]
            got = f" (got {shown!r})" if e["type"] != "missing" and not isinstance(shown, dict | list) else ""
            where = f"{_where(e['loc'])}: " if e["loc"] else ""  # top-level checks name their key
            lines.append(f"{source}: {where}{_message(e)}{got}")
        raise PriceBookError("\n".join(lines)) from None


def default_price_book_text() -> str:
    return resources.files("flyfab.pricing").joinpath("price_book.toml").read_text(encoding="utf-8")


def load_price_book(path: Path | None = None) -> PriceBook:
    """The price book in `path`, or the shipped one."""
    if path is None:
        return parse_price_book(default_price_book_text(), "flyfab/pricing/price_book.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PriceBookError(f"cannot read price book {path}: {err}") from None
    return parse_price_book(text, str(path))
