"""DFM on every corpus board under the advanced class: the errors found are exactly the ones
verified by hand to be in the files (docs/dfm.md lists each with the reason). A new error is a
regression of the checks until someone verifies it; a vanished one is a check that went blind."""

from __future__ import annotations

from functools import cache

import pytest

from flyfab.cam.analyze import analyze
from flyfab.dfm import DFM_AREAS, DfmReport, check, load_profiles
from tests.conftest import _CACHE, CORPUS, corpus_truth

ALTIUM = "LimeSDR-QPCIe_1v2."
ORCAD = ("BOTTOM.art", "GND2.art", "LAYER_1.art", "LAYER_2.art", "PWR.art", "TOP.art")
SIEMENS = "80101_0125_F200_"
# board -> {(rule, layer file name)} of the error findings (severity "error") under "advanced".
VERIFIED: dict[str, set[tuple[str, str | None]]] = {
    "gb-Target3001": {
        ("annular_ring", "IRNASIoTbank1.2.Bot"),
        ("annular_ring", "IRNASIoTbank1.2.Top"),
        ("clearance", "IRNASIoTbank1.2.Top"),
    },
    "gb-altium-composite-drill": {
        *(("annular_ring", ALTIUM + n) for n in ("G11", "G2", "G3", "G5", "G7", "G8", "G9", "GBL", "GTL")),
        *(("clearance", ALTIUM + n) for n in ("G1", "G11", "G2", "G5", "G9", "GBL", "GTL")),
        *(("npth_to_copper", ALTIUM + n) for n in ("G3", "G8", "GBL")),
    },
    "gb-diptrace-panel": {("clearance", "panel_Bottom.gbr")},
    "gb-fritzing": {("trace_width", "combined.gbl")},
    "gb-fusion360": {("missing_layer", None)},
    "gb-geda-controller": {
        ("clearance", "controller.top.gbr"),
        ("trace_width", "controller.bottom.gbr"),
        ("trace_width", "controller.top.gbr"),
    },
    "gb-geda-driver": {("trace_width", "driver.bottom.gbr")},
    "gb-kicad-older": {
        ("annular_ring", "chibi_2024-B.Cu.gbr"),
        ("annular_ring", "chibi_2024-F.Cu.gbr"),
        ("hole_to_hole", "chibi_2024.drl"),
    },
    "gb-orcad": {
        *(("clearance", n) for n in ORCAD),
        *(("copper_to_edge", n) for n in ORCAD if n != "PWR.art"),
        *(("npth_to_copper", n) for n in ORCAD),
    },
    "gb-pcb-rnd": {("trace_width", "power-art.gbl"), ("trace_width", "power-art.gtl")},
    "gb-siemens": {
        ("npth_to_copper", SIEMENS + "L05.gdo"),
        ("slot_width", SIEMENS + "ContourPlated.ncd"),
        *(("trace_width", SIEMENS + n + ".gdo") for n in ("L02", "L04", "L06", "L07", "L09", "L11")),
    },
    "gb-world_clock_2": {("missing_layer", None)},
    "ts-clockblock": {
        ("annular_ring", "clockblock-B_Cu.gbr"),
        ("annular_ring", "clockblock-F_Cu.gbr"),
        ("clearance", "clockblock-F_Cu.gbr"),
    },
    "ts-core": {("clearance", "core.GTL"), ("copper_to_edge", "core.GTL")},
    "ts-usbvil": {
        ("annular_ring", "pic18f14k50.gbl"),
        ("annular_ring", "pic18f14k50.gtl"),
        ("npth_to_copper", "pic18f14k50.gtl"),
    },
}


@cache
def _report(board: str) -> DfmReport:
    a = analyze(CORPUS / "boards" / board, cache=_CACHE, areas=DFM_AREAS)
    return check(a, load_profiles(), "advanced")


@pytest.mark.parametrize("board", sorted(corpus_truth()))
def test_advanced_errors_are_the_verified_ones(board: str) -> None:
    report = _report(board)
    found = {
        (f.rule, f.layer.rsplit("/", 1)[-1] if f.layer else None)
        for f in report.findings
        if f.severity == "error"
    }
    assert found == VERIFIED.get(board, set())
    assert (report.min_class is None) == bool(found)
