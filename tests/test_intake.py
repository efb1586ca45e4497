"""Tests of flyfab.cam.intake: every archive is built here, in tmp_path or in memory."""

from __future__ import annotations

import gzip
import io
import os
import random
import re
import stat
import struct
import tarfile
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flyfab.cam.intake import (
    IntakeError,
    IntakeLimits,
    Skipped,
    Upload,
    UploadedFile,
    read_upload,
    read_upload_bytes,
)

MIB = 2**20
GTL = b"G04 top copper*\n%FSLAX46Y46*%\n%MOMM*%\nD10*\nX0Y0D02*\nX100000Y0D01*\nM02*\n"
GBL = b"G04 bottom copper*\n%FSLAX46Y46*%\n%MOMM*%\nD10*\nX0Y0D02*\nX0Y100000D01*\nM02*\n"
DRL = b"M48\nMETRIC\nT1C0.300\n%\nT1\nX10.0Y10.0\nM30\n"


# --- builders ----------------------------------------------------------------------------------------


def make_zip(
    members: Iterable[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some tests need
        with zipfile.ZipFile(buf, "w", method) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buf.getvalue()


def tar_member(
    name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data)
    info.linkname = link
    return info, data


def make_tar(members: Iterable[tuple[tarfile.TarInfo, bytes]], gz: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def central_entries(data: bytes) -> list[int]:
    """Offsets of the central-directory entries of a zip without archive comment."""
    _sig, _d, _dcd, _n, total, _size, offset, _clen = struct.unpack("<4s4H2LH", data[-22:])
    offsets = []
    for _ in range(total):
        offsets.append(offset)
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, offset + 28)
        offset += 46 + name_len + extra_len + comment_len
    return offsets


def patch_zip(
    data: bytes, local: Callable[[bytearray, int], None], central: Callable[[bytearray, int], None]
) -> bytes:
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            local(buf, info.header_offset)
    for offset in central_entries(data):
        central(buf, offset)
    return bytes(buf)


def or_u16(buf: bytearray, offset: int, bits: int) -> None:
    (value,) = struct.unpack_from("<H", buf, offset)
    struct.pack_into("<H", buf, offset, value | bits)


def encrypt_flag(data: bytes) -> bytes:
    """The zip with the 'encrypted' flag set on every member, as a password-protected zip has."""
    return patch_zip(data, lambda b, o: or_u16(b, o + 6, 1), lambda b, o: or_u16(b, o + 8, 1))


def tree(root: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(root)), p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")
    )


def paths(upload: Upload) -> list[str]:
    return [f.path for f in upload.files]


def skipped(upload: Upload) -> dict[str, str]:
    return {s.path: s.reason for s in upload.skipped}


def peak_memory(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
    except IntakeError:
        pass
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def zeros_zip(name: str, size: int) -> bytes:
    """A zip of `size` zero bytes, written in pieces so that the test never holds them at once."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as member:
        piece = bytes(MIB)
        for _ in range(size // MIB):
            member.write(piece)
    return buf.getvalue()


class Zeros:
    """`size` zero bytes to read, never held at once."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        n = self.left if size < 0 else min(size, self.left)
        self.left -= n
        return bytes(n)


# --- folders -----------------------------------------------------------------------------------------


def test_folder_with_subfolders_links_and_system_files(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    root = tmp_path / "board"
    (root / "Gerber" / "inner").mkdir(parents=True)
    (root / "Gerber" / "board.GTL").write_bytes(GTL)
    (root / "Gerber" / "inner" / "board.GBL").write_bytes(GBL)
    (root / "board.DRL").write_bytes(DRL)
    (root / "empty.gbr").write_bytes(b"")
    (root / "link.gbr").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    (root / "dangling.gbr").symlink_to(tmp_path / "nowhere")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_bytes(b"[core]")
    (root / "__MACOSX").mkdir()
    (root / "__MACOSX" / "._board.GTL").write_bytes(b"junk")
    (root / ".DS_Store").write_bytes(b"junk")
    (root / "Gerber" / "Thumbs.db").write_bytes(b"junk")

    upload = read_upload(root)

    assert upload.name == "board"
    assert upload.files == [
        UploadedFile("Gerber/board.GTL", GTL),
        UploadedFile("Gerber/inner/board.GBL", GBL),
        UploadedFile("board.DRL", DRL),
        UploadedFile("empty.gbr", b""),
    ]
    reasons = skipped(upload)
    assert sorted(reasons) == [
        ".DS_Store",
        ".git",
        "Gerber/Thumbs.db",
        "__MACOSX",
        "dangling.gbr",
        "link.gbr",
        "linkdir",
    ]
    assert "symbolic link" in reasons["link.gbr"]
    assert "symbolic link" in reasons["linkdir"]
    assert "system file" in reasons[".git"]
    assert [s.path for s in upload.skipped] == sorted(s.path for s in upload.skipped)


def test_folder_given_as_dot_is_named_after_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "myboard").mkdir()
    (tmp_path / "myboard" / "a.GTL").write_bytes(GTL)
    monkeypatch.chdir(tmp_path / "myboard")
    assert read_upload(Path()).name == "myboard"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_folder_with_a_pipe_skips_it_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "a.GTL").write_bytes(GTL)
    os.mkfifo(tmp_path / "pipe.gbr")
    upload = read_upload(tmp_path)
    assert paths(upload) == ["a.GTL"]
    assert "special file" in skipped(upload)["pipe.gbr"]


def test_folder_zip_inside_is_expanded(tmp_path: Path) -> None:
    (tmp_path / "gerbers.zip").write_bytes(make_zip([("a.GTL", GTL)]))
    (tmp_path / "b.DRL").write_bytes(DRL)
    assert paths(read_upload(tmp_path)) == ["b.DRL", "gerbers.zip/a.GTL"]


def test_empty_folder_and_folder_of_junk(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="the folder is empty"):
        read_upload(tmp_path)
    (tmp_path / ".DS_Store").write_bytes(b"junk")
    with pytest.raises(IntakeError, match="the folder is empty"):
        read_upload(tmp_path)


def test_folder_file_too_big(tmp_path: Path) -> None:
    (tmp_path / "big.gbr").write_bytes(bytes(2000))
    with pytest.raises(IntakeError, match=r"max_file_bytes.*FLYFAB_MAX_FILE_BYTES"):
        read_upload(tmp_path, IntakeLimits(max_file_bytes=1000))


# --- formats -----------------------------------------------------------------------------------------


def test_zip_with_subfolders_keeps_its_single_top_folder(tmp_path: Path) -> None:
    data = make_zip(
        [
            ("project/", b""),
            ("project/Gerber/", b""),
            ("project/Gerber/board.GTL", GTL),
            ("project/Gerber/board.GBL", GBL),
            ("project/Drill/board.DRL", DRL),
            ("project/empty.gbr", b""),
        ]
    )
    archive = tmp_path / "board.zip"
    archive.write_bytes(data)
    upload = read_upload(archive)
    assert upload.name == "board.zip"
    assert upload.files == [
        UploadedFile("project/Drill/board.DRL", DRL),
        UploadedFile("project/Gerber/board.GBL", GBL),
        UploadedFile("project/Gerber/board.GTL", GTL),
        UploadedFile("project/empty.gbr", b""),
    ]
    assert upload.skipped == []


@pytest.mark.parametrize(("name", "gz"), [("board.tar.gz", True), ("board.tgz", True), ("board.tar", False)])
def test_tar_formats(tmp_path: Path, name: str, gz: bool) -> None:
    data = make_tar(
        [
            tar_member("./Gerber", kind=tarfile.DIRTYPE),
            tar_member("./Gerber/board.GTL", GTL),
            tar_member("./board.DRL", DRL),
            tar_member("./empty.gbr"),
        ],
        gz=gz,
    )
    (tmp_path / name).write_bytes(data)
    upload = read_upload(tmp_path / name)
    assert upload.name == name
    assert upload.files == [
        UploadedFile("Gerber/board.GTL", GTL),
        UploadedFile("board.DRL", DRL),
        UploadedFile("empty.gbr", b""),
    ]


@pytest.mark.parametrize("name", ["gerbers", "gerbers.tgz", "gerbers.GTL"])
def test_format_is_detected_from_content_not_extension(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(make_zip([("a.GTL", GTL)]))
    assert paths(read_upload(tmp_path / name)) == ["a.GTL"]


def test_tar_gz_named_zip_is_read(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(make_tar([tar_member("a.GTL", GTL)]))
    assert paths(read_upload(tmp_path / "x.zip")) == ["a.GTL"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("board.GTL", GTL, "board.GTL is not a .zip, .tar.gz or folder: upload"),
        ("x.pdf", b"%PDF-1.7\n" + bytes(600), "x.pdf is not a .zip, .tar.gz or folder"),
        ("noise.bin", bytes(range(256)) * 4, "noise.bin is not a .zip, .tar.gz or folder"),
        ("board.GTL.gz", gzip.compress(GTL), "gzip-compressed but does not hold a tar archive"),
        ("empty.zip", b"", "empty.zip is an empty file"),
    ],
)
def test_not_an_archive(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(IntakeError, match=message.replace(".", r"\.")):
        read_upload(tmp_path / name)
    with pytest.raises(IntakeError, match=message.replace(".", r"\.")):
        read_upload_bytes(name, data)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match=r"nothing\.zip was not found"):
        read_upload(tmp_path / "nothing.zip")


def test_upload_name_is_the_base_name() -> None:
    data = make_zip([("a.GTL", GTL)])
    assert read_upload_bytes("C:\\Users\\me\\board.zip", data).name == "board.zip"
    assert read_upload_bytes("../../board.zip", data).name == "board.zip"


# --- nesting -----------------------------------------------------------------------------------------


def test_nested_zip_is_expanded_one_level_only() -> None:
    deepest = make_zip([("deep.GTL", GTL)])
    middle = make_zip([("a.GBL", GBL), ("deeper.zip", deepest)])
    outer = make_zip([("b.DRL", DRL), ("gerbers.zip", middle)])
    upload = read_upload_bytes("outer.zip", outer)
    assert upload.files == [
        UploadedFile("b.DRL", DRL),
        UploadedFile("gerbers.zip/a.GBL", GBL),
        UploadedFile("gerbers.zip/deeper.zip", deepest),
    ]


def test_nested_zip_is_detected_by_content_and_works_inside_tar() -> None:
    nested = make_zip([("a.GTL", GTL)])
    upload = read_upload_bytes("x.tgz", make_tar([tar_member("fab/gerbers.dat", nested)]))
    assert paths(upload) == ["fab/gerbers.dat/a.GTL"]


def test_nested_tar_is_not_expanded() -> None:
    nested = make_tar([tar_member("a.GTL", GTL)])
    upload = read_upload_bytes("x.zip", make_zip([("gerbers.tgz", nested), ("b.DRL", DRL)]))
    assert upload.files == [UploadedFile("b.DRL", DRL), UploadedFile("gerbers.tgz", nested)]


@pytest.mark.parametrize("nested_first", [True, False])
def test_nested_duplicate_is_skipped(nested_first: bool) -> None:
    nested = make_zip([("board.GTL", GTL), ("board.DRL", DRL), ("empty.gbr", b"")])
    members = [("gerbers.zip", nested), ("Gerber/board.GTL", GTL), ("empty.gbr", b"")]
    upload = read_upload_bytes("x.zip", make_zip(members if nested_first else members[::-1]))
    assert paths(upload) == [
        "Gerber/board.GTL",
        "empty.gbr",
        "gerbers.zip/board.DRL",
        "gerbers.zip/empty.gbr",
    ]
    assert upload.skipped == [Skipped("gerbers.zip/board.GTL", "duplicate of Gerber/board.GTL")]


def test_identical_files_inside_one_nested_zip_are_both_kept() -> None:
    nested = make_zip([("a.GTL", GTL), ("copy.GTL", GTL)])
    upload = read_upload_bytes("x.zip", make_zip([("n.zip", nested)]))
    assert paths(upload) == ["n.zip/a.GTL", "n.zip/copy.GTL"]


def test_second_nested_zip_with_the_same_files_is_reported_as_duplicate() -> None:
    nested = make_zip([("a.GTL", GTL)])
    upload = read_upload_bytes("x.zip", make_zip([("n1.zip", nested), ("n2.zip", nested)]))
    assert paths(upload) == ["n1.zip/a.GTL"]
    assert upload.skipped == [Skipped("n2.zip/a.GTL", "duplicate of n1.zip/a.GTL")]


@pytest.mark.parametrize(
    "nested",
    [
        encrypt_flag(make_zip([("a.GTL", GTL)])),
        make_zip([("a.GTL", GTL)])[:-30],
        make_zip([("a.GTL", GTL)], method=zipfile.ZIP_STORED).replace(b"top copper", b"top cOpper"),
        b"PK\x05\x06" + bytes(18),  # an empty zip
    ],
    ids=["encrypted", "truncated", "bad-crc", "empty"],
)
def test_unreadable_nested_zip_is_kept_as_a_file(nested: bytes) -> None:
    upload = read_upload_bytes("x.zip", make_zip([("gerbers.zip", nested), ("b.DRL", DRL)]))
    assert upload.files == [UploadedFile("b.DRL", DRL), UploadedFile("gerbers.zip", nested)]
    assert upload.skipped == []


def test_nested_content_counts_against_the_limits() -> None:
    nested = make_zip([(f"n{i}.gbr", bytes([i])) for i in range(5)])
    outer = make_zip([("a.GTL", GTL), ("n.zip", nested)])
    assert len(read_upload_bytes("x.zip", outer, IntakeLimits(max_files=7)).files) == 6
    with pytest.raises(IntakeError, match="max_files"):
        read_upload_bytes("x.zip", outer, IntakeLimits(max_files=5))


def test_nested_zip_bomb_fails_the_upload() -> None:
    outer = make_zip(
        [("a.GTL", GTL), ("bomb.zip", zeros_zip("zeros.gbr", 8 * MIB))], method=zipfile.ZIP_STORED
    )
    with pytest.raises(IntakeError, match="max_ratio"):
        read_upload_bytes("x.zip", outer)


# --- names -------------------------------------------------------------------------------------------


UNSAFE = ["../evil.gbr", "/etc/passwd", "C:\\x.gbr", "a/../../b.gbr", "..\\..\\win.gbr", "D:evil.gbr", "./"]


def test_path_traversal_is_skipped_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work" / "deeper"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    zip_path = tmp_path / "evil.zip"
    zip_path.write_bytes(make_zip([("good.GTL", GTL), *[(name, b"pwned") for name in UNSAFE]]))
    tar_path = tmp_path / "evil.tgz"
    tar_path.write_bytes(make_tar([tar_member("good.GTL", GTL), *[tar_member(n, b"pwned") for n in UNSAFE]]))
    before = tree(tmp_path)

    for archive in (zip_path, tar_path):
        upload = read_upload(archive)
        assert upload.files == [UploadedFile("good.GTL", GTL)]
        reasons = skipped(upload)
        assert "could point outside" in reasons["../evil.gbr"]
        assert "could point outside" in reasons["a/../../b.gbr"]
        assert "could point outside" in reasons["../../win.gbr"]
        assert "absolute path" in reasons["/etc/passwd"]
        assert "drive letter" in reasons["C:/x.gbr"]
        assert "drive letter" in reasons["D:evil.gbr"]

    assert tree(tmp_path) == before
    assert list(work.iterdir()) == []


def test_backslashes_are_separators_and_odd_names_are_normalised() -> None:
    upload = read_upload_bytes(
        "x.zip",
        make_zip(
            [("Gerber\\board.GTL", GTL), ("./Drill//board.DRL", DRL), ("bad\x01name.gbr", b"x"), (".", b"x")]
        ),
    )
    assert paths(upload) == ["Drill/board.DRL", "Gerber/board.GTL"]
    assert "control characters" in skipped(upload)["bad\\x01name.gbr"]
    assert "without a usable file name" in skipped(upload)["."]


def test_duplicate_paths_keep_the_first() -> None:
    upload = read_upload_bytes(
        "x.zip", make_zip([("a/board.GTL", GTL), ("a\\board.GTL", GBL), ("a/./board.GTL", DRL)])
    )
    assert upload.files == [UploadedFile("a/board.GTL", GTL)]
    assert [s.path for s in upload.skipped] == ["a/board.GTL"]
    assert "more than once" in upload.skipped[0].reason


def test_nested_file_with_a_path_already_taken_is_skipped() -> None:
    nested = make_zip([("board.GTL", GBL)])
    upload = read_upload_bytes("x.zip", make_zip([("gerbers.zip/board.GTL", GTL), ("gerbers.zip", nested)]))
    assert upload.files == [UploadedFile("gerbers.zip/board.GTL", GTL)]
    assert [s.path for s in upload.skipped] == ["gerbers.zip/board.GTL"]


def test_system_files_in_archives_are_skipped_once_per_folder() -> None:
    upload = read_upload_bytes(
        "x.zip",
        make_zip(
            [
                ("p/board.GTL", GTL),
                ("__MACOSX/p/._board.GTL", b"x"),
                ("__MACOSX/p/._board.GBL", b"x"),
                ("p/.DS_Store", b"x"),
                ("p/.git/HEAD", b"x"),
            ]
        ),
    )
    assert paths(upload) == ["p/board.GTL"]
    assert sorted(skipped(upload)) == ["__MACOSX", "p/.DS_Store", "p/.git"]


def test_symlink_in_zip_is_skipped() -> None:
    link = zipfile.ZipInfo("Gerber/board.GBL")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("pipe.gbr")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    regular = zipfile.ZipInfo("Gerber/board.GTL")
    regular.create_system = 3
    regular.external_attr = (stat.S_IFREG | 0o644) << 16
    upload = read_upload_bytes("x.zip", make_zip([(regular, GTL), (link, b"/etc/passwd"), (fifo, b"")]))
    assert upload.files == [UploadedFile("Gerber/board.GTL", GTL)]
    assert skipped(upload) == {
        "Gerber/board.GBL": "symbolic link inside the archive; links are not followed",
        "pipe.gbr": "special file (device, pipe or socket); only ordinary files are read",
    }


def test_links_and_special_files_in_tar_are_skipped() -> None:
    data = make_tar(
        [
            tar_member("a.GTL", GTL),
            tar_member("sym.GTL", kind=tarfile.SYMTYPE, link="/etc/passwd"),
            tar_member("hard.GTL", kind=tarfile.LNKTYPE, link="a.GTL"),
            tar_member("tty", kind=tarfile.CHRTYPE),
            tar_member("disk", kind=tarfile.BLKTYPE),
            tar_member("fifo", kind=tarfile.FIFOTYPE),
        ]
    )
    upload = read_upload_bytes("x.tgz", data)
    assert paths(upload) == ["a.GTL"]
    reasons = skipped(upload)
    assert reasons["sym.GTL"] == "symbolic link inside the archive; links are not followed"
    assert "hard link" in reasons["hard.GTL"]
    assert all("special file" in reasons[n] for n in ("tty", "disk", "fifo"))


# --- damaged archives --------------------------------------------------------------------------------


def test_encrypted_zip_is_refused() -> None:
    data = encrypt_flag(make_zip([("a.GTL", GTL), ("b.GBL", GBL)]))
    with pytest.raises(IntakeError, match=r"password-protected: upload an archive without a password"):
        read_upload_bytes("secret.zip", data)


@pytest.mark.parametrize(
    "data",
    [
        make_zip([("a.GTL", GTL), ("b.GBL", GBL)])[:-40],
        make_zip([("a.GTL", GTL), ("b.GBL", GBL)])[:60],
        b"PK\x03\x04" + bytes(100),
        make_zip([("a.GTL", GTL)], method=zipfile.ZIP_STORED).replace(b"top copper", b"top cOpper"),
    ],
    ids=["truncated-end", "truncated-start", "magic-only", "bad-crc"],
)
def test_damaged_zip_is_refused(data: bytes) -> None:
    with pytest.raises(IntakeError, match=r"x\.zip looks like a zip archive but cannot be read"):
        read_upload_bytes("x.zip", data)


def test_zip_with_lying_sizes_is_refused() -> None:
    data = make_zip([("a.GTL", GTL)])

    for size in (5, 10 * len(GTL)):

        def in_local(buf: bytearray, offset: int, size: int = size) -> None:
            struct.pack_into("<L", buf, offset + 22, size)

        def in_central(buf: bytearray, offset: int, size: int = size) -> None:
            struct.pack_into("<L", buf, offset + 24, size)

        with pytest.raises(IntakeError, match="damaged"):
            read_upload_bytes("x.zip", patch_zip(data, in_local, in_central))


@pytest.mark.parametrize("cut", [-30, -5, 40])
def test_damaged_tar_gz_is_refused(cut: int) -> None:
    data = make_tar([tar_member("a.GTL", GTL * 50), tar_member("b.GBL", GBL)])
    with pytest.raises(IntakeError, match=r"x\.tgz looks like a tar\.gz archive but cannot be read"):
        read_upload_bytes("x.tgz", data[:cut])


def test_tar_gz_with_bad_crc_is_refused() -> None:
    data = bytearray(make_tar([tar_member("a.GTL", GTL)]))
    data[-8] ^= 0xFF  # the gzip trailer's CRC-32
    with pytest.raises(IntakeError, match="damaged"):
        read_upload_bytes("x.tgz", bytes(data))


def test_tar_with_a_damaged_header_in_the_middle_is_refused() -> None:
    data = bytearray(make_tar([tar_member("a.GTL", GTL), tar_member("b.GBL", GBL)], gz=False))
    padding = bytes(data)
    data[1024 + 148 : 1024 + 156] = b"9999999\x00"  # the checksum of the second header
    with pytest.raises(IntakeError, match="damaged"):
        read_upload_bytes("x.tar", bytes(data))
    # Junk after the end-of-archive blocks is ignored, as tar itself ignores it.
    junk = padding[:-100] + b"junk" * 25
    assert paths(read_upload_bytes("x.tar", junk)) == ["a.GTL", "b.GBL"]


def test_zip_with_unsupported_compression_is_refused() -> None:
    data = make_zip([("a.GTL", GTL)], method=zipfile.ZIP_BZIP2)
    with pytest.raises(IntakeError, match="compression method"):
        read_upload_bytes("x.zip", data)


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x05\x06" + bytes(18),
        make_zip([("empty/", b""), ("__MACOSX/._x", b"x")]),
        make_tar([tar_member("dir", kind=tarfile.DIRTYPE)]),
    ],
    ids=["empty-zip", "only-folders-and-junk", "empty-tar"],
)
def test_empty_archive_is_refused(data: bytes) -> None:
    with pytest.raises(IntakeError, match="the archive is empty: x holds no fabrication files"):
        read_upload_bytes("x", data)


