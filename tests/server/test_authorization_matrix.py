"""Who may change what: every state-changing endpoint against six roles, on a real app.

Roles (columns): anonymous; a plain account; a member of vendor V; the admin of another vendor
W; an admin of V; a foundation admin. Every case makes fresh objects of its own (products,
results, invitations, ...) belonging to V or to V's member, so that one role's success does not
change what the next role finds. Statuses: 401 sign in; 403 may see but not do; 404 may not
even see (or it is not the caller's own); 2xx done. `/v1/me/...` always acts on the caller's
own things: there V's member owns the key, token or invitation, and nobody else, not even a
foundation admin, may act on it through /v1/me.

A test checks that the table names every state-changing route the app has.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from fastapi.routing import APIRoute
from server_support import Account, Live, refstack_body, storage_tests

from defcore.server import api
from defcore.server.app import PAGE_ROUTERS
from defcore.server.signatures import sign

ROLES = ("anonymous", "user", "member", "other_admin", "vendor_admin", "foundation")
CAPABILITY = "compute-images-create"


@dataclass
class World:
    live: Live
    vendor: int  # V, official
    vendor_admin: Account
    member: Account  # V's member: the subject of /v1/me cases
    uploader: Account  # another member of V, who uploads V's results
    other_vendor: int  # W
    other_admin: Account
    user: Account  # in no vendor
    maintainer: Account

    def token(self, role: str) -> str | None:
        accounts = {
            "user": self.user,
            "member": self.member,
            "other_admin": self.other_admin,
            "vendor_admin": self.vendor_admin,
            "foundation": self.live.admin,
        }
        return accounts[role].token if role in accounts else None

    def call(self, token: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        r = self.live.call(method, path, token, **kwargs)
        assert r.status_code < 300, f"set-up {method} {path}: {r.status_code} {r.text}"
        return r

    # -- fresh objects -------------------------------------------------------------------------

    def product(self, public: bool = False) -> tuple[int, int]:
        return self.live.product(self.vendor, self.vendor_admin.token, public=public)

    def result(self, verified: bool = False) -> str:
        _, version_id = self.product()
        body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
        result_id: str = self.call(
            self.uploader.token,
            "POST",
            "/v1/results",
            content=body,
            headers={"Content-Type": "application/json"},
        ).json()["id"]
        self.call(
            self.vendor_admin.token,
            "PATCH",
            f"/v1/results/{result_id}",
            json={"product_version_id": version_id},
        )
        if verified:
            self.call(
                self.live.admin.token,
                "POST",
                f"/v1/results/{result_id}/verifications",
                json={"guideline": "2020.06", "target": "storage"},
            )
        return result_id

    def member_key(self) -> int:
        r = self.live.register_key(self.member, ed25519.Ed25519PrivateKey.generate())
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def member_token(self) -> int:
        path = f"/v1/users/{self.member.id}/tokens"
        return int(self.call(self.live.admin.token, "POST", path, json={}).json()["id"])

    def private_vendor(self, status: str = "private", with_member: bool = True) -> int:
        """A new vendor: V's admin is its admin, V's member its member (unless told)."""
        name = f"fresh-{uuid.uuid4().hex[:8]}"
        vendor_id = int(
            self.call(self.vendor_admin.token, "POST", "/v1/vendors", json={"name": name}).json()[
                "id"
            ]
        )
        if with_member:
            self.live.join(vendor_id, self.vendor_admin, self.member, "member")
        if status == "pending":
            path = f"/v1/vendors/{vendor_id}/request-official"
            self.call(self.vendor_admin.token, "POST", path)
        return vendor_id

    def invitation(self, vendor_id: int, user_name: str) -> int:
        path = f"/v1/vendors/{vendor_id}/invitations"
        body = {"user": user_name}
        return int(self.call(self.vendor_admin.token, "POST", path, json=body).json()["id"])

    def member_invitation(self) -> int:
        """An invitation for V's member into a new vendor."""
        return self.invitation(self.private_vendor(with_member=False), self.member.name)

    def proposal(self, votes: int = 0) -> int:
        body = {
            "guideline": "2020.06",
            "capability": CAPABILITY,
            "title": "t",
            "status": "advisory",
        }
        pid = int(self.call(self.uploader.token, "POST", "/v1/proposals", json=body).json()["id"])
        for account in (self.user, self.other_admin, self.vendor_admin)[:votes]:
            self.call(account.token, "POST", f"/v1/proposals/{pid}/votes", json={"vote": 1})
        return pid


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: Any = None
    form: str | None = None
    as_form: bool = False  # send `json`'s fields as an urlencoded form (the pages' forms)
    text: str | None = None  # a text/plain body (RefStack's metadata values)


