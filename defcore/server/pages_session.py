"""Signing in and out of the pages: a form that takes an API token and starts a session.

The cookie is a session id (defcore.server.sessions), HttpOnly and SameSite=Strict, and
Secure when the request came over HTTPS (as uvicorn sees it: directly, or through a proxy
named by `defcore serve --forwarded-allow-ips`).
"""

from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from defcore.errors import Forbidden
from defcore.server.access import Principal, principal_for_token
from defcore.server.pages import page
from defcore.server.sessions import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    end_session,
    new_csrf,
    same_token,
    start_session,
)
from defcore.server.state import AppState

router = APIRouter(include_in_schema=False)
LOGIN_FORM_LIFETIME = 3600


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.defcore
    return state


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (first value of each); the body's size is already capped."""
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in urllib.parse.parse_qs(body).items()}


def require_csrf(p: Principal, form: dict[str, str]) -> None:
    """Every form a signed-in page posts carries the session's CSRF token."""
    if p.user is not None and not same_token(form.get(CSRF_FIELD), p.csrf):
        raise Forbidden("the form's CSRF token is missing or stale: reload the page and retry")


@router.get("/login")
def login_form(request: Request) -> Response:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or new_csrf()
    with _state(request).tx(request) as (_session, p):
        response = page("login.html", p, error="", csrf=csrf)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        max_age=LOGIN_FORM_LIFETIME,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    # Login CSRF: the form must come from our own sign-in page, whose token is in a cookie
    # that another site can neither read nor set.
    if not same_token(form.get(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise Forbidden("the sign-in form has expired: reload /login and sign in again")
    token = form.get("token", "").strip()
    session_id = await run_in_threadpool(_sign_in, request, token)
    if session_id is None:
        return page(
            "login.html",
            Principal(),
            401,
            error="That token is not valid.",
            csrf=form.get(CSRF_FIELD, ""),
        )
    response = RedirectResponse("/results", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _sign_in(request: Request, token: str) -> str | None:
    """A new session's id for the account of `token`; None when the token is not valid. (In
    a worker thread, like every database call: the event loop never waits on the database.)
    Whoever asks is anonymous until the token says otherwise."""
    with _state(request).tx(request, write=True, principal=Principal()) as (session, _):
        p = principal_for_token(session, token) if token else None
        if p is None or p.user is None:
            return None
        return start_session(session, p.user).session_id


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    await run_in_threadpool(_sign_out, request, form)
    response = RedirectResponse("/marketplace", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _sign_out(request: Request, form: dict[str, str]) -> None:
    with _state(request).tx(request, write=True) as (session, p):
        require_csrf(p, form)
        end_session(session, request.cookies.get(SESSION_COOKIE))
