"""Bad uploads: a clear message, a non-zero exit for what cannot be analysed, never a traceback,
nothing written outside the work directory, and every good file still analysed.

The archive-level cases (encryption, bombs, traversal, links) are covered in depth in
test_intake.py; here they are driven through the whole analysis and the command line.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flyfab.cam.analyze import Analysis, analyze, analyze_upload
from flyfab.cam.cache import LayerCache
from flyfab.cam.intake import Upload, UploadedFile
from flyfab.cam.model import Severity
from flyfab.cam.synth import example_board


@pytest.fixture(scope="module")
def good_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("good")
    example_board().write(folder, naming="kicad", x2=True)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def upload_of(files: dict[str, bytes]) -> Upload:
    return Upload("upload.zip", [UploadedFile(k, v) for k, v in sorted(files.items())], [])


def run(files: dict[str, bytes]) -> Analysis:
    return analyze_upload(upload_of(files), cache=LayerCache(None))


def problems_of(a: Analysis, path: str) -> list[str]:
    return [p.message for p in a.problems if p.path == path]


def assert_rest_intact(a: Analysis) -> None:
    """The good board is still fully understood."""
    assert a.board.copper_layers == 2
    assert (a.board.width_mm, a.board.height_mm) == (50.0, 30.0)
    assert len(a.features) == 2


def test_zero_byte_gerber(good_files: dict[str, bytes]) -> None:
    a = run({**good_files, "extra-In1_Cu.gbr": b""})
    assert any("empty" in m for m in problems_of(a, "extra-In1_Cu.gbr"))
    assert a.role_of("extra-In1_Cu.gbr") is None
    assert_rest_intact(a)


def test_binary_garbage_named_gbr(good_files: dict[str, bytes]) -> None:
    garbage = bytes(range(256)) * 64
    a = run({**good_files, "board-F_Fab.gbr": garbage})
    assert any("binary" in m for m in problems_of(a, "board-F_Fab.gbr"))
    assert_rest_intact(a)


def test_truncated_gerber_is_flagged_and_kept(good_files: dict[str, bytes]) -> None:
    name = "flyfab-example-F_Silkscreen.gbr"
    text = good_files[name]
    a = run({**good_files, name: text[: len(text) // 2]})
    messages = problems_of(a, name)
    assert messages and any("cut short" in m or "cannot be read" in m for m in messages)
    assert_rest_intact(a)


def test_undefined_aperture_is_an_error_for_that_file_only(good_files: dict[str, bytes]) -> None:
    name = "flyfab-example-B_Silkscreen.gbr"
    text = good_files[name].decode()
    broken = text.replace("D10*\n", "D10*\nD999*\n", 1)
    a = run({**good_files, name: broken.encode()})
    errors = [p for p in a.problems if p.path == name and p.severity is Severity.ERROR]
    assert errors and "undefined aperture" in errors[0].message.lower()
    assert_rest_intact(a)


def test_step_and_repeat_explosion_is_refused(good_files: dict[str, bytes]) -> None:
    bomb = (
        "%FSLAX46Y46*%\n%MOMM*%\n%ADD10C,0.1*%\n%SRX3000Y3000I1.0J1.0*%\nD10*\n"
        + "X0Y0D03*\n" * 400
        + "%SR*%\nM02*\n"
    )
    a = run({**good_files, "panel-Dwgs_User.gbr": bomb.encode()})
    assert any("step and repeat" in m for m in problems_of(a, "panel-Dwgs_User.gbr"))
    assert_rest_intact(a)


def test_text_that_is_not_gerber_named_like_a_layer(good_files: dict[str, bytes]) -> None:
    a = run({**good_files, "notes.gtl": b"Please make 10 boards, blue, thanks.\n"})
    assert any("neither Gerber" in m for m in problems_of(a, "notes.gtl"))
    assert_rest_intact(a)


def test_junk_is_ignored_with_reasons(good_files: dict[str, bytes]) -> None:
    junk = {
        "README.md": b"# my board\n",
        "docs/schematic.pdf": b"%PDF-1.5\n...",
        "render.png": b"\x89PNG\r\n\x1a\n....",
        "board.kicad_pcb": b"(kicad_pcb (version 20221018))",
        "netlist.ipc": b"P  JOB   board\n317GND  VIA   D0300PA00X+012345Y+012345X0600Y0600R000S0\n999\n",
        "bom.csv": b"ref,value\nR1,10k\n",
    }
    a = run({**good_files, **junk})
    ignored = {s.path: s.reason for s in a.ignored}
    for path in junk:
        assert ignored.get(path), path
    assert not [p for p in a.problems if p.path in junk]
    assert_rest_intact(a)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLYFAB_CACHE_DIR": "off"}
    return subprocess.run(
        [sys.executable, "-m", "flyfab", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_path_traversal_and_links_in_an_archive_write_nothing(
    tmp_path: Path, good_files: dict[str, bytes]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    archive = work / "upload.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in good_files.items():
            info = tarfile.TarInfo(f"gerbers/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        evil = tarfile.TarInfo("../../evil.gbr")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
        link = tarfile.TarInfo("gerbers/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    done = _cli("analyze", str(archive), "--json", cwd=work)
    assert done.returncode == 0, done.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert '"../../evil.gbr"' in done.stdout and '"gerbers/passwd"' in done.stdout  # listed as skipped


def test_encrypted_zip_and_bomb_on_the_command_line(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("top.gtl", "%FSLAX46Y46*%")
    data = bytearray(buffer.getvalue())
    # Set the "encrypted" flag in the local and central headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 1
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    done = _cli("analyze", "locked.zip", cwd=tmp_path)
    assert done.returncode == 2 and "password" in done.stderr and "Traceback" not in done.stderr

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("huge.gbr", b"\0" * (64 * 2**20))
    (tmp_path / "bomb.zip").write_bytes(bomb.getvalue())
    done = _cli("analyze", "bomb.zip", cwd=tmp_path)
    assert done.returncode == 2 and "FLYFAB_MAX_RATIO" in done.stderr and "Traceback" not in done.stderr


def test_a_folder_upload_with_mixed_units(tmp_path: Path) -> None:
    """Files in inches beside files in millimetres: every measure in mm, consistent."""
    mm, inch = tmp_path / "mm", tmp_path / "inch"
    example_board("mm").write(mm, naming="kicad")
    example_board("inch").write(inch, naming="kicad")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for p in mm.iterdir():
        source = inch / p.name if "Cu" in p.name else p  # copper in inches, the rest in mm
        (mixed / p.name).write_bytes(source.read_bytes())
    a = analyze(mixed, cache=LayerCache(None))
    b = analyze(mm, cache=LayerCache(None))
    assert {f.units for f in a.files if f.role.type == "copper"} == {"inch"}
    # Inch files round coordinates to 0.0254 µm and polygonise their curves differently: the same
    # board measures the same to within a micrometre.
    assert [f.min_trace_width_mm for f in a.features] == pytest.approx(
        [f.min_trace_width_mm for f in b.features], abs=1e-3
    )
    assert a.board.width_mm == b.board.width_mm


# Fuzzing the parse boundary: whatever bytes a file holds, the analysis finishes, reports the file
# as a problem or ignores it, and still understands the rest of the upload.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(alphabet="%*XYDGIJMOFSLAT0123456789-.,\n", max_size=2000).map(str.encode),
        st.builds(
            lambda body: b"%FSLAX46Y46*%\n%MOMM*%\n%ADD10C,0.2*%\nD10*\n" + body,
            st.text(alphabet="XYIJD0123456789-*%GCR,.\n", max_size=1500).map(str.encode),
        ),
        st.builds(
            lambda body: b"M48\nMETRIC\nT1C0.8\n%\nT1\n" + body,
            st.text(alphabet="XYTGM0123456789-.\n", max_size=1500).map(str.encode),
        ),
    ),
    name=st.sampled_from(["fuzz.gbr", "fuzz-B_Cu.gbr", "fuzz.drl", "fuzz", "fuzz.txt"]),
)
def test_fuzz_one_file_never_breaks_the_upload(good_files: dict[str, bytes], data: bytes, name: str) -> None:
    a = run({**good_files, name: data})
    accounted = {f.path for f in a.files} | {s.path for s in a.ignored}
    assert name in accounted
    assert all(p.message for p in a.problems)
    # The good board's copper is still there (a fuzzed file may add a layer, never remove one).
    assert {f.path for f in a.files if f.role.type == "copper"} >= {
        "flyfab-example-F_Cu.gbr",
        "flyfab-example-B_Cu.gbr",
    }