def test_zero_byte_files_are_kept() -> None:
    upload = read_upload_bytes("x.zip", make_zip([("empty.GTL", b"")]))
    assert upload.files == [UploadedFile("empty.GTL", b"")]


# --- limits ------------------------------------------------------------------------------------------


def test_zip_bomb_is_stopped_early_by_the_ratio() -> None:
    bomb = zeros_zip("zeros.GTL", 50 * MIB)
    assert len(bomb) < 100_000
    with pytest.raises(IntakeError, match=r"max_ratio limit of 200.*FLYFAB_MAX_RATIO"):
        read_upload_bytes("bomb.zip", bomb)
    # It stops after about max_ratio x the archive size, far short of the 50 MiB inside.
    assert peak_memory(lambda: read_upload_bytes("bomb.zip", bomb)) < 16 * MIB


def test_zip_bomb_is_stopped_by_the_total_when_the_ratio_allows_it() -> None:
    bomb = zeros_zip("zeros.GTL", 50 * MIB)
    limits = IntakeLimits(max_ratio=1e9, max_total_bytes=4 * MIB)
    with pytest.raises(IntakeError, match=r"max_total_bytes limit of 4\.0 MiB.*FLYFAB_MAX_TOTAL_BYTES"):
        read_upload_bytes("bomb.zip", bomb, limits)
    assert peak_memory(lambda: read_upload_bytes("bomb.zip", bomb, limits)) < 8 * MIB