# A case makes what its request acts on (for the acting role's token) and returns the request.
Case = Callable[[World, str | None], Call]


class _Body:
    """Marker: send a fresh RefStack upload as the body."""


def _upload(w: World, token: str | None) -> Call:
    del w, token
    return Call("POST", "/v1/results", json=_Body())


def _signed_key_body(token: str | None, w: World, refstack: bool) -> Any:
    """A fresh key with a valid proof for the acting account (an anonymous caller has none)."""
    if refstack:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signature, public = sign(key, b"signature")
        return {"raw_key": public, "self_signature": signature}
    ed = ed25519.Ed25519PrivateKey.generate()
    message = (
        w.live.call("GET", "/v1/me", token).json()["key_proof"] if token else "defcore public key"
    )
    signature, public = sign(ed, message.encode())
    return {"public_key": public, "self_signature": signature}


def _proposal_path(suffix: str, votes: int = 0) -> Case:
    def case(w: World, token: str | None) -> Call:
        del token
        body: dict[str, Any] = {"comment": "go"}
        if suffix == "votes":
            body = {"vote": 1}
        if suffix == "resolutions":
            pid = w.proposal()
            seq = w.call(
                w.maintainer.token,
                "POST",
                f"/v1/proposals/{pid}/votes",
                json={"vote": -1, "comment": "no"},
            ).json()["votes"][0]["seq"]
            return Call(
                "POST", f"/v1/proposals/{pid}/resolutions", {"vote_seq": seq, "comment": "ok"}
            )
        return Call("POST", f"/v1/proposals/{w.proposal(votes)}/{suffix}", body)

    return case


def _fresh_account_id(w: World) -> int:
    return w.live.user("target").id


PROPOSAL = {"guideline": "2020.06", "capability": CAPABILITY, "title": "t", "status": "advisory"}

