"""The parser's shortcut must give gerbonara's own result, object for object, on every real file,
and the Clipper-based union the same area as GEOS'."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from gerbonara import GerberFile
from gerbonara.cam import FileSettings
from hypothesis import given, settings
from hypothesis import strategies as st

from flyfab.cam import clipping, islands
from flyfab.cam.fastpath import _Settings, parse_gerber_text
from flyfab.cam.sniff import Kind, sniff
from tests.conftest import CORPUS


def _gerbers() -> list[Path]:
    found = []
    for path in sorted((CORPUS / "boards").rglob("*")):
        if path.is_file() and sniff(path.name, path.read_bytes()).kind is Kind.GERBER:
            found.append(path)
    return found


def _describe(obj: Any) -> tuple[Any, ...]:
    if hasattr(obj, "outline"):
        return ("region", repr(obj.outline), obj.arc_centers, obj.polarity_dark, obj.unit)
    return (type(obj).__name__, sorted((k, repr(v)) for k, v in vars(obj).items()))


GERBERS = _gerbers()


def test_the_corpus_has_gerbers_with_regions() -> None:
    # The shortcut is only exercised where regions are drawn; the corpus must hold such files.
    assert len(GERBERS) > 150
    assert sum("G36" in p.read_text(errors="replace") for p in GERBERS) > 30


@pytest.mark.parametrize("path", GERBERS, ids=lambda p: str(p.relative_to(CORPUS / "boards")))
def test_same_objects_as_gerbonara(path: Path) -> None:
    text = sniff(path.name, path.read_bytes()).text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theirs = GerberFile.from_string(text, filename=path.name)
        except Exception as err:
            # Where gerbonara refuses a file the shortcut must refuse it too.
            with pytest.raises(type(err)):
                parse_gerber_text(text, filename=path.name)
            return
        ours = parse_gerber_text(text, filename=path.name)
    assert len(ours.objects) == len(theirs.objects)
    for a, b in zip(ours.objects, theirs.objects, strict=True):
        assert _describe(a) == _describe(b)
    assert ours.unit == theirs.unit
    assert ours.file_attrs == theirs.file_attrs


def test_clipper_union_matches_geos() -> None:
    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 20, size=(400, 2))
    pads = shapely.buffer(shapely.points(centres), rng.uniform(0.2, 1.5, 400), quad_segs=8)
    frame = shapely.box(2, 2, 18, 18).difference(shapely.box(5, 5, 15, 15))
    shapes = islands.as_array([*pads, frame])
    ours = clipping.union(clipping.rings(shapes))
    geos = shapely.union_all(shapes)
    assert abs(shapely.area(ours).sum() - geos.area) < 1e-6 * geos.area
    # Clipper works on a 1 nm grid: no boundary moves by more than that.
    assert shapely.hausdorff_distance(shapely.union_all(ours), geos) < 1e-5
    assert len(ours) == len(shapely.get_parts(geos))
    # Disjoint: no two islands overlap.
    tree = shapely.STRtree(ours)
    a, b = tree.query(ours, predicate="overlaps")
    assert not np.any(a != b)


def test_clipper_difference_keeps_holes_and_islands() -> None:
    # A pad ring: a square with a round hole, an island of copper inside the hole, a cutter across.
    square = shapely.box(0, 0, 10, 10).difference(shapely.Point(5, 5).buffer(3, quad_segs=16))
    dot = shapely.Point(5, 5).buffer(1, quad_segs=16)
    cutter = shapely.box(-1, 4.5, 11, 5.5)
    subject = clipping.rings(islands.as_array([square, dot]))
    cut = clipping.union(clipping.difference(subject, clipping.rings(islands.as_array([cutter]))))
    expected = shapely.union_all([square, dot]).difference(cutter)
    assert abs(shapely.area(cut).sum() - expected.area) < 1e-6
    assert len(cut) == len(shapely.get_parts(expected))


def test_clipper_rings_of_multipolygons() -> None:
    two = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    cut = clipping.union(
        clipping.difference(
            clipping.rings(islands.as_array([shapely.box(-1, -1, 4, 2)])),
            clipping.rings(islands.as_array([two])),
        )
    )
    assert abs(shapely.area(cut).sum() - (15 - 2)) < 1e-6


def _outcome(s: FileSettings, value: str) -> object:
    try:
        return s.parse_gerber_value(value)
    except ValueError as e:
        return type(e)


@settings(max_examples=300, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=1, max_size=13),
    zeros=st.sampled_from(["leading", "trailing", None]),
    integer=st.integers(1, 6),
    decimal=st.integers(1, 7),
)
def test_numbers_read_as_gerbonara_reads_them(
    digits: str, zeros: str | None, integer: int, decimal: int
) -> None:
    ours, theirs = _Settings(), FileSettings()
    for s in (ours, theirs):
        s.zeros = zeros
        s.number_format = (integer, decimal)
    mine, expected = ours.parse_gerber_value(digits), theirs.parse_gerber_value(digits)
    assert mine == expected and type(mine) is type(expected)
    # Anything but plain digits is left to gerbonara, which reads it or fails the same way.
    for odd in ("+" + digits, digits + ".5", ""):
        assert _outcome(ours, odd) == _outcome(theirs, odd)
    assert type(ours.plain()) is FileSettings and ours.plain() == theirs


def _parse_both(text: str) -> tuple[Any, Any]:
    """(objects, warnings) or the exception type, from gerbonara and from the shortcut."""
    out: list[Any] = []
    parsers: list[Callable[[], Any]] = [
        lambda: GerberFile.from_string(text, filename="x.gbr"),
        lambda: parse_gerber_text(text, "x.gbr"),
    ]
    for parse in parsers:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                layer = parse()
            except Exception as err:
                out.append(type(err))
                continue
        # Warnings name the line: the shortcut must keep counting lines through the runs it takes.
        out.append(([_describe(o) for o in layer.objects], [str(w.message) for w in caught]))
    return out[0], out[1]


def _coords(ops: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda x, y, op, sep: f"{x}{y}{op}*{sep}",
        st.sampled_from(["", "X0", "X-0", "X125", "X-3500", "X0012000", "X+40"]),
        st.sampled_from(["", "Y0", "Y-0", "Y250", "Y-1750", "Y0009100"]),
        st.sampled_from(ops),
        st.sampled_from(["", "\n", "\r\n", " \n"]),
    )


_DRAWN = _coords(["D01", "D1", "D02", "D2", "D03", "D3", "", "G01D01", "G01D02", "G01D03"])
_REGION = _coords(["D01", "D1", "D02", "D2", "", "G01D01", "G01D02"])
_BLOCK = st.one_of(
    st.builds(
        lambda d, c: d + "".join(c),
        st.sampled_from(["D10*\n", "D11*\n", "D12*\n", "D13*\n"]),
        st.lists(_DRAWN, max_size=8),
    ),
    st.builds(lambda c: "G36*\n" + "".join(c) + "G37*\n", st.lists(_REGION, max_size=8)),
    st.sampled_from(
        ["G01*\n", "G02*\n", "G03*\n", "G75*\n", "X100Y100I50J0D01*\n", "%LPC*%\n", "%LPD*%\n",
         "G04 a comment*\n", "%SRX2Y1I5.0J0*%\n", "%SR*%\n", "G36*\n", "D03*\n", "G37*\n"]
    ),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    fs=st.sampled_from(["%FSLAX24Y24*%", "%FSLAX36Y36*%", "%FSTAX24Y24*%", "%FSAX35Y35*%"]),
    unit=st.sampled_from(["%MOMM*%", "%MOIN*%"]),
    body=st.lists(_BLOCK, max_size=12),
)
def test_statement_runs_as_gerbonara_reads_them(fs: str, unit: str, body: list[str]) -> None:
    # Runs of coordinate statements, inside and outside regions, among everything that may change
    # how gerbonara reads them: apertures that draw, that do not (zero size) and macros, arc modes,
    # polarity, step and repeat, odd number formats, statements it warns about or refuses.
    head = (
        f"{fs}\n{unit}\n%ADD10C,0.5*%\n%ADD11R,1X0.5*%\n%ADD12C,0*%\n"
        "%AMBOX*21,1,1,1,0,0,0*%\n%ADD13BOX*%\nD10*\nX0Y0D02*\n"
    )
    text = head + "".join(body) + "M02*\n"
    theirs, ours = _parse_both(text)
    assert ours == theirs
