"""What kind of file is this? Decided from the bytes, never from the name alone.

Customers' uploads carry READMEs, PDFs, pictures, reports, netlists and design sources beside the
fabrication data; renders named like Gerbers (`top.gtl.svg`) and Gerbers without extension (`tl`)
both occur. Content decides; the name only words the reason a file is ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath


class Kind(StrEnum):
    GERBER = "gerber"
    EXCELLON = "excellon"
    GERBER_JOB = "gerber-job"
    EMPTY = "empty"
    JUNK = "junk"  # readable, but not fabrication image data
    GARBAGE = "garbage"  # named like fabrication data, but unreadable as such


@dataclass(frozen=True)
class Sniffed:
    kind: Kind
    reason: str = ""  # why it is junk or garbage, for the customer
    text: str = ""  # the decoded text, for every file that is text


# Extensions that announce Gerber or drill data: such a file that is not is a problem, not junk.
FAB_EXTENSIONS = frozenset(
    (
        "gbr ger pho art gdo fph gbx grb gtl gbl gto gbo gts gbs gtp gbp gko gml gm1 gm2 gm3 gpt gpb "
        "g1 g2 g3 g4 "
        "g5 g6 g7 g8 cmp sol plc pls stc sts crc crs dim mil top bot smt smb sst ssb spt spb drl drd xln exc "
        "ncd cnc tap nc txt"
    ).split()
)

_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF document"),
    (b"\x89PNG", "PNG picture"),
    (b"\xff\xd8\xff", "JPEG picture"),
    (b"GIF8", "GIF picture"),
    (b"BM", "bitmap picture"),
    (b"PK\x03\x04", "zip archive (only one level of nested zip is opened)"),
    (b"\x1f\x8b", "gzip/tar archive (nested archives other than zip are not opened)"),
    (b"Rar!", "RAR archive (not supported: upload a .zip)"),
    (b"7z\xbc\xaf", "7-Zip archive (not supported: upload a .zip)"),
    (b"\xd0\xcf\x11\xe0", "Microsoft Office document"),
)

_GERBER_FORMAT = re.compile(rb"%\s*FS[LTD]?[AI]")
_GERBER_DRAWS = re.compile(rb"D0?[123]\*")
_GERBER_STRONG = re.compile(rb"%\s*(?:FS|MO|AD|AM|TF|LP|IN|LN|IP)")
_GERBER_JOB = re.compile(r"%TF\.FileFunction,JobInfo")
_EXCELLON_HEADER = re.compile(
    rb"^\s*M48\b|^\s*;\s*(?:FILE_FORMAT|DRILL|Holesize|LEADER)|^\s*(?:METRIC|INCH)\b", re.M
)
_EXCELLON_BODY = re.compile(rb"^\s*T\d+(?:C[\d.]+)?\s*$|^\s*[XY]-?\d", re.M)
_IPC356 = re.compile(rb"^(?:P\s+JOB|P\s+UNITS|C\s|317|327|367|999)", re.M)

_TEXT_JUNK: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*\(kicad_pcb\b"), "KiCad board design (source, not fabrication data)"),
    (re.compile(r"^\s*\(kicad_sch\b|^EESchema"), "KiCad schematic (source, not fabrication data)"),
    (re.compile(r"<eagle\b|<!DOCTYPE eagle"), "Eagle design file (source, not fabrication data)"),
    (re.compile(r"^\s*<\?xml[^>]*>\s*<svg|^\s*<svg\b"), "SVG picture"),
    (re.compile(r"^\s*<(?:!DOCTYPE )?html", re.I), "web page"),
    (
        re.compile(r"^\s*ha:pcb-rnd-board|^\s*li:pcb-rnd"),
        "pcb-rnd board design (source, not fabrication data)",
    ),
    (re.compile(r"^\s*PCB\[|^\s*FileVersion\["), "gEDA pcb design (source, not fabrication data)"),
)

_NAME_JUNK: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i)^(readme|read_me|license|licence|copying|notice|authors|changelog)(\b|[._-])"),
        "documentation text",
    ),
    (re.compile(r"(?i)\.(md|rst|pdf|doc|docx|odt|rtf|html?)$"), "documentation"),
    (re.compile(r"(?i)\.(png|jpe?g|gif|bmp|svg|webp|tiff?)$"), "picture"),
    (re.compile(r"(?i)\.(ipc|d356|net|netlist|cir)$"), "netlist"),
    (re.compile(r"(?i)\.(rep|drr|extrep|rul|ldp|log|err|lst|rpt)$"), "CAD tool report"),
    (re.compile(r"(?i)\.(apr|apt|apr_lib|whl|reb)$"), "aperture list / wheel file"),
    (
        re.compile(r"(?i)(^|[._-])(bom|cpl|pos|pnp|centroid|placement|pick.?place)([._-]|$)"),
        "assembly data (BOM or placement)",
    ),
    (re.compile(r"(?i)\.(csv|xls|xlsx)$"), "spreadsheet (BOM or placement?)"),
    (re.compile(r"(?i)\.(json|ya?ml|toml|ini|cfg|xml|gerberset)$"), "settings or manifest"),
    (re.compile(r"(?i)(param|nc_param|art_param|\.tool|\.info)$|_param\.txt$"), "CAM parameter/report file"),
    (
        re.compile(
            r"(?i)\.(kicad_pcb|kicad_pro|kicad_sch|sch|brd|pcbdoc|schdoc|prjpcb|lht|fzz|fz|pcb|dip|dch|t3001)$"
        ),
        "design source file",
    ),
    (re.compile(r"(?i)\.(step|stp|wrl|iges?|stl|dxf|dwg)$"), "mechanical / 3D model"),
)


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:65536]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        # Real CAD output is ASCII; a few high bytes in comments are fine, a file full of them is not text.
        controls = sum(1 for ch in text[:65536] if ord(ch) < 9 or 13 < ord(ch) < 32)
        return None if controls > 8 else text


def _name_reason(path: str) -> str | None:
    name = PurePosixPath(path).name
    for pattern, reason in _NAME_JUNK:
        if pattern.search(name):
            return reason
    return None


def announces_fab_data(path: str) -> bool:
    suffix = PurePosixPath(path).suffix.lower().lstrip(".")
    return suffix in FAB_EXTENSIONS


def _is_job_file(text: str) -> bool:
    if _GERBER_JOB.search(text[:4096]):
        return True  # the first job files were written in Gerber syntax with TJ attributes
    if '"Header"' not in text[:4096] and '"FilesAttributes"' not in text:
        return False
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    return isinstance(doc, dict) and any(
        k in doc for k in ("FilesAttributes", "GeneralSpecs", "Overall", "Header")
    )


def sniff(path: str, data: bytes) -> Sniffed:
    if not data.strip():
        return Sniffed(Kind.EMPTY, "the file is empty (0 bytes or only blanks)")
    head = data[:65536]
    for magic, what in _BINARY_SIGNATURES:
        if head.startswith(magic):
            return Sniffed(Kind.JUNK, what)
    text = _decode(data)
    if text is None:
        if announces_fab_data(path):
            return Sniffed(Kind.GARBAGE, "binary data, not Gerber or Excellon text")
        return Sniffed(Kind.JUNK, _name_reason(path) or "binary file")
    start = text[:65536]
    for pattern, reason in _TEXT_JUNK:
        if pattern.search(start[:2048]):
            return Sniffed(Kind.JUNK, reason, text)
    if _is_job_file(text):
        return Sniffed(Kind.GERBER_JOB, text=text)
    head_b = start.encode("latin-1", "replace")
    # A Gerber image states its coordinate format, or at least draws; an aperture library does neither.
    if _GERBER_STRONG.search(head_b) and (_GERBER_FORMAT.search(head_b) or _GERBER_DRAWS.search(head_b)):
        return Sniffed(Kind.GERBER, text=text)
    if _EXCELLON_HEADER.search(head_b) and _EXCELLON_BODY.search(head_b):
        return Sniffed(Kind.EXCELLON, text=text)
    if _IPC356.search(head_b[:4096]) and re.search(rb"^(?:317|327)", head_b, re.M):
        return Sniffed(Kind.JUNK, "IPC-D-356 netlist", text)
    # Headerless Excellon (tools and hits, or a route program: G00/G01 moves with M15/M16) still
    # occurs in old uploads.
    if re.search(rb"^\s*T\d+\s*$", head_b, re.M) and re.search(
        rb"^\s*(?:G0[0-3])?X-?[\d.]+\s*Y-?[\d.]+\s*$", head_b, re.M
    ):
        return Sniffed(Kind.EXCELLON, text=text)
    named = _name_reason(path)
    if named:
        return Sniffed(Kind.JUNK, named, text)
    if announces_fab_data(path):
        return Sniffed(Kind.GARBAGE, "text, but neither Gerber (RS-274X) nor Excellon", text)
    return Sniffed(Kind.JUNK, "text file that is neither Gerber nor Excellon", text)
