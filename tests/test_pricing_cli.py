"""`flyfab quote` run as a customer or a script would: a real process on a real corpus board, and
in-process (Typer's runner, the same code without the start-up of a process) for everything else."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from flyfab.cli import app
from tests.conftest import CORPUS, ROOT
from tests.pricing_support import BOOKS
from tests.test_cli import flyfab

SCHEMA = json.loads((ROOT / "src/flyfab/pricing/schemas/quote-1.schema.json").read_text())
BOARD = str(CORPUS / "boards" / "gb-eagle-newer")  # 62.21 × 21.26 mm, 2 layers, standard class
AT = "2026-03-04T10:00"


class Done:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run(*args: str) -> Done:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})
    return Done(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def quoted() -> tuple[dict[str, object], str]:
    done = flyfab("quote", BOARD, "--qty", "10", "--at", AT, "--set", "surface_finish=ENIG", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stdout


def test_json_quote_of_a_corpus_board(quoted: tuple[dict[str, object], str]) -> None:
    doc, _ = quoted
    jsonschema.validate(doc, SCHEMA)
    assert doc["quantity"] == 10 and doc["currency"] == "EUR"
    assert doc["class"] == {"required": "standard", "reasons": [], "chosen": "standard"}
    lines = doc["lines"]
    assert isinstance(lines, list)
    assert sum(Decimal(line["amount"]) for line in lines) == Decimal(str(doc["total"]))
    assert "surface finish: ENIG" in [line["label"] for line in lines]
    tiers = doc["tiers"]
    assert isinstance(tiers, list)
    # ENIG adds a day: 6 working days from Wednesday 4 March.
    assert (tiers[0]["name"], tiers[0]["working_days"], tiers[0]["ship_date"]) == (
        "standard",
        6,
        "2026-03-12",
    )
    assert doc["expires_at"] == "2026-03-18T10:00:00+01:00"
    upload = doc["upload"]
    assert isinstance(upload, dict) and len(upload["sha256"]) == 64


def test_the_same_inputs_print_the_identical_quote(quoted: tuple[dict[str, object], str]) -> None:
    _, first = quoted
    again = flyfab("quote", BOARD, "--qty", "10", "--at", AT, "--set", "surface_finish=enig", "--json")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first


def test_the_readable_quote_and_an_option_that_does_not_apply() -> None:
    done = run("quote", BOARD, "--qty", "25", "--at", AT)
    assert done.returncode == 0, done.stderr
    for words in (
        "Quote Q-",
        "engineering and setup",
        "total",
        "unit price",
        "standard",
        "express",
        "class required: standard",
        "Not available for this board",
        "inner_copper",
    ):
        assert words in done.stdout, words
    refused = run("quote", BOARD, "--qty", "25", "--set", "inner_copper=1oz")
    assert refused.returncode == 2
    assert "inner_copper does not apply to this board: needs 4–16 copper layers" in refused.stderr


def test_a_price_book_of_another_scheme(tmp_path: Path) -> None:
    done = run(
        "quote",
        BOARD,
        "--qty",
        "6",
        "--at",
        AT,
        "--json",
        "--price-book",
        str(BOOKS / "per_square_inch.toml"),
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    # 62.21 × 21.26 mm = 1322.5846 mm² = 2.05001… in² × $5 = 10.25 a set of three; two sets.
    assert (doc["currency"], doc["total"], doc["unit_price"]) == ("USD", "20.50", "3.4167")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--qty", "0"], "quantity 0: order at least 1 board"),
        (["--qty", "-3"], "quantity -3: order at least 1 board"),
        (["--qty", "1000000000"], "at most 100000 boards per order"),
        (["--qty", "5", "--set", "colour=red"], "unknown option 'colour'; the options are: class"),
        (["--qty", "5", "--set", "surface_finish=gold"], "the values are: HASL, lead-free HASL, ENIG"),
        (["--qty", "5", "--set", "ENIG"], "write option=value"),
        (["--qty", "5", "--at", "next tuesday"], "--at 'next tuesday' is not a date and time"),
        (["--qty", "5", "--price-book", "/nonexistent/prices.toml"], "cannot read price book"),
    ],
)
def test_bad_requests_exit_2_saying_what_is_allowed(args: list[str], says: str) -> None:
    done = run("quote", BOARD, *args)
    assert done.returncode == 2
    assert says in " ".join(done.stderr.split()), done.stderr
    assert done.stdout == ""


def test_a_price_book_missing_a_price_exits_2(tmp_path: Path) -> None:
    text = (
        (BOOKS / "job_fee_area.toml")
        .read_text()
        .replace('values.ENIG = { price = { fixed = "10.00", per_board = "0.50" } }', "values.ENIG = {}")
    )
    prices = tmp_path / "prices.toml"
    prices.write_text(text)
    done = run("quote", BOARD, "--qty", "5", "--price-book", str(prices))
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert (
        f"{prices}: options.surface_finish.values.ENIG.price: missing: every offered value needs a price"
        in said
    )


def test_a_missing_upload_exits_2(tmp_path: Path) -> None:
    done = run("quote", str(tmp_path / "nothing.zip"), "--qty", "5")
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_a_board_no_class_can_build_is_quoted_for_review() -> None:
    # gb-fusion360 has two copper layers and no drill file: DFM finds no class that builds it.
    done = run("quote", str(CORPUS / "boards" / "gb-fusion360"), "--qty", "5", "--at", AT, "--json")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["buildable"] is False and Decimal(doc["total"]) > 0
    assert any("no drill file" in n for n in doc["notes"])
