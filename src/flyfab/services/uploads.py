"""Uploads: a customer's fabrication archive, checked on arrival, analysed in the background.

On arrival only the archive itself is checked (what `flyfab analyze` refuses outright: not an
archive, encrypted, too large, a zip bomb, paths escaping the archive), so a bad file is refused at
once with the reason and nothing is stored. The analysis, DFM and pictures then run as a task; the
upload's status says where it is (queued, running, done, failed) and a failure says why.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import asdict, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from flyfab.cam.analyze import analyze_upload
from flyfab.cam.intake import IntakeError, IntakeLimits, read_upload_bytes
from flyfab.cam.model import LAYER_TYPES, PLATINGS, SIDES, Role
from flyfab.cam.report import to_json
from flyfab.dfm import check, copper_limit
from flyfab.dfm.report import dfm_json
from flyfab.pricing import BoardFacts
from flyfab.pricing.from_analysis import board_facts
from flyfab.render import RENDER_AREAS, render_board
from flyfab.services.accounts import Identity
from flyfab.services.errors import Conflict, Invalid, NotFound, TooLarge
from flyfab.services.platform import Platform
from flyfab.store import tables as t

log = logging.getLogger("flyfab.uploads")
STATES = ("queued", "running", "done", "failed")
PICTURE = re.compile(r"^[A-Za-z0-9._-]{1,200}\.(svg|png)$")


def _limits(p: Platform) -> IntakeLimits:
    limits = IntakeLimits.from_env()
    return replace(limits, max_archive_bytes=min(limits.max_archive_bytes, p.settings.max_upload_bytes))


def create_upload(p: Platform, who: Identity, filename: str, data: bytes) -> t.Upload:
    if len(data) > p.settings.max_upload_bytes:
        limit = p.settings.max_upload_bytes / 1e6
        raise TooLarge(f"the upload is {len(data) / 1e6:.1f} MB; the limit is {limit:.0f} MB")
    name = Path(filename.replace("\\", "/")).name[:200] or "upload.zip"
    try:
        read_upload_bytes(name, data, _limits(p))
    except IntakeError as err:
        raise Invalid(str(err)) from None
    digest = p.files.put(data)
    with p.db.unit() as s:
        upload = t.Upload(
            owner_id=who.id, filename=name, stored_name=f"{digest}.bin", sha256=digest, size=len(data)
        )
        s.add(upload)
    _submit(p, upload.id)
    return upload


def _submit(p: Platform, upload_id: str) -> None:
    if p.jobs is not None:
        p.jobs.submit("analyze_upload", upload_id)


def get_upload(p: Platform, who: Identity, upload_id: str) -> t.Upload:
    with p.db.unit() as s:
        upload = s.get(t.Upload, upload_id)
        if upload is None or (upload.owner_id != who.id and not who.staff):
            raise NotFound("no such upload")
        return upload


def list_uploads(p: Platform, who: Identity, limit: int = 50) -> list[t.Upload]:
    with p.db.unit() as s:
        q = select(t.Upload).order_by(t.Upload.created_at.desc()).limit(limit)
        if not who.staff:
            q = q.where(t.Upload.owner_id == who.id)
        return list(s.scalars(q))


def pictures_dir(p: Platform, upload_id: str) -> Path:
    return p.settings.data_dir / "pictures" / upload_id


def picture(p: Platform, who: Identity, upload_id: str, name: str) -> Path:
    get_upload(p, who, upload_id)
    if not PICTURE.match(name):
        raise NotFound("no such picture")
    path = pictures_dir(p, upload_id) / name
    if not path.is_file():
        raise NotFound("no such picture")
    return path


def _role(path: str, value: Any) -> Role:
    if not isinstance(value, dict):
        raise Invalid(f"{path}: give the role as {{type, side, index, plating}}")
    kind, side = value.get("type"), value.get("side")
    if kind not in LAYER_TYPES:
        raise Invalid(f"{path}: type must be one of {', '.join(LAYER_TYPES)}")
    if side not in SIDES:
        raise Invalid(f"{path}: side must be one of {', '.join(SIDES)}")
    index = value.get("index")
    if kind == "copper":
        if index is not None and (not isinstance(index, int) or not 1 <= index <= 64):
            raise Invalid(f"{path}: index is the copper layer's position, 1 (top) to 64")
    else:
        index = None
    plating = value.get("plating") if kind == "drill" else None
    if plating is not None and plating not in PLATINGS:
        raise Invalid(f"{path}: plating must be one of {', '.join(PLATINGS)}")
    return Role(kind, side, index, plating)


def set_roles(p: Platform, who: Identity, upload_id: str, roles: dict[str, Any]) -> t.Upload:
    """The customer's corrections of layer roles, then the analysis again."""
    upload = get_upload(p, who, upload_id)
    analysis = upload.analysis or {}
    known = {f["path"] for f in analysis.get("files", [])} | {f["path"] for f in analysis.get("ignored", [])}
    if upload.status in ("queued", "running"):
        raise Conflict("the upload is still being analysed; correct the layers when it is done")
    for path, value in roles.items():
        if path not in known:
            raise Invalid(f"{path}: no such file in this upload")
        _role(path, value)
    with p.db.unit() as s:
        row = s.get(t.Upload, upload_id)
        assert row is not None
        if row.version != upload.version:
            raise Conflict("the upload changed meanwhile; reload it and try again")
        row.roles = {**(row.roles or {}), **roles}
        row.status = "queued"
        row.error = None
        upload = row
    _submit(p, upload_id)
    return upload


