"""The command line, run as a customer or a script would run it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import CORPUS, ROOT

SCHEMA = json.loads((ROOT / "src/flyfab/cam/schemas/analysis-1.schema.json").read_text())


def flyfab(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLYFAB_CACHE_DIR": "off", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "flyfab", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "example-board.zip"
    done = flyfab("example", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_example_then_analyze_reads_back_what_was_written(example: Path) -> None:
    done = flyfab("analyze", str(example), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["dfm"]["min_class"] == "standard", doc["dfm"]["findings"]
    board = doc["board"]
    assert (board["width_mm"], board["height_mm"], board["copper_layers"]) == (50.0, 30.0, 2)
    assert {f["type"] for f in doc["files"]} == {
        "copper",
        "soldermask",
        "silkscreen",
        "solderpaste",
        "outline",
        "drill",
    }
    top = next(f for f in doc["features"] if f["index"] == 1)
    assert top["min_trace_width_mm"] == pytest.approx(0.15, abs=1e-4)
    assert doc["problems"] == []


def test_readable_report_names_layers_and_finest_features(example: Path) -> None:
    done = flyfab("analyze", str(example))
    assert done.returncode == 0, done.stderr
    for words in ("50.00 × 30.00 mm", "top copper (L1)", "Finest copper features", "0.150", "Drills"):
        assert words in done.stdout


def test_out_writes_the_json_document(example: Path, tmp_path: Path) -> None:
    done = flyfab("analyze", str(example), "--out", str(tmp_path / "result"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "result" / "analysis.json").read_text())
    jsonschema.validate(doc, SCHEMA)


@pytest.mark.parametrize("board", ["gb-altium-composite-drill", "gb-allegro", "ts-arduino-uno"])
def test_corpus_json_matches_the_schema(board: str) -> None:
    done = flyfab("analyze", str(CORPUS / "boards" / board), "--json")
    doc: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    # Exit 1 exactly when a file could not be used.
    errors = [p for p in doc["problems"] if p["severity"] == "error"]
    assert done.returncode == (1 if errors else 0), done.stderr


def test_version() -> None:
    done = flyfab("--version")
    assert done.returncode == 0 and done.stdout.startswith("flyfab ")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_bytes(b"%PDF-1.4 not an archive"), "is not a .zip"),
        (lambda p: zipfile.ZipFile(p, "w").close(), "empty"),
        (lambda p: p.write_bytes(b""), "empty"),
    ],
    ids=["not-an-archive", "empty-zip", "zero-bytes"],
)
def test_unreadable_upload_is_a_clear_error_not_a_traceback(tmp_path: Path, make: Any, words: str) -> None:
    upload = tmp_path / "upload.zip"
    make(upload)
    done = flyfab("analyze", str(upload))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and words in done.stderr
    assert done.stdout == ""


def test_missing_path_and_bad_options(tmp_path: Path) -> None:
    missing = flyfab("analyze", str(tmp_path / "nope.zip"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    workers = flyfab("analyze", str(tmp_path), "--workers", "0")
    assert workers.returncode == 2 and "--workers" in workers.stderr
    units = flyfab("example", str(tmp_path / "x.zip"), "--units", "furlong")
    assert units.returncode == 2 and "mm or inch" in units.stderr


def test_readme_commands_are_the_ones_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```bash\n")[1:]]
    assert len(blocks) >= 2
    main, tests = blocks[0], blocks[1]
    assert readme.index("```bash") < readme.index("flyfab is"), "the set-up commands come first"
    assert main.endswith("flyfab serve") and "uv sync --frozen" in main
    assert tests in (ROOT / ".ci" / "run").read_text(), ".ci/run must run the README's test command"


def test_dfm_command_reports_the_class_and_refuses_unknown_profiles(example: Path) -> None:
    done = flyfab("dfm", str(example), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["min_class"] == "standard" and doc["classes"] == ["standard", "advanced"]
    bad = flyfab("dfm", str(example), "--profile", "platinum")
    assert bad.returncode == 2 and "standard, advanced" in bad.stderr and "Traceback" not in bad.stderr


def test_errors_keep_paths_whole_on_one_line(tmp_path: Path) -> None:
    """An error names the path exactly as given, brackets included, unbroken however long."""
    missing = tmp_path / "orders[2026]" / ("a-very-long-folder-name-" * 8) / "board.zip"
    done = flyfab("analyze", str(missing))
    assert done.returncode == 2
    assert str(missing) in done.stderr.splitlines()[0]
