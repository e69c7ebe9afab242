"""The account, vendor and product forms in a real headless Chromium: a vendor registered,
asked for, approved; a member invited who accepts; a product and its versions edited and
deleted; a key registered with its self-signature (and one without a valid one refused)."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from server_support import Account, Live

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