def test_tar_gz_bomb_is_stopped_early() -> None:
    info = tarfile.TarInfo("zeros.GTL")
    info.size = 20 * MIB
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        archive.addfile(info, Zeros(info.size))
    bomb = buf.getvalue()
    with pytest.raises(IntakeError, match="max_ratio"):
        read_upload_bytes("bomb.tgz", bomb)
    assert peak_memory(lambda: read_upload_bytes("bomb.tgz", bomb)) < 16 * MIB


def test_small_compressible_files_are_not_bombs() -> None:
    data = make_zip([("plane.GTL", bytes(MIB - 1000))])
    assert len(data) * 200 < MIB
    assert paths(read_upload_bytes("x.zip", data)) == ["plane.GTL"]


def test_member_ratio_is_checked_even_when_the_whole_archive_looks_normal() -> None:
    noise = random.Random(3).randbytes(3 * MIB)
    data = make_zip([("noise.GTL", noise), ("zeros.GBL", bytes(5 * MIB))])
    assert len(data) * 200 > 8 * MIB
    with pytest.raises(IntakeError, match=r"zeros\.GBL unpacks to more than 200 times its compressed size"):
        read_upload_bytes("x.zip", data)


def overlapping_zip(name: str, content: bytes, copies: int) -> bytes:
    """A zip whose central directory lists the same member `copies` times (all entries share its data)."""
    single = make_zip([(name, content)])
    (central,) = central_entries(single)
    eocd = single[-22:]
    entry = single[central : len(single) - 22]
    _sig, _d, _dcd, _n, _total, size, offset, _clen = struct.unpack("<4s4H2LH", eocd)
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, copies & 0xFFFF, copies & 0xFFFF, size * copies, offset, 0
    )
    return single[:central] + entry * copies + end


