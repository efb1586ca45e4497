"""The JSON API on a running factory: the customer's way from upload to order, staff review, and
everything a customer must never be able to do. Runs on SQLite, and on PostgreSQL too when
FLYFAB_DATABASE_URL names a server (.ci/run does)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.platform_support import (
    PASSWORD,
    Factory,
    account,
    database_urls,
    fresh_database,
    running_factory,
    send_board,
    staff,
    token_for,
    wait_done,
)

BOARD = "gb-fusion360"


@pytest.fixture(scope="module", params=database_urls())
def factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Factory]:
    folder = tmp_path_factory.mktemp(f"factory-{request.param}")
    with fresh_database(request.param, folder) as url, running_factory(folder, url) as f:
        yield f


@pytest.fixture(scope="module")
def alice(factory: Factory) -> Iterator[httpx.Client]:
    with account(factory, f"alice-{id(factory)}@example.com") as c:
        yield c


@pytest.fixture(scope="module")
def mallory(factory: Factory) -> Iterator[httpx.Client]:
    with account(factory, f"mallory-{id(factory)}@example.com") as c:
        yield c


@pytest.fixture(scope="module")
def analysed(alice: httpx.Client) -> dict[str, Any]:
    made = send_board(alice, BOARD)
    assert made.status_code == 202, made.text
    assert made.json()["status"] == "queued"
    return wait_done(alice, made.json()["id"])


def test_upload_is_analysed_checked_and_drawn(alice: httpx.Client, analysed: dict[str, Any]) -> None:
    assert analysed["status"] == "done", analysed["error"]
    assert analysed["analysis"]["board"]["copper_layers"] == 2
    assert analysed["analysis"]["schema"].startswith("flyfab.analysis/")
    assert "findings" in analysed["dfm"]
    top = alice.get(analysed["pictures"]["top.png"])
    assert top.status_code == 200 and top.content.startswith(b"\x89PNG")
    assert alice.get(analysed["pictures"]["top.svg"]).text.lstrip().startswith("<svg")


def _quote(client: httpx.Client, upload_id: str, quantity: int = 10, **options: str) -> httpx.Response:
    return client.post(
        "/api/v1/quotes", json={"upload_id": upload_id, "quantity": quantity, "options": options}
    )


def test_quote_order_and_the_life_cycle(
    factory: Factory, alice: httpx.Client, analysed: dict[str, Any]
) -> None:
    quote = _quote(alice, analysed["id"])
    assert quote.status_code == 201, quote.text
    q = quote.json()
    assert q["quantity"] == 10 and float(q["total"]) > 0 and q["tiers"]
    assert alice.get(f"/api/v1/quotes/{q['id']}").json()["total"] == q["total"]

    placed = alice.post("/api/v1/orders", json={"quote_id": q["id"]})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["state"] == "placed" and order["number"].startswith("FF-")
    assert order["quote"]["total"] == q["total"]  # the exact quote, kept with the order
    assert len(order["files_sha256"]) == 64 and order["files_sha256"] == analysed["sha256"]

    def act(client: httpx.Client, action: str, **kw: Any) -> httpx.Response:
        return client.post(f"/api/v1/orders/{order['id']}/actions", json={"action": action, **kw})

    assert act(alice, "checkout").json()["state"] == "awaiting_payment"
    # A customer cannot record their own payment; the refusal says why.
    refused = act(alice, "record_payment")
    assert refused.status_code == 409 and "customer" in refused.json()["error"]["message"]
    with staff(factory) as s:
        assert act(s, "record_payment").json()["state"] == "cam_review"
        assert [o["id"] for o in s.get("/api/v1/staff/review").json()].count(order["id"]) == 1
        held = act(s, "hold", reason="the drill file is missing")
        assert held.json()["state"] == "on_hold"
        assert act(s, "hold", reason="again").status_code == 409  # not from on_hold
        assert act(alice, "resume").json()["state"] == "cam_review"
        assert act(s, "approve").json()["state"] == "approved"
        log = s.get("/api/v1/staff/audit", params={"order_id": order["id"]}).json()
    moves = [(e["from"], e["to"], e["role"]) for e in reversed(log)]
    assert moves == [
        (None, "placed", "customer"),
        ("placed", "awaiting_payment", "customer"),
        ("awaiting_payment", "cam_review", "staff"),
        ("cam_review", "on_hold", "staff"),
        ("on_hold", "cam_review", "customer"),
        ("cam_review", "approved", "staff"),
    ]
    assert any(e["why"] == "the drill file is missing" for e in log)
    timeline = alice.get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    assert [e["to"] for e in timeline][-1] == "approved"
    # Approved data can no longer be cancelled by the customer.
    assert act(alice, "cancel").status_code == 409


def test_double_submitted_order_with_an_idempotency_key(
    alice: httpx.Client, analysed: dict[str, Any]
) -> None:
    q = _quote(alice, analysed["id"], 20).json()
    headers = {"Idempotency-Key": f"order-{q['id']}"}
    first = alice.post("/api/v1/orders", json={"quote_id": q["id"]}, headers=headers)
    again = alice.post("/api/v1/orders", json={"quote_id": q["id"]}, headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    # Without the key a second order of the same quote is refused, not duplicated.
    assert alice.post("/api/v1/orders", json={"quote_id": q["id"]}).status_code == 409
    numbers = [o["id"] for o in alice.get("/api/v1/orders").json()]
    assert numbers.count(first.json()["id"]) == 1
    # The same key for another request is an error, not a silent replay.
    other = _quote(alice, analysed["id"], 30).json()
    reused = alice.post("/api/v1/orders", json={"quote_id": other["id"]}, headers=headers)
    assert reused.status_code == 409


def test_concurrent_edits_of_one_order(
    factory: Factory, alice: httpx.Client, analysed: dict[str, Any]
) -> None:
    q = _quote(alice, analysed["id"], 40).json()
    order = alice.post("/api/v1/orders", json={"quote_id": q["id"]}).json()
    version = order["version"]
    url = f"/api/v1/orders/{order['id']}/actions"
    # Two edits of the same version: one wins, the other is told the order changed.
    first = alice.post(url, json={"action": "checkout", "version": version})
    second = alice.post(url, json={"action": "cancel", "version": version})
    assert first.status_code == 200 and second.status_code == 409
    assert alice.get(f"/api/v1/orders/{order['id']}").json()["state"] == "awaiting_payment"

    # Many at once: exactly one checkout wins, no state is lost or doubled.
    q2 = _quote(alice, analysed["id"], 41).json()
    order2 = alice.post("/api/v1/orders", json={"quote_id": q2["id"]}).json()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda _: (
                    alice.post(
                        f"/api/v1/orders/{order2['id']}/actions", json={"action": "checkout"}
                    ).status_code
                ),
                range(8),
            )
        )
    assert codes.count(200) == 1 and set(codes) <= {200, 409}
    timeline = alice.get(f"/api/v1/orders/{order2['id']}").json()["timeline"]
    assert [e["to"] for e in timeline] == ["placed", "awaiting_payment"]


def test_a_customer_never_sees_another_customers_things(
    alice: httpx.Client, mallory: httpx.Client, analysed: dict[str, Any]
) -> None:
    upload = analysed["id"]
    q = _quote(alice, upload, 15).json()
    order = alice.post("/api/v1/orders", json={"quote_id": q["id"]}).json()
    for path in (
        f"/api/v1/uploads/{upload}",
        f"/api/v1/uploads/{upload}/pictures/top.png",
        f"/api/v1/quotes/{q['id']}",
        f"/api/v1/orders/{order['id']}",
        f"/api/v1/orders/{order['id']}/messages",
    ):
        r = mallory.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
    assert mallory.post(f"/api/v1/orders/{order['id']}/actions", json={"action": "cancel"}).status_code == 404
    assert mallory.post(f"/api/v1/orders/{order['id']}/messages", json={"body": "hi"}).status_code == 404
    assert mallory.post("/api/v1/orders", json={"quote_id": q["id"]}).status_code == 404
    assert _quote(mallory, upload).status_code == 404
    assert mallory.put(f"/api/v1/uploads/{upload}/roles", json={"roles": {}}).status_code == 404
    assert order["id"] not in [o["id"] for o in mallory.get("/api/v1/orders").json()]
    assert upload not in [u["id"] for u in mallory.get("/api/v1/uploads").json()]
    # Staff pages are not for customers.
    assert mallory.get("/api/v1/staff/audit").status_code == 403
    # Alice's order is untouched.
    assert alice.get(f"/api/v1/orders/{order['id']}").json()["state"] == "placed"


def test_messages_between_customer_and_factory(
    factory: Factory, alice: httpx.Client, analysed: dict[str, Any]
) -> None:
    q = _quote(alice, analysed["id"], 16).json()
    order = alice.post("/api/v1/orders", json={"quote_id": q["id"]}).json()
    url = f"/api/v1/orders/{order['id']}/messages"
    assert alice.post(url, json={"body": "Can you ship by Friday?"}).status_code == 201
    with staff(factory) as s:
        assert s.post(url, json={"body": "Yes, it ships Thursday."}).status_code == 201
    thread = alice.get(url).json()
    assert [(m["role"], m["body"]) for m in thread] == [
        ("customer", "Can you ship by Friday?"),
        ("staff", "Yes, it ships Thursday."),
    ]
    assert alice.post(url, json={"body": "   "}).status_code == 422


def test_bad_uploads_are_refused_and_nothing_is_kept(factory: Factory, alice: httpx.Client) -> None:
    before = alice.get("/api/v1/uploads").json()
    cases = [
        (b"%PDF-1.4 not an archive", "board.pdf", "application/pdf"),
        (b"PK\x03\x04broken", "broken.zip", "application/zip"),
        (b"", "empty.zip", "application/zip"),
    ]
    for data, name, kind in cases:
        r = alice.post("/api/v1/uploads", files={"file": (name, data, kind)})
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["message"]
    too_big = b"PK\x03\x04" + b"\0" * (factory.platform.settings.max_upload_bytes + 10)
    r = alice.post("/api/v1/uploads", files={"file": ("big.zip", too_big, "application/zip")})
    assert r.status_code == 413 and "MB" in r.json()["error"]["message"]
    r = alice.post("/api/v1/uploads", files={"wrong": ("board.zip", b"PK", "application/zip")})
    assert r.status_code == 422
    assert alice.get("/api/v1/uploads").json() == before


def test_bad_requests_get_clear_errors(alice: httpx.Client, analysed: dict[str, Any]) -> None:
    assert alice.get("/api/v1/orders/does-not-exist").status_code == 404
    assert alice.get("/api/v1/no-such-thing").json()["error"]["code"] == "not_found"
    for quantity in (0, -5, 10**9):
        r = _quote(alice, analysed["id"], quantity)
        assert r.status_code == 422 and r.json()["error"]["message"], quantity
    r = _quote(alice, analysed["id"], 10, surface_finish="chocolate")
    assert r.status_code == 422 and "ENIG" in r.json()["error"]["message"]
    r = alice.post("/api/v1/quotes", json={"upload_id": analysed["id"]})
    assert r.status_code == 422 and "quantity" in r.json()["error"]["message"]
    r = alice.post("/api/v1/quotes", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = alice.post("/api/v1/orders/x/actions", json={"action": "teleport"})
    assert r.status_code in (404, 422)


def test_sign_in_is_rate_limited(factory: Factory) -> None:
    email = f"victim-{id(factory)}@example.com"
    with factory.client() as c:
        assert c.post("/api/v1/accounts", json={"email": email, "password": PASSWORD}).status_code == 201
        codes = [
            c.post("/api/v1/tokens", json={"email": email, "password": f"guess {i}"}).status_code
            for i in range(7)
        ]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        # Even the right password is refused until the window has passed.
        assert token_for(factory, email).status_code == 429
        assert c.post("/api/v1/accounts", json={"email": email, "password": PASSWORD}).status_code == 422


def test_session_cookies_need_the_csrf_token(factory: Factory) -> None:
    email = f"browser-{id(factory)}@example.com"
    with factory.client(follow_redirects=False) as c:
        r = c.post("/signup", data={"email": email, "password": PASSWORD})
        assert r.status_code == 303 and "flyfab_session" in r.cookies
        cookie = r.cookies["flyfab_session"]
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    with factory.client(cookies={"flyfab_session": cookie}) as c:
        assert c.get("/api/v1/me").json()["email"] == email  # reading needs no token
        forged = send_board(c, BOARD)
        assert forged.status_code == 403  # a cross-site form could send the cookie, not the token
        page = c.get("/").text
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        wrong = c.post("/signout", data={"csrf_token": "x" + token})
        assert wrong.status_code == 403
        ok = c.post("/api/v1/orders", json={"quote_id": "nope"}, headers={"X-CSRF-Token": token})
        assert ok.status_code == 404  # past the CSRF check, refused for what it is


def test_openapi_describes_the_api(factory: Factory) -> None:
    with factory.client() as c:
        spec = c.get("/openapi.json").json()
        assert c.get("/docs").status_code == 200
    paths = set(spec["paths"])
    for path in (
        "/api/v1/uploads",
        "/api/v1/uploads/{upload_id}",
        "/api/v1/quotes",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/accounts",
        "/api/v1/tokens",
    ):
        assert path in paths, path


def test_the_server_keeps_uploads_across_restarts(tmp_path: Path) -> None:
    # A stopped server's unfinished upload is analysed again at the next start: none is lost.
    with fresh_database("sqlite", tmp_path) as url:
        with running_factory(tmp_path, url) as f, account(f, "restart@example.com") as c:
            upload_id = send_board(c, BOARD).json()["id"]
        from flyfab.services import uploads as upload_service
        from flyfab.store import tables as t

        with running_factory(tmp_path, url) as f:
            with f.platform.db.unit() as s:
                row = s.get(t.Upload, upload_id)
                assert row is not None
                if row.status == "done":
                    row.status = "running"  # as if the server had stopped mid-analysis
            assert upload_service.requeue(f.platform) == 1
            with f.client() as c:
                token = c.post(
                    "/api/v1/tokens", json={"email": "restart@example.com", "password": PASSWORD}
                ).json()
            with f.client(headers={"Authorization": f"Bearer {token['token']}"}) as c:
                assert wait_done(c, upload_id)["status"] == "done"


def test_release_to_production_pools_plans_and_promises(
    factory: Factory, alice: httpx.Client, analysed: dict[str, Any]
) -> None:
    ids = []
    with staff(factory) as s:
        for quantity in (25, 60):
            q = _quote(alice, analysed["id"], quantity).json()
            order = alice.post("/api/v1/orders", json={"quote_id": q["id"]}).json()
            url = f"/api/v1/orders/{order['id']}/actions"
            alice.post(url, json={"action": "checkout"})
            for action in ("record_payment", "approve"):
                assert s.post(url, json={"action": action}).status_code == 200
            ids.append((order["id"], order["number"]))
        run = s.post("/api/v1/staff/production", json={"time_limit_s": 6})
        assert run.status_code == 200, run.text
        released = {r["order"]: r for r in run.json()["released"]}
        assert run.json()["panels"] >= 1
        # Nothing approved is left behind: released, or held with a reason.
        assert s.post("/api/v1/staff/production", json={"time_limit_s": 2}).status_code == 409
    for order_id, order_number in ids:
        assert order_number in released, run.json()
        body = alice.get(f"/api/v1/orders/{order_id}").json()
        assert body["state"] == "in_production"
        assert body["production"]["panels"] == released[order_number]["panels"]
        planned = body["production"]["planned_ship"]
        assert planned == released[order_number]["planned_ship"]
        assert "planned to ship on " + planned in body["timeline"][-1]["why"]
    # New quotes are now promised from the plan; they are still given for every tier.
    q = _quote(alice, analysed["id"], 10)
    assert q.status_code == 201 and all(t["ship_date"] for t in q.json()["tiers"])


def test_the_database_holds_no_usable_credential(factory: Factory) -> None:
    secrets_dir = factory.platform.settings.data_dir / "secrets"
    for name in ("token-key", "password-pepper"):
        path = secrets_dir / name
        assert path.stat().st_mode & 0o077 == 0 and len(path.read_bytes()) == 32
    email = f"careful-{id(factory)}@example.com"
    with factory.client() as c:
        c.post("/api/v1/accounts", json={"email": email, "password": PASSWORD})
    token = token_for(factory, email).json()["token"]
    with factory.platform.db.unit() as s:
        from flyfab.store import tables as t

        rows = s.query(t.Account.password_hash).all() + s.query(t.ApiToken.id).all()
    dump = " ".join(str(r[0]) for r in rows)
    assert token not in dump and PASSWORD not in dump
    assert hashlib.sha256(token.encode()).hexdigest() not in dump  # keyed, not a plain digest


def test_pages_that_change_things_never_hold_up_the_event_loop() -> None:
    """Pages that change something may hash a password, price or plan production for seconds:
    they must run on the thread pool (plain functions), or every other request waits for them."""
    from flyfab.web import pages

    blocking = [
        route.path
        for route in pages.router.routes
        if isinstance(route, APIRoute)
        and (route.methods or set()) - {"GET", "HEAD"}
        and inspect.iscoroutinefunction(route.endpoint)
    ]
    assert blocking == []
