"""The web application: the JSON API under /api/v1, the pages, static files, and one way of saying
what went wrong (JSON for the API, a page for people)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flyfab import __version__
from flyfab.services.errors import ServiceError
from flyfab.services.platform import Platform
from flyfab.web import api, pages

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: no per-request task)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        base = {k.lower(): v for k, v in SECURITY_HEADERS.items()}
        if hsts:
            base["strict-transport-security"] = "max-age=31536000"
        self.headers = [(k.encode(), v.encode()) for k, v in base.items()]
        self.without_csp = [(k, v) for k, v in self.headers if k != b"content-security-policy"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The API explorer loads its own scripts.
        extra = self.without_csp if scope["path"] in ("/docs", "/openapi.json") else self.headers

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in present
                ]
            await send(message)

        await self.app(scope, receive, sending)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _validation_message(err: RequestValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def create_app(platform: Platform, on_shutdown: Callable[[], None] | None = None) -> FastAPI:
    """The application; `on_shutdown` runs when the server stops, before it exits: uvicorn ends
    the process with the signal that stopped it, so code after `uvicorn.run` may never run."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if on_shutdown is not None:
            on_shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="flyfab",
        version=__version__,
        description="The online factory of a circuit-board maker: upload, check, price, order, track.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.platform = platform
    app.include_router(api.router, prefix="/api/v1", tags=["api"])
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(SecurityHeaders, hsts=platform.settings.secure_cookies)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, err: ServiceError) -> Response:
        if _is_api(request):
            return api.error_response(err.status, err.code, err.message, **err.details)
        return pages.error_page(request, err.status, err.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> Response:
        message = _validation_message(err)
        if _is_api(request):
            return api.error_response(422, "invalid", message)
        return pages.error_page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        message = {404: "no such page", 405: "this method is not allowed here"}.get(
            err.status_code, str(err.detail)
        )
        if _is_api(request) or request.headers.get("accept", "").startswith("application/json"):
            return api.error_response(
                err.status_code, "not_found" if err.status_code == 404 else "error", message
            )
        return pages.error_page(request, err.status_code, message)

    @app.get("/healthz", include_in_schema=False)
    def health() -> JSONResponse:
        return JSONResponse({"ok": True, "version": __version__})

    return app


__all__ = ["HTMLResponse", "create_app"]
