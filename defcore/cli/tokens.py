"""`defcore token list|create|rotate|revoke`: API tokens (the server keeps only their hashes)."""

from __future__ import annotations

import click

from defcore.cli.remote import Remote, format_option, remote_options, show_json, show_table
from defcore.errors import ServerError


@click.group("token")
def token_group() -> None:
    """List, create, rotate and revoke API tokens."""


@token_group.command("list")
@remote_options()
@click.option("--account", "account_id", type=click.IntRange(1), help="(foundation admins)")
@format_option
def list_(server: str, token: str, account_id: int | None, fmt: str) -> None:
    """Your tokens (the one in use marked), or an account's."""
    path = f"/v1/users/{account_id}/tokens" if account_id else "/v1/me/tokens"
    rows = Remote(server, token).call("GET", path)
    if fmt == "json":
        show_json(rows)
        return
    show_table(
        None,
        ["id", "label", "created", "in use"],
        [(t["id"], t["label"], t["created_at"], "yes" if t["current"] else "") for t in rows],
    )


@token_group.command("create")
@remote_options()
@click.option("--label", default="", help="What the token is for (shown by `token list`).")
@click.option("--account", "account_id", type=click.IntRange(1), help="(foundation admins)")
def create(server: str, token: str, label: str, account_id: int | None) -> None:
    """A new token for you, or for an account (foundation admins); print it.

    It is shown only this once: the server keeps only its hash.
    """
    path = f"/v1/users/{account_id}/tokens" if account_id else "/v1/me/tokens"
    data = Remote(server, token).call("POST", path, {"label": label})
    click.echo(f"token id {data['id']}:", err=True)
    click.echo(data["token"])


@token_group.command("rotate")
@remote_options()
@click.argument("token_id", type=click.IntRange(1), required=False)
def rotate(server: str, token: str, token_id: int | None) -> None:
    """Replace a token (default: the one in use) by a new one; print the new token.

    The old token stops working at once: store the printed one before you close the terminal.
    """
    remote = Remote(server, token)
    if token_id is None:
        current = [t for t in remote.call("GET", "/v1/me/tokens") if t["current"]]
        if not current:
            raise ServerError("the token in use is not an API token of this account")
        token_id = int(current[0]["id"])
    data = remote.call("POST", f"/v1/me/tokens/{token_id}/rotate")
    click.echo(f"token {token_id} revoked; the new one (id {data['id']}):", err=True)
    click.echo(data["token"])


@token_group.command("revoke")
@remote_options()
@click.argument("token_id", type=click.IntRange(1), required=False)
@click.option(
    "--account",
    "account_id",
    type=click.IntRange(1),
    help="Another account's token, or all its tokens without TOKEN_ID (foundation admins).",
)
def revoke(server: str, token: str, token_id: int | None, account_id: int | None) -> None:
    """Revoke one of your tokens; a foundation admin revokes any account's."""
    remote = Remote(server, token)
    if account_id is not None:
        suffix = f"/{token_id}" if token_id is not None else ""
        remote.call("DELETE", f"/v1/users/{account_id}/tokens{suffix}")
        what = f"token {token_id}" if token_id is not None else "every token"
        click.echo(f"{what} of account {account_id} revoked", err=True)
        return
    if token_id is None:
        raise click.UsageError("give TOKEN_ID (see `defcore token list`), or --account")
    remote.call("DELETE", f"/v1/me/tokens/{token_id}")
    click.echo(f"token {token_id} revoked", err=True)