# endpoint -> (case, expected status for each role, in the order of ROLES)
#                                                    anon user member other  own  foundation
MATRIX: dict[tuple[str, str], tuple[Case, tuple[int, ...]]] = {
    # results
    # anonymous uploads are on by default, as in RefStack: stored private, never listed
    ("POST", "/v1/results"): (_upload, (201, 201, 201, 201, 201, 201)),
    ("POST", "/v1/results/"): (
        lambda w, t: Call("POST", "/v1/results/", json=_Body()),
        (201, 201, 201, 201, 201, 201),
    ),
    ("DELETE", "/v1/results/{result_id}"): (
        lambda w, t: Call("DELETE", f"/v1/results/{w.result()}"),
        (404, 404, 403, 404, 204, 204),
    ),
    ("POST", "/v1/results/{result_id}/meta/{key}"): (
        lambda w, t: Call("POST", f"/v1/results/{w.result()}/meta/guideline", text="2020.06"),
        (404, 404, 403, 404, 201, 201),
    ),
    ("DELETE", "/v1/results/{result_id}/meta/{key}"): (
        lambda w, t: Call("DELETE", f"/v1/results/{w.result()}/meta/guideline"),
        (404, 404, 403, 404, 204, 204),
    ),
    ("PATCH", "/v1/results/{result_id}"): (
        lambda w, t: Call("PATCH", f"/v1/results/{w.result()}", {"public": True}),
        (401, 404, 403, 404, 200, 200),
    ),
    ("POST", "/v1/results/{result_id}/verifications"): (
        lambda w, t: Call(
            "POST",
            f"/v1/results/{w.result()}/verifications",
            {"guideline": "2020.06", "target": "storage"},
        ),
        (401, 404, 403, 404, 403, 201),
    ),
    ("POST", "/v1/results/{result_id}/verifications/withdrawals"): (
        lambda w, t: Call(
            "POST",
            f"/v1/results/{w.result(verified=True)}/verifications/withdrawals",
            {"guideline": "2020.06", "target": "storage", "reason": "matrix"},
        ),
        (401, 404, 403, 404, 403, 200),
    ),
    # accounts
    ("POST", "/v1/users"): (
        lambda w, t: Call("POST", "/v1/users", {"name": f"new-{uuid.uuid4().hex[:8]}"}),
        (401, 403, 403, 403, 403, 201),
    ),
    ("PATCH", "/v1/users/{user_id}"): (
        lambda w, t: Call("PATCH", f"/v1/users/{_fresh_account_id(w)}", {"maintainer": True}),
        (401, 403, 403, 403, 403, 200),
    ),
    ("POST", "/v1/me/keys"): (
        lambda w, t: Call("POST", "/v1/me/keys", _signed_key_body(t, w, False)),
        (401, 201, 201, 201, 201, 201),
    ),
    ("DELETE", "/v1/me/keys/{key_id}"): (
        lambda w, t: Call("DELETE", f"/v1/me/keys/{w.member_key()}"),
        (401, 404, 204, 404, 404, 404),
    ),
    ("POST", "/v1/profile/pubkeys"): (
        lambda w, t: Call("POST", "/v1/profile/pubkeys", _signed_key_body(t, w, True)),
        (401, 201, 201, 201, 201, 201),
    ),
    ("DELETE", "/v1/profile/pubkeys/{key_id}"): (
        lambda w, t: Call("DELETE", f"/v1/profile/pubkeys/{w.member_key()}"),
        (401, 404, 204, 404, 404, 404),
    ),
    ("POST", "/v1/me/tokens"): (
        lambda w, t: Call("POST", "/v1/me/tokens", {"label": "ci"}),
        (401, 201, 201, 201, 201, 201),
    ),
    ("POST", "/v1/me/tokens/{token_id}/rotate"): (
        lambda w, t: Call("POST", f"/v1/me/tokens/{w.member_token()}/rotate"),
        (401, 404, 201, 404, 404, 404),
    ),
    ("DELETE", "/v1/me/tokens/{token_id}"): (
        lambda w, t: Call("DELETE", f"/v1/me/tokens/{w.member_token()}"),
        (401, 404, 204, 404, 404, 404),
    ),
    ("POST", "/v1/users/{user_id}/tokens"): (
        lambda w, t: Call("POST", f"/v1/users/{w.member.id}/tokens", {"label": "x"}),
        (401, 403, 403, 403, 403, 201),
    ),
    ("DELETE", "/v1/users/{user_id}/tokens/{token_id}"): (
        lambda w, t: Call("DELETE", f"/v1/users/{w.member.id}/tokens/{w.member_token()}"),
        (401, 403, 403, 403, 403, 204),
    ),
    ("DELETE", "/v1/users/{user_id}/tokens"): (
        lambda w, t: Call("DELETE", f"/v1/users/{_fresh_account_id(w)}/tokens"),
        (401, 403, 403, 403, 403, 204),
    ),
    # vendors: registration and decisions (fresh vendors are private: strangers get 404)
    ("POST", "/v1/vendors"): (
        lambda w, t: Call("POST", "/v1/vendors", {"name": f"v-{uuid.uuid4().hex[:8]}"}),
        (401, 201, 201, 201, 201, 201),
    ),
    ("POST", "/v1/vendors/{vendor_id}/request-official"): (
        lambda w, t: Call("POST", f"/v1/vendors/{w.private_vendor()}/request-official"),
        (401, 404, 403, 404, 200, 200),
    ),
    ("POST", "/v1/vendors/{vendor_id}/approve"): (
        lambda w, t: Call("POST", f"/v1/vendors/{w.private_vendor('pending')}/approve", {}),
        (401, 403, 403, 403, 403, 200),  # refused by role before the vendor is looked up
    ),
    ("POST", "/v1/vendors/{vendor_id}/deny"): (
        lambda w, t: Call(
            "POST", f"/v1/vendors/{w.private_vendor('pending')}/deny", {"reason": "no"}
        ),
        (401, 403, 403, 403, 403, 200),
    ),
    # vendors: membership
    ("PATCH", "/v1/vendors/{vendor_id}/members/{user_id}"): (
        lambda w, t: Call(
            "PATCH", f"/v1/vendors/{w.private_vendor()}/members/{w.member.id}", {"role": "admin"}
        ),
        (401, 404, 403, 404, 200, 200),
    ),
    ("DELETE", "/v1/vendors/{vendor_id}/members/{user_id}"): (
        lambda w, t: Call("DELETE", f"/v1/vendors/{w.private_vendor()}/members/{w.member.id}"),
        (401, 404, 204, 404, 204, 204),  # a member may leave
    ),
    ("POST", "/v1/vendors/{vendor_id}/invitations"): (
        lambda w, t: Call(
            "POST",
            f"/v1/vendors/{w.private_vendor()}/invitations",
            {"user": f"someone-{uuid.uuid4().hex[:8]}"},
        ),
        (401, 404, 403, 404, 201, 201),
    ),
    ("DELETE", "/v1/vendors/{vendor_id}/invitations/{invitation_id}"): (
        lambda w, t: _cancel_invitation(w),
        (401, 404, 403, 404, 204, 204),
    ),
    ("POST", "/v1/me/invitations/{invitation_id}/accept"): (
        lambda w, t: Call("POST", f"/v1/me/invitations/{w.member_invitation()}/accept"),
        (401, 404, 201, 404, 404, 404),
    ),
    ("DELETE", "/v1/me/invitations/{invitation_id}"): (
        lambda w, t: Call("DELETE", f"/v1/me/invitations/{w.member_invitation()}"),
        (401, 404, 204, 404, 404, 404),
    ),
    # products of V (official), private ones
    ("POST", "/v1/vendors/{vendor_id}/products"): (
        lambda w, t: Call(
            "POST",
            f"/v1/vendors/{w.vendor}/products",
            {"name": f"P {uuid.uuid4().hex[:8]}", "kind": "appliance"},
        ),
        (401, 403, 403, 403, 201, 201),
    ),
    ("PATCH", "/v1/products/{product_id}"): (
        lambda w, t: Call("PATCH", f"/v1/products/{w.product()[0]}", {"description": "x"}),
        (401, 404, 403, 404, 200, 200),
    ),
    ("DELETE", "/v1/products/{product_id}"): (
        lambda w, t: Call("DELETE", f"/v1/products/{w.product()[0]}"),
        (401, 404, 403, 404, 204, 204),
    ),
    ("POST", "/v1/products/{product_id}/versions"): (
        lambda w, t: Call("POST", f"/v1/products/{w.product()[0]}/versions", {"version": "9"}),
        (401, 404, 403, 404, 201, 201),
    ),
    ("PATCH", "/v1/products/{product_id}/versions/{version_id}"): (
        lambda w, t: Call(
            "PATCH",
            "/v1/products/{}/versions/{}".format(*w.product()),
            {"cpid": uuid.uuid4().hex},
        ),
        (401, 404, 403, 404, 200, 200),
    ),
    ("DELETE", "/v1/products/{product_id}/versions/{version_id}"): (
        lambda w, t: Call("DELETE", "/v1/products/{}/versions/{}".format(*w.product())),
        (401, 404, 403, 404, 204, 204),
    ),
    # feedback: proposals (public ones) by V's uploader
    ("POST", "/v1/proposals"): (
        lambda w, t: Call("POST", "/v1/proposals", PROPOSAL),
        (401, 201, 201, 201, 201, 201),
    ),
    ("POST", "/v1/proposals/{proposal_id}/votes"): (
        _proposal_path("votes"),
        (401, 200, 200, 200, 200, 200),
    ),
    ("POST", "/v1/proposals/{proposal_id}/resolutions"): (
        _proposal_path("resolutions"),
        (401, 403, 403, 403, 403, 200),
    ),
    ("POST", "/v1/proposals/{proposal_id}/advance"): (
        _proposal_path("advance", votes=3),
        (401, 403, 403, 403, 403, 200),
    ),
    ("POST", "/v1/proposals/{proposal_id}/withdraw"): (
        _proposal_path("withdraw"),
        (401, 403, 403, 403, 403, 200),
    ),
    # pages
    # without the login form's own CSRF cookie and field, a sign-in is refused (login CSRF)
    ("POST", "/login"): (lambda w, t: Call("POST", "/login", form="token"), (403,) * 6),
    ("POST", "/logout"): (lambda w, t: Call("POST", "/logout", form=""), (303,) * 6),
}

