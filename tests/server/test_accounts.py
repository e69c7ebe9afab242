"""Keys with proof, vendors by self-registration and invitation, products and versions edited
and deleted, cpid association, token rotation and revocation: against the real server."""

from __future__ import annotations

import json
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from server_support import Live, refstack_body, storage_tests
from sqlalchemy import text

from defcore.server.signatures import sign


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _openssh(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


# -- keys ----------------------------------------------------------------------------------------


def test_a_key_without_a_valid_self_signature_is_refused(live: Live) -> None:
    alice, mallory = live.user("alice"), live.user("mallory")
    key = _rsa()
    public = _openssh(key)
    proof = live.call("GET", "/v1/me", alice.token).json()["key_proof"]
    assert str(alice.id) in proof
    attempts = {
        "missing": None,
        "not hex": "zz-not-a-signature",
        "another key's": sign(_rsa(), proof.encode())[0],
        "another message": sign(key, b"something else")[0],
        # Alice's proof names Alice: replayed for Mallory it does not hold
        "made for another account": sign(key, proof.encode())[0],
    }
    for what, signature in attempts.items():
        body = {"public_key": public} | ({"self_signature": signature} if signature else {})
        who = alice if what != "made for another account" else mallory
        r = live.call("POST", "/v1/me/keys", who.token, json=body)
        assert r.status_code in (400, 422), (what, r.text)
        if r.status_code == 400:
            assert "self_signature" in r.json()["detail"] or "hex" in r.json()["detail"]
    assert live.call("GET", "/v1/me/keys", alice.token).json() == []
    assert live.call("GET", "/v1/me/keys", mallory.token).json() == []
    # RefStack's shape: its self_signature signs the string "signature"
    r = live.call(
        "POST",
        "/v1/profile/pubkeys",
        alice.token,
        json={"raw_key": public, "self_signature": sign(key, b"not signature")[0]},
    )
    assert r.status_code == 400 and "'signature'" in r.json()["detail"]
    # with the proof, the key is Alice's
    assert live.register_key(alice, key).status_code == 201


def test_refstack_self_signature_registers_a_key_once(live: Live) -> None:
    owner, other = live.user("owner"), live.user("other")
    key = _rsa()
    signature, public = sign(key, b"signature")  # what `refstack-client self-sign` prints
    body = {"raw_key": f"{public} owner@host", "self_signature": signature}
    r = live.call("POST", "/v1/profile/pubkeys", owner.token, json=body)
    assert r.status_code == 201, r.text
    key_id = r.json()
    (listed,) = live.call("GET", "/v1/profile/pubkeys", owner.token).json()
    assert listed == {
        "id": key_id,
        "format": "ssh-rsa",
        "pubkey": public.split()[1],
        "comment": "owner@host",
    }
    # the same proof, replayed by another account, finds the key taken
    r = live.call("POST", "/v1/profile/pubkeys", other.token, json=body)
    assert r.status_code == 409 and "another account" in r.json()["detail"]
    r = live.call("POST", "/v1/profile/pubkeys", owner.token, json=body)
    assert r.status_code == 409 and "your account" in r.json()["detail"]
    assert live.call("DELETE", f"/v1/profile/pubkeys/{key_id}", other.token).status_code == 404
    assert live.call("DELETE", f"/v1/profile/pubkeys/{key_id}", owner.token).status_code == 204


def test_a_replayed_signed_body_is_not_attributed_to_another_account(live: Live) -> None:
    alice, mallory = live.user("alice"), live.user("mallory")
    key = ed25519.Ed25519PrivateKey.generate()
    assert live.register_key(alice, key).status_code == 201
    body = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    signature, public = sign(key, body)
    headers = {"X-Signature": signature, "X-Public-Key": public}
    # Mallory replays Alice's signed upload under Mallory's token: refused, nothing stored
    r = live.upload(body, mallory.token, **headers)
    assert r.status_code == 403 and "not registered to account" in r.json()["detail"]
    # nor can Mallory take the key over
    proof = live.call("GET", "/v1/me", mallory.token).json()["key_proof"]
    r = live.call(
        "POST",
        "/v1/me/keys",
        mallory.token,
        json={"public_key": public, "self_signature": sign(key, proof.encode())[0]},
    )
    assert r.status_code == 409  # even with the private key: the key has one owner
    listed = live.call("GET", "/v1/results", mallory.token, params={"limit": 500}).json()
    assert all(r["uploader"] != mallory.name for r in listed["results"])
    r = live.upload(body, alice.token, **headers)
    assert r.status_code == 201
    result = live.call("GET", f"/v1/results/{r.json()['id']}", alice.token).json()
    assert result["uploader"] == alice.name and result["signed"] is True


# -- vendors -------------------------------------------------------------------------------------


def test_vendor_registration_request_and_decisions(live: Live) -> None:
    founder, stranger = live.user("founder"), live.user("stranger")
    name = f"Self {uuid.uuid4().hex[:8]}"
    r = live.call("POST", "/v1/vendors", founder.token, json={"name": name})
    assert r.status_code == 201 and r.json()["status"] == "private"
    vendor_id = r.json()["id"]
    me = live.call("GET", "/v1/me", founder.token).json()
    assert {"vendor_id": vendor_id, "vendor": name, "role": "admin"} in me["vendors"]
    # private: invisible to others, no public products
    assert name not in live.call("GET", "/v1/vendors", stranger.token).text
    assert live.call("GET", f"/v1/vendors/{vendor_id}", stranger.token).status_code == 404
    product = {"name": "P", "kind": "appliance", "public": True}
    r = live.call("POST", f"/v1/vendors/{vendor_id}/products", founder.token, json=product)
    assert r.status_code == 409 and "official" in r.json()["detail"]
    # asked, denied with a reason, asked again, approved
    path = f"/v1/vendors/{vendor_id}"
    assert live.call("POST", f"{path}/approve", live.admin.token, json={}).status_code == 409
    r = live.call("POST", f"{path}/request-official", founder.token)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert live.call("POST", f"{path}/request-official", founder.token).status_code == 409
    r = live.call("POST", f"{path}/deny", live.admin.token, json={"reason": ""})
    assert r.status_code == 422
    r = live.call("POST", f"{path}/deny", live.admin.token, json={"reason": "no website"})
    assert r.status_code == 200 and r.json()["status"] == "private"
    seen = live.call("GET", path, founder.token).json()
    assert seen["status_reason"] == "no website"
    live.call("POST", f"{path}/request-official", founder.token)
    r = live.call("POST", f"{path}/approve", live.admin.token, json={"reason": "checked"})
    assert r.status_code == 200 and r.json()["status"] == "official"
    # official: listed for everyone, without the decision's reason
    listed = {v["name"]: v for v in live.call("GET", "/v1/vendors").json()}
    assert listed[name]["status"] == "official" and listed[name]["status_reason"] == ""
    r = live.call("POST", f"/v1/vendors/{vendor_id}/products", founder.token, json=product)
    assert r.status_code == 201
    events = live.call("GET", f"{path}/events", founder.token).json()
    assert [(e["kind"], e["reason"]) for e in events] == [
        ("registered", ""),
        ("requested", ""),
        ("denied", "no website"),
        ("requested", ""),
        ("approved", "checked"),
    ]
    assert live.call("POST", "/v1/vendors", stranger.token, json={"name": name}).status_code == 409


def test_membership_needs_the_invited_accounts_consent(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("consent")
    invitee, bystander = live.user("invitee"), live.user("bystander")
    path = f"/v1/vendors/{vendor_id}"
    r = live.call("POST", f"{path}/invitations", vendor_admin.token, json={"user": invitee.name})
    assert r.status_code == 201, r.text
    invitation = r.json()["id"]
    # until it accepts, the account is no member: its uploads are its own, not the vendor's
    members = live.call("GET", f"{path}/members", vendor_admin.token).json()
    assert invitee.name not in {m["user"] for m in members}
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), invitee.token)
    own_result = r.json()["id"]
    assert live.call("GET", f"/v1/results/{own_result}", vendor_admin.token).status_code == 404
    # inviting a name that is no account answers exactly as for one that is
    r = live.call(
        "POST", f"{path}/invitations", vendor_admin.token, json={"user": f"nobody-{uuid.uuid4()}"}
    )
    assert r.status_code == 201
    # only the invited account sees and accepts its invitation
    assert live.call("GET", "/v1/me/invitations", bystander.token).json() == []
    accept = f"/v1/me/invitations/{invitation}/accept"
    assert live.call("POST", accept, bystander.token).status_code == 404
    (mine,) = live.call("GET", "/v1/me/invitations", invitee.token).json()
    assert mine["vendor_id"] == vendor_id and mine["role"] == "member"
    r = live.call("POST", accept, invitee.token)
    assert r.status_code == 201 and r.json()["user"] == invitee.name
    assert live.call("POST", accept, invitee.token).status_code == 404  # used up
    members = live.call("GET", f"{path}/members", vendor_admin.token).json()
    assert invitee.name in {m["user"] for m in members}
    # the result uploaded before joining stays the account's own
    assert live.call("GET", f"/v1/results/{own_result}", vendor_admin.token).status_code == 404
    # removed by the admin; the last admin cannot be removed or demoted
    r = live.call("DELETE", f"{path}/members/{invitee.id}", vendor_admin.token)
    assert r.status_code == 204
    assert (
        live.call("DELETE", f"{path}/members/{vendor_admin.id}", vendor_admin.token).status_code
        == 409
    )
    r = live.call(
        "PATCH", f"{path}/members/{vendor_admin.id}", vendor_admin.token, json={"role": "member"}
    )
    assert r.status_code == 409