def test_overlapping_entries_are_not_read_twice() -> None:
    data = overlapping_zip("zeros.GTL", bytes(MIB), 3000)
    upload = read_upload_bytes("x.zip", data)
    assert paths(upload) == ["zeros.GTL"]
    assert upload.skipped == [
        Skipped("zeros.GTL", "the same path appears more than once in the upload; the first copy was kept")
    ]


def test_huge_central_directory_is_refused_before_it_is_parsed() -> None:
    data = overlapping_zip("a.GTL", GTL, 60_000)
    limits = IntakeLimits(max_files=100)
    with pytest.raises(IntakeError, match=r"more than 400 entries.*FLYFAB_MAX_FILES"):
        read_upload_bytes("x.zip", data, limits)
    # zipfile would hold 60 000 entries (tens of MiB) if it were allowed to parse them.
    assert peak_memory(lambda: read_upload_bytes("x.zip", data, limits)) < 2 * MIB


def test_skipped_tar_members_still_count_towards_the_total() -> None:
    noise = random.Random(4).randbytes(3 * MIB)
    data = make_tar([tar_member("a.GTL", GTL), tar_member(".git/objects/pack", noise)], gz=False)
    assert paths(read_upload_bytes("x.tar", data)) == ["a.GTL"]
    with pytest.raises(IntakeError, match=r"x\.tar unpacks to more than 1\.0 MiB.*FLYFAB_MAX_TOTAL_BYTES"):
        read_upload_bytes("x.tar", data, IntakeLimits(max_total_bytes=MIB, max_files=10))


