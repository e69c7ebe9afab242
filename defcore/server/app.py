"""The web app: the /v1 JSON API (described by /openapi.json) and the pages, in one process."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from defcore import __version__
from defcore.errors import Conflict, DefcoreError, ServerError
from defcore.server import api, pages, pages_diff, pages_feedback, trail
from defcore.server.db import make_engine, normalize_url, require_current, session_factory
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.state import AppState


def wants_api(request: Request) -> bool:
    """JSON for the API and for clients that ask for JSON rather than a page; HTML otherwise."""
    path = request.url.path
    if path == "/v1" or path.startswith("/v1/"):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def error_response(request: Request, exc: DefcoreError) -> Response:
    status = exc.http_status
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not wants_api(request):
        return pages.error_page(message, status)
    # RefStack's error shape ({code, title, detail}) carries defcore's `detail`.
    body: dict[str, Any] = {"code": status, "title": HTTPStatus(status).phrase, "detail": message}
    if isinstance(exc, Conflict):
        body.update(exc.extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(
    database_url: str | None = None,
    guidelines: Path | None = None,
    quorum: int | None = None,
    anonymous_uploads: bool = True,
    trail_key: bytes | None = None,
) -> FastAPI:
    engine = make_engine(database_url)
    require_current(engine, database_url)
    sessions = session_factory(engine)
    # The audit trail's key, from a file outside the database (made there when missing).
    trail.configure(sessions, trail_key or trail.load_key(create=True))
    app = FastAPI(
        title="defcore results server",
        version=__version__,
        description="Signed uploads of interop test results, vendors and products, verdicts "
        "against OpenStack interop guidelines, and the OpenStack Powered marketplace.",
    )
    app.state.defcore = AppState(
        engine, sessions, GuidelineRegistry(guidelines), normalize_url(database_url)
    )
    app.state.defcore.anonymous_uploads = anonymous_uploads
    if quorum is not None:
        if quorum < 1:
            raise ServerError(f"quorum {quorum}: a proposal needs at least one +1")
        app.state.defcore.quorum = quorum

    @app.exception_handler(DefcoreError)
    async def defcore_error(request: Request, exc: DefcoreError) -> Response:
        return error_response(request, exc)

    for router in api.ROUTERS:
        app.include_router(router)
    app.include_router(pages.router)
    app.include_router(pages_feedback.router)
    app.include_router(pages_diff.router)
    return app
