"""Accounts, products, verification, the verdict cache and the pages, over real HTTP."""

from __future__ import annotations

import uuid

from server_support import Live, refstack_body, storage_tests
from sqlalchemy import func, select, text, update

from defcore.server.models import ApiToken, Result


def test_tokens_are_hashed_at_rest(live: Live) -> None:
    user = live.user()
    with live.engine.connect() as conn:
        stored = list(conn.scalars(select(ApiToken.token_hash)))
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM api_tokens")))
    assert user.token not in dump
    assert all(len(h) == 64 for h in stored)
    assert live.call("GET", "/v1/me", user.token).json()["name"] == user.name


def test_roles(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor()
    member = live.user()
    plain = live.user()
    # only foundation admins create accounts
    assert live.call("POST", "/v1/users", vendor_admin.token, json={"name": "x"}).status_code == 403
    # a vendor admin invites members, who accept; a member cannot add products or members
    live.join(vendor_id, vendor_admin, member, "member")
    body = {"name": "Nope", "kind": "appliance"}
    assert (
        live.call("POST", f"/v1/vendors/{vendor_id}/products", member.token, json=body).status_code
        == 403
    )
    body2 = {"user": plain.name}
    assert (
        live.call(
            "POST", f"/v1/vendors/{vendor_id}/invitations", member.token, json=body2
        ).status_code
        == 403
    )
    me = live.call("GET", "/v1/me", member.token).json()
    assert me["vendors"] == [
        {"vendor_id": vendor_id, "vendor": me["vendors"][0]["vendor"], "role": "member"}
    ]
    # a member's upload belongs to the vendor: the vendor admin reads it, a stranger does not
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), member.token)
    result_id = r.json()["id"]
    assert live.call("GET", f"/v1/results/{result_id}", vendor_admin.token).status_code == 200
    assert live.call("GET", f"/v1/results/{result_id}", plain.token).status_code == 404
    assert live.call("GET", f"/v1/results/{result_id}").status_code == 404
    # made public, everyone reads it, signed in or not
    r = live.call("PATCH", f"/v1/results/{result_id}", vendor_admin.token, json={"public": True})
    assert r.status_code == 200 and r.json()["public"] is True
    assert live.call("GET", f"/v1/results/{result_id}").status_code == 200
    # but only the uploader, the vendor's admins and foundation admins may change it
    assert (
        live.call(
            "PATCH", f"/v1/results/{result_id}", plain.token, json={"public": False}
        ).status_code
        == 403
    )


