"""`defcore vendor ...`: register a vendor, ask for it to become official, decide (foundation
admins), and manage its members by invitation."""

from __future__ import annotations

from typing import Any

import click

from defcore.cli.remote import (
    Remote,
    format_option,
    remote_options,
    show_fields,
    show_json,
    show_table,
)

ROLES = click.Choice(["member", "admin"])


@click.group()
def vendor() -> None:
    """Vendors: registration, the foundation's decision, members by invitation.

    Any account registers a vendor (private, with itself as admin); its admin asks for it to
    become official and a foundation admin approves or denies it. Members join by accepting an
    invitation.
    """


@vendor.command("create")
@remote_options()
@click.argument("name")
def create(server: str, token: str, name: str) -> None:
    """Register vendor NAME (private, you its admin); print its id."""
    data = Remote(server, token).call("POST", "/v1/vendors", {"name": name})
    click.echo(data["id"])


@vendor.command("list")
@remote_options(token_required=False)
@format_option
def list_(server: str, token: str | None, fmt: str) -> None:
    """Official vendors, and the private or pending ones you belong to."""
    rows = Remote(server, token).call("GET", "/v1/vendors")
    if fmt == "json":
        show_json(rows)
        return
    show_table(None, ["id", "name", "status"], [(v["id"], v["name"], v["status"]) for v in rows])


@vendor.command("show")
@remote_options(token_required=False)
@click.argument("vendor_id", type=click.IntRange(1))
@format_option
def show(server: str, token: str | None, vendor_id: int, fmt: str) -> None:
    """A vendor; to its members also its members, invitations and registration history."""
    remote = Remote(server, token)
    data: dict[str, Any] = remote.call("GET", f"/v1/vendors/{vendor_id}")
    mine = token is not None and any(
        m["vendor_id"] == vendor_id for m in remote.call("GET", "/v1/me")["vendors"]
    )
    if mine:
        data["members"] = remote.call("GET", f"/v1/vendors/{vendor_id}/members")
        data["events"] = remote.call("GET", f"/v1/vendors/{vendor_id}/events")
    if fmt == "json":
        show_json(data)
        return
    show_fields(
        [
            ("id", data["id"]),
            ("name", data["name"]),
            ("status", data["status"]),
            ("reason", data["status_reason"] or None),
        ]
    )
    if mine:
        show_table(
            "members",
            ["account id", "name", "role"],
            [(m["user_id"], m["user"], m["role"]) for m in data["members"]],
        )
        show_table(
            "registration",
            ["when", "step", "by", "reason"],
            [(e["at"], e["kind"], e["actor"], e["reason"]) for e in data["events"]],
        )


def _status(data: dict[str, Any]) -> None:
    reason = f" ({data['status_reason']})" if data.get("status_reason") else ""
    click.echo(f"vendor {data['id']} {data['name']}: {data['status']}{reason}")


@vendor.command("request-official")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
def request_official(server: str, token: str, vendor_id: int) -> None:
    """Ask the foundation to make your private vendor official."""
    _status(Remote(server, token).call("POST", f"/v1/vendors/{vendor_id}/request-official"))


@vendor.command("approve")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
@click.option("--reason", default="", help="A note kept with the decision.")
def approve(server: str, token: str, vendor_id: int, reason: str) -> None:
    """Make a pending vendor official (foundation admins)."""
    body = {"reason": reason}
    _status(Remote(server, token).call("POST", f"/v1/vendors/{vendor_id}/approve", body))


@vendor.command("deny")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
@click.option("--reason", required=True, help="Why: the vendor sees it and can act on it.")
def deny(server: str, token: str, vendor_id: int, reason: str) -> None:
    """Deny a pending vendor's request; it returns to private (foundation admins)."""
    body = {"reason": reason}
    _status(Remote(server, token).call("POST", f"/v1/vendors/{vendor_id}/deny", body))


@vendor.command("invite")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
@click.argument("account")
@click.option("--role", type=ROLES, default="member", show_default=True)
def invite(server: str, token: str, vendor_id: int, account: str, role: str) -> None:
    """Invite ACCOUNT (by name) to join the vendor; it is a member once it accepts."""
    body = {"user": account, "role": role}
    data = Remote(server, token).call("POST", f"/v1/vendors/{vendor_id}/invitations", body)
    click.echo(
        f"invitation {data['id']}: {account} as {role} of {data['vendor']} "
        "(if the account exists, it sees the invitation with `defcore vendor invitations`)"
    )


@vendor.command("invitations")
@remote_options()
@format_option
def invitations(server: str, token: str, fmt: str) -> None:
    """Your pending invitations."""
    rows = Remote(server, token).call("GET", "/v1/me/invitations")
    if fmt == "json":
        show_json(rows)
        return
    show_table(
        None,
        ["invitation", "vendor id", "vendor", "role"],
        [(i["id"], i["vendor_id"], i["vendor"], i["role"]) for i in rows],
    )


@vendor.command("accept")
@remote_options()
@click.argument("invitation_id", type=click.IntRange(1))
def accept(server: str, token: str, invitation_id: int) -> None:
    """Accept an invitation: you become a member of its vendor."""
    data = Remote(server, token).call("POST", f"/v1/me/invitations/{invitation_id}/accept")
    click.echo(f"{data['user']} is now {data['role']} of the vendor")


@vendor.command("decline")
@remote_options()
@click.argument("invitation_id", type=click.IntRange(1))
def decline(server: str, token: str, invitation_id: int) -> None:
    """Decline an invitation: it is gone, and you stay out of its vendor."""
    Remote(server, token).call("DELETE", f"/v1/me/invitations/{invitation_id}")
    click.echo(f"invitation {invitation_id} declined", err=True)


@vendor.command("cancel-invitation")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
@click.argument("invitation_id", type=click.IntRange(1))
def cancel_invitation(server: str, token: str, vendor_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation of your vendor (`defcore vendor show` lists them)."""
    path = f"/v1/vendors/{vendor_id}/invitations/{invitation_id}"
    Remote(server, token).call("DELETE", path)
    click.echo(f"invitation {invitation_id} cancelled", err=True)


@vendor.command("role")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
@click.argument("account_id", type=click.IntRange(1))
@click.argument("role", type=ROLES)
def role(server: str, token: str, vendor_id: int, account_id: int, role: str) -> None:
    """Make a member an admin of the vendor, or an admin a member (the last admin stays)."""
    path = f"/v1/vendors/{vendor_id}/members/{account_id}"
    data = Remote(server, token).call("PATCH", path, {"role": role})
    click.echo(f"{data['user']} is now {data['role']} of vendor {vendor_id}")


@vendor.command("remove-member")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
@click.argument("account_id", type=click.IntRange(1))
def remove_member(server: str, token: str, vendor_id: int, account_id: int) -> None:
    """Remove a member (its account id is in `defcore vendor show`); a member may leave."""
    Remote(server, token).call("DELETE", f"/v1/vendors/{vendor_id}/members/{account_id}")
    click.echo(f"account {account_id} removed from vendor {vendor_id}", err=True)
