"""Signing in to the pages: the cookie is a server-side session (not the API token), Secure
behind an HTTPS proxy the server was told about, every form carries a CSRF token (the sign-in
form too), signing out ends the session, and the API never takes the cookie."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from server_support import Live, ServerThread, refstack_body, storage_tests
from sqlalchemy import select

import defcore.server
from defcore.server.app import PAGE_ROUTERS, create_app
from defcore.server.models import WebSession
from defcore.server.sessions import LOGIN_CSRF_COOKIE, SESSION_COOKIE


def _set_cookie(response: httpx.Response, name: str) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return header


def test_the_cookie_is_a_hashed_expiring_session(live: Live) -> None:
    user = live.user()
    with live.client() as client:
        form = client.get("/login")
        signed = live.login(client, user.token)
        assert signed.status_code == 200 and user.name in signed.text
        (redirect,) = signed.history
        header = _set_cookie(redirect, SESSION_COOKIE)
        session_id = client.cookies[SESSION_COOKIE]
    assert user.token not in header and session_id != user.token
    attributes = header.lower()
    assert "httponly" in attributes and "samesite=strict" in attributes
    assert "max-age=" in attributes
    assert "secure" not in attributes  # plain http, and no proxy is believed
    assert "samesite=strict" in _set_cookie(form, LOGIN_CSRF_COOKIE).lower()
    with live.engine.connect() as conn:
        stored = conn.scalars(select(WebSession.session_hash)).all()
    assert hashlib.sha256(session_id.encode()).hexdigest() in stored
    assert session_id not in stored


def test_sign_in_needs_the_forms_csrf_token(live: Live) -> None:
    user = live.user()
    with live.client() as client:
        # a login posted from elsewhere (login CSRF): no token, or one without its cookie
        r = client.post("/login", data={"token": user.token})
        assert r.status_code == 403 and SESSION_COOKIE not in client.cookies
        r = client.post("/login", data={"token": user.token, "csrf": "guessed"})
        assert r.status_code == 403 and SESSION_COOKIE not in client.cookies
        client.get("/login")
        r = client.post("/login", data={"token": user.token, "csrf": "guessed"})
        assert r.status_code == 403 and SESSION_COOKIE not in client.cookies


def test_every_post_form_of_the_templates_carries_a_csrf_token() -> None:
    templates = Path(defcore.server.__file__).parent / "templates"
    forms = [
        (template.name, form)
        for template in sorted(templates.glob("*.html"))
        for form in re.findall(r'<form method="post".*?</form>', template.read_text(), re.S)
    ]
    assert len(forms) >= 15
    for name, form in forms:
        assert 'name="csrf"' in form or "csrf_field()" in form, f"{name}: {form[:200]}"


def test_every_form_route_refuses_a_session_post_without_its_csrf_token(live: Live) -> None:
    """A form posted with the sign-in cookie (as another site's page can make a browser do)
    but without the session's CSRF token, or with a wrong one, is refused (403) on every form
    route, before anything is done: the account is a foundation admin, whom nothing else
    would stop."""
    admin = live.user("csrf-admin", admin=True)
    paths = sorted(
        route.path
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods and route.path != "/login"
    )
    assert len(paths) >= 20
    vendor_name = f"csrf-{uuid.uuid4().hex[:8]}"
    with live.client() as client:
        live.login(client, admin.token)
        for path in paths:
            url = re.sub(r"\{\w+\}", "1", path.replace("{result_id}", str(uuid.uuid4())))
            for fields in ({"name": vendor_name}, {"name": vendor_name, "csrf": "guessed"}):
                r = client.post(url, data=fields)
                assert r.status_code == 403 and "CSRF" in r.text, f"{url}: {r.status_code}"
        assert admin.name in client.get("/account").text  # still signed in
    vendors = live.call("GET", "/v1/vendors", admin.token).json()
    assert vendor_name not in {v["name"] for v in vendors}


def test_sign_out_needs_csrf_and_ends_the_session(live: Live) -> None:
    user = live.user()
    with live.client() as client:
        page = live.login(client, user.token)
        session_id = client.cookies[SESSION_COOKIE]
        assert client.post("/logout", data={}).status_code == 403
        assert user.name in client.get("/results").text  # still signed in
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = client.post("/logout", data={"csrf": csrf})
        assert r.status_code == 303
    # the old cookie, replayed, is no one
    with live.client() as client:
        client.cookies.set(SESSION_COOKIE, session_id)
        again = client.get("/results")
        assert again.status_code == 200 and user.name not in again.text
        assert 'href="/login"' in again.text


def test_the_api_ignores_the_cookie(live: Live) -> None:
    """A cross-origin form (text/plain, so no preflight) posting an upload with the victim's
    cookie is refused, and nothing is stored; reads with the cookie are anonymous."""
    user = live.user()
    with live.client() as client:
        live.login(client, user.token)
        assert SESSION_COOKIE in client.cookies
        r = client.post(
            "/v1/results",
            content=refstack_body(storage_tests(), salt="csrf"),
            headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
        )
        assert r.status_code == 403, r.text
        assert "not the sign-in cookie" in r.json()["detail"]
        assert client.get("/v1/me").status_code == 401


@pytest.fixture
def proxied(live: Live) -> Iterator[str]:
    """The same app behind a proxy it believes (127.0.0.1), as `serve --forwarded-allow-ips`."""
    app = create_app(live.database_url)
    with ServerThread(app, proxy_headers=True, forwarded_allow_ips="127.0.0.1") as server:
        yield server.url
    app.state.defcore.engine.dispose()


def test_the_cookie_is_secure_behind_an_https_proxy(live: Live, proxied: str) -> None:
    user = live.user()
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=proxied, headers=https) as client:
        form = client.get("/login")
        csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        # a Secure cookie: httpx keeps it from this plain-http hop, the proxy's browser would not
        assert "secure" in _set_cookie(form, LOGIN_CSRF_COOKIE).lower()
        r = client.post(
            "/login",
            data={"token": user.token, "csrf": csrf},
            headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={csrf}"},
        )
        assert r.status_code == 303, r.text
        assert "secure" in _set_cookie(r, SESSION_COOKIE).lower()
        assert "strict-transport-security" in r.headers
    # the server the proxy is not configured for ignores the header
    with live.client() as client:
        client.headers.update(https)
        form = client.get("/login")
        assert "secure" not in _set_cookie(form, LOGIN_CSRF_COOKIE).lower()