# The account, vendor, product and result pages' forms do what an API endpoint does, with the same
# rules: page route -> (its API twin, the page's path for the twin's path, status when done).
PAGE_TWINS: dict[tuple[str, str], tuple[tuple[str, str], str, int]] = {
    ("POST", "/account/keys"): (("POST", "/v1/me/keys"), "/account/keys", 303),
    ("POST", "/account/keys/{key_id}/delete"): (
        ("DELETE", "/v1/me/keys/{key_id}"),
        "/account/keys/{}/delete",
        303,
    ),
    ("POST", "/account/tokens"): (("POST", "/v1/me/tokens"), "/account/tokens", 201),
    ("POST", "/account/tokens/{token_id}/rotate"): (
        ("POST", "/v1/me/tokens/{token_id}/rotate"),
        "/account/tokens/{}/rotate",
        201,
    ),
    ("POST", "/account/tokens/{token_id}/revoke"): (
        ("DELETE", "/v1/me/tokens/{token_id}"),
        "/account/tokens/{}/revoke",
        303,
    ),
    ("POST", "/account/invitations/{invitation_id}/accept"): (
        ("POST", "/v1/me/invitations/{invitation_id}/accept"),
        "/account/invitations/{}/accept",
        303,
    ),
    ("POST", "/account/invitations/{invitation_id}/decline"): (
        ("DELETE", "/v1/me/invitations/{invitation_id}"),
        "/account/invitations/{}/decline",
        303,
    ),
    ("POST", "/vendors"): (("POST", "/v1/vendors"), "/vendors", 303),
    ("POST", "/vendors/{vendor_id}/request-official"): (
        ("POST", "/v1/vendors/{vendor_id}/request-official"),
        "/vendors/{}/request-official",
        303,
    ),
    ("POST", "/vendors/{vendor_id}/approve"): (
        ("POST", "/v1/vendors/{vendor_id}/approve"),
        "/vendors/{}/approve",
        303,
    ),
    ("POST", "/vendors/{vendor_id}/deny"): (
        ("POST", "/v1/vendors/{vendor_id}/deny"),
        "/vendors/{}/deny",
        303,
    ),
    ("POST", "/vendors/{vendor_id}/invitations"): (
        ("POST", "/v1/vendors/{vendor_id}/invitations"),
        "/vendors/{}/invitations",
        303,
    ),
    ("POST", "/vendors/{vendor_id}/invitations/{invitation_id}/cancel"): (
        ("DELETE", "/v1/vendors/{vendor_id}/invitations/{invitation_id}"),
        "/vendors/{}/invitations/{}/cancel",
        303,
    ),
    ("POST", "/vendors/{vendor_id}/members/{user_id}/remove"): (
        ("DELETE", "/v1/vendors/{vendor_id}/members/{user_id}"),
        "/vendors/{}/members/{}/remove",
        303,
    ),
    ("POST", "/vendors/{vendor_id}/products"): (
        ("POST", "/v1/vendors/{vendor_id}/products"),
        "/vendors/{}/products",
        303,
    ),
    ("POST", "/products/{product_id}/edit"): (
        ("PATCH", "/v1/products/{product_id}"),
        "/products/{}/edit",
        303,
    ),
    ("POST", "/products/{product_id}/delete"): (
        ("DELETE", "/v1/products/{product_id}"),
        "/products/{}/delete",
        303,
    ),
    ("POST", "/products/{product_id}/versions"): (
        ("POST", "/v1/products/{product_id}/versions"),
        "/products/{}/versions",
        303,
    ),
    ("POST", "/products/{product_id}/versions/{version_id}/edit"): (
        ("PATCH", "/v1/products/{product_id}/versions/{version_id}"),
        "/products/{}/versions/{}/edit",
        303,
    ),
    ("POST", "/products/{product_id}/versions/{version_id}/delete"): (
        ("DELETE", "/v1/products/{product_id}/versions/{version_id}"),
        "/products/{}/versions/{}/delete",
        303,
    ),
    ("POST", "/results/{result_id}/verify"): (
        ("POST", "/v1/results/{result_id}/verifications"),
        "/results/{}/verify",
        303,
    ),
    ("POST", "/results/{result_id}/withdraw"): (
        ("POST", "/v1/results/{result_id}/verifications/withdrawals"),
        "/results/{}/withdraw",
        303,
    ),
}
# A path's ids: numbers, and results' UUIDs.
_PATH_ID = re.compile(r"/(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=/|$)")