def test_skipped_tar_gz_members_still_count_towards_the_ratio() -> None:
    info = tarfile.TarInfo(".git/objects/zeros")
    info.size = 20 * MIB
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        small, content = tar_member("a.GTL", GTL)
        archive.addfile(small, io.BytesIO(content))
        archive.addfile(info, Zeros(info.size))
    with pytest.raises(IntakeError, match=r"x\.tgz unpacks to more than 200 times its own size"):
        read_upload_bytes("x.tgz", buf.getvalue())


def test_many_small_bombs_hit_the_archive_ratio() -> None:
    # Each member alone stays under 1 MiB, so only the whole-archive ratio can see the bomb.
    data = make_zip([(f"f{i}.gbr", bytes(900_000)) for i in range(40)])
    with pytest.raises(IntakeError, match=r"its own size.*max_ratio"):
        read_upload_bytes("x.zip", data)


def test_max_files() -> None:
    data = make_zip([(f"f{i}.gbr", b"%d" % i) for i in range(11)])
    assert len(read_upload_bytes("x.zip", data, IntakeLimits(max_files=11)).files) == 11
    with pytest.raises(
        IntakeError, match=r"more than 10 files, above the max_files limit of 10 files\..*FLYFAB_MAX_FILES"
    ):
        read_upload_bytes("x.zip", data, IntakeLimits(max_files=10))


