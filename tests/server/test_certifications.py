"""Certifications: locked verified results, withdrawals, the lifecycle over HTTP, marketplace."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from server_support import (
    Account,
    Live,
    ServerThread,
    _interop_dir,
    new_database_url,
    refstack_body,
)
from sqlalchemy import select
from test_lifecycle import newer_guideline

from defcore.errors import Conflict
from defcore.guidelines.loader import load_file
from defcore.guidelines.targets import resolve_target
from defcore.server import trail
from defcore.server.app import create_app
from defcore.server.db import make_engine, migrate, session_factory, transaction
from defcore.server.models import ProductVersion, Result
from defcore.server.service import create_account


@functools.cache
def target_tests(guideline: str, target: str) -> tuple[tuple[str, str | None], ...]:
    """The tests `target` of `guideline` requires: (name, idempotent id)."""
    loaded = load_file(_interop_dir() / f"{guideline}.json")
    seen: dict[str, str | None] = {}
    for selected in loaded.tests_for(resolve_target(loaded, target)):
        seen.setdefault(selected.test.name, selected.test.uuid)
    return tuple(seen.items())


def verified(
    live: Live, vendor_admin: Account, version_id: int, guideline: str, public: bool = False
) -> str:
    """A result passing Storage `guideline`, on `version_id`, verified by the foundation admin."""
    tests = list(target_tests(guideline, "OpenStack Powered Storage"))
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), vendor_admin.token)
    assert r.status_code == 201, r.text
    result_id: str = r.json()["id"]
    change = {"product_version_id": version_id, "public": public}
    r = live.call("PATCH", f"/v1/results/{result_id}", vendor_admin.token, json=change)
    assert r.status_code == 200, r.text
    body = {"guideline": guideline, "target": "storage"}
    r = live.call("POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["product_version_id"] == version_id
    return result_id


def test_a_verified_result_is_locked_to_its_version(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("lock")
    product_id, version_id = live.product(vendor_id, vendor_admin.token)
    other_product, other_version = live.product(vendor_id, vendor_admin.token)
    result_id = verified(live, vendor_admin, version_id, "2020.06", public=True)
    for change, words in (
        ({"product_version_id": other_version}, "cannot be moved"),
        ({"public": False}, "cannot be made private"),
    ):
        r = live.call("PATCH", f"/v1/results/{result_id}", vendor_admin.token, json=change)
        assert r.status_code == 409, r.text
        assert words in r.json()["detail"] and "withdraw" in r.json()["detail"]
    r = live.call("DELETE", f"/v1/results/{result_id}", vendor_admin.token)
    assert r.status_code == 409 and "cannot be deleted" in r.json()["detail"]
    r = live.call("GET", f"/v1/results/{result_id}", vendor_admin.token).json()
    assert (r["product_version_id"], r["public"]) == (version_id, True)
    # whatever code path tries, the store refuses: deleting the result, its version or product
    factory = session_factory(live.engine)
    trail.configure(factory, trail.load_key())
    for model, key, words in (
        (Result, result_id, "cannot be deleted"),
        (ProductVersion, version_id, "cannot be deleted"),
    ):
        with pytest.raises(Conflict, match=words), transaction(factory) as session:
            row = session.get(model, key)
            assert row is not None
            session.delete(row)
    # the badge is the version's: the other product shows none
    other = live.call("GET", f"/v1/products/{other_product}/certifications").json()
    assert other["certifications"] == [] and other["standing"] == "none"
    mine = live.call("GET", f"/v1/products/{product_id}/certifications").json()
    (cert,) = mine["certifications"]
    assert (cert["version_id"], cert["result_id"]) == (version_id, result_id)


def test_withdrawal_with_a_reason(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("withdraw")
    product_id, version_id = live.product(vendor_id, vendor_admin.token)
    _, other_version = live.product(vendor_id, vendor_admin.token)
    result_id = verified(live, vendor_admin, version_id, "2020.06")
    path = f"/v1/results/{result_id}/verifications/withdrawals"
    body = {"guideline": "2020.06", "target": "OpenStack Powered Storage", "reason": "bad lab"}
    assert live.call("POST", path, vendor_admin.token, json=body).status_code == 403
    assert live.call("POST", path, live.admin.token, json={**body, "reason": ""}).status_code == 422
    r = live.call("POST", path, live.admin.token, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["withdraw_reason"] == "bad lab" and r.json()["withdrawn_at"]
    assert live.call("POST", path, live.admin.token, json=body).status_code == 409
    status = live.call("GET", f"/v1/products/{product_id}/certifications").json()
    assert status["standing"] == "withdrawn"
    # no longer listed as verified, on the pages or in RefStack's listing
    listing = live.call("GET", "/results", live.admin.token, params={"verified": "2020.06"})
    assert result_id[:8] not in listing.text
    r = live.call("GET", f"/v1/results/{result_id}", vendor_admin.token)
    assert r.json()["verification_status"] == 0
    assert status["certifications"][0]["withdraw_reason"] == "bad lab"
    # verifying it again is refused with the reason; the result may now move
    again = {"guideline": "2020.06", "target": "storage"}
    r = live.call("POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=again)
    assert r.status_code == 409 and "bad lab" in r.json()["detail"]
    r = live.call(
        "PATCH",
        f"/v1/results/{result_id}",
        vendor_admin.token,
        json={"product_version_id": other_version},
    )
    assert r.status_code == 200, r.text


def test_lifecycle_over_http_and_the_cli(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("cycle")
    product_id, version_id = live.product(vendor_id, vendor_admin.token, public=False)
    for guideline in ("2019.11", "2020.06"):
        verified(live, vendor_admin, version_id, guideline)
    r = live.call(
        "GET",
        f"/v1/products/{product_id}/certifications",
        vendor_admin.token,
        params={"on": "2021-03-01"},
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["standing"] == "current"
    found = {c["guideline"]: c for c in data["certifications"]}
    statuses = {g: c["status"] for g, c in found.items()}
    assert statuses == {"2019.11": "current", "2020.06": "current"}
    assert found["2019.11"]["guideline_approved_on"] == "2019-11-01"
    assert found["2020.06"]["current_until"] is None
    # a private product's certifications are its vendor's
    assert live.call("GET", f"/v1/products/{product_id}/certifications").status_code == 404
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "defcore",
            "product",
            "status",
            str(product_id),
            "--on",
            "2021-03-01",
            "--server",
            live.url,
            "--token",
            vendor_admin.token,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "current" in run.stdout and "2019.11" in run.stdout


@pytest.fixture(scope="module")
def newer_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """A server whose guidelines add an approved 2021.11 to the real ones."""
    directory = tmp_path_factory.mktemp("guidelines")
    newer_guideline(_interop_dir(), directory, "2021.11", "approved")
    url = new_database_url("sqlite", request)
    engine = make_engine(url)
    migrate(engine)
    with transaction(session_factory(engine)) as session:
        user, token = create_account(session, "admin", True)
    app = create_app(url, directory)
    with ServerThread(app) as server:
        yield Live(server.url, "sqlite", url, engine, Account(user.id, user.name, token))
    app.state.defcore.engine.dispose()
    engine.dispose()


def test_after_a_newer_guideline_is_approved(newer_server: Live) -> None:
    live = newer_server
    vendor_id, vendor_admin = live.vendor("newer")
    product_id, version_id = live.product(vendor_id, vendor_admin.token, public=True)
    name = live.call("GET", f"/v1/products/{product_id}").json()["name"]
    verified(live, vendor_admin, version_id, "2019.11")
    path = f"/v1/products/{product_id}/certifications"
    on = live.call("GET", path, params={"on": "2022-01-15"}).json()
    (cert,) = on["certifications"]
    assert (cert["status"], cert["current_until"], cert["expires_on"], cert["superseded_by"]) == (
        "expiring",
        "2021-11-01",
        "2022-05-01",
        "2021.11",
    )
    assert on["standing"] == "expiring"
    assert live.call("GET", path, params={"on": "2022-05-01"}).json()["standing"] == "expired"
    # today (after 2022-05-01) the product is not OpenStack Powered: listed, but not there
    page = live.call("GET", "/marketplace").text
    powered = page.split('data-group="powered"')[1].split("</section>")[0]
    others = page.split('data-group="others"')[1].split("</section>")[0]
    assert name not in powered and name in others
    # a 2020.06 certification of the same product is current: now it is
    verified(live, vendor_admin, version_id, "2020.06")
    page = live.call("GET", "/marketplace").text
    powered = page.split('data-group="powered"')[1].split("</section>")[0]
    card = powered.split(f'data-product="{name}"')[1].split("</div>")[0]
    assert "OpenStack Powered Storage 2020.06" in card
    assert 'data-status="expired"' in card  # the 2019.11 one, shown as expired


def test_marketplace_powered_only_with_a_current_certification(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("market")
    certified, version_id = live.product(vendor_id, vendor_admin.token, public=True)
    uncertified, other_version = live.product(vendor_id, vendor_admin.token, public=True)
    verified(live, vendor_admin, version_id, "2020.06", public=True)
    # a public, passing but unverified result does not make a product OpenStack Powered
    tests = list(target_tests("2020.06", "OpenStack Powered Storage"))
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), vendor_admin.token)
    live.call(
        "PATCH",
        f"/v1/results/{r.json()['id']}",
        vendor_admin.token,
        json={"product_version_id": other_version, "public": True},
    )
    names = {
        pid: live.call("GET", f"/v1/products/{pid}").json()["name"]
        for pid in (certified, uncertified)
    }
    page = live.call("GET", "/marketplace").text
    powered = page.split('data-group="powered"')[1].split("</section>")[0]
    assert names[certified] in powered and names[uncertified] not in powered
    assert names[uncertified] in page.split('data-group="others"')[1]


def test_audit_trail_records_verifications_and_withdrawals(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("audit")
    _, version_id = live.product(vendor_id, vendor_admin.token)
    result_id = verified(live, vendor_admin, version_id, "2020.06")
    body = {"guideline": "2020.06", "target": "storage", "reason": "audit test"}
    path = f"/v1/results/{result_id}/verifications/withdrawals"
    assert live.call("POST", path, live.admin.token, json=body).status_code == 200
    with live.engine.connect() as conn:
        from defcore.server.models import AuditEvent, Verification

        (row,) = conn.execute(select(Verification).where(Verification.result_id == result_id))
        events = conn.execute(
            select(AuditEvent)
            .where(AuditEvent.subject == "verifications", AuditEvent.subject_key == str(row.id))
            .order_by(AuditEvent.seq)
        ).all()
    assert [e.action for e in events] == ["insert", "update"]
    assert all(e.actor_id == live.admin.id for e in events)
    assert json.loads(events[-1].row_json)["withdraw_reason"] == "audit test"
