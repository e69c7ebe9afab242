"""The web app: the /v1 JSON API (described by /openapi.json) and the pages, in one process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from defcore import __version__
from defcore.errors import DefcoreError, GuidelineNotFound, ServerError, TargetNotFound
from defcore.scoring.deployed import DeployedError
from defcore.server import api, api_feedback, pages, pages_feedback
from defcore.server.db import make_engine, normalize_url, require_current, session_factory
from defcore.server.feedback import ProposalError
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.ingest import UploadError
from defcore.server.service import Conflict, Forbidden, NotFound
from defcore.server.signatures import SignatureError
from defcore.server.state import AppState, Unauthorized


def status_of(exc: DefcoreError) -> int:
    if isinstance(exc, UploadError):
        return exc.status
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound | GuidelineNotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, TargetNotFound | ProposalError | DeployedError):
        return 422
    if isinstance(exc, SignatureError):
        return 400
    return 400


def create_app(
    database_url: str | None = None, guidelines: Path | None = None, quorum: int | None = None
) -> FastAPI:
    engine = make_engine(database_url)
    require_current(engine, database_url)
    app = FastAPI(
        title="defcore results server",
        version=__version__,
        description="Signed uploads of interop test results, vendors and products, verdicts "
        "against OpenStack interop guidelines, and the OpenStack Powered marketplace.",
    )
    app.state.defcore = AppState(
        engine, session_factory(engine), GuidelineRegistry(guidelines), normalize_url(database_url)
    )
    if quorum is not None:
        if quorum < 1:
            raise ServerError(f"quorum {quorum}: a proposal needs at least one +1")
        app.state.defcore.quorum = quorum

    @app.exception_handler(DefcoreError)
    async def defcore_error(request: Request, exc: DefcoreError) -> Response:
        status = status_of(exc)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not request.url.path.startswith("/v1/") and request.url.path != "/v1":
            return pages.error_page(message, status)
        body: dict[str, Any] = {"detail": message}
        if isinstance(exc, Conflict):
            body.update(exc.extra)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)

    app.include_router(api.router)
    app.include_router(api_feedback.router)
    app.include_router(pages.router)
    app.include_router(pages_feedback.router)
    return app
