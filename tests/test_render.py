"""Pictures of boards built here: what shows at known places, a golden image, the SVG, the CLI.

The golden pictures in tests/golden/ are of the example board flyfab generates itself. To renew
them after a deliberate change of the look: FLYFAB_RENEW_GOLDEN=1 pytest tests/test_render.py,
then look at the new pictures before committing them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from PIL import Image

from flyfab.cam.analyze import Analysis, analyze
from flyfab.cam.cache import LayerCache
from flyfab.cam.islands import as_array
from flyfab.cam.synth import BoardBuilder, example_board
from flyfab.dfm import DFM_AREAS, check, load_profiles
from flyfab.render import RENDER_AREAS, ColorError, board, palette, raster, render_board
from flyfab.render.colors import FINISHES, MASKS, SILKS
from flyfab.render.raster import Canvas, to_image
from flyfab.render.scene import Paint, Scene, board_view

GOLDEN = Path(__file__).parent / "golden"
WIDTH = 600


@cache
def _example(tmp: str) -> Analysis:
    folder = Path(tmp) / "example"
    example_board().write(folder)
    return analyze(folder, cache=LayerCache(None), workers=1, areas=RENDER_AREAS)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return _example(str(tmp_path_factory.mktemp("render")))


def _pixel(image: Image.Image, scene: Scene, x: float, y: float) -> tuple[int, int, int, int]:
    ((px, py),) = Canvas(scene, image.width).pixels(np.array([[x, y]]))
    value = image.convert("RGBA").getpixel((int(px), int(py)))
    assert isinstance(value, tuple)
    return value[0], value[1], value[2], value[3]


def _close(rgba: tuple[int, int, int, int], color: str, tolerance: int = 12) -> bool:
    want = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return rgba[3] > 240 and all(abs(a - b) <= tolerance for a, b in zip(rgba[:3], want, strict=True))


def test_top_view_shows_what_the_factory_makes(example: Analysis) -> None:
    colors = palette("green", "white", "enig")
    scene = board_view(example, "top", colors)
    assert scene is not None
    image = to_image(scene, WIDTH)
    # A resistor pad, opened in the mask: the finish.
    assert _close(_pixel(image, scene, 23.175, 21.0), colors.finish)
    # A mounting hole, the cut-out, and the space beside the board: nothing.
    assert _pixel(image, scene, 4.0, 26.0)[3] == 0
    assert _pixel(image, scene, 25.0, 4.5)[3] == 0
    assert _pixel(image, scene, -0.6, 15.0)[3] == 0
    # Bare laminate under the mask, away from any copper on top.
    assert _close(_pixel(image, scene, 45.0, 27.0), colors.mask)
    # A 0.25 mm trace under the mask shows lighter (sampled in its middle at 12 px/mm).
    assert _close(_pixel(image, scene, 25.9, 21.0), colors.mask_over_copper, 40)


def test_bottom_view_is_mirrored(example: Analysis) -> None:
    colors = palette("blue", "white", "hasl")
    scene = board_view(example, "bottom", colors)
    assert scene is not None and scene.mirror
    image = to_image(scene, WIDTH)
    # The ground pour covers the bottom: mask over copper, except at the holes.
    assert _close(_pixel(image, scene, 35.0, 12.0), colors.mask_over_copper)
    assert _pixel(image, scene, 46.0, 4.0)[3] == 0
    # Seen from below, the mounting hole at x = 46 lies on the left of the picture.
    ((px, _),) = Canvas(scene, WIDTH).pixels(np.array([[46.0, 4.0]]))
    assert px < WIDTH / 4


def _diff(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    x = np.asarray(a.convert("RGBA"), dtype=np.int16)
    y = np.asarray(b.convert("RGBA"), dtype=np.int16)
    assert x.shape == y.shape, (x.shape, y.shape)
    d = np.abs(x - y).max(axis=2)
    return float(d.mean()), float((d > 48).mean())


@pytest.mark.parametrize("side", ["top", "bottom"])
def test_golden_pictures(example: Analysis, side: str, tmp_path: Path) -> None:
    scene = board_view(example, side, palette())
    assert scene is not None
    image = to_image(scene, WIDTH)
    golden = GOLDEN / f"example-{side}.png"
    if os.environ.get("FLYFAB_RENEW_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        image.save(golden)
    mean, far = _diff(image, Image.open(golden))
    # Anti-aliasing and library versions may move edge pixels a little; a moved feature moves many.
    assert mean < 1.5, mean
    assert far < 0.003, far


def test_golden_test_catches_a_changed_board(example: Analysis, tmp_path: Path) -> None:
    # The tolerance must not hide a real difference: one missing via on the example board.
    b = example_board()
    folder = tmp_path / "changed"
    b.via(12.0, 5.0, 0.3, 0.6)
    b.write(folder)
    changed = analyze(folder, cache=LayerCache(None), workers=1, areas=DFM_AREAS)
    scene = board_view(changed, "top", palette())
    assert scene is not None
    mean, far = _diff(to_image(scene, WIDTH), Image.open(GOLDEN / "example-top.png"))
    assert far > 0.0001 or mean > 0.05


def test_every_picture_is_written(example: Analysis, tmp_path: Path) -> None:
    report = check(example, load_profiles())
    done = render_board(example, tmp_path, 400, palette(), report)
    names = {p.name for p in done.all}
    assert {"top.svg", "top.png", "bottom.svg", "bottom.png", "dfm-top.svg", "dfm-top.png"} <= names
    assert len(done.layers) == 2 * len(example.files)
    for p in done.all:
        assert p.stat().st_size > 0
        if p.suffix == ".png":
            assert Image.open(p).width == 400
        else:
            root = ET.parse(p).getroot()  # well-formed
            assert root.tag.endswith("svg")


def test_processes_and_threads_write_the_same_pictures(
    example: Analysis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large boards are drawn in forked processes, small ones on threads: the files must not
    depend on which (the example board is small; a threshold of 0 makes it large)."""
    report = check(example, load_profiles())
    threads = render_board(example, tmp_path / "threads", 300, palette(), report)
    pids = tmp_path / "pids"
    real_png = board._Writer.png

    def png(self: board._Writer, picture: board._Picture) -> list[Path]:
        with pids.open("a") as f:  # from the process that draws it
            f.write(f"{os.getpid()}\n")
        return real_png(self, picture)

    monkeypatch.setattr(board._Writer, "png", png)
    monkeypatch.setattr(board, "FORK_MIN_VERTICES", 0)
    forked = render_board(example, tmp_path / "forked", 300, palette(), report)
    drawn_by = {int(line) for line in pids.read_text().split()}
    assert drawn_by and os.getpid() not in drawn_by
    assert [p.name for p in forked.all] == [p.name for p in threads.all]
    for a, b in zip(threads.all, forked.all, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_an_overlay_without_markers_is_the_plain_picture(example: Analysis, tmp_path: Path) -> None:
    report = check(example, load_profiles())
    top = board_view(example, "top", palette())
    assert top is not None
    side_has_markers = bool(board._pictures(example, palette(), report)[0].scene.markers)
    render_board(example, tmp_path, 300, palette(), report)
    same = (tmp_path / "dfm-top.png").read_bytes() == (tmp_path / "top.png").read_bytes()
    assert same != side_has_markers


def test_shapes_are_filled_straight_into_the_bit_plane() -> None:
    """Pillow fills the numpy array's own memory (no copy): a copy would leave the plane blank."""
    scene = Scene(
        name="fill",
        bounds=(0.0, 0.0, 10.0, 10.0),
        shapes={"a": as_array([shapely.box(0, 0, 5, 10)])},
        paints=[Paint("a", "a", "#ff0000")],
        antialias=False,
    )
    plane = np.zeros((10, 10), dtype=np.uint8)
    raster._fill(plane, scene.shapes["a"], Canvas(scene, 10), 4)
    assert plane[:, :5].min() == 4 and plane[:, 6:].max() == 0


def test_dfm_overlay_marks_each_finding(tmp_path: Path) -> None:
    b = BoardBuilder(name="overlay")
    b.outline_rect(0, 0, 30, 20)
    b.trace("top", [(5, 10), (20, 10)], 0.05)  # too thin for any class
    b.via(25, 15, 0.4, 0.8)
    b.write(tmp_path / "board")
    a = analyze(tmp_path / "board", cache=LayerCache(None), workers=1, areas=DFM_AREAS)
    report = check(a, load_profiles())
    thin = next(f for f in report.findings if f.rule == "trace_width")
    render_board(a, tmp_path / "out", 300, palette(), report)
    root = ET.parse(tmp_path / "out" / "dfm-top.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    circles = [(float(c.get("cx", "nan")), float(c.get("cy", "nan"))) for c in root.iter(f"{ns}circle")]
    for x, y in thin.locations:
        assert any(abs(cx - x) < 1e-3 and abs(cy - y) < 1e-3 for cx, cy in circles)
    assert any("trace_width" in (t.text or "") for t in root.iter(f"{ns}text"))
    # The plain top view carries no markers.
    assert not list(ET.parse(tmp_path / "out" / "top.svg").getroot().iter(f"{ns}circle"))


def test_unknown_colour_names_the_choices() -> None:
    with pytest.raises(ColorError, match="purple"):
        palette(mask="pink")
    assert "enig" in FINISHES and "black" in SILKS and "green" in MASKS


def _flyfab(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flyfab", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_cli_render(tmp_path: Path) -> None:
    upload = tmp_path / "example.zip"
    example_board().write_zip(upload)
    done = _flyfab("render", str(upload), "--out", str(tmp_path / "pics"), "--width", "320", "--mask", "red")
    assert done.returncode == 0, done.stderr
    assert Image.open(tmp_path / "pics" / "top.png").width == 320
    assert (tmp_path / "pics" / "dfm-bottom.svg").exists()
    bad = _flyfab("render", str(upload), "--out", str(tmp_path / "x"), "--mask", "pink")
    assert bad.returncode == 2 and "pink" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "x").exists()
    bad = _flyfab("render", str(upload), "--out", str(tmp_path / "y"), "--width", "0")
    assert bad.returncode == 2 and "width" in bad.stderr


def test_edge_pixels_average_what_covers_them() -> None:
    # 10 mm at 10 px: one pixel per mm, drawn on a grid twice as fine, where Pillow fills every
    # fine pixel a polygon touches. Red reaches into fine pixel 11 and blue from there into fine
    # pixel 14, so pixel 5 is half red, half blue and pixel 7 half blue, half nothing.
    red = as_array([shapely.box(0, 0, 5.6, 10)])
    blue = as_array([shapely.box(5.6, 0, 7.25, 10)])
    scene = Scene(
        name="edges",
        bounds=(0.0, 0.0, 10.0, 10.0),
        shapes={"red": red, "blue": blue},
        paints=[Paint("red", "red", "#ff0000"), Paint("blue", "blue", "#0000ff")],
    )
    row = np.asarray(to_image(scene, 10).convert("RGBA"))[5]
    assert tuple(row[2]) == (255, 0, 0, 255)
    assert tuple(row[6]) == (0, 0, 255, 255)
    assert row[9][3] == 0
    r, g, b, alpha = (int(v) for v in row[5])
    assert alpha == 255 and abs(r - 128) <= 1 and g == 0 and abs(b - 128) <= 1  # the mean of both
    r, g, b, alpha = (int(v) for v in row[7])
    assert (r, g, b) == (0, 0, 255) and abs(alpha - 128) <= 1  # half covered: half transparent


def test_large_pictures_skip_the_fine_grid(example: Analysis) -> None:
    # Masks take a byte per fine pixel: past FINE_PIXELS a picture is drawn on its own grid, so a
    # wide picture costs a quarter of the memory, and is still right.
    colors = palette("green", "white", "enig")
    scene = board_view(example, "top", colors)
    assert scene is not None
    assert Canvas(scene, 1200).supersample == 2
    wide = 8000
    assert Canvas(scene, wide).supersample == 1
    image = to_image(scene, wide)
    assert image.width == wide
    assert _close(_pixel(image, scene, 23.175, 21.0), colors.finish)
    assert _pixel(image, scene, 4.0, 26.0)[3] == 0


def test_paints_show_only_within_and_outside_their_shapes() -> None:
    """A paint shows where its shape and every "within" shape are and no "outside" shape is; a
    later paint covers an earlier one. Pixels are sampled away from every edge (1 px per mm)."""

    def box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return as_array([shapely.box(x0, y0, x1, y1)])

    scene = Scene(
        name="recipe",
        bounds=(0.0, 0.0, 10.0, 10.0),
        shapes={
            "board": box(0, 0, 10, 10),
            "hole": box(1, 6, 4, 9),
            "opening": box(6, 0, 10, 10),
            "copper": box(3, 1, 9, 5),
        },
        paints=[
            Paint("substrate", "board", "#00ff00", outside=("hole",)),
            Paint("under mask", "copper", "#0000ff", outside=("opening", "hole")),
            Paint("finish", "copper", "#ffff00", within=("opening",), outside=("hole",)),
        ],
    )
    pixels = np.asarray(to_image(scene, 10).convert("RGBA"))

    def at(x: float, y: float) -> tuple[int, ...]:
        return tuple(int(v) for v in pixels[int(10 - y), int(x)])

    assert at(2.5, 7.5) == (0, 0, 0, 0)  # the hole: nothing
    assert at(0.5, 0.5) == (0, 255, 0, 255)  # bare board
    assert at(4.5, 2.5) == (0, 0, 255, 255)  # copper under the mask
    assert at(7.5, 2.5) == (255, 255, 0, 255)  # copper in the opening
    assert at(7.5, 8.5) == (0, 255, 0, 255)  # an opening without copper shows the board


def test_a_scene_of_more_shapes_than_bits_is_refused() -> None:
    shapes = {f"s{n}": as_array([shapely.box(n, 0, n + 1, 1)]) for n in range(9)}
    scene = Scene(
        name="many",
        bounds=(0.0, 0.0, 10.0, 1.0),
        shapes=shapes,
        paints=[Paint(name, name, "#ffffff") for name in shapes],
    )
    with pytest.raises(ValueError, match="at most 8 shapes"):
        to_image(scene, 10)
