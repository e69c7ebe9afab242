"""Uploads over real HTTP: formats, signatures, idempotence, input limits, whole transactions."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import subunit
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from server_support import Account, Live, refstack_body, storage_tests
from sqlalchemy import func, select

from defcore.server.ingest import MAX_BODY_BYTES
from defcore.server.models import Result
from defcore.server.signatures import sign


def _rows(live: Live) -> int:
    with live.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Result)) or 0)


def _register(
    live: Live, account: Account, key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
) -> None:
    r = live.register_key(account, key)
    assert r.status_code == 201, r.text


def _signed_headers(
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, body: bytes
) -> dict[str, str]:
    signature, public = sign(key, body)
    return {"X-Signature": signature, "X-Public-Key": public}


def test_refstack_upload_is_stored_and_judged(live: Live) -> None:
    user = live.user()
    body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    r = live.upload(body, user.token)
    assert r.status_code == 201, r.text
    result_id = r.json()["id"]
    r = live.call("GET", f"/v1/results/{result_id}", user.token)
    assert r.json()["format"] == "refstack"
    assert r.json()["test_count"] == 58
    assert r.json()["public"] is False
    r = live.call(
        "GET",
        f"/v1/results/{result_id}/verdict",
        user.token,
        params={"guideline": "2020.06", "target": "OpenStack Powered Storage"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["passed"] is True
    assert r.json()["required_tests"] == 58


def test_same_body_twice_stores_one_result(live: Live) -> None:
    user = live.user()
    body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    first = live.upload(body, user.token)
    before = _rows(live)
    second = live.upload(body, user.token)
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["id"] == first.json()["id"]
    assert "already uploaded" in second.json()["detail"]
    assert _rows(live) == before


def test_subunit_stream_upload(live: Live) -> None:
    user = live.user()
    stream = io.BytesIO()
    out = subunit.StreamResultToBytes(stream)
    now = datetime.now(UTC)
    tests = storage_tests()
    for i, (name, test_uuid) in enumerate(tests):
        test_id = f"{name}[id-{test_uuid}]"
        status = "fail" if i == 0 else "success"
        out.status(test_id=test_id, test_status="inprogress", timestamp=now)
        out.status(test_id=test_id, test_status=status, timestamp=now + timedelta(seconds=1))
    r = live.call(
        "POST",
        "/v1/results",
        user.token,
        content=stream.getvalue(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    verdict = live.call(
        "GET",
        f"/v1/results/{r.json()['id']}/verdict",
        user.token,
        params={"guideline": "2020.06", "target": "storage"},
    ).json()
    assert verdict["passed"] is False
    assert verdict["required_tests_passed"] == 57
    failed = [
        t
        for comp in verdict["components"]
        for cap in comp["capabilities"]
        for t in cap["tests"]
        if t["outcome"] != "passed"
    ]
    assert failed and failed[0]["name"] == tests[0][0] and failed[0]["outcome"] == "failed"


def test_defcore_result_json_with_refstack_section(live: Live) -> None:
    user = live.user()
    tests = storage_tests()
    doc = {
        "defcore": {"guideline": "2020.06", "target": "OpenStack Powered Storage"},
        "refstack": json.loads(refstack_body(tests, salt=uuid.uuid4().hex)),
    }
    r = live.upload(json.dumps(doc).encode(), user.token)
    assert r.status_code == 201, r.text
    assert live.call("GET", f"/v1/results/{r.json()['id']}", user.token).json()["format"] == (
        "defcore"
    )


@pytest.mark.parametrize("algorithm", ["rsa", "ed25519"])
def test_signed_upload_with_registered_key(live: Live, algorithm: str) -> None:
    user = live.user()
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "rsa"
        else ed25519.Ed25519PrivateKey.generate()
    )
    _register(live, user, key)
    body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    r = live.upload(body, user.token, **_signed_headers(key, body))
    assert r.status_code == 201, r.text
    assert live.call("GET", f"/v1/results/{r.json()['id']}", user.token).json()["signed"] is True


def test_altered_body_is_rejected(live: Live) -> None:
    user = live.user()
    key = ed25519.Ed25519PrivateKey.generate()
    _register(live, user, key)
    body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    headers = _signed_headers(key, body)
    altered = body.replace(b'"duration_seconds": 321', b'"duration_seconds": 322')
    assert altered != body
    before = _rows(live)
    r = live.upload(altered, user.token, **headers)
    assert r.status_code == 400
    assert "signature does not match the body" in r.json()["detail"]
    assert _rows(live) == before


def test_key_registered_to_another_account_is_rejected(live: Live) -> None:
    owner, other = live.user(), live.user()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _register(live, owner, key)
    body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    r = live.upload(body, other.token, **_signed_headers(key, body))
    assert r.status_code == 403
    assert "is not registered to account" in r.json()["detail"]


def test_signature_without_key_header_is_rejected(live: Live) -> None:
    user = live.user()
    r = live.upload(refstack_body(storage_tests()), user.token, **{"X-Signature": "00ff"})
    assert r.status_code == 400
    assert "X-Public-Key" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"cpid": "x", "results": [', 400, "malformed JSON"),
        (b"[1, 2]", 400, "must be an object"),
        (b'{"cpid": "x"}', 422, "neither 'results'"),
        (b'{"results": [{"uuid": "x"}]}', 422, "needs a string 'name'"),
        (b'{"results": []}', 422, "lists no tests"),
        (b'{"results": [{"name": "no such test!"}]}', 422, "unknown test name"),
        (b'{"results": [{"name": "mycorp.tests.Test.test_x"}]}', 422, "unknown test names"),
        (b"\x00\x01garbage", 422, "not a subunit v2 stream"),
        (b"", 400, "empty body"),
    ],
)
def test_bad_bodies_get_a_4xx_and_store_nothing(
    live: Live, body: bytes, status: int, message: str
) -> None:
    user = live.user()
    before = _rows(live)
    content_type = "application/octet-stream" if body.startswith(b"\x00") else "application/json"
    r = live.call(
        "POST", "/v1/results", user.token, content=body, headers={"Content-Type": content_type}
    )
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]
    assert _rows(live) == before


def test_oversized_body_is_refused(live: Live) -> None:
    user = live.user()
    body = b'{"results": [' + b" " * (MAX_BODY_BYTES + 1) + b"]}"
    r = live.upload(body, user.token)
    assert r.status_code == 413
    assert "limit" in r.json()["detail"]


def test_upload_needs_a_valid_token(live: Live) -> None:
    body = refstack_body(storage_tests())
    # no token at all is an anonymous upload (test_refstack_api), an unknown one is refused
    r = live.upload(body, "dct_not-a-token")
    assert r.status_code == 401
    assert "not valid" in r.json()["detail"]
