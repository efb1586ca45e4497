"""Layer identification on synthetic uploads: every CAD naming convention, with and without X2
attributes, and with meaningless names where only the content can tell."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from flyfab.cam.analyze import Analysis, analyze
from flyfab.cam.cache import LayerCache
from flyfab.cam.model import Role, Source
from flyfab.cam.naming import by_name
from flyfab.cam.synth import NAMINGS, BoardBuilder, FileRole, example_board


def run(b: BoardBuilder, tmp_path: Path, **write: object) -> tuple[Analysis, dict[str, FileRole]]:
    archive = tmp_path / "upload.zip"
    roles = b.write_zip(archive, **write)
    return analyze(archive, cache=LayerCache(None)), roles


def four_layer() -> BoardBuilder:
    """A small 4-layer board routed like a real one: every layer runs traces between vias."""
    b = BoardBuilder(name="quad", copper_layers=4)
    b.outline_rect(0, 0, 40, 30, corner_radius=1)
    vias = [(8, 2.5), (16, 2.5), (24, 2.5), (32, 2.5), (8, 20), (16, 20), (24, 20), (32, 20)]
    for x, y in vias:
        b.via(x, y, 0.3, 0.6)
    for i, layer in enumerate(["top", "in1", "in2", "bottom"]):
        a, z = vias[i], vias[7 - i]
        b.trace(layer, [a, (a[0], 6 + 3 * i), (z[0], 6 + 3 * i), z], 0.2 + 0.05 * i)
    b.pad("top", 10, 25, "rect", 1.2, 0.8)
    b.pad("top", 12, 25, "rect", 1.2, 0.8)
    b.trace("top", [(12, 25), (16, 25), (16, 20)], 0.2)
    b.pad("bottom", 30, 25, "rect", 1.2, 0.8)
    b.trace("bottom", [(30, 25), (32, 25), (32, 20)], 0.2)
    b.th_pad(20, 25, 1.0, 1.8)
    b.hole(37, 27, 3.0)
    b.text("top_silk", 5, 27, "Q1")
    b.text("bottom_silk", 30, 27, "B")
    return b


def assert_roles(a: Analysis, roles: dict[str, FileRole], check_inner_order: bool = True) -> None:
    for name, expected in roles.items():
        got = a.role_of(name)
        assert got is not None, f"{name} not identified ({[s.reason for s in a.ignored if s.path == name]})"
        assert (got.type, got.side) == (expected.type, expected.side), (name, got)
        if expected.type == "copper" and (check_inner_order or expected.side != "inner"):
            assert got.index == expected.index, (name, got)
        if expected.type == "drill":
            assert got.plating == expected.plating, (name, got)


@pytest.mark.parametrize(("naming", "x2"), list(itertools.product(NAMINGS, [True, False])))
def test_example_board_in_every_convention(tmp_path: Path, naming: str, x2: bool) -> None:
    a, roles = run(example_board(), tmp_path, naming=naming, x2=x2)
    assert_roles(a, roles)
    assert (a.board.width_mm, a.board.height_mm, a.board.copper_layers) == (50.0, 30.0, 2)
    assert not a.problems
    if x2:
        # Every file states its function, except a drill file holding both platings (X2 has no
        # FileFunction for that).
        stated = [f for f in a.files if not (f.role.type == "drill" and f.role.plating == "mixed")]
        assert all(f.evidence[0].source is Source.X2 for f in stated)
    elif naming != "meaningless":
        assert all(f.evidence[0].source in (Source.NAMING, Source.CONTENT) for f in a.files)


@pytest.mark.parametrize("naming", [n for n in NAMINGS if n != "meaningless"])
def test_four_layers_by_name_alone(tmp_path: Path, naming: str) -> None:
    a, roles = run(four_layer(), tmp_path, naming=naming, x2=False)
    assert_roles(a, roles)
    assert a.board.copper_layers == 4
    assert [i for i, _, _ in a.board.stack] == [1, 2, 3, 4]


def test_four_layers_with_meaningless_names(tmp_path: Path) -> None:
    """Names say nothing and X2 is absent: types and sides from content; the order of the two inner
    layers is not in the files at all, so only their being inner is checked."""
    a, roles = run(four_layer(), tmp_path, naming="meaningless", x2=False)
    assert_roles(a, roles, check_inner_order=False)
    assert a.board.copper_layers == 4
    evidence = {f.path: f.evidence[0].source for f in a.files}
    assert set(evidence.values()) <= {Source.CONTENT, Source.NAMING}


def test_single_sided_bottom_board(tmp_path: Path) -> None:
    b = BoardBuilder(name="single", copper_layers=1, single_sided_side="bottom")
    b.outline_rect(0, 0, 30, 20)
    b.trace("bottom", [(3, 3), (27, 3)], 0.5)
    b.th_pad(5, 10, 1.0, 2.0)
    b.th_pad(25, 10, 1.0, 2.0)
    b.hole(15, 15, 3.0)  # DipTrace writes all holes into one file: plating not stated, "mixed"
    a, roles = run(b, tmp_path, naming="diptrace", x2=False)
    assert_roles(a, roles)
    assert a.board.copper_layers == 1 and a.board.stack[0][0] == 1


def test_x2_beats_a_misleading_name(tmp_path: Path) -> None:
    """A file named like top copper but stating Legend,Top in X2 is silkscreen: attributes first."""
    b = example_board()
    folder = tmp_path / "files"
    roles = b.write(folder, naming="kicad", x2=True)
    silk = next(n for n, r in roles.items() if r.type == "silkscreen" and r.side == "top")
    (folder / silk).rename(folder / "board-F_Cu-copy.gbr")
    a = analyze(folder, cache=LayerCache(None))
    got = a.role_of("board-F_Cu-copy.gbr")
    assert got is not None and (got.type, got.side) == ("silkscreen", "top")


def test_customer_roles_win_over_all_evidence(tmp_path: Path) -> None:
    example_board().write(tmp_path)
    plain = analyze(tmp_path, cache=LayerCache(None), workers=1)
    silk = next(f for f in plain.files if f.role.type == "silkscreen" and f.role.side == "top")
    fixed = analyze(tmp_path, cache=LayerCache(None), workers=1, roles={silk.path: Role("other", "none")})
    changed = next(f for f in fixed.files if f.path == silk.path)
    assert changed.role == Role("other", "none")
    assert changed.evidence[0].source is Source.CUSTOMER
    # The other files are read as before.
    assert {f.path: f.role for f in fixed.files if f.path != silk.path} == {
        f.path: f.role for f in plain.files if f.path != silk.path
    }


def test_a_legend_with_a_pixel_logo_is_still_silkscreen(tmp_path: Path) -> None:
    """Logos come as thousands of pixel-sized square flashes, most of them over copper (here the
    ground pour below): too small for a stencil to print, so they are legend, not paste."""
    b = example_board()
    ring = [
        "".join("#" if 8 <= abs(complex(c - 20, r - 20)) <= 18 else " " for c in range(41)) for r in range(41)
    ]
    b.picture("top_silk", 33.0, 14.0, ring, pixel=0.02)
    a, roles = run(b, tmp_path, naming="meaningless", x2=False)
    assert_roles(a, roles)


def test_solder_mask_defined_pads_still_tell_mask_from_paste(tmp_path: Path) -> None:
    """With mask openings smaller than the pads (solder-mask-defined pads) the paste is the wider
    layer; the mask is still the one open over the component pins, which a stencil never prints."""
    b = example_board()
    b.mask_expansion = -0.05
    a, roles = run(b, tmp_path, naming="meaningless", x2=False)
    assert_roles(a, roles)


def test_a_mask_with_large_openings_is_not_taken_for_a_plane(tmp_path: Path) -> None:
    """Exposed copper areas (heat spreaders, edge contacts) can leave half a mask layer open, as
    dark as a ground plane; but a plane joins the holes of its net, while no two holes share a mask
    opening. Only the content tells here, and the layer count must stay two."""
    b = example_board()
    for x0, y0, x1, y1 in [(21, 10.5, 43, 23), (6.5, 1, 19, 8), (19.5, 24.5, 45, 29.5)]:
        b.region("top_mask", [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    a, roles = run(b, tmp_path, naming="meaningless", x2=False)
    assert a.board.copper_layers == 2
    assert_roles(a, roles)


@pytest.mark.parametrize(
    ("name", "kind", "side"),
    [
        ("CADCAM Top SMT Paste Mask.GBR", "solderpaste", "top"),
        ("board_bottom_smd_paste.gbr", "solderpaste", "bottom"),
        ("CADCAM Mechanical 1.GBR", "other", "none"),
        ("board-mech_2.gbr", "other", "none"),
        ("board-mechanical3.gbr", "other", "none"),
    ],
)
def test_names_in_words_read_as_fabs_read_them(name: str, kind: str, side: str) -> None:
    """Names no tool table lists, in the words fabs ask for: a paste mask called SMT or SMD paste,
    numbered mechanical layers written with a space or an underscore before the number."""
    hit = by_name([name])[name]
    assert (hit.role().type, hit.role().side) == (kind, side)