def test_too_many_entries_of_any_kind() -> None:
    data = make_zip([("a.GTL", GTL), *[(f"d{i}/", b"") for i in range(50)]])
    with pytest.raises(IntakeError, match=r"entries.*FLYFAB_MAX_FILES"):
        read_upload_bytes("x.zip", data, IntakeLimits(max_files=10))
    tar = make_tar(
        [tar_member("a.GTL", GTL), *[tar_member(f"d{i}", kind=tarfile.DIRTYPE) for i in range(50)]]
    )
    with pytest.raises(IntakeError, match=r"entries.*FLYFAB_MAX_FILES"):
        read_upload_bytes("x.tgz", tar, IntakeLimits(max_files=10))


def test_max_file_bytes() -> None:
    noise = random.Random(1).randbytes(3000)
    with pytest.raises(IntakeError, match=r"big\.GTL unpacks to more than 2000 bytes.*FLYFAB_MAX_FILE_BYTES"):
        read_upload_bytes("x.zip", make_zip([("big.GTL", noise)]), IntakeLimits(max_file_bytes=2000))
    with pytest.raises(IntakeError, match="max_file_bytes"):
        read_upload_bytes(
            "x.tgz", make_tar([tar_member("big.GTL", noise)]), IntakeLimits(max_file_bytes=2000)
        )