def _page_twin(api_endpoint: tuple[str, str], page_path: str) -> Case:
    api_case = MATRIX[api_endpoint][0]

    def case(w: World, token: str | None) -> Call:
        call = api_case(w, token)
        ids = _PATH_ID.findall(call.path)
        return Call("POST", page_path.format(*ids), call.json or {}, as_form=True)

    return case


for _page, (_api, _path, _done) in PAGE_TWINS.items():
    _expected = tuple(_done if status < 300 else status for status in MATRIX[_api][1])
    MATRIX[_page] = (_page_twin(_api, _path), _expected)


def _cancel_invitation(w: World) -> Call:
    vendor_id = w.private_vendor()
    invitation = w.invitation(vendor_id, f"someone-{uuid.uuid4().hex[:8]}")
    return Call("DELETE", f"/v1/vendors/{vendor_id}/invitations/{invitation}")


@pytest.fixture(scope="module")
def world(live: Live) -> World:
    vendor_id, vendor_admin = live.vendor("matrix")
    member, uploader = live.user("matrix-member"), live.user("matrix-uploader")
    live.join(vendor_id, vendor_admin, member, "member")
    live.join(vendor_id, vendor_admin, uploader, "member")
    other_vendor, other_admin = live.vendor("matrix-other")
    maintainer = live.user("matrix-maintainer")
    r = live.call(
        "PATCH", f"/v1/users/{maintainer.id}", live.admin.token, json={"maintainer": True}
    )
    assert r.status_code == 200, r.text
    return World(
        live,
        vendor_id,
        vendor_admin,
        member,
        uploader,
        other_vendor,
        other_admin,
        live.user("matrix-plain"),
        maintainer,
    )