def test_products_versions_verification_and_badge(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("acme")
    products = {}
    for kind in ("distribution", "public-cloud", "appliance"):
        products[kind] = live.product(vendor_id, vendor_admin.token, public=True, kind=kind)
    product_id, version_id = products["public-cloud"]
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), vendor_admin.token)
    result_id = r.json()["id"]
    body = {"guideline": "2020.06", "target": "storage"}
    # not yet tied to a product version: cannot be verified
    r = live.call("POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=body)
    assert r.status_code == 409 and "product version" in r.json()["detail"]
    r = live.call(
        "PATCH",
        f"/v1/results/{result_id}",
        vendor_admin.token,
        json={"product_version_id": version_id},
    )
    assert r.status_code == 200 and r.json()["product_version_id"] == version_id
    # a vendor admin may not verify; the foundation admin may
    r = live.call("POST", f"/v1/results/{result_id}/verifications", vendor_admin.token, json=body)
    assert r.status_code == 403
    r = live.call("POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["target"] == "OpenStack Powered Storage"
    # a result that fails the platform is not verified for it
    platform = {"guideline": "2020.06", "target": "platform"}
    r = live.call("POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=platform)
    assert r.status_code == 409 and "does not pass" in r.json()["detail"]
    r = live.call("GET", f"/v1/results/{result_id}/verdict", vendor_admin.token, params=platform)
    assert r.status_code == 200 and r.json()["passed"] is False
    # the verdicts are cached by result, guideline and target
    cached = live.cached_verdicts(result_id, at_least=2)
    assert ("2020.06", "OpenStack Powered Storage", True) in cached
    assert ("2020.06", "OpenStack Powered Platform", False) in cached
    # the marketplace lists every public product, with the badge on the verified one
    name = live.call("GET", f"/v1/products/{product_id}").json()["name"]
    page = live.call("GET", "/marketplace").text
    for pid, _ in products.values():
        assert live.call("GET", f"/v1/products/{pid}").json()["name"] in page
    card = page.split(f'data-product="{name}"')[1].split("</div>")[0]
    assert "OpenStack Powered Storage 2020.06" in card
    # the verified result is listed under its filter
    listing = live.call("GET", "/results", live.admin.token, params={"verified": "2020.06"}).text
    assert result_id[:8] in listing


def test_result_page_shows_capabilities_and_reasons(live: Live) -> None:
    user = live.user()
    tests = storage_tests()
    r = live.upload(refstack_body(tests[1:], salt=uuid.uuid4().hex), user.token)
    result_id = r.json()["id"]
    page = live.call(
        "GET",
        f"/results/{result_id}",
        user.token,
        params={"guideline": "2020.06", "target": "storage"},
    ).text
    assert 'OpenStack Powered Storage 2020.06: <span class="fail">FAIL</span>' in page
    assert tests[0][0] in page
    assert "not in the results" in page
    assert "objectstore-" in page  # capability names
    assert (
        live.call("GET", f"/results/{result_id}", params={"guideline": "9999.99"}).status_code
        == 404
    )


def test_results_list_filters(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor()
    _, version_id = live.product(vendor_id, vendor_admin.token)
    ids = []
    for _ in range(3):
        r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), vendor_admin.token)
        ids.append(r.json()["id"])
    live.call(
        "PATCH",
        f"/v1/results/{ids[0]}",
        vendor_admin.token,
        json={"product_version_id": version_id},
    )
    all_page = live.call("GET", "/results", vendor_admin.token, params={"vendor": vendor_id}).text
    assert all(i[:8] in all_page for i in ids)
    product_id = live.call(
        "GET", "/v1/products", vendor_admin.token, params={"vendor_id": vendor_id}
    ).json()[0]["id"]
    one = live.call("GET", "/results", vendor_admin.token, params={"product": product_id}).text
    assert ids[0][:8] in one and ids[1][:8] not in one
    unsigned = live.call(
        "GET", "/results", vendor_admin.token, params={"signed": "yes", "vendor": vendor_id}
    ).text
    assert ids[0][:8] not in unsigned
    api = live.call(
        "GET", "/v1/results", vendor_admin.token, params={"vendor_id": vendor_id}
    ).json()
    assert api["total"] == 3


def test_a_foundation_admin_counts_every_result(live: Live) -> None:
    # An admin may read every result: the lists' WHERE is then `true`, and the count must
    # still count the table (it once answered 1).
    user = live.user()
    for _ in range(2):
        r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), user.token)
        assert r.status_code == 201, r.text
    with live.engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Result))
    assert stored is not None and stored >= 2
    api = live.call("GET", "/v1/results", live.admin.token).json()
    assert api["total"] == stored
    page = live.call("GET", "/results", live.admin.token).text
    assert f'<p id="total">{stored} results</p>' in page


def test_the_public_lists_total_is_kept_through_every_change(live: Live) -> None:
    """The anonymous, unfiltered result list (page and API) takes its total from a count that
    triggers on results keep (migration 0009): it is the count of public results after an upload
    (private), each change of `public`, a change made by SQL behind the server's back, and a
    delete. Past the last page, the total is still shown."""

    def shown(**params: str) -> int:
        page = live.call("GET", "/results", params=params).text
        total = int(page.split('<p id="total">')[1].split(" ")[0])
        if not params:  # the API's list of the same results, counted the same way
            assert live.call("GET", "/v1/results").json()["total"] == total
        return total

    def counted() -> int:
        with live.engine.connect() as conn:
            stored = conn.scalar(select(func.count()).select_from(Result).where(Result.public))
        assert stored is not None
        return stored

    user = live.user()
    start = counted()
    assert shown() == start
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), user.token)
    assert r.status_code == 201, r.text
    result_id = r.json()["id"]
    assert shown() == counted() == start
    for public, expected in ((True, 1), (True, 1), (False, 0), (True, 1)):
        r = live.call("PATCH", f"/v1/results/{result_id}", user.token, json={"public": public})
        assert r.status_code == 200, r.text
        assert shown() == counted() == start + expected
    assert shown(page="100000") == start + 1  # no row on the page to bring the count
    with live.engine.begin() as conn:
        conn.execute(update(Result).where(Result.id == result_id).values(public=False))
    assert shown() == counted() == start
    with live.engine.begin() as conn:
        conn.execute(update(Result).where(Result.id == result_id).values(public=True))
    assert shown() == counted() == start + 1
    assert live.call("DELETE", f"/v1/results/{result_id}", user.token).status_code == 204
    assert shown() == counted() == start
    # a signed-in reader's list is counted as it is read: the public results and its own
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), user.token)
    assert r.status_code == 201, r.text
    page = live.call("GET", "/results", user.token).text
    total = page.split('<p id="total">')[1].split("</p>")[0]
    assert total == f"{start + 1} result{'' if start + 1 == 1 else 's'}"


