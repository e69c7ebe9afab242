"""The account, vendor, product and result forms in a real headless Chromium: a vendor
registered, asked for, approved; a member invited who accepts; a product and its versions
edited and deleted; a key registered with its self-signature (and one without a valid one
refused); a result verified by a foundation admin, then its verification withdrawn with a
reason."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from server_support import Account, Live, refstack_body
from sqlalchemy import select
from test_certifications import target_tests

from defcore.server.models import AuditEvent, Verification
from defcore.server.signatures import sign

playwright_sync = pytest.importorskip("playwright.sync_api")
Page = playwright_sync.Page


def _sign_in(page: Page, live: Live, account: Account) -> None:
    page.goto(f"{live.url}/login")
    page.fill('input[name="token"]', account.token)
    page.click('form[action="/login"] button[type="submit"]')
    page.goto(f"{live.url}/account")
    assert page.locator("h1").inner_text() == account.name


def _submit(page: Page, action: str) -> None:
    with page.expect_navigation():
        page.click(f'form[action="{action}"] button[type="submit"]')


def test_vendor_registered_approved_and_joined_by_invitation(
    browser: playwright_sync.BrowserContext, live: Live
) -> None:
    founder, invitee = live.user("web-founder"), live.user("web-invitee")
    admin = live.admin
    page = browser.new_page()
    _sign_in(page, live, founder)
    name = f"Web Vendor {uuid.uuid4().hex[:6]}"
    page.fill('form[action="/vendors"] input[name="name"]', name)
    _submit(page, "/vendors")
    assert page.locator("h1").inner_text() == name
    vendor_path = page.url.removeprefix(live.url)
    vendor_id = int(vendor_path.rsplit("/", 1)[1])
    assert page.locator('[data-testid="status"]').inner_text() == "private"
    _submit(page, f"/vendors/{vendor_id}/request-official")
    assert page.locator('[data-testid="status"]').inner_text() == "pending"

    _sign_in(page, live, admin)
    page.goto(f"{live.url}{vendor_path}")
    page.fill(f'form[action="/vendors/{vendor_id}/approve"] input[name="reason"]', "checked")
    _submit(page, f"/vendors/{vendor_id}/approve")
    assert page.locator('[data-testid="status"]').inner_text() == "official"

    _sign_in(page, live, founder)
    page.goto(f"{live.url}{vendor_path}")
    page.fill(f'form[action="/vendors/{vendor_id}/invitations"] input[name="user"]', invitee.name)
    _submit(page, f"/vendors/{vendor_id}/invitations")
    assert invitee.name in page.locator(".invited").first.inner_text()
    assert page.locator(f'.member[data-user="{invitee.name}"]').count() == 0

    _sign_in(page, live, invitee)
    invitation = page.locator(f'.invitation[data-vendor="{name}"]')
    assert "as member" in invitation.inner_text()
    with page.expect_navigation():
        invitation.locator('[data-testid="accept"]').click()
    assert page.locator("h1").inner_text() == name
    assert page.locator(f'.member[data-user="{invitee.name}"]').count() == 1
    members = live.call("GET", f"/v1/vendors/{vendor_id}/members", founder.token).json()
    assert invitee.name in {m["user"] for m in members}
    page.close()


def test_product_and_versions_edited_and_deleted(
    browser: playwright_sync.BrowserContext, live: Live
) -> None:
    vendor_id, vendor_admin = live.vendor("web-products")
    page = browser.new_page()
    _sign_in(page, live, vendor_admin)
    page.goto(f"{live.url}/vendors/{vendor_id}")
    form = f'form[action="/vendors/{vendor_id}/products"]'
    page.fill(f'{form} input[name="name"]', "Web Cloud")
    page.select_option(f'{form} select[name="kind"]', "public-cloud")
    _submit(page, f"/vendors/{vendor_id}/products")
    assert page.locator("h1").inner_text() == "Web Cloud"
    product_id = int(page.url.rsplit("/", 2)[1])
    edit = f"/products/{product_id}"
    page.fill(f'form[action="{edit}/versions"] input[name="version"]', "2024.1")
    page.fill(f'form[action="{edit}/versions"] input[name="cpid"]', "cloud-one")
    _submit(page, f"{edit}/versions")
    row = page.locator('.version[data-version="2024.1"]')
    row.locator('input[name="cpid"]').fill("cloud-two")
    with page.expect_navigation():
        row.locator('button:has-text("Save")').click()
    page.fill(f'form[action="{edit}/edit"] textarea[name="description"]', "Edited in Chromium")
    page.check(f'form[action="{edit}/edit"] input[name="public"]')
    _submit(page, f"{edit}/edit")
    product = live.call("GET", f"/v1/products/{product_id}").json()  # public now: anyone reads
    assert product["description"] == "Edited in Chromium"
    assert [(v["version"], v["cpid"]) for v in product["versions"]] == [("2024.1", "cloud-two")]
    with page.expect_navigation():
        row.locator('button:has-text("Delete version")').click()
    assert page.locator(".version").count() == 0
    with page.expect_navigation():
        page.click('[data-testid="delete-product"]')
    assert page.url.endswith(f"/vendors/{vendor_id}")
    assert live.call("GET", f"/v1/products/{product_id}", vendor_admin.token).status_code == 404
    page.close()


def test_key_registered_with_its_self_signature(
    browser: playwright_sync.BrowserContext, live: Live
) -> None:
    account = live.user("web-key")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    page = browser.new_page()
    _sign_in(page, live, account)
    proof = page.locator('[data-testid="proof"]').inner_text()
    # what the page tells the user to run (openssl dgst -sha256 -sign), done here in Python
    signature, public = sign(key, proof.encode())
    page.fill('form[action="/account/keys"] textarea[name="public_key"]', public)
    page.fill('form[action="/account/keys"] textarea[name="self_signature"]', sign(key, b"x")[0])
    with page.expect_navigation():
        page.click('form[action="/account/keys"] button[type="submit"]')
    assert "self_signature" in page.content() and page.locator(".key").count() == 0
    page.goto(f"{live.url}/account")
    page.fill('form[action="/account/keys"] textarea[name="public_key"]', public)
    page.fill('form[action="/account/keys"] textarea[name="self_signature"]', signature)
    page.fill('form[action="/account/keys"] input[name="label"]', "web")
    _submit(page, "/account/keys")
    assert page.locator(".key").count() == 1 and "web" in page.locator(".key").inner_text()
    (registered,) = live.call("GET", "/v1/me/keys", account.token).json()
    assert registered["label"] == "web" and registered["algorithm"] == "rsa"
    page.close()


def test_tokens_issued_rotated_and_revoked(
    browser: playwright_sync.BrowserContext, live: Live
) -> None:
    account = live.user("web-tokens")
    page = browser.new_page()
    _sign_in(page, live, account)
    page.fill('form[action="/account/tokens"] input[name="label"]', "laptop")
    _submit(page, "/account/tokens")
    issued = page.locator('[data-testid="new-token"] code').inner_text()
    assert live.call("GET", "/v1/me", issued).json()["name"] == account.name
    page.goto(f"{live.url}/account")
    assert page.locator('[data-testid="new-token"]').count() == 0  # shown only once

    laptop = page.locator('.token[data-label="laptop"]')
    with page.expect_navigation():
        laptop.locator('button:has-text("Rotate")').click()
    rotated = page.locator('[data-testid="new-token"] code').inner_text()
    assert rotated != issued
    assert live.call("GET", "/v1/me", issued).status_code == 401  # the old one is gone
    assert live.call("GET", "/v1/me", rotated).json()["name"] == account.name

    with page.expect_navigation():
        page.locator('.token[data-label="laptop"] button:has-text("Revoke")').click()
    assert page.locator('.token[data-label="laptop"]').count() == 0
    assert live.call("GET", "/v1/me", rotated).status_code == 401
    assert live.call("GET", "/v1/me", account.token).status_code == 200  # the others stay
    page.close()


def test_invitation_declined(browser: playwright_sync.BrowserContext, live: Live) -> None:
    vendor_id, founder = live.vendor("web-decline")
    invitee = live.user("web-decliner")
    body = {"user": invitee.name, "role": "admin"}
    r = live.call("POST", f"/v1/vendors/{vendor_id}/invitations", founder.token, json=body)
    assert r.status_code == 201, r.text
    vendor = r.json()["vendor"]
    page = browser.new_page()
    _sign_in(page, live, invitee)
    invitation = page.locator(f'.invitation[data-vendor="{vendor}"]')
    assert "as admin" in invitation.inner_text()
    with page.expect_navigation():
        invitation.locator('[data-testid="decline"]').click()
    assert page.locator(".invitation").count() == 0
    members = live.call("GET", f"/v1/vendors/{vendor_id}/members", invitee.token)
    assert members.status_code == 403  # not a member: the vendor is official, its members private
    assert live.call("GET", f"/v1/vendors/{vendor_id}/invitations", founder.token).json() == []
    page.close()


def test_verification_given_and_withdrawn_with_a_reason(
    browser: playwright_sync.BrowserContext, live: Live
) -> None:
    vendor_id, vendor_admin = live.vendor("web-verify")
    product_id, version_id = live.product(vendor_id, vendor_admin.token)
    tests = list(target_tests("2020.06", "OpenStack Powered Storage"))
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), vendor_admin.token)
    assert r.status_code == 201, r.text
    result_id = r.json()["id"]
    change = {"product_version_id": version_id}
    r = live.call("PATCH", f"/v1/results/{result_id}", vendor_admin.token, json=change)
    assert r.status_code == 200, r.text
    result_page = f"{live.url}/results/{result_id}?guideline=2020.06&target=storage"
    page = browser.new_page()

    # the vendor's admin sees the verdict, but neither form
    _sign_in(page, live, vendor_admin)
    page.goto(result_page)
    assert page.locator('[data-testid="verify"]').count() == 0

    _sign_in(page, live, live.admin)
    page.goto(result_page)
    with page.expect_navigation():
        page.click('[data-testid="verify"]')
    assert "Verified: OpenStack Powered Storage 2020.06" in page.content()
    assert page.locator('[data-testid="verify"]').count() == 0  # once is enough
    (cert,) = live.call("GET", f"/v1/products/{product_id}/certifications").json()["certifications"]
    assert cert["status"] == "current" and cert["result_id"] == result_id

    withdraw = page.locator('form.withdraw[data-guideline="2020.06"]')
    withdraw.locator('input[name="reason"]').fill("tests run against a different cloud")
    with page.expect_navigation():
        withdraw.locator('[data-testid="withdraw"]').click()
    badge = page.locator('[data-testid="withdrawn"]').inner_text()
    assert "OpenStack Powered Storage 2020.06" in badge
    assert "tests run against a different cloud" in badge
    assert page.locator("form.withdraw").count() == 0
    (cert,) = live.call(
        "GET", f"/v1/products/{product_id}/certifications", vendor_admin.token
    ).json()["certifications"]
    assert cert["status"] == "withdrawn"
    assert cert["withdraw_reason"] == "tests run against a different cloud"
    with live.engine.connect() as conn:
        (row,) = conn.execute(select(Verification).where(Verification.result_id == result_id))
        actions = conn.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject == "verifications", AuditEvent.subject_key == str(row.id))
            .order_by(AuditEvent.seq)
        ).all()
    assert row.withdrawn_by == live.admin.id and actions == ["insert", "update"]
    page.close()
