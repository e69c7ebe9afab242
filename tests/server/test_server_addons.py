"""Add-on results on the server: stored, judged and verified like platform ones, listed under
their own program in the marketplace, over real HTTP with the real add-on guidelines."""

from __future__ import annotations

import uuid

from server_support import Live, refstack_body

from defcore.guidelines.addons import load_target


def _add_on_tests(family: str) -> list[tuple[str, str | None]]:
    guideline, target = load_target("2020.06", family)
    seen: dict[str, str | None] = {}
    for selected in guideline.tests_for(target):
        seen.setdefault(selected.test.name, selected.test.uuid)
    return list(seen.items())


def test_a_dns_result_is_verified_and_listed_under_its_program(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor()
    product_id, version_id = live.product(vendor_id, vendor_admin.token, public=True)
    tests = _add_on_tests("dns")
    assert len(tests) == 10
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), vendor_admin.token)
    result_id = r.json()["id"]
    r = live.call(
        "PATCH",
        f"/v1/results/{result_id}",
        vendor_admin.token,
        json={"product_version_id": version_id},
    )
    assert r.status_code == 200
    dns = {"guideline": "dns.2020.06", "target": "dns"}
    r = live.call("GET", f"/v1/results/{result_id}/verdict", vendor_admin.token, params=dns)
    verdict = r.json()
    assert r.status_code == 200 and verdict["passed"] is True
    assert (verdict["target"], verdict["target_kind"]) == ("DNS", "add-on")
    (needed,) = verdict["platform_components"]
    assert (needed["name"], needed["guideline"], needed["state"]) == (
        "os_powered_compute",
        "2020.06",
        "not run",
    )
    # The platform guideline's id with an add-on's name says which file to name instead.
    wrong = {"guideline": "2020.06", "target": "dns"}
    r = live.call("POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=wrong)
    assert r.status_code == 422 and "dns.2020.06" in r.json()["detail"]
    r = live.call("POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=dns)
    assert r.status_code == 201, r.text
    assert r.json()["target"] == "DNS"
    # the same result does not pass Orchestration: refused, nothing verified
    orchestration = {"guideline": "orchestration.2020.06", "target": "orchestration"}
    r = live.call(
        "POST", f"/v1/results/{result_id}/verifications", live.admin.token, json=orchestration
    )
    assert r.status_code == 409 and "does not pass" in r.json()["detail"]
    # the marketplace lists the product under OpenStack Powered DNS, not under Orchestration
    name = live.call("GET", f"/v1/products/{product_id}").json()["name"]
    page = live.call("GET", "/marketplace").text
    programs = page.split('<section id="programs">')[1].split("</section>")[0]
    dns_listing = programs.split('data-program="OpenStack Powered DNS"')[1].split("</div>")[0]
    assert f'data-listed="{name}"' in dns_listing
    if 'data-program="OpenStack Powered Orchestration"' in programs:
        other = programs.split('data-program="OpenStack Powered Orchestration"')[1]
        assert f'data-listed="{name}"' not in other.split("</div>")[0]
    card = page.split(f'data-product="{name}"')[1].split("</div>")[0]
    assert "DNS dns.2020.06" in card
    # and its certification is current, in the dns family of guidelines
    r = live.call("GET", f"/v1/products/{product_id}/certifications")
    (cert,) = r.json()["certifications"]
    assert (cert["guideline"], cert["target"], cert["status"]) == ("dns.2020.06", "DNS", "current")
    assert cert["program"] == "OpenStack Powered DNS"
