"""Which file is which layer: evidence in order of strength, then the stack-up across files.

Order of evidence (strongest first), as a CAM engineer weighs it:
1. the file's own X2 attributes (`%TF.FileFunction`, Excellon `TF` comments);
2. the Gerber job file naming the file;
3. the CAD tool's file-naming convention (`naming`);
4. content: the layer names written inside the file, then drawing statistics (`content`), then the
   coincidence of pads, openings and holes across files (`stackup`).

Weaker evidence that agrees is kept beside the deciding one, so the report shows all reasons.
"""

from __future__ import annotations

import re

from flyfab.cam import classify, content, sidecar, stackup
from flyfab.cam.functions import role_from_function
from flyfab.cam.jobfile import JobFile
from flyfab.cam.model import Evidence, Role, Source
from flyfab.cam.naming import NameHit, by_name
from flyfab.cam.stackup import Candidate


def _compatible(role: Role, kind: str) -> bool:
    # An Excellon program can only be drill data; Gerber can be anything, drills included.
    return role.type == "drill" if kind == "excellon" else True


def _agrees(a: Role, b: Role) -> bool:
    if a.type != b.type:
        return False
    if a.side in ("none", "all") or b.side in ("none", "all"):
        return True
    return a.side == b.side


def _refine(role: Role, other: Role) -> Role:
    """Take from agreeing, weaker evidence what the deciding one left open: a side, a plating."""
    if role.side in ("none",) and other.side in ("top", "bottom") and role.type != "copper":
        role = Role(role.type, other.side, role.index, role.plating)
    if role.type == "drill" and role.plating is None and other.plating is not None:
        role = Role("drill", "all", plating=other.plating)
    if role.type == "copper" and role.index is None and other.index is not None:
        role = role.with_index(other.index)
    return role


def first_pass(
    cands: list[Candidate], job: JobFile | None, generator: str | None, reports: dict[str, str] | None = None
) -> None:
    """Everything that can be read without geometry: attributes, job file, names, header texts."""
    names = by_name([c.path for c in cands], generator)
    described = sidecar.descriptions(reports or {}, [c.path for c in cands])
    layer_count = job.layer_count if job else None
    for c in cands:
        found: list[tuple[Role, Evidence]] = []
        fn = c.header.file_function
        if fn:
            role = role_from_function(fn, layer_count)
            if role is not None and c.kind == "excellon" and role.type != "drill":
                role = None
            if role is not None:
                if role.type == "drill" and role.plating is None and c.header.plating:
                    role = Role("drill", "all", plating=c.header.plating)
                found.append((role, Evidence(Source.X2, "%TF.FileFunction," + ",".join(fn))))
        if job is not None and (jfn := job.function_for(c.path)):
            role = role_from_function(jfn, layer_count)
            if role is not None and _compatible(role, c.kind):
                found.append((role, Evidence(Source.JOB, f"{job.path} lists it as {','.join(jfn)}")))
        hit: NameHit | None = names.get(c.path)
        if hit is not None and not hit.ignore:
            role = hit.role()
            if _compatible(role, c.kind):
                found.append((role, hit.evidence()))
                c.number = hit.number
        if c.path in described:
            desc, report = described[c.path]
            described_role = content.role_from_name(desc)
            plating = sidecar.plating_in(desc)
            if c.kind == "excellon" or (described_role is None and plating):
                described_role = Role("drill", "all", plating=plating)  # type: ignore[arg-type]
            if described_role is not None and _compatible(described_role, c.kind):
                found.append((described_role, Evidence(Source.CONTENT, f"{report} describes it as '{desc}'")))
        guess = content.from_header(c.header, c.path)
        if guess is not None and _compatible(guess.role, c.kind):
            found.append((guess.role, Evidence(Source.CONTENT, guess.detail)))
        if c.kind == "excellon":
            found.append((Role("drill", "all"), Evidence(Source.CONTENT, "Excellon drill program")))
        if not found:
            continue
        role, evidence = found[0]
        if evidence.source is Source.NAMING and hit is not None and not hit.rule.specificity:
            # A shared extension (.top, .txt, .gm1) yields to a confident reading of the file's own header.
            strong_header = [
                f for f in found[1:] if f[1].source is Source.CONTENT and "Allegro" in f[1].detail
            ]
            if strong_header and not _agrees(role, strong_header[0][0]):
                role, evidence = strong_header[0]
        for other_role, other_evidence in found:
            if other_evidence is not evidence and _agrees(role, other_role):
                role = _refine(role, other_role)
        c.set(role, evidence)
        for other_role, other_evidence in found:
            if other_evidence is not evidence and _agrees(role, other_role):
                c.evidence.append(other_evidence)


def content_pass(cands: list[Candidate], board_bbox: tuple[float, float, float, float] | None) -> None:
    """Files nothing else explained, by drawing statistics, then sides and stack across files."""
    classify.classify(cands, board_bbox)
    stackup.detect_gerber_drills(cands)
    stackup.assign_sides(cands)
    stackup.mask_or_paste(cands)
    stackup.resolve_plating(cands)


_MECHANICAL = re.compile(r"\.gm\d+$|mech", re.I)


def outline_rank(c: Candidate) -> tuple[int, int]:
    """Which of several board-edge candidates is the outline: stronger evidence, then a dedicated
    outline or keep-out layer before a numbered mechanical layer (fabs read .GKO before .GM1)."""
    strength = c.strength.rank if c.strength else 9
    return (strength, 1 if _MECHANICAL.search(c.path) else 0)
