"""`defcore key add|list|delete`: the public keys that sign your uploads.

`add` reads a private key file, signs the server's key proof for your account with it (so the
server knows you hold the private key), and registers its public half.
"""

from __future__ import annotations

from pathlib import Path

import click

from defcore.cli.remote import Remote, format_option, remote_options, show_json, show_table
from defcore.errors import ServerError


@click.group()
def key() -> None:
    """Register, list and delete the public keys that sign your uploads."""


@key.command("add")
@remote_options()
@click.argument("private_key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--label", default="", help="A name for the key.")
def add(server: str, token: str, private_key: Path, label: str) -> None:
    """Register PRIVATE_KEY's public key (RSA or Ed25519, PEM or OpenSSH); print its id."""
    try:
        from defcore.server.signatures import load_private_key, sign
    except ImportError as exc:
        raise ServerError(f"signing needs the `server` extra: {exc}") from None
    remote = Remote(server, token)
    proof = remote.call("GET", "/v1/me")["key_proof"]
    signature, public = sign(load_private_key(private_key), proof.encode())
    body = {"public_key": public, "self_signature": signature, "label": label}
    data = remote.call("POST", "/v1/me/keys", body)
    click.echo(f"registered {data['algorithm']} key SHA256:{data['fingerprint'][:16]}", err=True)
    click.echo(data["id"])


@key.command("list")
@remote_options()
@format_option
def list_(server: str, token: str, fmt: str) -> None:
    """Your registered keys."""
    rows = Remote(server, token).call("GET", "/v1/me/keys")
    if fmt == "json":
        show_json(rows)
        return
    show_table(
        None,
        ["id", "algorithm", "fingerprint (SHA256)", "label"],
        [(k["id"], k["algorithm"], k["fingerprint"], k["label"]) for k in rows],
    )


@key.command("delete")
@remote_options()
@click.argument("key_id", type=click.IntRange(1))
def delete(server: str, token: str, key_id: int) -> None:
    """Delete one of your keys; uploads signed with it stay stored."""
    Remote(server, token).call("DELETE", f"/v1/me/keys/{key_id}")
    click.echo(f"key {key_id} deleted", err=True)
