"""Board facts for pricing, taken from a real analysis and its DFM verdict."""

from __future__ import annotations

from pathlib import Path

from flyfab.cam.analyze import analyze
from flyfab.cam.cache import LayerCache
from flyfab.cam.synth import BoardBuilder
from flyfab.dfm import DFM_AREAS, check, load_profiles
from flyfab.pricing.from_analysis import board_facts, castellated_holes
from tests.conftest import analysed

PROFILES = load_profiles()


def module(folder: Path, on_edge: bool) -> BoardBuilder:
    b = BoardBuilder(name="module")
    b.outline_rect(0, 0, 40, 30)
    y = 0.0 if on_edge else 3.0
    for i in range(5):
        b.th_pad(5 + 2.54 * i, y, 0.8, 1.5)
    b.write(folder)
    return b


def test_plated_holes_cut_by_the_edge_make_a_castellated_board(tmp_path: Path) -> None:
    module(tmp_path / "edge", on_edge=True)
    a = analyze(tmp_path / "edge", cache=LayerCache(None), workers=1, areas=DFM_AREAS)
    assert castellated_holes(a) == 5
    facts = board_facts(a, check(a, PROFILES))
    assert "castellated" in facts.hints
    module(tmp_path / "inside", on_edge=False)
    inside = analyze(tmp_path / "inside", cache=LayerCache(None), workers=1, areas=DFM_AREAS)
    assert castellated_holes(inside) == 0
    assert "castellated" not in board_facts(inside, check(inside, PROFILES)).hints


def test_facts_of_a_corpus_board_that_needs_the_advanced_class() -> None:
    a = analysed("gb-allegro")
    facts = board_facts(a, check(a, PROFILES))
    assert facts.layers == 4 and facts.width_mm > 0 and facts.height_mm > 0
    assert facts.holes == a.drills.total_holes > 0
    assert facts.min_class == "advanced" and facts.classes == ("standard", "advanced")
    # The reason is the 0.123 mm trace, under the standard 0.127 mm.
    assert facts.class_reasons and all("wide, narrower than 0.127 mm" in r for r in facts.class_reasons)
    assert not facts.unbuildable and not facts.hints
    assert facts.min_trace_mm is not None and facts.min_gap_mm is not None


def test_facts_of_a_board_no_class_builds() -> None:
    a = analysed("gb-fusion360")
    facts = board_facts(a, check(a, PROFILES))
    assert facts.unbuildable and "no drill file" in facts.unbuildable[0]
    assert facts.min_class == "standard"  # nothing else asks for more