def test_max_total_bytes() -> None:
    rng = random.Random(2)
    data = make_zip([(f"f{i}.gbr", rng.randbytes(MIB)) for i in range(3)])
    assert len(read_upload_bytes("x.zip", data, IntakeLimits(max_total_bytes=3 * MIB)).files) == 3
    with pytest.raises(IntakeError, match=r"max_total_bytes.*FLYFAB_MAX_TOTAL_BYTES"):
        read_upload_bytes("x.zip", data, IntakeLimits(max_total_bytes=3 * MIB - 1))


def test_max_archive_bytes(tmp_path: Path) -> None:
    data = make_zip([("a.GTL", GTL)])
    (tmp_path / "x.zip").write_bytes(data)
    limits = IntakeLimits(max_archive_bytes=len(data) - 1)
    with pytest.raises(IntakeError, match=r"max_archive_bytes.*FLYFAB_MAX_ARCHIVE_BYTES"):
        read_upload(tmp_path / "x.zip", limits)
    with pytest.raises(IntakeError, match=r"max_archive_bytes.*FLYFAB_MAX_ARCHIVE_BYTES"):
        read_upload_bytes("x.zip", data, limits)
    assert paths(read_upload(tmp_path / "x.zip", IntakeLimits(max_archive_bytes=len(data)))) == ["a.GTL"]