def facts_json(facts: BoardFacts) -> dict[str, Any]:
    out = asdict(facts)
    for key, value in out.items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, frozenset | tuple):
            out[key] = sorted(value) if isinstance(value, frozenset) else list(value)
    return out


def facts_from_json(doc: dict[str, Any]) -> BoardFacts:
    def dec(key: str) -> Decimal | None:
        v = doc.get(key)
        return None if v is None else Decimal(v)

    return BoardFacts(
        width_mm=Decimal(doc["width_mm"]),
        height_mm=Decimal(doc["height_mm"]),
        layers=int(doc["layers"]),
        holes=int(doc["holes"]),
        plated_holes=int(doc["plated_holes"]),
        slots=int(doc["slots"]),
        smallest_hole_mm=dec("smallest_hole_mm"),
        min_trace_mm=dec("min_trace_mm"),
        min_gap_mm=dec("min_gap_mm"),
        min_class=doc.get("min_class"),
        classes=tuple(doc.get("classes", ())),
        class_reasons=tuple(doc.get("class_reasons", ())),
        unbuildable=tuple(doc.get("unbuildable", ())),
        hints=frozenset(doc.get("hints", ())),
        name=str(doc.get("name", "")),
    )


def run_analysis(p: Platform, upload_id: str) -> None:
    """The task: analyse, check, price-facts and draw one upload; the outcome is in its row."""
    with p.db.unit() as s:
        upload = s.get(t.Upload, upload_id)
        if upload is None or upload.status == "done":
            return
        upload.status = "running"
        upload.started_at = p.now()
        upload.runs += 1
        roles = {path: _role(path, v) for path, v in (upload.roles or {}).items()}
        name, digest = upload.filename, upload.sha256
    try:
        data = p.files.get(digest)
        upload_files = read_upload_bytes(name, data, _limits(p))
        spans = copper_limit(p.profiles)
        analysis = analyze_upload(upload_files, areas=RENDER_AREAS, roles=roles, spans=spans)
        report = check(analysis, p.profiles)
        document = to_json(analysis)
        findings = dfm_json(report)
        facts = facts_json(board_facts(analysis, report))
        folder = pictures_dir(p, upload_id)
        fresh = folder.with_name(folder.name + ".new")
        shutil.rmtree(fresh, ignore_errors=True)
        render_board(analysis, fresh, 1200, None, report)
        shutil.rmtree(folder, ignore_errors=True)
        fresh.rename(folder)
    except IntakeError as err:
        _finish(p, upload_id, error=str(err))
        return
    except Exception as err:  # the task must record any failure, not die silently
        log.exception("analysis of upload %s failed", upload_id)
        _finish(p, upload_id, error=f"the analysis failed ({type(err).__name__}); the factory has been told")
        return
    _finish(p, upload_id, analysis=document, dfm=findings, facts=facts)


def _finish(p: Platform, upload_id: str, error: str | None = None, **results: Any) -> None:
    with p.db.unit() as s:
        upload = s.get(t.Upload, upload_id)
        if upload is None:
            return
        upload.status = "failed" if error else "done"
        upload.error = error
        upload.finished_at = p.now()
        for key, value in results.items():
            setattr(upload, key, value)


def requeue(p: Platform) -> int:
    """Uploads left queued or running by a stopped server or worker: submitted again."""
    with p.db.unit() as s:
        ids = list(s.scalars(select(t.Upload.id).where(t.Upload.status.in_(("queued", "running")))))
        for upload in s.scalars(select(t.Upload).where(t.Upload.id.in_(ids))):
            upload.status = "queued"
    for upload_id in ids:
        _submit(p, upload_id)
    return len(ids)
