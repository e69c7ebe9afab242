"""The web app: the /v1 JSON API (described by /openapi.json) and the pages, in one process.

Every error becomes one line for the client, as JSON for the API and as a page otherwise:
DefcoreError subclasses carry their own status (defcore.errors); invalid requests answer 422
naming the field, never echoing the input; a database that cannot be reached answers 503 with
Retry-After; anything else is a 500 that leaves the connection usable.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from defcore import __version__
from defcore.errors import Conflict, DefcoreError, ServerError
from defcore.server import (
    api,
    pages,
    pages_accounts,
    pages_certifications,
    pages_diff,
    pages_feedback,
    pages_session,
    trail,
)
from defcore.server.db import make_engine, normalize_url, require_current, session_factory
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.limits import BodyLimit, BodyTooLarge
from defcore.server.middleware import ContainErrors, SecurityHeaders
from defcore.server.state import AppState

QUORUM_ENV = "DEFCORE_SERVER_QUORUM"
UPLOAD_SLOTS_ENV = "DEFCORE_SERVER_UPLOAD_SLOTS"
ANONYMOUS_UPLOADS_ENV = "DEFCORE_SERVER_ANONYMOUS_UPLOADS"
RETRY_AFTER_SECONDS = 5
_MAX_ERRORS_LISTED = 10
_MAX_LOC_CHARS = 100
# The HTML pages' routers, beside the API's (api.ROUTERS): the sign-in pages first.
PAGE_ROUTERS = (
    pages_session.router,
    pages.router,
    pages_feedback.router,
    pages_diff.router,
    pages_accounts.router,
    pages_certifications.router,
)


def wants_api(request: Request) -> bool:
    """JSON for the API and for clients that ask for JSON rather than a page; HTML otherwise."""
    path = request.url.path
    if path == "/v1" or path.startswith("/v1/") or path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def render_error(
    request: Request,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    if not wants_api(request):
        page = pages.error_page(message, status)
        page.headers.update(headers or {})
        return page
    # RefStack's error shape ({code, title, detail}) carries defcore's `detail`.
    body = {"code": status, "title": HTTPStatus(status).phrase, "detail": message, **(extra or {})}
    return JSONResponse(body, status_code=status, headers=headers)


def error_response(request: Request, exc: DefcoreError) -> Response:
    status = exc.http_status
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    extra = exc.extra if isinstance(exc, Conflict) else None
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return render_error(request, status, message, headers, extra)


def _printable(part: object) -> str | int:
    """A location part as the client may see it: field names are the client's own input
    (an unknown key), so cut and made valid Unicode."""
    if isinstance(part, int):
        return part
    text = str(part)[:_MAX_LOC_CHARS]
    return text.encode("utf-8", "replace").decode("utf-8")


def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """422 naming each field at fault and why, without the `input` FastAPI would echo back."""
    errors = [
        {
            "loc": [_printable(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "invalid")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()[:_MAX_ERRORS_LISTED]
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    return render_error(request, 422, f"{where}: {first['msg']}", extra={"errors": errors})


def http_error(request: Request, exc: HTTPException) -> Response:
    headers = dict(exc.headers or {})
    if isinstance(exc, BodyTooLarge):
        headers["Connection"] = "close"  # the rest of the body was never read
    return render_error(request, exc.status_code, str(exc.detail), headers or None)


def database_unavailable(request: Request, _exc: Exception) -> Response:
    return render_error(
        request,
        503,
        "the database is unavailable; try again shortly",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def database_refused(request: Request, exc: Exception) -> Response:
    # Input that validation let through and the database refused: the client's to fix.
    if isinstance(exc, IntegrityError):
        return render_error(request, 409, "the request clashes with what is stored")
    return render_error(request, 422, "the database cannot store a value of this request")


def settle_heap(registry: GuidelineRegistry) -> None:
    """Load what every worker keeps for its whole life (each guideline, the known tests, the
    compiled page templates), then move it and all imported modules out of the garbage
    collector's sight (gc.freeze).

    The collector's full passes walk every tracked object: in a worker under upload load they
    took 100-130 ms each, a dozen times in 12 s, and every request of the process stopped for
    them: the page reads' p99 was 160-180 ms for a p50 of 16-40 ms. Frozen, a full pass walks
    only what requests made since, 15-25 ms (benchmarks/server_load.py).
    """
    registry.known_tests()
    registry.approvals()
    pages.compile_templates()
    gc.collect()
    gc.freeze()


def create_app(
    database_url: str | None = None,
    guidelines: Path | None = None,
    quorum: int | None = None,
    anonymous_uploads: bool = True,
    trail_key: bytes | None = None,
    upload_slots: int = 0,
) -> FastAPI:
    engine = make_engine(database_url)
    require_current(engine, database_url)
    sessions = session_factory(engine)
    # The audit trail's key, from a file outside the database (made there when missing).
    trail.configure(sessions, trail_key or trail.load_key(create=True))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.defcore.close()

    app = FastAPI(
        lifespan=lifespan,
        title="defcore results server",
        version=__version__,
        description="Signed uploads of interop test results, vendors and products, verdicts "
        "against OpenStack interop guidelines, and the OpenStack Powered marketplace.",
        # FastAPI's /docs and /redoc load their scripts from a CDN; no page of this server
        # runs a third-party script, so only /openapi.json is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.defcore = AppState(
        engine, sessions, GuidelineRegistry(guidelines), normalize_url(database_url)
    )
    app.state.defcore.anonymous_uploads = anonymous_uploads
    app.state.defcore.upload_slots = upload_slots
    if quorum is not None:
        if quorum < 1:
            raise ServerError(f"quorum {quorum}: a proposal needs at least one +1")
        app.state.defcore.quorum = quorum

    @app.exception_handler(DefcoreError)
    async def defcore_error(request: Request, exc: DefcoreError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return invalid_request(request, exc)

    @app.exception_handler(HTTPException)
    async def starlette_error(request: Request, exc: HTTPException) -> Response:
        return http_error(request, exc)

    for unavailable in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(unavailable, database_unavailable)
    for refused in (DataError, IntegrityError):
        app.add_exception_handler(refused, database_refused)
    # The last added runs first: headers on every answer, then errors contained, then limits.
    app.add_middleware(BodyLimit, render=render_error)
    app.add_middleware(ContainErrors, render=render_error)
    app.add_middleware(SecurityHeaders)

    # Each router's routes go into the app's own list, in order (the routers carry their own
    # prefixes and tags, and no lifespan): FastAPI's include_router keeps a router as a branch
    # that every request walks and re-scopes route by route, which took 1.9 ms of a 2.8 ms
    # health check.
    for router in (*api.ROUTERS, *PAGE_ROUTERS):
        app.router.routes.extend(router.routes)
    return app


def app_from_environment() -> FastAPI:
    """The app each uvicorn worker of `defcore serve` builds: the database URL comes from
    $DEFCORE_DATABASE_URL (set by `serve` from its options), never from a command line."""
    quorum = os.environ.get(QUORUM_ENV)
    app = create_app(
        os.environ.get("DEFCORE_DATABASE_URL"),
        None,
        int(quorum) if quorum else None,
        anonymous_uploads=os.environ.get(ANONYMOUS_UPLOADS_ENV, "1") != "0",
        upload_slots=int(os.environ.get(UPLOAD_SLOTS_ENV) or 0),
    )
    # Only in a server's own process: frozen objects are never collected, and a process that
    # builds many apps (the tests) would keep each one's cyclic garbage.
    settle_heap(app.state.defcore.registry)
    return app
