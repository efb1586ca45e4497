"""The pages customers and staff use: server-rendered, htmx for live parts, a little JavaScript
for drag-and-drop upload with progress. Every form carries the session's CSRF token."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from flyfab.orders import State
from flyfab.pricing.book import CLASS
from flyfab.services import accounts, orders, production, quotes, uploads
from flyfab.services.accounts import Identity
from flyfab.services.errors import Invalid, ServiceError, Unauthenticated
from flyfab.web.auth import COOKIE, client_address, csrf_ok, identity, platform

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
STATE_LABELS = {
    "placed": "placed",
    "awaiting_payment": "awaiting payment",
    "cam_review": "CAM review",
    "on_hold": "on hold",
    "approved": "approved",
    "in_production": "in production",
    "shipped": "shipped",
    "cancelled": "cancelled",
}
ACTION_LABELS = {
    "checkout": "Check out",
    "record_payment": "Record payment",
    "approve": "Approve",
    "hold": "Put on hold",
    "resume": "Data answered: back to review",
    "reject": "Reject",
    "release": "Release to production",
    "ship": "Mark shipped",
    "cancel": "Cancel order",
}


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    who = _quiet_identity(request)
    context.update(
        request=request,
        who=who,
        csrf=who.csrf_token if who else "",
        state_labels=STATE_LABELS,
        action_labels=ACTION_LABELS,
        number=orders.number,
    )
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def _quiet_identity(request: Request) -> Identity | None:
    try:
        return identity(request)
    except ServiceError:
        return None


def error_page(request: Request, status: int, message: str) -> Response:
    if status == 401 and request.method == "GET":
        return RedirectResponse(f"/signin?next={urlquote(request.url.path)}", status_code=303)
    return render(request, "error.html", status=status, status_code=status, message=message)


async def _who(request: Request) -> Identity:
    who = _quiet_identity(request)
    if who is None:
        raise Unauthenticated("sign in first")
    await csrf_ok(request, who)
    return who


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# Pages that only read (GET) run on the event loop: a few quick queries, and a thread hop would cost
# them more than the queries (order page, 16 connections: 586 requests/s on the loop, 320 on the
# pool). Everything that changes something (POST) runs on the server's thread pool: hashing a
# password, pricing, or a release to production that plans for seconds must never hold up every
# other request. What needs awaiting (the form, the CSRF check that reads it) is done in these first.
Who = Annotated[Identity, Depends(_who)]
Posted = Annotated[dict[str, str], Depends(_form)]


def _safe_next(target: str | None) -> str:
    # Only our own paths: never an open redirect to another site.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    who = _quiet_identity(request)
    recent = uploads.list_uploads(platform(request), who, 10) if who else []
    return render(request, "index.html", uploads=recent)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request) -> Response:
    return render(request, "signup.html", error=None, email="")


@router.post("/signup")
def signup(request: Request, form: Posted) -> Response:
    p = platform(request)
    email, password = form.get("email", ""), form.get("password", "")
    try:
        accounts.create_account(p, email, password)
        token, _ = accounts.sign_in(p, email, password, client_address(request))
    except ServiceError as err:
        return render(request, "signup.html", status=err.status, error=err.message, email=email)
    return _signed_in(request, token, "/")


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str = "/") -> Response:
    return render(request, "signin.html", error=None, email="", next=_safe_next(next))


@router.post("/signin")
def signin(request: Request, form: Posted) -> Response:
    target = _safe_next(form.get("next"))
    email = form.get("email", "")
    try:
        token, _ = accounts.sign_in(
            platform(request), email, form.get("password", ""), client_address(request)
        )
    except ServiceError as err:
        return render(request, "signin.html", status=err.status, error=err.message, email=email, next=target)
    return _signed_in(request, token, target)


def _signed_in(request: Request, token: str, target: str) -> Response:
    p = platform(request)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=p.settings.session_days * 86400,
        httponly=True,
        secure=p.settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    return response


@router.post("/signout")
def signout(request: Request, _: Who) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        accounts.sign_out(platform(request), token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/uploads/{upload_id}", response_class=HTMLResponse)
async def upload_page(request: Request, upload_id: str, who: Who) -> Response:
    p = platform(request)
    upload = uploads.get_upload(p, who, upload_id)
    options = _option_choices(p)
    return render(request, "upload.html", upload=upload, options=options)


@router.get("/uploads/{upload_id}/status", response_class=HTMLResponse)
async def upload_status(request: Request, upload_id: str, who: Who) -> Response:
    upload = uploads.get_upload(platform(request), who, upload_id)
    response = render(request, "upload_status.html", upload=upload)
    if upload.status in ("done", "failed"):
        response.headers["HX-Refresh"] = "true"  # show the whole result
    return response


@router.post("/uploads/{upload_id}/roles")
def correct_roles(request: Request, upload_id: str, who: Who, form: Posted) -> Response:
    roles: dict[str, dict[str, Any]] = {}
    for key, value in form.items():
        if key.startswith("type:") and value:
            path = key[5:]
            role: dict[str, Any] = {"type": value, "side": form.get(f"side:{path}", "none")}
            index = form.get(f"index:{path}", "").strip()
            if index:
                if not index.isdigit():
                    raise Invalid(f"{path}: the copper position must be a number")
                role["index"] = int(index)
            if value == "drill" and form.get(f"plating:{path}"):
                role["plating"] = form[f"plating:{path}"]
            roles[path] = role
    p = platform(request)
    current = uploads.get_upload(p, who, upload_id)
    detected = {f["path"]: f for f in (current.analysis or {}).get("files", [])}
    changed = {
        path: r
        for path, r in roles.items()
        if path not in detected
        or (detected[path]["type"], detected[path]["side"], detected[path].get("index"))
        != (r["type"], r["side"], r.get("index", detected[path].get("index")))
    }
    if changed:
        uploads.set_roles(p, who, upload_id, changed)
    return RedirectResponse(f"/uploads/{upload_id}", status_code=303)


def _option_choices(p: Any) -> list[dict[str, Any]]:
    """The options form: every option of the price book with its values, then lead time and
    shipping. The capability class is not a choice: DFM decides it."""
    book = p.price_book
    out = [
        {
            "name": name,
            "label": option.label,
            "default": option.default,
            "values": [(value, v.label or value) for value, v in option.values.items()],
        }
        for name, option in book.options.items()
        if name != CLASS
    ]
    tiers = book.lead_times
    out.append(
        {
            "name": "lead_time",
            "label": "lead time",
            "default": tiers[0].name,
            "values": [(tier.name, tier.label or tier.name) for tier in tiers],
        }
    )
    if book.shipping is not None:
        carriers = book.shipping.options
        out.append(
            {
                "name": "shipping",
                "label": "shipping",
                "default": carriers[0].name,
                "values": [(c.name, c.label or c.name) for c in carriers],
            }
        )
    return out


def _asked(p: Any, form: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Quantity and the options the customer changed; options left at the book's default are not
    asked for, so an option that does not apply to the board is only refused when chosen."""
    raw = form.get("quantity", "").strip()
    if not raw.isdigit():
        raise Invalid("quantity must be a whole number of boards")
    defaults = {o["name"]: o["default"] for o in _option_choices(p)}
    asked = {k[4:]: v for k, v in form.items() if k.startswith("opt:") and v and v != defaults.get(k[4:])}
    return int(raw), asked


