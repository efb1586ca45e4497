"""Safe intake of a customer's upload (a .zip, .tar.gz/.tgz/.tar or a folder) into memory.

Threat model: the upload comes from anyone on the internet and may be hostile or merely broken.

* Nothing is ever extracted to disk, so member names such as ``../x`` or ``/etc/passwd`` cannot
  overwrite anything; they are still refused (Skipped) so that no later stage writes them out.
* Links, devices and hidden system files are never followed or read.
* Sizes declared in archive headers are not trusted: every member is decompressed in bounded chunks
  and counted, and reading stops as soon as a limit (file count, bytes, compression ratio) is
  crossed, so a zip bomb costs at most about one limit's worth of memory and time.
* Only stored and deflated zip members are read, because the standard library decompresses bzip2
  and LZMA members without an output bound.
* Whatever a damaged or hostile archive makes the parsers raise surfaces as IntakeError with a
  message a customer can act on.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol, Self

_MIB = 2**20
# Small files of repeated text compress far past any ratio; only big outputs can hurt.
_RATIO_FLOOR = _MIB
_CHUNK = 64 * 1024
# Entries of any kind (folders, skipped members) cost parser memory too; allow this many per file.
_ENTRIES_PER_FILE = 4
# Tar headers, padding and skipped members are streamed through without becoming files.
_TAR_OVERHEAD_PER_ENTRY = 2048

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or the end record of an empty zip
_ZIP_CENTRAL_MAGIC = b"PK\x01\x02"
_GZIP_MAGIC = b"\x1f\x8b"
_TAR_MAGIC = b"ustar"  # at offset 257 in POSIX and GNU tar headers
_ZIP_ENCRYPTED = 0x01 | 0x40  # traditional and strong encryption flag bits
_ZIP_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

_ENV_NAMES: dict[str, str] = {
    "max_archive_bytes": "FLYFAB_MAX_ARCHIVE_BYTES",
    "max_total_bytes": "FLYFAB_MAX_TOTAL_BYTES",
    "max_file_bytes": "FLYFAB_MAX_FILE_BYTES",
    "max_files": "FLYFAB_MAX_FILES",
    "max_ratio": "FLYFAB_MAX_RATIO",
}

_SYSTEM_NAMES = frozenset({"__macosx", "thumbs.db", "ehthumbs.db", "desktop.ini", "$recycle.bin", "icon\r"})

# What the parsers raise on damaged input; anything else is a bug of ours and must not be masked.
_PARSE_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    IndexError,
    KeyError,
    OverflowError,
)

_REASON_SYSTEM = "system file (hidden file or operating-system metadata); it is not fabrication data"
_REASON_ARCHIVE_SYMLINK = "symbolic link inside the archive; links are not followed"
_REASON_FOLDER_SYMLINK = "symbolic link inside the folder; links are not followed"
_REASON_HARDLINK = "hard link inside the archive; links are not followed, include the file itself"
_REASON_SPECIAL = "special file (device, pipe or socket); only ordinary files are read"
_REASON_NOT_REGULAR = "not an ordinary file (unsupported tar entry type); only ordinary files are read"
_REASON_ABSOLUTE = "absolute path inside the archive; only paths relative to the archive are accepted"
_REASON_DRIVE = "path with a drive letter inside the archive; only paths relative to the archive are accepted"
_REASON_TRAVERSAL = "path containing '..' that could point outside the upload; it was not read"
_REASON_EMPTY_NAME = "entry without a usable file name; it was not read"
_REASON_CONTROL = "file name containing control characters; it was not read"
_REASON_DUPLICATE_PATH = "the same path appears more than once in the upload; the first copy was kept"


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class IntakeError(Exception):
    """The upload as a whole cannot be read.

    str(err) is a clear message saying what is wrong and what to do.
    """


class _Unreadable(Exception):
    """A zip that cannot be opened (damaged, encrypted, unsupported): fatal at top level, not when nested."""


@dataclass(frozen=True)
class IntakeLimits:
    max_archive_bytes: int = 256 * 2**20
    max_total_bytes: int = 1024 * 2**20
    max_file_bytes: int = 256 * 2**20
    max_files: int = 5000
    max_ratio: float = 200.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IntakeLimits:
        """Limits from FLYFAB_MAX_* environment variables; unset variables keep their default."""
        env: Mapping[str, str] = os.environ if environ is None else environ
        base = cls()

        def count(name: str, default: int) -> int:
            raw = env.get(_ENV_NAMES[name])
            return default if raw is None else _parse_count(_ENV_NAMES[name], raw)

        ratio_var = _ENV_NAMES["max_ratio"]
        raw_ratio = env.get(ratio_var)
        return cls(
            max_archive_bytes=count("max_archive_bytes", base.max_archive_bytes),
            max_total_bytes=count("max_total_bytes", base.max_total_bytes),
            max_file_bytes=count("max_file_bytes", base.max_file_bytes),
            max_files=count("max_files", base.max_files),
            max_ratio=base.max_ratio if raw_ratio is None else _parse_ratio(ratio_var, raw_ratio),
        )


@dataclass(frozen=True)
class UploadedFile:
    path: str
    data: bytes


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Upload:
    name: str
    files: list[UploadedFile]
    skipped: list[Skipped]


def read_upload(path: Path, limits: IntakeLimits | None = None) -> Upload:
    """Read a folder or an archive file into memory, enforcing `limits` (default: IntakeLimits())."""
    limits = IntakeLimits() if limits is None else limits
    path = Path(path)
    shown = path.name or str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise IntakeError(
            f"{shown} was not found: check the path and upload your fabrication files as a .zip archive"
        ) from None
    except OSError as err:
        raise IntakeError(
            f"{shown} cannot be opened ({err.strerror}): check the path and its permissions"
        ) from None
    if stat.S_ISDIR(st.st_mode):
        name = path.name or path.resolve().name or str(path)
        collector = _Collector()
        _read_folder(path, collector, _Budget(limits))
        return collector.finish(name, "folder")
    if not stat.S_ISREG(st.st_mode):
        raise IntakeError(_not_an_archive(shown))
    if st.st_size > limits.max_archive_bytes:
        raise _limit_error(f"{shown} is {_size(st.st_size)}", "max_archive_bytes", limits)
    try:
        with path.open("rb") as fh:
            # One byte more than allowed so that a file growing after stat() is still caught.
            data = fh.read(limits.max_archive_bytes + 1)
    except OSError as err:
        raise IntakeError(
            f"{shown} cannot be read ({err.strerror}): check the file and its permissions"
        ) from None
    return read_upload_bytes(path.name, data, limits)


def read_upload_bytes(name: str, data: bytes, limits: IntakeLimits | None = None) -> Upload:
    """Read an archive held in memory; `name` is the uploaded file name (its base name names the Upload)."""
    limits = IntakeLimits() if limits is None else limits
    name = _base_name(name)
    if len(data) > limits.max_archive_bytes:
        raise _limit_error(f"{name} is {_size(len(data))}", "max_archive_bytes", limits)
    budget = _Budget(limits)
    collector = _Collector()
    if not data:
        raise IntakeError(f"{name} is an empty file: upload your fabrication files as a .zip archive")
    if data[:4] in _ZIP_MAGICS:
        try:
            _read_zip(data, name, "", collector, budget, expand_nested=True)
        except _Unreadable as err:
            raise IntakeError(str(err)) from None
    elif data[:2] == _GZIP_MAGIC:
        _read_tar(data, name, collector, budget, gzipped=True)
    elif data[257:262] == _TAR_MAGIC:
        _read_tar(data, name, collector, budget, gzipped=False)
    else:
        raise IntakeError(_not_an_archive(name))
    return collector.finish(name, "archive")


# --- limits -------------------------------------------------------------------------------------------


def _parse_count(var: str, raw: str) -> int:
    text = raw.strip()
    try:
        value = int(text)
    except ValueError:
        # Accept "1e9" and "268435456.0", which operators write, but not fractions of a byte.
        try:
            as_float = float(text)
        except ValueError:
            as_float = math.nan
        if not (math.isfinite(as_float) and as_float.is_integer()):
            raise IntakeError(
                f"{var}={raw!r} is not a positive whole number: set it to, e.g., 1048576"
            ) from None
        value = int(as_float)
    if value <= 0:
        raise IntakeError(f"{var}={raw!r} is not a positive whole number: set it to, e.g., 1048576")
    return value


def _parse_ratio(var: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise IntakeError(f"{var}={raw!r} is not a positive number: set it to, e.g., 200")
    return value


def _size(n: float) -> str:
    if n >= _MIB:
        return f"{n / _MIB:.1f} MiB ({int(n)} bytes)"
    return f"{int(n)} bytes"


def _limit_error(problem: str, limit: str, limits: IntakeLimits) -> IntakeError:
    value = getattr(limits, limit)
    if limit == "max_ratio":
        shown = f"{value:g}"
    elif limit == "max_files":
        shown = f"{value} files"
    else:
        shown = _size(value)
    return IntakeError(
        f"the upload is refused: {problem}, above the {limit} limit of {shown}. "
        f"Upload only the fabrication files; the server operator can raise this limit "
        f"with the environment variable {_ENV_NAMES[limit]}."
    )


@dataclass
class _Meter:
    """Bytes unpacked so far from one archive, for its whole-archive compression ratio."""

    label: str
    packed: int
    out: int = 0


class _Budget:
    """Counters shared by every level of one upload, so nested content counts against the same limits."""

    def __init__(self, limits: IntakeLimits) -> None:
        self.limits = limits
        self.total = 0
        self.files = 0
        self.entries = 0
        self.meters: list[_Meter] = []

    @property
    def max_entries(self) -> int:
        return _ENTRIES_PER_FILE * self.limits.max_files

    def too_many_entries(self, where: str) -> IntakeError:
        return IntakeError(
            f"the upload is refused: {where} has more than {self.max_entries} entries (files, folders "
            f"and skipped items), {_ENTRIES_PER_FILE} times the max_files limit of {self.limits.max_files}. "
            f"Upload only the fabrication files; the server operator can raise this limit "
            f"with the environment variable {_ENV_NAMES['max_files']}."
        )

    def count_entry(self, where: str) -> None:
        self.entries += 1
        if self.entries > self.max_entries:
            raise self.too_many_entries(where)

    def count_file(self) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise _limit_error(f"it holds more than {self.limits.max_files} files", "max_files", self.limits)

    def read(self, path: str, stream: _Readable, packed: int | None) -> bytes:
        """Read one member in chunks, stopping at the first limit crossed; `packed` is its compressed size."""
        limits = self.limits
        chunks: list[bytes] = []
        got = 0
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > limits.max_file_bytes:
                raise _limit_error(
                    f"{path} unpacks to more than {_size(limits.max_file_bytes)}", "max_file_bytes", limits
                )
            if self.total + got > limits.max_total_bytes:
                raise _limit_error(
                    f"the unpacked files add up to more than {_size(limits.max_total_bytes)}",
                    "max_total_bytes",
                    limits,
                )
            if packed is not None and got > _RATIO_FLOOR and got > limits.max_ratio * max(packed, 1):
                raise _limit_error(
                    f"{path} unpacks to more than {limits.max_ratio:g} times its compressed size, "
                    f"as a zip bomb does",
                    "max_ratio",
                    limits,
                )
            for meter in self.meters:
                self.check_archive_ratio(meter.label, meter.out + got, meter.packed)
        self.total += got
        for meter in self.meters:
            meter.out += got
        return b"".join(chunks)

    def check_archive_ratio(self, label: str, out: int, packed: int) -> None:
        if out > _RATIO_FLOOR and out > self.limits.max_ratio * max(packed, 1):
            raise _limit_error(
                f"{label} unpacks to more than {self.limits.max_ratio:g} times its own size, "
                f"as a zip bomb does",
                "max_ratio",
                self.limits,
            )


# --- names and collection ----------------------------------------------------------------------------


def _base_name(name: str) -> str:
    # Some browsers send the client's full path; only its last part is the file name.
    base = PurePosixPath(name.replace("\\", "/")).name
    return _clean_text(base) or "upload"


def _clean_text(text: str) -> str:
    # Undecodable bytes arrive as lone surrogates (surrogateescape); they would break JSON and logs.
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _judge_name(raw: str) -> tuple[str, str | None]:
    """Normalise an archive member name to a POSIX relative path; return it and a reason to skip, if any."""
    name = _clean_text(raw).replace("\\", "/")
    if _has_control(name):
        return _escape_control(name), _REASON_CONTROL
    if name.startswith("/"):
        return name, _REASON_ABSOLUTE
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        return name, _REASON_DRIVE
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return name, _REASON_TRAVERSAL
    if not parts:
        return name, _REASON_EMPTY_NAME
    return "/".join(parts), None


def _has_control(name: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in name)


def _escape_control(name: str) -> str:
    # The path is shown to the customer; raw control characters would garble that report.
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c for c in name)


def _is_system_name(name: str) -> bool:
    return name.startswith(".") or name.lower() in _SYSTEM_NAMES


def _system_prefix(path: str) -> str | None:
    """The leading part of `path` up to its first hidden or system component, if it has one."""
    parts = path.split("/")
    for i, part in enumerate(parts):
        if _is_system_name(part):
            return "/".join(parts[: i + 1])
    return None


@dataclass
class _Item:
    path: str
    data: bytes
    container: str | None  # path of the nested zip the file came out of


@dataclass
class _Collector:
    items: list[_Item] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    _paths: set[str] = field(default_factory=set)
    _skip_keys: set[tuple[str, str]] = field(default_factory=set)

    def has(self, path: str) -> bool:
        return path in self._paths

    def add(self, path: str, data: bytes, container: str | None) -> None:
        if path in self._paths:
            self.skip(path, _REASON_DUPLICATE_PATH)
            return
        self._paths.add(path)
        self.items.append(_Item(path, data, container))

    def skip(self, path: str, reason: str) -> None:
        # A skipped folder such as __MACOSX/ is reported once, not once per member.
        if (path, reason) not in self._skip_keys:
            self._skip_keys.add((path, reason))
            self.skipped.append(Skipped(path, reason))

    def finish(self, name: str, kind: str) -> Upload:
        files: list[UploadedFile] = []
        first_with: dict[bytes, _Item] = {}
        # Top-level files first, so a nested copy is the one reported as the duplicate.
        for item in sorted(self.items, key=lambda i: (i.container is not None, i.path)):
            # Empty files are all alike; the analysis reports each of them, so none is a "copy".
            if item.data and item.container is not None:
                original = first_with.get(item.data)
                if original is not None and original.container != item.container:
                    self.skip(item.path, f"duplicate of {original.path}")
                    continue
            if item.data:
                first_with.setdefault(item.data, item)
            files.append(UploadedFile(item.path, item.data))
        if not files:
            detail = f" ({len(self.skipped)} entries were skipped)" if self.skipped else ""
            raise IntakeError(
                f"the {kind} is empty: {name} holds no fabrication files{detail}. "
                f"Put your Gerber and drill files in it and upload it again."
            )
        files.sort(key=lambda f: f.path)
        return Upload(name=name, files=files, skipped=sorted(self.skipped, key=lambda s: (s.path, s.reason)))


def _not_an_archive(name: str) -> str:
    return f"{name} is not a .zip, .tar.gz or folder: upload your fabrication files as a .zip archive"


def _take(path: str, data: bytes, collector: _Collector, budget: _Budget, expand_nested: bool) -> None:
    """Add one file, expanding it in place if it is a zip and nesting allows it."""
    if expand_nested and data[:4] in _ZIP_MAGICS:
        inner = _Collector()
        try:
            _read_zip(data, path, path + "/", inner, budget, expand_nested=False)
        except _Unreadable:
            inner = _Collector()  # kept whole; the analysis reports an archive it could not open
        if inner.items:
            for item in inner.items:
                collector.add(item.path, item.data, container=path)
            for skipped in inner.skipped:
                collector.skip(skipped.path, skipped.reason)
            return
    collector.add(path, data, container=None)


# --- zip ---------------------------------------------------------------------------------------------


def _damaged(label: str, kind: str, err: BaseException) -> str:
    return (
        f"{label} looks like a {kind} archive but cannot be read: it is damaged or incomplete ({err}). "
        f"Create the archive again and upload it."
    )


def _read_zip(
    data: bytes, label: str, prefix: str, collector: _Collector, budget: _Budget, expand_nested: bool
) -> None:
    # zipfile parses the whole central directory up front; every entry there starts with this
    # signature, so counting it bounds that parse before it happens.
    if data.count(_ZIP_CENTRAL_MAGIC) > budget.max_entries:
        raise budget.too_many_entries(label)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _PARSE_ERRORS as err:
        raise _Unreadable(_damaged(label, "zip", err)) from None
    with archive:
        _read_zip_members(archive, data, label, prefix, collector, budget, expand_nested)


def _read_zip_members(
    archive: zipfile.ZipFile,
    data: bytes,
    label: str,
    prefix: str,
    collector: _Collector,
    budget: _Budget,
    expand_nested: bool,
) -> None:
    infos = archive.infolist()
    for info in infos:
        if info.flag_bits & _ZIP_ENCRYPTED:
            raise _Unreadable(
                f"{label} is password-protected: upload an archive without a password (unencrypted .zip)"
            )
    for info in infos:
        if info.compress_type not in _ZIP_READABLE_METHODS and not _zip_is_dir(info):
            raise _Unreadable(
                f"{label} uses a compression method (number {info.compress_type}) that is not accepted: "
                f"create the archive again with the ordinary zip (deflate) compression and upload it"
            )
    budget.meters.append(_Meter(label, len(data)))
    try:
        for info in infos:
            _read_zip_member(archive, info, label, prefix, collector, budget, expand_nested)
    finally:
        budget.meters.pop()


def _zip_is_dir(info: zipfile.ZipInfo) -> bool:
    return info.orig_filename.replace("\\", "/").endswith("/") or stat.S_ISDIR(info.external_attr >> 16)


def _read_zip_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    prefix: str,
    collector: _Collector,
    budget: _Budget,
    expand_nested: bool,
) -> None:
    budget.count_entry(label)
    if _zip_is_dir(info):
        return
    # orig_filename keeps what zipfile cuts at a NUL byte, so the name is judged as the archive states it.
    path, reason = _judge_name(info.orig_filename)
    if reason is not None:
        collector.skip(prefix + path, reason)
        return
    system = _system_prefix(path)
    if system is not None:
        collector.skip(prefix + system, _REASON_SYSTEM)
        return
    # Unix tools store the file type in the high half of external_attr; 0 means "no Unix type".
    kind = stat.S_IFMT(info.external_attr >> 16)
    if stat.S_ISLNK(kind):
        collector.skip(prefix + path, _REASON_ARCHIVE_SYMLINK)
        return
    if kind not in (0, stat.S_IFREG):
        collector.skip(prefix + path, _REASON_SPECIAL)
        return
    if collector.has(prefix + path):
        # Checked before reading: many directory entries pointing at one big member is a known bomb.
        collector.skip(prefix + path, _REASON_DUPLICATE_PATH)
        return
    budget.count_file()
    try:
        with archive.open(info) as stream:
            data = budget.read(prefix + path, stream, info.compress_size)
    except _PARSE_ERRORS as err:
        raise _Unreadable(_damaged(label, "zip", err)) from None
    if len(data) != info.file_size:
        # A lying size field is the mark of a crafted archive, and of a damaged one.
        raise _Unreadable(_damaged(label, "zip", ValueError(f"wrong size recorded for {path}")))
    _take(prefix + path, data, collector, budget, expand_nested)


# --- tar ---------------------------------------------------------------------------------------------


class _CountingReader(io.BufferedIOBase):
    """The unpacked tar stream, refused once it outgrows what the limits can explain."""

    def __init__(self, inner: _Readable, label: str, packed: int, budget: _Budget) -> None:
        super().__init__()
        self._inner = inner
        self._label = label
        self._packed = packed
        self._budget = budget
        limits = budget.limits
        self._cap = limits.max_total_bytes + _TAR_OVERHEAD_PER_ENTRY * budget.max_entries + _MIB
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            parts: list[bytes] = []
            while part := self.read(_CHUNK):
                parts.append(part)
            return b"".join(parts)
        # Reading the whole request at once could allocate far past the cap before it is checked.
        data = self._inner.read(min(size, _CHUNK))
        self.count += len(data)
        limits = self._budget.limits
        if self.count > self._cap:
            raise _limit_error(
                f"{self._label} unpacks to more than {_size(limits.max_total_bytes)}",
                "max_total_bytes",
                limits,
            )
        self._budget.check_archive_ratio(self._label, self.count, self._packed)
        return data


def _read_tar(data: bytes, label: str, collector: _Collector, budget: _Budget, gzipped: bool) -> None:
    raw: _Readable = io.BytesIO(data)
    if gzipped:
        raw = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
    stream = _CountingReader(raw, label, len(data), budget)
    kind = "tar.gz" if gzipped else "tar"
    budget.meters.append(_Meter(label, len(data)))
    try:
        with _open_tar(stream, label, kind, gzipped) as archive:
            while True:
                try:
                    member = archive.next()
                except _PARSE_ERRORS as err:
                    raise IntakeError(_damaged(label, kind, err)) from None
                if member is None:
                    break
                _read_tar_member(archive, member, label, kind, collector, budget)
            # Reading to the end of the stream makes gzip check its CRC and notice truncation.
            try:
                while archive.fileobj.read(_CHUNK):
                    pass
            except _PARSE_ERRORS as err:
                raise IntakeError(_damaged(label, kind, err)) from None
    finally:
        budget.meters.pop()


# tarfile's signals for "no more members" (not in its documented API, but there since Python 3.2).
_TAR_END_ERRORS: tuple[type[Exception], ...] = (
    tarfile.EOFHeaderError,  # type: ignore[attr-defined]
    tarfile.EmptyHeaderError,  # type: ignore[attr-defined]
)


class _StrictTarInfo(tarfile.TarInfo):
    """A damaged header is an error, not the end of the archive as tarfile takes it after the first member."""

    @classmethod
    def fromtarfile(cls, archive: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(archive)
        except _TAR_END_ERRORS:
            raise
        except tarfile.HeaderError as err:
            raise tarfile.ReadError(str(err)) from None


def _open_tar(stream: _CountingReader, label: str, kind: str, gzipped: bool) -> tarfile.TarFile:
    try:
        # Stream mode reads strictly forward, so the gzip layer never has to rewind.
        return tarfile.open(fileobj=stream, mode="r|", tarinfo=_StrictTarInfo)
    except tarfile.ReadError as err:
        if gzipped:
            raise IntakeError(
                f"{label} is gzip-compressed but does not hold a tar archive: "
                f"upload your fabrication files as a .zip archive"
            ) from None
        raise IntakeError(_damaged(label, kind, err)) from None
    except _PARSE_ERRORS as err:
        raise IntakeError(_damaged(label, kind, err)) from None


def _read_tar_member(
    archive: tarfile.TarFile,
    member: tarfile.TarInfo,
    label: str,
    kind: str,
    collector: _Collector,
    budget: _Budget,
) -> None:
    budget.count_entry(label)
    if member.isdir():
        return
    path, reason = _judge_name(member.name)
    if reason is not None:
        collector.skip(path, reason)
        return
    system = _system_prefix(path)
    if system is not None:
        collector.skip(system, _REASON_SYSTEM)
        return
    if member.issym():
        collector.skip(path, _REASON_ARCHIVE_SYMLINK)
        return
    if member.islnk():
        collector.skip(path, _REASON_HARDLINK)
        return
    if member.ischr() or member.isblk() or member.isfifo():
        collector.skip(path, _REASON_SPECIAL)
        return
    if not member.isreg():
        collector.skip(path, _REASON_NOT_REGULAR)
        return
    if collector.has(path):
        collector.skip(path, _REASON_DUPLICATE_PATH)
        return
    budget.count_file()
    try:
        stream = archive.extractfile(member)
        data = b"" if stream is None else budget.read(path, stream, None)
    except _PARSE_ERRORS as err:
        raise IntakeError(_damaged(label, kind, err)) from None
    _take(path, data, collector, budget, expand_nested=True)


# --- folder ------------------------------------------------------------------------------------------


def _read_folder(root: Path, collector: _Collector, budget: _Budget) -> None:
    label = root.name or str(root)
    # An explicit stack: folder depth is chosen by whoever made the upload, recursion depth is not free.
    stack: list[tuple[str, str]] = [(os.fspath(root), "")]
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as err:
            if not rel:
                raise IntakeError(
                    f"{label} cannot be read ({err.strerror}): check the folder and its permissions"
                ) from None
            collector.skip(
                rel.rstrip("/"), f"folder that could not be read ({err.strerror}); check its permissions"
            )
            continue
        for entry in entries:
            budget.count_entry(label)
            shown = rel + _clean_text(entry.name)
            if _is_system_name(entry.name):
                collector.skip(shown, _REASON_SYSTEM)
            elif _has_control(entry.name):
                collector.skip(_escape_control(shown), _REASON_CONTROL)
            elif entry.is_symlink():
                collector.skip(shown, _REASON_FOLDER_SYMLINK)
            elif entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, shown + "/"))
            elif entry.is_file(follow_symlinks=False):
                _read_folder_file(entry.path, shown, collector, budget)
            else:
                collector.skip(shown, _REASON_SPECIAL)


def _read_folder_file(os_path: str, shown: str, collector: _Collector, budget: _Budget) -> None:
    # O_NOFOLLOW and the fstat below close the gap in which the file could be swapped for a link or
    # a pipe after scandir looked at it; O_NONBLOCK keeps a swapped-in pipe from hanging the open.
    flags = (
        os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(os_path, flags)
    except OSError as err:
        collector.skip(shown, f"file that could not be read ({err.strerror}); check its permissions")
        return
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            collector.skip(shown, _REASON_SPECIAL)
            return
        budget.count_file()
        limits = budget.limits
        if info.st_size > limits.max_file_bytes:
            raise _limit_error(f"{shown} is {_size(info.st_size)}", "max_file_bytes", limits)
        try:
            data = budget.read(shown, stream, None)
        except OSError as err:
            collector.skip(shown, f"file that could not be read ({err.strerror}); check its permissions")
            return
    _take(shown, data, collector, budget, expand_nested=True)
