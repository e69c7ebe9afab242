"""What every /v1 resource module shares: the app state, the signed-in check, the retry on a
lost race, the error responses and the id types of paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi import Path as PathParam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from defcore.errors import Unauthorized
from defcore.server import schemas
from defcore.server.access import Principal
from defcore.server.state import AppState

T = TypeVar("T")

# A database row id in a path: above the integer range it is a 422, never a 500.
Id = Annotated[int, PathParam(ge=1, le=schemas.MAX_DB_INT)]
ResultId = Annotated[str, PathParam(max_length=36)]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422, 503)
}


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.defcore
    return state


def signed_in(p: Principal) -> Principal:
    if p.user is None:
        raise Unauthorized("sign in: send 'Authorization: Bearer <token>'")
    return p


def require_user(request: Request) -> None:
    """Refuse a request without a valid token before its body is validated or any work is
    done: a dependency of every route that needs an account (`SIGNED_IN`)."""
    with app_state(request).tx(request, write=False) as (_session, p):
        signed_in(p)


# FastAPI runs dependencies before it validates the body: a 401 comes before any 422.
SIGNED_IN = Depends(require_user)


def retrying(request: Request, work: Callable[[Session, Principal], T], attempts: int = 3) -> T:
    """`work` in one transaction, run again when a concurrent request took the same unique
    place (an IntegrityError); the last attempt's error is raised."""
    for attempt in range(attempts):
        try:
            with app_state(request).tx(request) as (session, p):
                return work(session, p)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
