"""Manufacturability of an analysed board against the factory's capability classes.

Every rule has a stable id. A place that breaks the chosen class's limit becomes part of a finding:
`upgrade` when a more capable class accepts it (the finding names the class), `error` when no class
does. Advisory rules (mask webs, thin silkscreen, silkscreen on pads) are `warning`s: the factory
fixes them in CAM (removes the web, clips the print) instead of refusing the board, so they never
decide the class.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from flyfab.cam.analyze import Analysis
from flyfab.cam.forks import in_forks
from flyfab.cam.tolerance import ARC_TOLERANCE_MM
from flyfab.dfm import measure
from flyfab.dfm.measure import Instance
from flyfab.dfm.profiles import Profile, Profiles

# Curves are measured on chords within this of the true shape: a value that close to a limit meets it.
MEASURING_TOLERANCE_MM = ARC_TOLERANCE_MM


@dataclass(frozen=True)
class Rule:
    id: str
    limit: str | None  # the profile key with the limit (None: the rule has no number to meet)
    advisory: bool
    message: str  # one line for a customer; {measured} and {required} are filled in


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule(
            "trace_width",
            "min_trace_width_mm",
            False,
            "copper {measured} mm wide, narrower than {required} mm",
        ),
        Rule(
            "clearance",
            "min_clearance_mm",
            False,
            "copper {measured} mm from other copper, closer than {required} mm",
        ),
        Rule(
            "annular_ring",
            "min_annular_ring_mm",
            False,
            "copper ring of {measured} mm around a plated hole, less than {required} mm",
        ),
        Rule(
            "drill_size", "min_drill_mm", False, "hole of {measured} mm, outside the drillable {required} mm"
        ),
        Rule(
            "hole_to_hole",
            "min_hole_to_hole_mm",
            False,
            "holes {measured} mm apart edge to edge, closer than {required} mm",
        ),
        Rule(
            "copper_to_edge",
            "min_copper_to_edge_mm",
            False,
            "copper {measured} mm from the board edge, closer than {required} mm",
        ),
        Rule(
            "npth_to_copper",
            "min_npth_to_copper_mm",
            False,
            "copper {measured} mm from a non-plated hole, closer than {required} mm",
        ),
        Rule(
            "slot_width", "min_slot_width_mm", False, "slot {measured} mm wide, narrower than {required} mm"
        ),
        Rule(
            "mask_web",
            "min_mask_web_mm",
            True,
            "mask web of {measured} mm between openings, thinner than {required} mm: it will be removed",
        ),
        Rule(
            "silk_line_width",
            "min_silk_line_mm",
            True,
            "silkscreen line of {measured} mm is thinner than {required} mm and may not print",
        ),
        Rule(
            "silk_on_pad",
            None,
            True,
            "silkscreen over exposed copper ({measured} mm²) will be clipped from the pad",
        ),
        Rule(
            "board_size",
            "min_board_mm",
            False,
            "board of {measured} mm is outside the {required} mm the factory can make",
        ),
        Rule(
            "layer_count",
            "copper_layers",
            False,
            "{measured} copper layers, outside the {required} the factory can make",
        ),
        Rule("missing_layer", None, False, "{note}"),
        Rule(
            "drill_outside_board",
            None,
            True,
            "a hole lies {measured} mm off the board and drills nothing: check the outline and drill file",
        ),
    ]
}


@dataclass
class Finding:
    rule: str
    severity: str  # "error", "upgrade" or "warning"
    layer: str | None
    measured_mm: float | None  # the worst instance
    required_mm: float | list[float] | None
    count: int
    locations: list[tuple[float, float]]  # the worst first
    message: str
    upgrade_to: str | None = None


@dataclass
class DfmReport:
    profile: str
    min_class: str | None
    findings: list[Finding] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)


def _strictest(profiles: Profiles, key: str) -> float:
    return max(float(getattr(p, key)) for p in profiles.profiles.values())


def _missing(note: str, path: str | None = None) -> Instance:
    return Instance("missing_layer", path, None, None, None, note=note)


def _board_instances(a: Analysis) -> list[Instance]:
    found: list[Instance] = []
    if a.board.outline is None:
        found.append(_missing("no board outline: add the board edge (outline) layer"))
    if a.board.width_mm is not None and a.board.height_mm is not None:
        short, long = sorted((a.board.width_mm, a.board.height_mm))
        found.append(Instance("board_size", None, short, None, None, limit_key="short"))
        found.append(Instance("board_size", None, long, None, None, limit_key="long"))
    n = a.board.copper_layers
    if n == 0:
        found.append(_missing("no copper layer found: add the copper layers"))
    else:
        found.append(Instance("layer_count", None, float(n), None, None))
    sides = {side for _, _, side in a.board.stack}
    for f in a.files:
        masked = f.role.type in ("soldermask", "solderpaste") and f.role.side in ("top", "bottom")
        if masked and f.role.side not in sides and n > 0:
            note = f"{f.role.type} for the {f.role.side} side but no {f.role.side} copper layer"
            found.append(_missing(note, f.path))
    if n >= 2 and not measure.drill_files(a):
        found.append(_missing(f"{n} copper layers but no drill file: add the drill (Excellon) files"))
    return found


def _accepts(p: Profile, i: Instance) -> bool:
    rule = RULES[i.rule]
    if rule.limit is None or i.measured is None:
        return False  # no number to meet: the place itself is the finding
    if i.rule == "board_size":
        k = 0 if i.limit_key == "short" else 1
        return p.min_board_mm[k] <= i.measured <= p.max_board_mm[k]
    if i.rule == "layer_count":
        return p.copper_layers[0] <= i.measured <= p.copper_layers[1]
    if i.bound == "max":
        return i.measured <= float(getattr(p, i.limit_key)) + MEASURING_TOLERANCE_MM
    return i.measured >= float(getattr(p, i.limit_key or rule.limit)) - MEASURING_TOLERANCE_MM


def _required(p: Profile, i: Instance) -> float | list[float] | None:
    rule = RULES[i.rule]
    if rule.limit is None:
        return None
    if i.rule == "board_size":
        k = 0 if i.limit_key == "short" else 1
        return [p.min_board_mm[k], p.max_board_mm[k]]
    if i.rule == "layer_count":
        return [float(p.copper_layers[0]), float(p.copper_layers[1])]
    return float(getattr(p, i.limit_key or rule.limit))


def copper_limit(profiles: Profiles) -> float:
    """Copper widths and gaps under this are checked: the strictest trace or clearance of any class.
    The analysis keeps them (`analyze(..., spans=...)`), so DFM need not measure again."""
    return max(_strictest(profiles, "min_trace_width_mm"), _strictest(profiles, "min_clearance_mm"))


def measure_board(a: Analysis, profiles: Profiles) -> list[Instance]:
    """Every place on the board that some class's limit might reject."""

    def s(key: str) -> float:
        return _strictest(profiles, key)

    classes = list(profiles.profiles.values())
    # Each step with its cost (seconds on the 12-layer corpus board, measured one after the other):
    # the costliest start first when they run side by side.
    steps: list[tuple[float, Callable[[], list[Instance]]]] = [
        (0.72, lambda: measure.widths_and_gaps(a, copper_limit(profiles))),
        (0.65, lambda: measure.annular_rings(a, s("min_annular_ring_mm"))),
        (
            0.01,
            lambda: measure.drill_sizes(
                a, max(p.min_drill_mm for p in classes), min(p.max_drill_mm for p in classes)
            ),
        ),
        (0.01, lambda: measure.holes_too_close(a, s("min_hole_to_hole_mm"))),
        (0.58, lambda: measure.copper_to_edge(a, s("min_copper_to_edge_mm"))),
        (0.88, lambda: measure.npth_to_copper(a, s("min_npth_to_copper_mm"))),
        (0.0, lambda: measure.slot_widths(a, s("min_slot_width_mm"))),
        (0.33, lambda: measure.mask_webs(a, s("min_mask_web_mm"))),
        (0.02, lambda: measure.silk_lines(a, s("min_silk_line_mm"))),
        (0.61, lambda: measure.silk_on_pads(a)),
        (0.01, lambda: measure.holes_outside(a)),
        (0.0, lambda: _board_instances(a)),
    ]
    # The steps read the analysis and write nothing: they run side by side in forked processes.
    parts = in_forks([f for _, f in steps], os.cpu_count() or 1, costs=[c for c, _ in steps])
    return [i for part in parts for i in part]