def test_no_account_enumeration(live: Live) -> None:
    plain = live.user("plain")
    target = live.user("target")
    for path in (f"/v1/users/{target.id}/tokens", "/v1/users/999999/tokens"):
        r = live.call("GET", path, plain.token)
        assert r.status_code == 403 and target.name not in r.text
    r = live.call("PATCH", "/v1/users/999999", plain.token, json={"maintainer": True})
    assert r.status_code == 403


# -- products, versions, cpid ---------------------------------------------------------------------


def test_products_and_versions_are_edited_and_deleted(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("edit")
    product_id, version_id = live.product(vendor_id, vendor_admin.token, public=False)
    path = f"/v1/products/{product_id}"
    r = live.call(
        "PATCH",
        path,
        vendor_admin.token,
        json={"name": "Renamed", "kind": "distribution", "public": True},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["kind"], r.json()["public"]) == (
        "Renamed",
        "distribution",
        True,
    )
    r = live.call(
        "PATCH", f"{path}/versions/{version_id}", vendor_admin.token, json={"version": "1.1"}
    )
    assert r.status_code == 200 and r.json()["version"] == "1.1"
    r = live.call("POST", f"{path}/versions", vendor_admin.token, json={"version": "1.1"})
    assert r.status_code == 409
    # a result on a version that is deleted stays stored, detached
    result_id = live.upload(
        refstack_body(storage_tests(), salt=uuid.uuid4().hex), vendor_admin.token
    ).json()["id"]
    live.call(
        "PATCH",
        f"/v1/results/{result_id}",
        vendor_admin.token,
        json={"product_version_id": version_id},
    )
    r = live.call("DELETE", f"{path}/versions/{version_id}", vendor_admin.token)
    assert r.status_code == 204
    result = live.call("GET", f"/v1/results/{result_id}", vendor_admin.token).json()
    assert result["product_version_id"] is None
    assert live.call("DELETE", path, vendor_admin.token).status_code == 204
    assert live.call("GET", path, vendor_admin.token).status_code == 404


def test_a_product_with_a_verified_result_cannot_be_deleted(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("locked")
    product_id, version_id = live.product(vendor_id, vendor_admin.token)
    result_id = live.upload(
        refstack_body(storage_tests(), salt=uuid.uuid4().hex), vendor_admin.token
    ).json()["id"]
    live.call(
        "PATCH",
        f"/v1/results/{result_id}",
        vendor_admin.token,
        json={"product_version_id": version_id},
    )
    r = live.call(
        "POST",
        f"/v1/results/{result_id}/verifications",
        live.admin.token,
        json={"guideline": "2020.06", "target": "storage"},
    )
    assert r.status_code == 201, r.text
    for path in (f"/v1/products/{product_id}/versions/{version_id}", f"/v1/products/{product_id}"):
        for who in (vendor_admin.token, live.admin.token):
            r = live.call("DELETE", path, who)
            assert r.status_code == 409 and result_id in r.json()["detail"], r.text
    product = live.call("GET", f"/v1/products/{product_id}").json()
    assert [v["id"] for v in product["versions"]] == [version_id]


def test_an_upload_joins_the_version_its_cpid_names(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("cpid")
    other_vendor, other_admin = live.vendor("cpid-other")
    cpid = uuid.uuid4().hex
    product_id, version_id = live.product(vendor_id, vendor_admin.token)
    path = f"/v1/products/{product_id}/versions/{version_id}"
    assert live.call("PATCH", path, vendor_admin.token, json={"cpid": cpid}).status_code == 200
    # unique within a vendor; another vendor may claim it, and takes nothing by that
    second = live.call(
        "POST",
        f"/v1/products/{product_id}/versions",
        vendor_admin.token,
        json={"version": "2", "cpid": cpid},
    )
    assert second.status_code == 409 and cpid in second.json()["detail"]
    other_product, other_version = live.product(other_vendor, other_admin.token)
    r = live.call(
        "PATCH",
        f"/v1/products/{other_product}/versions/{other_version}",
        other_admin.token,
        json={"cpid": cpid},
    )
    assert r.status_code == 200
    member = live.user("cpid-member")
    live.join(vendor_id, vendor_admin, member, "member")
    body = json.loads(refstack_body(storage_tests(), cpid=cpid))
    r = live.upload(json.dumps(body).encode(), member.token)
    result = live.call("GET", f"/v1/results/{r.json()['id']}", member.token).json()
    assert (result["product_version_id"], result["vendor_id"]) == (version_id, vendor_id)
    # an account of neither vendor: its upload with that cpid stays its own
    stranger = live.user("cpid-stranger")
    r = live.upload(json.dumps(body).encode(), stranger.token)
    result = live.call("GET", f"/v1/results/{r.json()['id']}", stranger.token).json()
    assert result["product_version_id"] is None and result["vendor_id"] is None
    assert live.call("GET", f"/v1/results/{r.json()['id']}", other_admin.token).status_code == 404


# -- tokens -------------------------------------------------------------------------------------


def _stored_hashes(live: Live) -> str:
    with live.engine.connect() as conn:
        return " ".join(str(row) for row in conn.execute(text("SELECT * FROM api_tokens")))


def test_token_rotation_and_revocation(live: Live) -> None:
    account = live.user("tokens")
    (first,) = live.call("GET", "/v1/me/tokens", account.token).json()
    assert first["current"] is True and first["label"] == "initial"
    r = live.call("POST", f"/v1/me/tokens/{first['id']}/rotate", account.token)
    assert r.status_code == 201, r.text
    rotated = r.json()
    assert rotated["label"] == "initial" and rotated["token"] != account.token
    assert live.call("GET", "/v1/me", account.token).status_code == 401  # the old one is gone
    token = rotated["token"]
    assert live.call("GET", "/v1/me", token).json()["name"] == account.name
    ci = live.call("POST", "/v1/me/tokens", token, json={"label": "ci"}).json()
    listed = live.call("GET", "/v1/me/tokens", token).json()
    assert [(t["label"], t["current"]) for t in listed] == [("initial", True), ("ci", False)]
    stored = _stored_hashes(live)
    assert token not in stored and ci["token"] not in stored
    assert live.call("DELETE", f"/v1/me/tokens/{ci['id']}", token).status_code == 204
    assert live.call("GET", "/v1/me", ci["token"]).status_code == 401
    # a foundation admin revokes every token of the account, then issues a new one
    path = f"/v1/users/{account.id}/tokens"
    assert live.call("DELETE", path, live.admin.token).status_code == 204
    assert live.call("GET", "/v1/me", token).status_code == 401
    fresh = live.call("POST", path, live.admin.token, json={"label": "recovered"}).json()
    assert live.call("GET", "/v1/me", fresh["token"]).json()["name"] == account.name


def test_account_vendor_and_product_pages_show_only_what_the_visitor_may_see(live: Live) -> None:
    founder, stranger = live.user("pages-founder"), live.user("pages-stranger")
    member = live.user("pages-member")
    name = f"Hidden {uuid.uuid4().hex[:8]}"
    vendor_id = live.call("POST", "/v1/vendors", founder.token, json={"name": name}).json()["id"]
    live.join(vendor_id, founder, member, "member")
    product = {"name": "Secret Cloud", "kind": "appliance"}
    product_id = live.call(
        "POST", f"/v1/vendors/{vendor_id}/products", founder.token, json=product
    ).json()["id"]
    for token in (None, stranger.token):
        r = live.call("GET", f"/vendors/{vendor_id}", token)
        assert r.status_code == 404 and name not in r.text
        r = live.call("GET", f"/products/{product_id}/edit", token)
        assert r.status_code in (401, 404) and "Secret Cloud" not in r.text
    r = live.call("GET", f"/vendors/{vendor_id}", member.token)
    assert r.status_code == 200 and "Secret Cloud" in r.text and member.name in r.text
    assert "/invitations" not in r.text  # members see no invitation form
    assert live.call("GET", f"/products/{product_id}/edit", member.token).status_code == 403
    r = live.call("GET", f"/products/{product_id}/edit", founder.token)
    assert r.status_code == 200 and "Secret Cloud" in r.text
    r = live.call("GET", "/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = live.call("GET", "/account", stranger.token)
    assert r.status_code == 200 and name not in r.text and founder.name not in r.text
