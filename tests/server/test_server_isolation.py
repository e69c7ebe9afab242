"""No endpoint lets one vendor read or change another vendor's private data: one case per
endpoint (API and pages), and a test that every route of the app has its case."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from fastapi.routing import APIRoute
from server_support import Account, Live, refstack_body, storage_tests

from defcore.server import pages, pages_session
from defcore.server.api import accounts, products, refstack, results, vendors
from defcore.server.signatures import sign


@dataclass
class World:
    live: Live
    a_vendor: int
    a_admin: Account
    a_member: Account
    a_private_product: int
    a_private_version: int
    a_public_product: int
    a_result: str
    a_body: bytes
    a_key: int
    b_vendor: int
    b_admin: Account
    b_result: str
    a_invitation: int
    a_token: int

    def b(self, method: str, path: str, **kwargs: object) -> tuple[int, str]:
        r = self.live.call(method, path, self.b_admin.token, **kwargs)  # type: ignore[arg-type]
        return r.status_code, r.text

    def a_sees(self, path: str) -> str:
        r = self.live.call("GET", path, self.a_admin.token)
        assert r.status_code == 200, r.text
        return r.text


@pytest.fixture(scope="module")
def world(live: Live) -> World:
    a_vendor, a_admin = live.vendor("alpha")
    a_member = live.user("alpha-member")
    live.join(a_vendor, a_admin, a_member, "member")
    a_private_product, a_private_version = live.product(a_vendor, a_admin.token, public=False)
    a_public_product, _ = live.product(a_vendor, a_admin.token, public=True)
    a_body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    r = live.upload(a_body, a_member.token)
    assert r.status_code == 201
    a_result = r.json()["id"]
    r = live.call(
        "PATCH",
        f"/v1/results/{a_result}",
        a_admin.token,
        json={"product_version_id": a_private_version},
    )
    assert r.status_code == 200, r.text
    r = live.register_key(a_admin, ed25519.Ed25519PrivateKey.generate())
    a_key = r.json()["id"]
    b_vendor, b_admin = live.vendor("bravo")
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), b_admin.token)
    b_result = r.json()["id"]
    invitee = live.user("alpha-invitee")
    r = live.call(
        "POST", f"/v1/vendors/{a_vendor}/invitations", a_admin.token, json={"user": invitee.name}
    )
    a_invitation = r.json()["id"]
    (a_token,) = live.call("GET", "/v1/me/tokens", a_admin.token).json()
    return World(
        live,
        a_vendor,
        a_admin,
        a_member,
        a_private_product,
        a_private_version,
        a_public_product,
        a_result,
        a_body,
        a_key,
        b_vendor,
        b_admin,
        b_result,
        a_invitation,
        a_token["id"],
    )


def _upload(w: World) -> None:
    # The same body as vendor A's upload: a new result of B's, never A's id.
    r = w.live.upload(w.a_body, w.b_admin.token)
    assert r.status_code == 201
    assert r.json()["id"] != w.a_result
    assert w.a_result not in r.text


def _list_results(w: World) -> None:
    for params in ({}, {"vendor_id": w.a_vendor}, {"product_id": w.a_private_product}):
        status, text = w.b("GET", "/v1/results", params=params)
        assert status == 200
        assert w.a_result not in text
    assert w.a_result in w.a_sees("/v1/results")


def _get_result(w: World) -> None:
    assert w.b("GET", f"/v1/results/{w.a_result}")[0] == 404


def _patch_result(w: World) -> None:
    assert w.b("PATCH", f"/v1/results/{w.a_result}", json={"public": True})[0] == 404
    # nor can B attach its own result to A's private product version
    status, _ = w.b(
        "PATCH", f"/v1/results/{w.b_result}", json={"product_version_id": w.a_private_version}
    )
    assert status == 404
    assert '"public":false' in w.a_sees(f"/v1/results/{w.a_result}")


def _upload_slash(w: World) -> None:
    r = w.live.call(
        "POST",
        "/v1/results/",
        w.b_admin.token,
        content=w.a_body,
        headers={"Content-Type": "application/json"},
    )
    # 409 when _upload ran first: then it names B's own earlier result, never A's
    assert r.status_code in (201, 409) and w.a_result not in r.text


def _list_results_slash(w: World) -> None:
    for params in ({}, {"signed": "1"}, {"cpid": "lab"}, {"verification_status": 0}):
        status, text = w.b("GET", "/v1/results/", params=params)
        assert status == 200 and w.a_result not in text


def _delete_result(w: World) -> None:
    assert w.b("DELETE", f"/v1/results/{w.a_result}")[0] == 404
    assert w.a_result in w.a_sees(f"/v1/results/{w.a_result}")


def _meta(w: World) -> None:
    assert w.b("GET", f"/v1/results/{w.a_result}/meta")[0] == 404


def _meta_key(w: World) -> None:
    assert w.b("GET", f"/v1/results/{w.a_result}/meta/shared")[0] == 404


def _set_meta_key(w: World) -> None:
    assert w.b("POST", f"/v1/results/{w.a_result}/meta/shared", content=b"true")[0] == 404
    assert '"public":false' in w.a_sees(f"/v1/results/{w.a_result}")


def _delete_meta_key(w: World) -> None:
    assert w.b("DELETE", f"/v1/results/{w.a_result}/meta/guideline")[0] == 404


def _public_api(path: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        status, text = w.b("GET", path)
        assert status == 200 and w.a_result not in text and "alpha" not in text

    return check


def _verdict(w: World) -> None:
    params = {"guideline": "2020.06", "target": "storage"}
    assert w.b("GET", f"/v1/results/{w.a_result}/verdict", params=params)[0] == 404


def _verify(w: World) -> None:
    body = {"guideline": "2020.06", "target": "storage"}
    assert w.b("POST", f"/v1/results/{w.a_result}/verifications", json=body)[0] == 404


def _me(w: World) -> None:
    status, text = w.b("GET", "/v1/me")
    assert status == 200 and "alpha" not in text


def _users(w: World) -> None:
    assert w.b("POST", "/v1/users", json={"name": f"x-{uuid.uuid4().hex}"})[0] == 403


def _list_keys(w: World) -> None:
    status, text = w.b("GET", "/v1/me/keys")
    assert status == 200 and f'"id":{w.a_key},' not in text


def _add_key(w: World) -> None:
    # B registers a key of its own; A's keys are untouched.
    assert w.live.register_key(w.b_admin, ed25519.Ed25519PrivateKey.generate()).status_code == 201
    assert f'"id":{w.a_key},' in w.a_sees("/v1/me/keys")


def _delete_key(w: World) -> None:
    assert w.b("DELETE", f"/v1/me/keys/{w.a_key}")[0] == 404
    assert f'"id":{w.a_key},' in w.a_sees("/v1/me/keys")


def _list_vendors(w: World) -> None:
    status, text = w.b("GET", "/v1/vendors")
    assert status == 200  # official vendors' names are public; nothing else is listed
    assert "members" not in text and w.a_member.name not in text


def _create_vendor(w: World) -> None:
    # B may register a vendor of its own; it is private and A's vendor is untouched.
    status, text = w.b("POST", "/v1/vendors", json={"name": f"v-{uuid.uuid4().hex}"})
    assert status == 201 and '"status":"private"' in text
    assert w.a_member.name in w.a_sees(f"/v1/vendors/{w.a_vendor}/members")


def _list_members(w: World) -> None:
    status, text = w.b("GET", f"/v1/vendors/{w.a_vendor}/members")
    assert status == 403 and w.a_member.name not in text


def _list_products(w: World) -> None:
    status, text = w.b("GET", "/v1/products")
    assert status == 200 and w.a_private_product not in {x["id"] for x in json.loads(text)}
    assert w.a_private_product in {x["id"] for x in json.loads(w.a_sees("/v1/products"))}


def _create_product(w: World) -> None:
    body = {"name": "Intruder", "kind": "appliance", "public": True}
    assert w.b("POST", f"/v1/vendors/{w.a_vendor}/products", json=body)[0] == 403


def _get_product(w: World) -> None:
    assert w.b("GET", f"/v1/products/{w.a_private_product}")[0] == 404
    assert w.b("GET", f"/v1/products/{w.a_public_product}")[0] == 200  # public: readable


def _patch_product(w: World) -> None:
    assert w.b("PATCH", f"/v1/products/{w.a_private_product}", json={"public": True})[0] == 404
    assert w.b("PATCH", f"/v1/products/{w.a_public_product}", json={"public": False})[0] == 403
    assert '"public":true' in w.a_sees(f"/v1/products/{w.a_public_product}")


def _add_version(w: World) -> None:
    body = {"version": "evil"}
    assert w.b("POST", f"/v1/products/{w.a_private_product}/versions", json=body)[0] == 404
    assert w.b("POST", f"/v1/products/{w.a_public_product}/versions", json=body)[0] == 403


def _refstack_list_keys(w: World) -> None:
    status, text = w.b("GET", "/v1/profile/pubkeys")
    assert status == 200 and f'"id":"{w.a_key}"' not in text


def _refstack_add_key(w: World) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature, public = sign(key, b"signature")
    body = {"raw_key": public, "self_signature": signature}
    assert w.b("POST", "/v1/profile/pubkeys", json=body)[0] == 201
    assert f'"id":{w.a_key},' in w.a_sees("/v1/me/keys")


def _refstack_delete_key(w: World) -> None:
    assert w.b("DELETE", f"/v1/profile/pubkeys/{w.a_key}")[0] == 404
    assert f'"id":{w.a_key},' in w.a_sees("/v1/me/keys")


def _a_token_kept(w: World) -> None:
    assert f'"id":{w.a_token},' in w.a_sees("/v1/me/tokens")


def _list_tokens(w: World) -> None:
    status, text = w.b("GET", "/v1/me/tokens")
    assert status == 200 and f'"id":{w.a_token},' not in text


def _create_token(w: World) -> None:
    status, text = w.b("POST", "/v1/me/tokens", json={"label": "ci"})
    assert status == 201
    token = json.loads(text)["token"]
    assert w.live.call("GET", "/v1/me", token).json()["name"] == w.b_admin.name
    _a_token_kept(w)


def _own_token_action(method: str, path: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        assert w.b(method, path.format(token_id=w.a_token))[0] == 404
        _a_token_kept(w)

    return check


def _admin_tokens(method: str, path: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        url = path.format(user_id=w.a_admin.id, token_id=w.a_token)
        status, text = w.b(method, url, **({"json": {}} if method == "POST" else {}))
        assert status == 403 and w.a_admin.name not in text
        _a_token_kept(w)

    return check


def _get_vendor(w: World) -> None:
    status, text = w.b("GET", f"/v1/vendors/{w.a_vendor}")
    assert status == 200 and w.a_member.name not in text  # official: its name is public


def _a_vendor_forbidden(method: str, path: str, body: object = None) -> Callable[[World], None]:
    def check(w: World) -> None:
        url = path.format(vendor_id=w.a_vendor, user_id=w.a_member.id, invitation_id=w.a_invitation)
        kwargs = {"json": body} if body is not None else {}
        status, text = w.b(method, url, **kwargs)
        assert status == 403 and w.a_member.name not in text
        assert w.a_member.name in w.a_sees(f"/v1/vendors/{w.a_vendor}/members")
        assert f'"id":{w.a_invitation},' in w.a_sees(f"/v1/vendors/{w.a_vendor}/invitations")

    return check


def _my_invitations(w: World) -> None:
    status, text = w.b("GET", "/v1/me/invitations")
    assert status == 200 and f'"id":{w.a_invitation},' not in text


def _invitation_action(method: str, path: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        assert w.b(method, path.format(invitation_id=w.a_invitation))[0] == 404
        assert f'"id":{w.a_invitation},' in w.a_sees(f"/v1/vendors/{w.a_vendor}/invitations")

    return check


def _delete_product(w: World) -> None:
    assert w.b("DELETE", f"/v1/products/{w.a_private_product}")[0] == 404
    assert w.b("DELETE", f"/v1/products/{w.a_public_product}")[0] == 403
    w.a_sees(f"/v1/products/{w.a_private_product}")


def _version_action(method: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        path = f"/v1/products/{w.a_private_product}/versions/{w.a_private_version}"
        kwargs = {"json": {"cpid": "stolen"}} if method == "PATCH" else {}
        assert w.b(method, path, **kwargs)[0] == 404  # type: ignore[arg-type]
        assert "stolen" not in w.a_sees(f"/v1/products/{w.a_private_product}")

    return check


def _page_results(w: World) -> None:
    status, text = w.b("GET", "/results", params={"vendor": w.a_vendor})
    assert status == 200 and w.a_result[:8] not in text
    assert w.a_result[:8] in w.a_sees("/results")


def _page_result(w: World) -> None:
    assert w.b("GET", f"/results/{w.a_result}")[0] == 404


def _page_marketplace(w: World) -> None:
    private = w.live.call("GET", f"/v1/products/{w.a_private_product}", w.a_admin.token)
    name = private.json()["name"]
    status, text = w.b("GET", "/marketplace")
    assert status == 200 and name not in text


def _page_matrix(path: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        private = w.live.call("GET", f"/v1/products/{w.a_private_product}", w.a_admin.token)
        name = private.json()["name"]
        params = {"guideline": "2020.06", "target": "storage"}
        status, text = w.b("GET", path, params=params)
        assert status == 200 and name not in text
        if path == "/heatmap":
            seen = w.live.call("GET", path, w.a_admin.token, params=params).text
            assert name in seen

    return check


def _public_page(path: str) -> Callable[[World], None]:
    def check(w: World) -> None:
        status, text = w.b("GET", path)
        assert status in (200, 303)
        assert w.a_result[:8] not in text and w.a_member.name not in text

    return check


def _login(w: World) -> None:
    with w.live.client() as client:
        r = w.live.login(client, w.b_admin.token)
    assert r.status_code == 200 and w.a_result[:8] not in r.text


def _patch_user(w: World) -> None:
    # a vendor admin is no foundation admin: it cannot name a maintainer, not even itself
    for user_id in (w.a_member.id, w.b_admin.id):
        status, _ = w.b("PATCH", f"/v1/users/{user_id}", json={"maintainer": True})
        assert status == 403


CASES: dict[tuple[str, str], Callable[[World], None]] = {
    ("POST", "/v1/results"): _upload,
    ("POST", "/v1/results/"): _upload_slash,
    ("GET", "/v1/results/"): _list_results_slash,
    ("GET", "/v1/results/schema"): _public_api("/v1/results/schema"),
    ("DELETE", "/v1/results/{result_id}"): _delete_result,
    ("GET", "/v1/results/{result_id}/meta"): _meta,
    ("GET", "/v1/results/{result_id}/meta/{key}"): _meta_key,
    ("POST", "/v1/results/{result_id}/meta/{key}"): _set_meta_key,
    ("DELETE", "/v1/results/{result_id}/meta/{key}"): _delete_meta_key,
    ("GET", "/v1/guidelines"): _public_api("/v1/guidelines"),
    ("GET", "/v1/guidelines/{guideline}"): _public_api("/v1/guidelines/2020.06"),
    ("GET", "/v1/guidelines/{guideline}/tests"): _public_api("/v1/guidelines/2020.06/tests"),
    ("GET", "/v1/results"): _list_results,
    ("GET", "/v1/results/{result_id}"): _get_result,
    ("PATCH", "/v1/results/{result_id}"): _patch_result,
    ("GET", "/v1/results/{result_id}/verdict"): _verdict,
    ("POST", "/v1/results/{result_id}/verifications"): _verify,
    ("GET", "/v1/me"): _me,
    ("POST", "/v1/users"): _users,
    ("GET", "/v1/me/keys"): _list_keys,
    ("POST", "/v1/me/keys"): _add_key,
    ("DELETE", "/v1/me/keys/{key_id}"): _delete_key,
    ("PATCH", "/v1/users/{user_id}"): _patch_user,
    ("GET", "/v1/vendors"): _list_vendors,
    ("POST", "/v1/vendors"): _create_vendor,
    ("GET", "/v1/vendors/{vendor_id}/members"): _list_members,
    ("GET", "/v1/products"): _list_products,
    ("POST", "/v1/vendors/{vendor_id}/products"): _create_product,
    ("GET", "/v1/products/{product_id}"): _get_product,
    ("PATCH", "/v1/products/{product_id}"): _patch_product,
    ("POST", "/v1/products/{product_id}/versions"): _add_version,
    ("DELETE", "/v1/products/{product_id}"): _delete_product,
    ("PATCH", "/v1/products/{product_id}/versions/{version_id}"): _version_action("PATCH"),
    ("DELETE", "/v1/products/{product_id}/versions/{version_id}"): _version_action("DELETE"),
    ("GET", "/v1/profile/pubkeys"): _refstack_list_keys,
    ("POST", "/v1/profile/pubkeys"): _refstack_add_key,
    ("DELETE", "/v1/profile/pubkeys/{key_id}"): _refstack_delete_key,
    ("GET", "/v1/me/tokens"): _list_tokens,
    ("POST", "/v1/me/tokens"): _create_token,
    ("POST", "/v1/me/tokens/{token_id}/rotate"): _own_token_action(
        "POST", "/v1/me/tokens/{token_id}/rotate"
    ),
    ("DELETE", "/v1/me/tokens/{token_id}"): _own_token_action("DELETE", "/v1/me/tokens/{token_id}"),
    ("GET", "/v1/users/{user_id}/tokens"): _admin_tokens("GET", "/v1/users/{user_id}/tokens"),
    ("POST", "/v1/users/{user_id}/tokens"): _admin_tokens("POST", "/v1/users/{user_id}/tokens"),
    ("DELETE", "/v1/users/{user_id}/tokens"): _admin_tokens("DELETE", "/v1/users/{user_id}/tokens"),
    ("DELETE", "/v1/users/{user_id}/tokens/{token_id}"): _admin_tokens(
        "DELETE", "/v1/users/{user_id}/tokens/{token_id}"
    ),
    ("GET", "/v1/vendors/{vendor_id}"): _get_vendor,
    ("GET", "/v1/vendors/{vendor_id}/events"): _a_vendor_forbidden(
        "GET", "/v1/vendors/{vendor_id}/events"
    ),
    ("POST", "/v1/vendors/{vendor_id}/request-official"): _a_vendor_forbidden(
        "POST", "/v1/vendors/{vendor_id}/request-official"
    ),
    ("POST", "/v1/vendors/{vendor_id}/approve"): _a_vendor_forbidden(
        "POST", "/v1/vendors/{vendor_id}/approve", {}
    ),
    ("POST", "/v1/vendors/{vendor_id}/deny"): _a_vendor_forbidden(
        "POST", "/v1/vendors/{vendor_id}/deny", {"reason": "no"}
    ),
    ("PATCH", "/v1/vendors/{vendor_id}/members/{user_id}"): _a_vendor_forbidden(
        "PATCH", "/v1/vendors/{vendor_id}/members/{user_id}", {"role": "admin"}
    ),
    ("DELETE", "/v1/vendors/{vendor_id}/members/{user_id}"): _a_vendor_forbidden(
        "DELETE", "/v1/vendors/{vendor_id}/members/{user_id}"
    ),
    ("POST", "/v1/vendors/{vendor_id}/invitations"): _a_vendor_forbidden(
        "POST", "/v1/vendors/{vendor_id}/invitations", {"user": "anyone"}
    ),
    ("GET", "/v1/vendors/{vendor_id}/invitations"): _a_vendor_forbidden(
        "GET", "/v1/vendors/{vendor_id}/invitations"
    ),
    ("DELETE", "/v1/vendors/{vendor_id}/invitations/{invitation_id}"): _a_vendor_forbidden(
        "DELETE", "/v1/vendors/{vendor_id}/invitations/{invitation_id}"
    ),
    ("GET", "/v1/me/invitations"): _my_invitations,
    ("POST", "/v1/me/invitations/{invitation_id}/accept"): _invitation_action(
        "POST", "/v1/me/invitations/{invitation_id}/accept"
    ),
    ("DELETE", "/v1/me/invitations/{invitation_id}"): _invitation_action(
        "DELETE", "/v1/me/invitations/{invitation_id}"
    ),
    ("GET", "/results"): _page_results,
    ("GET", "/results/{result_id}"): _page_result,
    ("GET", "/marketplace"): _page_marketplace,
    ("GET", "/heatmap"): _page_matrix("/heatmap"),
    ("GET", "/usage"): _page_matrix("/usage"),
    ("GET", "/"): _public_page("/"),
    ("GET", "/login"): _public_page("/login"),
    ("POST", "/login"): _login,
    ("POST", "/logout"): _public_page("/marketplace"),
    ("GET", "/guidelines"): _public_page("/guidelines"),
    ("GET", "/guidelines/diff"): _public_page("/guidelines/diff?old=2019.11&new=2020.06"),
    ("GET", "/guidelines/{guideline_id}"): _public_page("/guidelines/2020.06"),
}


@pytest.mark.parametrize("endpoint", list(CASES), ids=[f"{m} {p}" for m, p in CASES])
def test_other_vendor_cannot_read_or_change(world: World, endpoint: tuple[str, str]) -> None:
    CASES[endpoint](world)


def test_every_route_has_an_isolation_case() -> None:
    routes = {
        (method, route.path)
        for router in (
            refstack.router,
            results.router,
            accounts.router,
            vendors.router,
            products.router,
            pages.router,
            pages_session.router,
        )
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert len(routes) > 30
    assert routes == set(CASES)