def judge(instances: list[Instance], profiles: Profiles, profile: str) -> DfmReport:
    chosen = profiles.get(profile)
    names = profiles.names()
    blocking = [i for i in instances if not RULES[i.rule].advisory and not i.advice]
    min_class = next((n for n in names if all(_accepts(profiles.profiles[n], i) for i in blocking)), None)
    groups: dict[tuple[str, str | None, str, str | None, object, str], list[Instance]] = {}
    for i in instances:
        rule = RULES[i.rule]
        if _accepts(chosen, i):
            continue
        if rule.advisory or i.advice:
            severity, better = "warning", None
        else:
            better = next((n for n in names if n != profile and _accepts(profiles.profiles[n], i)), None)
            severity = "upgrade" if better else "error"
        required = _required(chosen, i)
        key = (
            i.rule,
            i.layer,
            severity,
            better,
            tuple(required) if isinstance(required, list) else required,
            i.advice,
        )
        groups.setdefault(key, []).append(i)
    findings = []
    for (rule_id, layer, severity, better, _, advice), items in groups.items():
        rule = RULES[rule_id]
        # The worst instance: furthest below a minimum (or above a maximum), largest area of advice.
        sign = -1.0 if rule_id == "silk_on_pad" or items[0].bound == "max" else 1.0
        items.sort(key=lambda i: sign * i.measured if i.measured is not None else 0.0)
        worst = items[0]
        required = _required(chosen, worst)
        shown_req = (
            "–".join(f"{v:g}" for v in required)
            if isinstance(required, list)
            else f"{required:g}"
            if required is not None
            else ""
        )
        message = (advice or rule.message).format(
            measured=f"{worst.measured:.3f}".rstrip("0").rstrip(".") if worst.measured is not None else "",
            required=shown_req,
            note=worst.note,
        )
        if better:
            message += f"; the {better} class can build it"
        findings.append(
            Finding(
                rule=rule_id,
                severity=severity,
                layer=layer,
                measured_mm=None if worst.measured is None else round(worst.measured, 4),
                required_mm=required,
                count=len(items),
                locations=[
                    (round(i.x, 3), round(i.y, 3)) for i in items if i.x is not None and i.y is not None
                ],
                message=message,
                upgrade_to=better,
            )
        )
    order = {"error": 0, "upgrade": 1, "warning": 2}
    findings.sort(key=lambda f: (order[f.severity], f.rule, f.layer or ""))
    return DfmReport(profile=profile, min_class=min_class, findings=findings, classes=names)


def check(a: Analysis, profiles: Profiles, profile: str | None = None) -> DfmReport:
    """DFM findings of an analysed board for `profile` (default: the plainest class)."""
    name = profile or profiles.names()[0]
    return judge(measure_board(a, profiles), profiles, name)