def _send(world: World, call: Call, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {}
    if isinstance(call.json, _Body):
        kwargs["content"] = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
        headers["Content-Type"] = "application/json"
    elif call.form is not None:
        # a form post as the browser sends it; the login form carries the role's token
        kwargs["content"] = f"token={token}" if call.form == "token" and token else ""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif call.text is not None:
        kwargs["content"] = call.text.encode()
        headers["Content-Type"] = "text/plain"
    elif call.as_form:
        fields = {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in call.json.items()
        }
        kwargs["content"] = urllib.parse.urlencode(fields)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif call.json is not None:
        kwargs["json"] = call.json
    with httpx.Client(base_url=world.live.url, timeout=60) as client:
        return client.request(call.method, call.path, headers=headers, **kwargs).status_code


@pytest.mark.parametrize("endpoint", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_authorization(world: World, endpoint: tuple[str, str]) -> None:
    """One row of the table: each role's status for the endpoint, all roles compared at once.

    A refused request changes nothing, so the next role may act on the same objects; after a
    success the case makes fresh ones.
    """
    case, expected = MATRIX[endpoint]
    actual = []
    call: Call | None = None
    for role in ROLES:
        token = world.token(role)
        if call is None or actual[-1] < 400 or _per_role(call):
            call = case(world, token)
        actual.append(_send(world, call, token))
    assert dict(zip(ROLES, actual, strict=True)) == dict(zip(ROLES, expected, strict=True))


def _per_role(call: Call) -> bool:
    """Bodies that depend on the acting account (a key's proof names it) are made per role."""
    return isinstance(call.json, dict) and ("self_signature" in call.json)


def test_the_matrix_names_every_state_changing_route() -> None:
    routes = {
        (method, route.path)
        for router in (*api.ROUTERS, *PAGE_ROUTERS)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if method not in ("GET", "HEAD")
    }
    assert routes - set(MATRIX) == set(), "state-changing routes missing from the matrix"
    assert set(MATRIX) - routes == set(), "matrix rows for routes the app does not have"