def test_a_listed_result_shows_each_of_its_verifications_once(live: Live) -> None:
    # the list reads a result's badges in its rows' statement: one row a verification
    vendor_id, vendor_admin = live.vendor("badges")
    _, version_id = live.product(vendor_id, vendor_admin.token, public=True)
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), vendor_admin.token)
    result_id = r.json()["id"]
    change = {"product_version_id": version_id, "public": True}
    r = live.call("PATCH", f"/v1/results/{result_id}", vendor_admin.token, json=change)
    assert r.status_code == 200, r.text
    verified = []
    for guideline in ("2020.06", "2019.11"):
        body = {"guideline": guideline, "target": "storage"}
        path = f"/v1/results/{result_id}/verifications"
        r = live.call("POST", path, live.admin.token, json=body)
        assert r.status_code == 201, r.text
        verified.append(f'<span class="badge">OpenStack Powered Storage {guideline}</span>')
    page = live.call("GET", "/results", params={"verified": "2019.11"}).text
    assert page.count(f'href="/results/{result_id}"') == 1
    row = page.split(f'href="/results/{result_id}"')[1].split("</tr>")[0]
    assert "".join(verified) in row


def test_results_list_menus_name_only_what_the_reader_may_see(live: Live) -> None:
    # the vendor, product and guideline menus come from one statement (pages.filter_choices)
    vendor_id, vendor_admin = live.vendor("menus")
    public_id, _ = live.product(vendor_id, vendor_admin.token)
    private_id, _ = live.product(vendor_id, vendor_admin.token, public=False)
    names = {
        pid: live.call("GET", f"/v1/products/{pid}", vendor_admin.token).json()["name"]
        for pid in (public_id, private_id)
    }
    vendor = live.call("GET", f"/v1/vendors/{vendor_id}").json()["name"]

    def menu(token: str | None, name: str) -> str:
        page = live.call("GET", "/results", token).text
        return page.split(f'<select name="{name}">')[1].split("</select>")[0]

    for token in (None, live.user().token):
        assert f">{vendor}</option>" in menu(token, "vendor")
        assert f'value="{public_id}"' in menu(token, "product")
        assert names[public_id] in menu(token, "product")
        assert names[private_id] not in menu(token, "product")
    own = menu(vendor_admin.token, "product")
    assert names[public_id] in own and f'value="{private_id}" >{names[private_id]}<' in own
    verified = menu(None, "verified")
    assert verified.startswith('<option value="">any or none</option>')


def test_heatmap_and_usage_report(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("heat")
    tests = storage_tests()
    names = []
    for passed in (tests, tests[1:]):
        product_id, version_id = live.product(vendor_id, vendor_admin.token, public=True)
        names.append(live.call("GET", f"/v1/products/{product_id}").json()["name"])
        r = live.upload(refstack_body(passed, salt=uuid.uuid4().hex), vendor_admin.token)
        result_id = r.json()["id"]
        live.call(
            "PATCH",
            f"/v1/results/{result_id}",
            vendor_admin.token,
            json={"product_version_id": version_id, "public": True},
        )
    params = {"guideline": "2020.06", "target": "storage"}
    heat = live.call("GET", "/heatmap", params=params).text
    assert all(n in heat for n in names)
    assert 'data-state="fail"' in heat and 'data-state="pass"' in heat
    usage = live.call("GET", "/usage", params=params).text
    assert "Widely Deployed" in usage
    assert "objectstore-" in usage


def test_guideline_pages(live: Live) -> None:
    assert "2020.06" in live.call("GET", "/guidelines").text
    page = live.call("GET", "/guidelines/2020.06")
    assert page.status_code == 200 and "OpenStack Powered Storage" in page.text
    diff = live.call("GET", "/guidelines/diff", params={"old": "2019.11", "new": "2020.06"})
    assert diff.status_code == 200 and "Changes from 2019.11 to 2020.06" in diff.text
    assert live.call("GET", "/guidelines/../etc/passwd").status_code == 404
    assert live.call("GET", "/guidelines/nope").status_code == 404


def test_login_sets_a_cookie_for_pages(live: Live) -> None:
    user = live.user()
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), user.token)
    with live.client() as client:
        assert live.login(client, "wrong").status_code == 401
        r2 = live.login(client, user.token)
        assert r2.status_code == 200 and r.json()["id"][:8] in r2.text
