"""Results diff on the server: the product's previous result, product against product, and the
CLI with stored result ids."""

from __future__ import annotations

import subprocess
import sys
import uuid

from server_support import Live, refstack_body, storage_tests

PUT_TEMPURL = (
    "tempest.api.object_storage.test_object_temp_url.ObjectTempUrlTest"
    ".test_put_object_using_temp_url"
)


def _upload(live: Live, token: str, version_id: int, drop: str | None = None) -> str:
    tests = [t for t in storage_tests() if t[0] != drop]
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), token)
    assert r.status_code == 201, r.text
    result_id: str = r.json()["id"]
    change = {"product_version_id": version_id, "public": True}
    assert live.call("PATCH", f"/v1/results/{result_id}", token, json=change).status_code == 200
    return result_id


def test_did_i_improve_and_product_against_product(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("diff")
    product_id, version_id = live.product(vendor_id, vendor_admin.token, public=True)
    other_id, other_version = live.product(vendor_id, vendor_admin.token, public=True)
    first = _upload(live, vendor_admin.token, version_id, drop=PUT_TEMPURL)
    second = _upload(live, vendor_admin.token, version_id)
    params = {"guideline": "2020.06", "target": "storage"}
    # the newer result against the product's previous one
    page = live.call("GET", f"/results/{second}/diff", params=params)
    assert page.status_code == 200, page.text
    assert 'data-judgement="better"' in page.text
    gained = page.text.split('id="gained"')[1].split("</ul>")[0]
    assert "objectstore-temp-url-put" in gained
    tests = page.text.split('id="tests"')[1].split("</table>")[0]
    assert PUT_TEMPURL in tests and "missing" in tests
    # no target given: the product's program, Storage, since it ran no compute test
    page = live.call("GET", f"/results/{second}/diff").text
    assert "OpenStack Powered Storage" in page and 'data-judgement="better"' in page
    # the first result has nothing before it
    assert live.call("GET", f"/results/{first}/diff").status_code == 404
    # the result page links to it
    assert f'href="/results/{second}/diff"' in live.call("GET", f"/results/{second}").text
    # product against product: the other product's newest result lacks the test
    _upload(live, vendor_admin.token, other_version, drop=PUT_TEMPURL)
    page = live.call("GET", "/products/diff", params={"a": product_id, "b": other_id, **params})
    assert page.status_code == 200, page.text
    assert 'data-judgement="worse"' in page.text
    assert "objectstore-temp-url-put" in page.text.split('id="lost"')[1].split("</ul>")[0]
    missing = live.call("GET", "/products/diff", params={"a": product_id, "b": 2_000_000_000})
    assert missing.status_code == 404


def test_cli_with_stored_result_ids(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("diffcli")
    _, version_id = live.product(vendor_id, vendor_admin.token, public=False)
    before = _upload(live, vendor_admin.token, version_id)
    after = _upload(live, vendor_admin.token, version_id, drop=PUT_TEMPURL)
    command = [
        sys.executable,
        "-m",
        "defcore",
        "results",
        "diff",
        before,
        after,
        "-g",
        "2020.06",
        "-t",
        "storage",
        "--server",
        live.url,
        "--token",
        vendor_admin.token,
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "capabilities lost: objectstore-temp-url-put" in out.stdout
    assert "a regression" in out.stdout