@router.post("/uploads/{upload_id}/price", response_class=HTMLResponse)
def live_price(request: Request, upload_id: str, who: Who, form: Posted) -> Response:
    try:
        quantity, asked = _asked(platform(request), form)
        document = quotes.price(platform(request), who, upload_id, quantity, asked)
    except ServiceError as err:
        return render(request, "price.html", quote=None, error=err.message)
    return render(request, "price.html", quote=document, error=None)


@router.post("/uploads/{upload_id}/order")
def order_from_upload(request: Request, upload_id: str, who: Who, form: Posted) -> Response:
    p = platform(request)
    quantity, asked = _asked(p, form)
    quote = quotes.create_quote(p, who, upload_id, quantity, asked)
    view = orders.place_order(p, who, quote.id, form.get("idempotency_key") or None)
    return RedirectResponse(f"/orders/{view.order.id}", status_code=303)


@router.get("/orders", response_class=HTMLResponse)
async def order_list(request: Request, who: Who, state: str | None = None, q: str | None = None) -> Response:
    found = orders.list_orders(platform(request), who, state or None, q or None)
    return render(
        request, "orders.html", orders=found, state=state or "", q=q or "", states=list(STATE_LABELS)
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order_page(request: Request, order_id: str, who: Who) -> Response:
    p = platform(request)
    view = orders.get_order(p, who, order_id)
    thread = orders.messages(p, who, order_id)
    return render(request, "order.html", view=view, order=view.order, thread=thread, money=_money)


@router.post("/orders/{order_id}/act")
def order_act(request: Request, order_id: str, who: Who, form: Posted) -> Response:
    version = form.get("version", "")
    orders.act(
        platform(request),
        who,
        order_id,
        form.get("action", ""),
        form.get("reason", ""),
        int(version) if version.isdigit() else None,
    )
    if form.get("action") == "hold" and form.get("reason"):
        orders.add_message(platform(request), who, order_id, form["reason"])
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


@router.post("/orders/{order_id}/messages")
def order_message(request: Request, order_id: str, who: Who, form: Posted) -> Response:
    orders.add_message(platform(request), who, order_id, form.get("body", ""))
    return RedirectResponse(f"/orders/{order_id}#messages", status_code=303)


def _money(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}"


@router.get("/staff", response_class=HTMLResponse)
async def staff_review(request: Request, who: Who) -> Response:
    _staff(who)
    p = platform(request)
    queue = orders.list_orders(p, who, State.CAM_REVIEW.value) + orders.list_orders(
        p, who, State.ON_HOLD.value
    )
    payments = orders.list_orders(p, who, State.AWAITING_PAYMENT.value)
    return render(
        request, "staff_review.html", queue=sorted(queue, key=lambda o: o.created_at), payments=payments
    )


@router.get("/staff/production", response_class=HTMLResponse)
async def staff_production(request: Request, who: Who) -> Response:
    _staff(who)
    approved = orders.list_orders(platform(request), who, State.APPROVED.value)
    running = orders.list_orders(platform(request), who, State.IN_PRODUCTION.value)
    return render(request, "staff_production.html", approved=approved, running=running, run=None)


@router.post("/staff/production", response_class=HTMLResponse)
def staff_release(request: Request, who: Who) -> Response:
    _staff(who)
    p = platform(request)
    run = production.release_approved(p, who, 20.0)
    approved = orders.list_orders(p, who, State.APPROVED.value)
    running = orders.list_orders(p, who, State.IN_PRODUCTION.value)
    return render(request, "staff_production.html", approved=approved, running=running, run=run)


@router.get("/staff/customers", response_class=HTMLResponse)
async def staff_customers(request: Request, who: Who) -> Response:
    _staff(who)
    return render(request, "staff_customers.html", customers=accounts.list_customers(platform(request)))


@router.get("/staff/audit", response_class=HTMLResponse)
async def staff_audit(request: Request, who: Who, order_id: str | None = None) -> Response:
    _staff(who)
    return render(request, "staff_audit.html", events=orders.audit_log(platform(request), who, order_id))


def _staff(who: Identity) -> None:
    if not who.staff:
        from flyfab.services.errors import Forbidden

        raise Forbidden("this page is for factory staff")
