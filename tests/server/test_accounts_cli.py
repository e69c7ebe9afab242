"""`defcore product|vendor|key|token ...` against a real server: each command is one API call,
and the server's refusal becomes a one-line error with a non-zero exit."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from server_support import Live

from defcore.cli import cli


def _run(live: Live, token: str | None, *args: str) -> tuple[int, str]:
    env = {"DEFCORE_SERVER": live.url, "DEFCORE_TOKEN": token or ""}
    result = CliRunner().invoke(cli, list(args), env=env)
    error = f"error: {result.exception}" if result.exception else ""
    return result.exit_code, result.output + error


def test_product_create_version_list_show(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("cli")
    code, out = _run(
        live,
        vendor_admin.token,
        "product",
        "create",
        str(vendor_id),
        "CLI Cloud",
        "--kind",
        "public-cloud",
        "--format",
        "json",
    )
    assert code == 0, out
    product_id = json.loads(out)["id"]
    code, out = _run(live, vendor_admin.token, "product", "version", "add", str(product_id), "2.1")
    assert code == 0, out
    version_id = int(out.strip())
    code, out = _run(live, vendor_admin.token, "product", "show", str(product_id))
    assert code == 0 and "CLI Cloud" in out and "2.1" in out and str(version_id) in out
    code, out = _run(live, vendor_admin.token, "product", "list", "--vendor", str(vendor_id))
    assert code == 0 and "CLI Cloud" in out
    # a private product is not found by someone else
    code, out = _run(live, None, "product", "show", str(product_id))
    assert code != 0 and "404" in out


def test_vendor_lifecycle_and_invitation(live: Live) -> None:
    founder, invitee = live.user("cli-founder"), live.user("cli-invitee")
    name = f"CLI Vendor {uuid.uuid4().hex[:6]}"
    code, out = _run(live, founder.token, "vendor", "create", name)
    assert code == 0, out
    vendor_id = out.strip().splitlines()[-1]
    code, out = _run(live, founder.token, "vendor", "request-official", vendor_id)
    assert code == 0 and "pending" in out, out
    code, out = _run(live, founder.token, "vendor", "approve", vendor_id)
    assert code != 0 and "403" in out and "foundation admin" in out
    code, out = _run(live, live.admin.token, "vendor", "deny", vendor_id)
    assert code != 0 and "--reason" in out  # a denial needs a reason
    code, out = _run(live, live.admin.token, "vendor", "deny", vendor_id, "--reason", "who?")
    assert code == 0 and "private (who?)" in out, out
    _run(live, founder.token, "vendor", "request-official", vendor_id)
    code, out = _run(live, live.admin.token, "vendor", "approve", vendor_id)
    assert code == 0 and "official" in out, out
    code, out = _run(live, None, "vendor", "list")
    assert code == 0 and name in out
    code, out = _run(live, founder.token, "vendor", "invite", vendor_id, invitee.name)
    assert code == 0, out
    code, out = _run(live, invitee.token, "vendor", "invitations", "--format", "json")
    (invitation,) = json.loads(out)
    code, out = _run(live, invitee.token, "vendor", "accept", str(invitation["id"]))
    assert code == 0 and "member" in out, out
    code, out = _run(live, founder.token, "vendor", "show", vendor_id, "--format", "json")
    shown = json.loads(out)
    assert {m["user"] for m in shown["members"]} == {founder.name, invitee.name}
    assert [e["kind"] for e in shown["events"]][-1] == "approved"
    code, out = _run(live, founder.token, "vendor", "remove-member", vendor_id, str(invitee.id))
    assert code == 0, out
    code, out = _run(live, invitee.token, "vendor", "show", vendor_id, "--format", "json")
    assert "members" not in json.loads(out)


def test_product_edit_and_version_cpid(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("cli-edit")
    product_id, _ = live.product(vendor_id, vendor_admin.token, public=False)
    pid = str(product_id)
    code, out = _run(live, vendor_admin.token, "product", "edit", pid, "--name", "Edited")
    assert code == 0 and "Edited" in out, out
    code, out = _run(live, vendor_admin.token, "product", "edit", pid)
    assert code != 0 and "nothing to change" in out
    code, out = _run(
        live, vendor_admin.token, "product", "version", "add", pid, "2", "--cpid", "c1"
    )
    assert code == 0, out
    code, out = _run(
        live, vendor_admin.token, "product", "version", "edit", pid, "2", "--cpid", "c2"
    )
    assert code == 0 and "cpid c2" in out, out
    code, out = _run(
        live, vendor_admin.token, "product", "version", "edit", pid, "9", "--cpid", "x"
    )
    assert code != 0 and "no version '9'" in out
    code, out = _run(live, vendor_admin.token, "product", "version", "delete", pid, "2")
    assert code == 0, out
    code, out = _run(live, vendor_admin.token, "product", "delete", pid)
    assert code == 0, out
    code, out = _run(live, vendor_admin.token, "product", "show", pid)
    assert code != 0 and "404" in out


def test_key_add_list_delete(live: Live, tmp_path: Path) -> None:
    account = live.user("cli-key")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "id_rsa"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    code, out = _run(live, account.token, "key", "add", str(path), "--label", "laptop")
    assert code == 0, out
    key_id = out.strip().splitlines()[-1]
    code, out = _run(live, account.token, "key", "list", "--format", "json")
    (listed,) = json.loads(out)
    assert str(listed["id"]) == key_id and listed["label"] == "laptop"
    other = live.user("cli-key-other")
    code, out = _run(live, other.token, "key", "add", str(path))
    assert code != 0 and "409" in out and "another account" in out
    code, out = _run(live, account.token, "key", "delete", key_id)
    assert code == 0, out
    assert json.loads(_run(live, account.token, "key", "list", "--format", "json")[1]) == []


def test_token_rotate_list_revoke(live: Live) -> None:
    account = live.user("cli-token")
    code, out = _run(live, account.token, "token", "rotate")
    assert code == 0, out
    new = out.strip().splitlines()[-1]
    assert new.startswith("dct_") and new != account.token
    code, out = _run(live, account.token, "token", "list")
    assert code != 0 and "401" in out  # the rotated token is revoked
    code, out = _run(live, new, "token", "list", "--format", "json")
    (listed,) = json.loads(out)
    assert listed["current"] is True
    code, out = _run(live, new, "token", "revoke", "--account", str(account.id))
    assert code != 0 and "403" in out
    code, out = _run(live, live.admin.token, "token", "revoke", "--account", str(account.id))
    assert code == 0, out
    code, out = _run(live, new, "token", "list")
    assert code != 0 and "401" in out


def test_token_create_for_oneself_and_by_a_foundation_admin(live: Live) -> None:
    account = live.user("cli-token-create")
    code, out = _run(live, account.token, "token", "create", "--label", "ci")
    assert code == 0, out
    made = out.strip().splitlines()[-1]
    code, out = _run(live, made, "token", "list", "--format", "json")
    assert code == 0, out
    assert sorted(t["label"] for t in json.loads(out)) == ["ci", "initial"]
    code, out = _run(live, account.token, "token", "create", "--account", str(live.admin.id))
    assert code != 0 and "403" in out  # not for another account, unless a foundation admin
    code, out = _run(
        live, live.admin.token, "token", "create", "--account", str(account.id), "--label", "lost"
    )
    assert code == 0, out
    issued = out.strip().splitlines()[-1]
    code, out = _run(live, issued, "token", "list", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 3, out


def test_invitation_declined_cancelled_and_roles_changed(live: Live) -> None:
    vendor_id, founder = live.vendor("cli-roles")
    first, second = live.user("cli-first"), live.user("cli-second")
    for account in (first, second):
        code, out = _run(live, founder.token, "vendor", "invite", str(vendor_id), account.name)
        assert code == 0, out
    code, out = _run(live, first.token, "vendor", "invitations", "--format", "json")
    (invitation,) = json.loads(out)
    code, out = _run(live, first.token, "vendor", "decline", str(invitation["id"]))
    assert code == 0, out
    code, out = _run(live, first.token, "vendor", "accept", str(invitation["id"]))
    assert code != 0 and "404" in out  # a declined invitation is gone
    pending = live.call("GET", f"/v1/vendors/{vendor_id}/invitations", founder.token).json()
    (left,) = [i for i in pending if i["user"] == second.name]
    code, out = _run(
        live, founder.token, "vendor", "cancel-invitation", str(vendor_id), str(left["id"])
    )
    assert code == 0, out
    code, out = _run(live, second.token, "vendor", "invitations", "--format", "json")
    assert json.loads(out) == []

    live.join(vendor_id, founder, first, "member")
    code, out = _run(live, first.token, "vendor", "role", str(vendor_id), str(first.id), "admin")
    assert code != 0 and "403" in out  # a member cannot promote itself
    code, out = _run(live, founder.token, "vendor", "role", str(vendor_id), str(first.id), "admin")
    assert code == 0 and f"{first.name} is now admin" in out, out
    code, out = _run(live, first.token, "vendor", "role", str(vendor_id), str(founder.id), "member")
    assert code == 0, out
    code, out = _run(live, first.token, "vendor", "role", str(vendor_id), str(first.id), "member")
    assert code != 0 and "409" in out  # the last admin stays
