"""RefStack's API shapes on the real app (both databases): uploads without a token, the
trailing slash, errors, listings with RefStack's filters, a result's fields, deletion and
metadata. The real refstack-client's runs are in test_refstack_client.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from server_support import Live, ServerThread, new_database_url, refstack_body, storage_tests

from defcore.server.app import create_app
from defcore.server.db import make_engine, migrate
from defcore.server.models import utcnow
from defcore.server.signatures import sign

JSON = {"Content-Type": "application/json"}


def _body(salt: str = "") -> bytes:
    return refstack_body(storage_tests(), salt=salt or uuid.uuid4().hex)


def _signed_upload(live: Live, key: rsa.RSAPrivateKey, body: bytes) -> httpx.Response:
    signature, public = sign(key, body)
    headers = {**JSON, "X-Signature": signature, "X-Public-Key": public}
    return live.call("POST", "/v1/results/", content=body, headers=headers)


def _register(live: Live, token: str, key: rsa.RSAPrivateKey) -> None:
    """As a RefStack user does: the public key and its self-signature of "signature"."""
    signature, public = sign(key, b"signature")
    body = {"raw_key": public, "self_signature": signature}
    r = live.call("POST", "/v1/profile/pubkeys", token, json=body)
    assert r.status_code == 201, r.text


def test_upload_with_and_without_the_slash_answers_201(live: Live) -> None:
    user = live.user()
    for path in ("/v1/results", "/v1/results/"):
        r = live.call("POST", path, user.token, content=_body(), headers=JSON)
        assert r.status_code == 201, r.text  # no 307 to the other spelling
        data = r.json()
        assert data["test_id"] == data["id"] and data["created"] is True
        assert data["url"] == f"{live.url}/results/{data['id']}"
        assert live.call("GET", f"/results/{data['id']}", user.token).status_code == 200


def test_errors_have_refstacks_shape(live: Live) -> None:
    r = live.call("POST", "/v1/results/", content=b"{not json", headers=JSON)
    assert r.status_code == 400
    data = r.json()
    assert data["code"] == 400 and data["title"] == "Bad Request" and "JSON" in data["detail"]
    r = live.call("GET", f"/v1/results/{uuid.uuid4()}")
    assert r.json()["code"] == 404 and r.json()["title"] == "Not Found"


def test_a_registered_key_identifies_its_owner_without_a_token(live: Live) -> None:
    user = live.user("key-owner")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _register(live, user.token, key)
    r = _signed_upload(live, key, _body())
    assert r.status_code == 201, r.text
    result_id = r.json()["test_id"]
    assert live.call("GET", f"/v1/results/{result_id}").status_code == 404  # private
    mine = live.call("GET", f"/v1/results/{result_id}", user.token).json()
    assert mine["uploader"] == user.name and mine["signed"] is True
    assert mine["user_role"] == "owner" and mine["meta"]["user"] == user.name

    # the body altered after signing, or the signature of another body: refused, nothing kept
    body = _body()
    signature, public = sign(key, body)
    r = live.call(
        "POST",
        "/v1/results/",
        content=body.replace(b"321", b"322"),
        headers={**JSON, "X-Signature": signature, "X-Public-Key": public},
    )
    assert r.status_code == 400 and "does not match" in r.json()["detail"]

    # an unregistered key is refused (RefStack answers 401 too)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = _signed_upload(live, stranger, _body())
    assert r.status_code == 401 and "not registered to any account" in r.json()["detail"]


def test_anonymous_upload_is_private_and_unlisted(live: Live) -> None:
    body = _body()
    r = live.call("POST", "/v1/results/", content=body, headers=JSON)
    assert r.status_code == 201, r.text
    result_id = r.json()["test_id"]
    data = live.call("GET", f"/v1/results/{result_id}").json()
    assert data["uploader"] is None and data["public"] is False and data["user_role"] == "user"
    assert len(data["results"]) == len(storage_tests())
    cpid = data["cpid"]
    assert live.call("GET", "/v1/results", params={"cpid": cpid}).json()["total"] == 0
    assert (
        live.call("GET", "/v1/results", live.admin.token, params={"cpid": cpid}).json()["total"]
        == 1
    )
    # the same body again is a new anonymous result (as in RefStack), not a 409 naming the first
    again = live.call("POST", "/v1/results", content=body, headers=JSON)
    assert again.status_code == 201 and again.json()["id"] != result_id
    # nobody owns it: nobody but a foundation admin deletes it
    someone = live.user()
    assert live.call("DELETE", f"/v1/results/{result_id}", someone.token).status_code == 403
    assert live.call("DELETE", f"/v1/results/{result_id}", live.admin.token).status_code == 204


@pytest.fixture(scope="module")
def closed_server(request: pytest.FixtureRequest, interop_dir: Path) -> Iterator[str]:
    url = new_database_url("sqlite", request)
    engine = make_engine(url)
    migrate(engine)
    app = create_app(url, interop_dir, anonymous_uploads=False)
    with ServerThread(app) as server:
        yield server.url
    app.state.defcore.engine.dispose()
    engine.dispose()


def test_anonymous_uploads_can_be_refused(closed_server: str) -> None:
    r = httpx.post(f"{closed_server}/v1/results/", content=_body(), headers=JSON)
    assert r.status_code == 401
    assert "anonymous uploads are disabled" in r.json()["detail"]


def test_listing_filters_and_pagination(live: Live) -> None:
    user = live.user()
    cpid = f"cloud-{uuid.uuid4().hex[:8]}"
    ids = []
    for n in range(3):
        results = [{"name": name} for name, _uuid in storage_tests()[:5]]
        body = json.dumps({"cpid": cpid, "duration_seconds": n, "results": results}).encode()
        r = live.call("POST", "/v1/results", user.token, content=body, headers=JSON)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    page = live.call("GET", "/v1/results", user.token, params={"cpid": cpid, "limit": 2}).json()
    assert page["total"] == 3 and page["pagination"] == {"current_page": 1, "total_pages": 2}
    assert [x["id"] for x in page["results"]] == ids[::-1][:2]  # newest first
    second = live.call(
        "GET", "/v1/results/", user.token, params={"cpid": cpid, "limit": 2, "page": 2}
    ).json()
    assert [x["id"] for x in second["results"]] == [ids[0]]
    assert second["pagination"] == {"current_page": 2, "total_pages": 2}
    past = live.call("GET", "/v1/results", user.token, params={"cpid": cpid, "page": 3})
    assert past.status_code == 400 and "Invalid page number" in past.json()["detail"]

    now = utcnow().strftime("%Y-%m-%d %H:%M:%S")
    since = {"cpid": cpid, "start_date": "2000-01-01 00:00:00", "end_date": "2999-01-01"}
    assert live.call("GET", "/v1/results", user.token, params=since).json()["total"] == 3
    later = {"cpid": cpid, "start_date": "2999-01-01 00:00:00"}
    assert live.call("GET", "/v1/results", user.token, params=later).json()["total"] == 0
    bad = live.call("GET", "/v1/results", params={"start_date": "yesterday"})
    assert bad.status_code == 400 and "Invalid date format" in bad.json()["detail"]
    crossed = live.call("GET", "/v1/results", params={"start_date": now, "end_date": "2000-01-01"})
    assert crossed.status_code == 400
    assert live.call("GET", "/v1/results", params={"signed": "true"}).status_code == 401
    mine = live.call("GET", "/v1/results", user.token, params={"signed": "1"}).json()
    assert {x["id"] for x in mine["results"]} == set(ids)
    unverified = {"cpid": cpid, "verification_status": 0}
    assert live.call("GET", "/v1/results", user.token, params=unverified).json()["total"] == 3
    verified = {"cpid": cpid, "verification_status": 1}
    assert live.call("GET", "/v1/results", user.token, params=verified).json()["total"] == 0


def test_schema_delete_and_metadata(live: Live) -> None:
    schema = live.call("GET", "/v1/results/schema").json()
    assert schema["required"] == ["cpid", "duration_seconds", "results"]

    vendor_id, vendor_admin = live.vendor()
    _product_id, version_id = live.product(vendor_id, vendor_admin.token)
    r = live.upload(_body(), vendor_admin.token)
    result_id = r.json()["id"]
    other = live.user()

    # metadata: the owner sets guideline and target (the body is the value) and shares it
    meta = f"/v1/results/{result_id}/meta"
    assert (
        live.call("POST", f"{meta}/guideline", vendor_admin.token, content=b"2020.06").status_code
        == 201
    )
    assert (
        live.call("POST", f"{meta}/target", vendor_admin.token, content=b"object").status_code
        == 201
    )
    assert live.call("POST", f"{meta}/target", other.token, content=b"x").status_code == 404
    assert live.call("POST", f"{meta}/user", vendor_admin.token, content=b"x").status_code == 403
    assert live.call("GET", f"{meta}/target", vendor_admin.token).json() == "object"
    assert live.call("GET", meta).status_code == 404  # still private
    assert (
        live.call("POST", f"{meta}/shared", vendor_admin.token, content=b"true").status_code == 201
    )
    public_meta = live.call("GET", meta).json()
    assert public_meta == {"guideline": "2020.06", "shared": "true", "target": "object"}
    assert live.call("DELETE", f"{meta}/target", other.token).status_code == 403
    assert live.call("DELETE", f"{meta}/target", vendor_admin.token).status_code == 204
    assert "target" not in live.call("GET", meta).json()

    # verified: locked against deletion and metadata changes
    r = live.call(
        "PATCH",
        f"/v1/results/{result_id}",
        vendor_admin.token,
        json={"product_version_id": version_id},
    )
    assert r.status_code == 200, r.text
    r = live.call(
        "POST",
        f"/v1/results/{result_id}/verifications",
        live.admin.token,
        json={"guideline": "2020.06", "target": "object"},
    )
    assert r.status_code == 201, r.text
    detail = live.call("GET", f"/v1/results/{result_id}").json()
    assert detail["verification_status"] == 1
    assert detail["product_version"]["id"] == version_id
    r = live.call("DELETE", f"/v1/results/{result_id}", vendor_admin.token)
    assert r.status_code == 409 and "verified" in r.json()["detail"]  # the lock (lifecycle)
    assert live.call("DELETE", f"{meta}/shared", vendor_admin.token).status_code == 403

    # an unverified result: only its owner deletes it, with its tests
    r = live.upload(_body(), other.token)
    mine = r.json()["id"]
    assert live.call("DELETE", f"/v1/results/{mine}", vendor_admin.token).status_code == 404
    assert live.call("DELETE", f"/v1/results/{mine}", other.token).status_code == 204
    assert live.call("GET", f"/v1/results/{mine}", other.token).status_code == 404


def test_scenario_suffixed_names_are_accepted(live: Live) -> None:
    user = live.user()
    (first, uuid_), *rest = storage_tests()
    tests = [(f"{first}(some_scenario)", uuid_), *rest]
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), user.token)
    assert r.status_code == 201, r.text
    detail = live.call("GET", f"/v1/results/{r.json()['id']}", user.token).json()
    assert f"{first}(some_scenario)" in detail["results"]
    verdict = live.call(
        "GET",
        f"/v1/results/{r.json()['id']}/verdict",
        user.token,
        params={"guideline": "2020.06", "target": "object"},
    ).json()
    assert verdict["passed"] is True
