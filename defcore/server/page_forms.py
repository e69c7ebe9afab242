"""How a page's form is taken: CSRF checked, fields through the API's request model, the
action run in one transaction, then a redirect back to a page (303).

The form pages (defcore.server.pages_accounts, pages_certifications) call the same rules as
the API, so a form can do exactly what the API lets the same account do, and no more. An
error is the error page with the API's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from defcore.errors import InvalidInput, Unauthorized
from defcore.server import schemas
from defcore.server.access import Principal
from defcore.server.pages_session import read_form, require_csrf
from defcore.server.state import AppState, bearer_token

Id = Annotated[int, PathParam(ge=1, le=schemas.MAX_DB_INT)]
Form = dict[str, str]
# A form's action: works in the request's transaction, returns the page to go back to.
Action = Callable[[Session, Principal, Form], str]
M = TypeVar("M", bound=BaseModel)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.defcore
    return state


def check_csrf(request: Request, p: Principal, form: Form) -> None:
    """A form posted with the sign-in cookie carries the session's CSRF token. A request with
    an API token in its Authorization header cannot come from another site's page."""
    if bearer_token(request) is None:
        require_csrf(p, form)


def parse_form(model: type[M], form: Form) -> M:
    """A form's fields through the API's request model: the same limits, one-line errors."""
    # a form sends every value as text: a checkbox's "true"/"false" is the API's boolean
    fields: dict[str, object] = {
        k: (v == "true") if v in ("true", "false") and k == "public" else v
        for k, v in form.items()
        if k in model.model_fields
    }
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "form"
        raise InvalidInput(f"{where}: {first['msg']}") from None


def signed_in(p: Principal) -> Principal:
    if p.user is None:
        raise Unauthorized("sign in first (/login)")
    return p


async def take_form(request: Request, action: Action) -> Response:
    """Run a form's action in one transaction; redirect to the page it names."""
    form = await read_form(request)

    def work() -> str:  # in a worker thread: the event loop never waits on the database
        with app_state(request).tx(request) as (session, p):
            check_csrf(request, signed_in(p), form)
            return action(session, p, form)

    return RedirectResponse(await run_in_threadpool(work), status_code=303)
