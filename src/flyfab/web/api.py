"""The JSON API, /api/v1: everything the pages do, for browsers (session cookie + CSRF token) and
programs (API token). Errors are `{"error": {"code", "message"}}` with a 4xx status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from flyfab.services import accounts, orders, production, quotes, uploads
from flyfab.services.accounts import Identity
from flyfab.services.errors import Invalid, TooLarge
from flyfab.store import tables as t
from flyfab.web.auth import client_address, platform, require, require_staff

router = APIRouter()
# Small reads by id run on the event loop (a thread hop costs them more than their query); the rest,
# which may be slow (hashing, pricing, planning, large documents), on the thread pool.
Who = Annotated[Identity, Depends(require)]
Staff = Annotated[Identity, Depends(require_staff)]


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class QuoteRequest(BaseModel):
    upload_id: str = Field(max_length=64)
    quantity: int
    options: dict[str, str] = Field(default_factory=dict)


class PriceRequest(BaseModel):
    quantity: int
    options: dict[str, str] = Field(default_factory=dict)


class OrderRequest(BaseModel):
    quote_id: str = Field(max_length=64)


class ActionRequest(BaseModel):
    action: str = Field(max_length=40)
    reason: str = Field(default="", max_length=5000)
    version: int | None = None


class MessageRequest(BaseModel):
    body: str = Field(max_length=5000)


class RolesRequest(BaseModel):
    roles: dict[str, dict[str, Any]]


def upload_json(u: t.Upload, detail: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": u.id,
        "filename": u.filename,
        "status": u.status,
        "size": u.size,
        "sha256": u.sha256,
        "created_at": u.created_at.isoformat(),
        "finished_at": u.finished_at.isoformat() if u.finished_at else None,
        "error": u.error,
    }
    if detail and u.status == "done":
        out["analysis"] = u.analysis
        out["dfm"] = u.dfm
        out["pictures"] = {
            name: f"/api/v1/uploads/{u.id}/pictures/{name}"
            for name in ("top.png", "bottom.png", "dfm-top.png", "dfm-bottom.png", "top.svg", "bottom.svg")
        }
    if u.roles:
        out["roles_set"] = u.roles
    return out


def quote_json(q: t.Quote) -> dict[str, Any]:
    return {"id": q.id, "upload_id": q.upload_id, **q.document}


def order_json(view: orders.OrderView) -> dict[str, Any]:
    o = view.order
    return {
        "id": o.id,
        "number": orders.number(o),
        "state": o.state,
        "version": o.version,
        "quote_id": o.quote_id,
        "upload_id": o.upload_id,
        "total": str(o.total),
        "currency": o.currency,
        "created_at": o.created_at.isoformat(),
        "updated_at": o.updated_at.isoformat(),
        "quote": view.quote,
        "quote_sha256": o.quote_sha256,
        "production": o.production,
        "files_sha256": o.files_sha256,
        "actions": view.actions,
        "timeline": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "from": e.source,
                "to": e.target,
                "by": e.role,
                "why": e.reason,
            }
            for e in view.events
        ],
    }


def summary_json(o: t.Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "number": orders.number(o),
        "state": o.state,
        "total": str(o.total),
        "currency": o.currency,
        "created_at": o.created_at.isoformat(),
    }


@router.post("/accounts", status_code=201)
def create_account(body: Credentials, request: Request) -> dict[str, Any]:
    who = accounts.create_account(platform(request), body.email, body.password)
    return {"id": who.id, "email": who.email, "role": who.role}


@router.post("/tokens", status_code=201)
def create_token(body: Credentials, request: Request) -> dict[str, str]:
    token = accounts.create_token(platform(request), body.email, body.password, client_address(request))
    return {"token": token, "type": "Bearer"}


@router.get("/me")
async def me(who: Who) -> dict[str, str]:
    return {"id": who.id, "email": who.email, "role": who.role}


async def read_limited(file: UploadFile, limit: int) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"the upload is larger than {limit / 1e6:.0f} MB: send the fabrication files only")
    return data


@router.post("/uploads", status_code=202)
async def create_upload(file: UploadFile, request: Request, who: Who) -> dict[str, Any]:
    p = platform(request)
    data = await read_limited(file, p.settings.max_upload_bytes)
    upload = uploads.create_upload(p, who, file.filename or "upload.zip", data)
    return upload_json(upload, detail=False)


@router.get("/uploads")
def list_uploads(request: Request, who: Who) -> list[dict[str, Any]]:
    return [upload_json(u, detail=False) for u in uploads.list_uploads(platform(request), who)]


@router.get("/uploads/{upload_id}")
def get_upload(upload_id: str, request: Request, who: Who) -> dict[str, Any]:
    return upload_json(uploads.get_upload(platform(request), who, upload_id))


@router.put("/uploads/{upload_id}/roles", status_code=202)
def set_roles(upload_id: str, body: RolesRequest, request: Request, who: Who) -> dict[str, Any]:
    return upload_json(uploads.set_roles(platform(request), who, upload_id, body.roles), detail=False)


@router.get("/uploads/{upload_id}/pictures/{name}")
def picture(upload_id: str, name: str, request: Request, who: Who) -> FileResponse:
    path = uploads.picture(platform(request), who, upload_id, name)
    media = "image/svg+xml" if name.endswith(".svg") else "image/png"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


@router.post("/uploads/{upload_id}/price")
def price(upload_id: str, body: PriceRequest, request: Request, who: Who) -> dict[str, Any]:
    return quotes.price(platform(request), who, upload_id, body.quantity, body.options)


@router.post("/quotes", status_code=201)
def create_quote(body: QuoteRequest, request: Request, who: Who) -> dict[str, Any]:
    quote = quotes.create_quote(platform(request), who, body.upload_id, body.quantity, body.options)
    return quote_json(quote)


@router.get("/quotes/{quote_id}")
async def get_quote(quote_id: str, request: Request, who: Who) -> dict[str, Any]:
    return quote_json(quotes.get_quote(platform(request), who, quote_id))


@router.post("/orders", status_code=201)
def place_order(
    body: OrderRequest,
    request: Request,
    who: Who,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    return order_json(orders.place_order(platform(request), who, body.quote_id, idempotency_key))


@router.get("/orders")
def list_orders(
    request: Request,
    who: Who,
    state: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    return [summary_json(o) for o in orders.list_orders(platform(request), who, state, q, limit, offset)]


@router.get("/orders/{order_id}")
async def get_order(order_id: str, request: Request, who: Who) -> dict[str, Any]:
    return order_json(orders.get_order(platform(request), who, order_id))


@router.post("/orders/{order_id}/actions")
def act(order_id: str, body: ActionRequest, request: Request, who: Who) -> dict[str, Any]:
    view = orders.act(platform(request), who, order_id, body.action, body.reason, body.version)
    return order_json(view)


@router.get("/orders/{order_id}/messages")
async def list_messages(order_id: str, request: Request, who: Who) -> list[dict[str, Any]]:
    return [
        {"at": m.at.isoformat(), "from": email, "role": role, "body": m.body}
        for m, email, role in orders.messages(platform(request), who, order_id)
    ]


@router.post("/orders/{order_id}/messages", status_code=201)
def add_message(order_id: str, body: MessageRequest, request: Request, who: Who) -> dict[str, Any]:
    m = orders.add_message(platform(request), who, order_id, body.body)
    return {"at": m.at.isoformat(), "from": who.email, "role": who.role, "body": m.body}


@router.get("/staff/review")
def review_queue(request: Request, who: Staff) -> list[dict[str, Any]]:
    p = platform(request)
    found = orders.list_orders(p, who, "cam_review") + orders.list_orders(p, who, "on_hold")
    return [summary_json(o) for o in sorted(found, key=lambda o: o.created_at)]


class ReleaseRequest(BaseModel):
    time_limit_s: float = Field(default=20.0, ge=2, le=600)


@router.post("/staff/production")
def release(body: ReleaseRequest, request: Request, who: Staff) -> dict[str, Any]:
    """Pool every approved order onto panels, plan the panels, release the orders to production."""
    run = production.release_approved(platform(request), who, body.time_limit_s)
    return run_json(run)


def run_json(run: production.ProductionRun) -> dict[str, Any]:
    return {
        "run": run.id,
        "panels": run.panels,
        "released": [
            {"order": r.order, "panels": r.panels, "planned_ship": r.ship.isoformat()} for r in run.released
        ],
        "held": [{"order": o, "reason": why} for o, why in run.held],
    }


@router.get("/staff/customers")
def customers(request: Request, who: Staff) -> list[dict[str, Any]]:
    return [
        {**c, "created_at": c["created_at"].isoformat()}  # type: ignore[attr-defined]
        for c in accounts.list_customers(platform(request))
    ]


@router.get("/staff/audit")
def audit(
    request: Request, who: Staff, order_id: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    return [
        {**e, "at": e["at"].isoformat()} for e in orders.audit_log(platform(request), who, order_id, limit)
    ]


def error_response(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status)


__all__ = ["Invalid", "error_response", "router"]