# --- configuration -----------------------------------------------------------------------------------


def test_from_env_defaults_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    assert IntakeLimits.from_env({}) == IntakeLimits()
    limits = IntakeLimits.from_env(
        {
            "FLYFAB_MAX_ARCHIVE_BYTES": "1000",
            "FLYFAB_MAX_TOTAL_BYTES": " 2000 ",
            "FLYFAB_MAX_FILE_BYTES": "3e3",
            "FLYFAB_MAX_FILES": "4",
            "FLYFAB_MAX_RATIO": "12.5",
            "UNRELATED": "x",
        }
    )
    assert limits == IntakeLimits(1000, 2000, 3000, 4, 12.5)
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FLYFAB_MAX_FILES", "7")
    assert IntakeLimits.from_env() == IntakeLimits(max_files=7)


ENV_VARS = [
    "FLYFAB_MAX_ARCHIVE_BYTES",
    "FLYFAB_MAX_TOTAL_BYTES",
    "FLYFAB_MAX_FILE_BYTES",
    "FLYFAB_MAX_FILES",
    "FLYFAB_MAX_RATIO",
]


@pytest.mark.parametrize("var", ENV_VARS)
@pytest.mark.parametrize("value", ["", "abc", "0", "-5", "nan", "inf", "10 MB"])
def test_from_env_rejects_bad_values(var: str, value: str) -> None:
    with pytest.raises(IntakeError, match=re.escape(f"{var}={value!r} is not a positive")):
        IntakeLimits.from_env({var: value})


def test_from_env_wants_whole_numbers_except_for_the_ratio() -> None:
    with pytest.raises(IntakeError, match=r"FLYFAB_MAX_FILES='1\.5' is not a positive whole number"):
        IntakeLimits.from_env({"FLYFAB_MAX_FILES": "1.5"})
    assert IntakeLimits.from_env({"FLYFAB_MAX_RATIO": "1.5"}).max_ratio == 1.5


@given(st.integers(min_value=1, max_value=2**62))
def test_from_env_round_trips_whole_numbers(value: int) -> None:
    assert IntakeLimits.from_env({"FLYFAB_MAX_TOTAL_BYTES": str(value)}).max_total_bytes == value


# --- fuzzing -----------------------------------------------------------------------------------------

SMALL = IntakeLimits(max_total_bytes=4 * MIB, max_file_bytes=2 * MIB, max_files=50)
SEEDS = [
    make_zip([("a/b.GTL", GTL), ("c.DRL", DRL), ("n.zip", make_zip([("x.GBL", GBL)]))]),
    make_zip([("a/b.GTL", GTL), ("c.DRL", DRL)], method=zipfile.ZIP_STORED),
    make_tar([tar_member("a/b.GTL", GTL), tar_member("c" * 120 + ".DRL", DRL)]),
    make_tar([tar_member("a/b.GTL", GTL), tar_member("c.DRL", DRL)], gz=False),
]


def read_or_refuse(data: bytes) -> None:
    try:
        upload = read_upload_bytes("fuzz", data, SMALL)
    except IntakeError as err:
        assert str(err)
    else:
        assert isinstance(upload, Upload) and upload.files


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.builds(
            lambda magic, rest: magic + rest,
            st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b"]),
            st.binary(max_size=2000),
        ),
    )
)
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    read_or_refuse(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6),
    st.one_of(st.none(), st.floats(0, 1)),
)
def test_fuzz_damaged_archives(seed: bytes, changes: list[tuple[float, int]], cut: float | None) -> None:
    data = bytearray(seed)
    for where, value in changes:
        data[int(where * len(data))] = value
    read_or_refuse(bytes(data if cut is None else data[: int(cut * len(data))]))
