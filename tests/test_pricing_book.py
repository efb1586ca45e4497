"""The price book: the shipped one is complete and realistic; a broken one is refused with the file
and the key named."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from flyfab.pricing import PriceBookError, load_price_book, parse_price_book
from flyfab.pricing.book import default_price_book_text
from tests.pricing_support import DEFAULT

SHIPPED = default_price_book_text()
ISSUE_OPTIONS = {
    "thickness",
    "outer_copper",
    "inner_copper",
    "surface_finish",
    "solder_mask",
    "silkscreen",
    "class",
    "via_treatment",
    "castellated_holes",
    "gold_fingers",
    "impedance_control",
    "electrical_test",
}


def test_shipped_book_offers_every_option_a_fab_sells() -> None:
    assert set(DEFAULT.options) == ISSUE_OPTIONS
    finishes = set(DEFAULT.options["surface_finish"].values)
    assert finishes == {
        "HASL",
        "lead-free HASL",
        "ENIG",
        "OSP",
        "immersion silver",
        "immersion tin",
        "hard gold",
    }
    assert set(DEFAULT.options["via_treatment"].values) == {"tented", "plugged", "filled"}
    assert "bevelled" in DEFAULT.options["gold_fingers"].values
    assert DEFAULT.currency == "EUR" and DEFAULT.minor_unit == Decimal("0.01")
    assert DEFAULT.calendar.time_zone == "Europe/Berlin" and DEFAULT.calendar.holidays
    assert DEFAULT.shipping is not None and len(DEFAULT.shipping.options) >= 2
    assert len(DEFAULT.lead_times) >= 2 and DEFAULT.quantity_breaks
    assert DEFAULT.layer_counts == [1, 2, 4, 6, 8, 10, 12, 14, 16]


def test_shipped_book_prices_every_class_of_the_shipped_profiles() -> None:
    from flyfab.dfm import load_profiles

    assert set(load_profiles().names()) == set(DEFAULT.options["class"].values)


def broken(old: str, new: str) -> str:
    assert old in SHIPPED, old
    return SHIPPED.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        (
            'values.ENIG = { price = { fixed = "10.00", per_m2 = "45.00" }, extra_days = 1 }',
            "values.ENIG = { extra_days = 1 }",
            "options.surface_finish.values.ENIG.price",
            "every offered value needs a price",
        ),
        ('currency = "EUR"', 'currency = "EUR"\ncolour = "red"', "colour", "unknown key"),
        ('fixed = "8.00"', 'fixed = "eight"', "setup.fixed", "not a number"),
        ('fixed = "8.00"', 'fixed = "-8.00"', "setup.fixed", "greater than or equal to 0"),
        ('fixed = "8.00"', 'fixed = "NaN"', "setup.fixed", "not a finite number"),
        (
            'time_zone = "Europe/Berlin"',
            'time_zone = "Europe/Atlantis"',
            "calendar.time_zone",
            "not a time zone",
        ),
        (
            'default = "HASL"',
            'default = "gold leaf"',
            "options.surface_finish",
            "default 'gold leaf' is not one",
        ),
        (
            'values."0.4" = { price = { percent = "20" }',
            'values."thin" = { price = { percent = "20" }',
            "options.thickness.values.thin",
            "thickness values are mm",
        ),
        (
            'requires = { solder_mask = ["white", "yellow"] }',
            'requires = { solder_mask = ["white", "pink"] }',
            "options.silkscreen.values.black.requires.solder_mask",
            "'pink'",
        ),
        (
            'factor = "0.90"',
            'factor = "0.97"',
            "quantity_breaks.1",
            "a larger order would cost more per board",
        ),
        ("1 = 3, 2 = 3, 4 = 5", "1 = 3, 2 = 6, 4 = 5", "lead_times.1.working_days.2", "not faster"),
        (
            "working_days = { 1 = 5, 2 = 5, 4 = 7,",
            "working_days = { 1 = 5, 4 = 7,",
            "lead_times.0.working_days",
            "missing 2",
        ),
        ('panel = "18 × 24 in"', 'panel = "A4"', "production", "pool.panel 'A4' is not one of the panels"),
        (
            "frame_mm = 12.7           # tooling",
            "frame_mm = 300           # tooling",
            "production.panels.0",
            "leaves no usable area",
        ),
        (
            "[options.impedance_control]",
            "[options.lead_time]",
            "options.lead_time",
            "taken by the quote itself",
        ),
        ("max = 100000", "max = 0", "quantity.max", "greater than or equal to 1"),
    ],
)
def test_broken_book_is_refused_naming_file_and_key(old: str, new: str, where: str, says: str | None) -> None:
    with pytest.raises(PriceBookError) as caught:
        parse_price_book(broken(old, new), "factory.toml")
    message = str(caught.value)
    assert re.search(rf"factory\.toml: {re.escape(where)}\b", message), message
    if says is not None:
        assert says in message, message


def test_a_faster_tier_that_costs_less_is_refused() -> None:
    text = broken('percent = "30"\nfixed = "10.00"', 'percent = "90"\nfixed = "40.00"')
    with pytest.raises(PriceBookError, match=r"lead_times\.2: a faster tier must not cost less than express"):
        parse_price_book(text, "factory.toml")


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PriceBookError, match="cannot read price book"):
        load_price_book(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("currency = \n")
    with pytest.raises(PriceBookError, match=r"bad\.toml: not valid TOML"):
        load_price_book(bad)


def test_amounts_are_exact_whether_written_as_text_or_numbers() -> None:
    text = broken('fixed = "8.00"', "fixed = 8.1")
    assert parse_price_book(text, "t.toml").setup.fixed == Decimal("8.1")
    assert DEFAULT.production.method == "panels"
    assert DEFAULT.digest and DEFAULT.digest != parse_price_book(text, "t.toml").digest
