"""`defcore upload RUN_DIR|FILE --server URL --token T [--sign KEY]`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from defcore.errors import ServerError
from defcore.server.client import request

# In a run directory, the first of these that exists is uploaded.
RUN_DIR_FILES = ("result.json", "results.json", "refstack.json", "results.subunit", "subunit")


def find_upload(path: Path) -> Path:
    if path.is_file():
        return path
    for name in RUN_DIR_FILES:
        if (path / name).is_file():
            return path / name
    for pattern in ("*.json", "*.subunit"):
        found = sorted(path.glob(pattern))
        if found:
            return found[0]
    raise ServerError(
        f"{path}: no result to upload (looked for {', '.join(RUN_DIR_FILES)}, *.json, *.subunit)"
    )


@click.command("upload")
@click.argument("source", type=click.Path(exists=True, path_type=Path), metavar="RUN_DIR|FILE")
@click.option("--server", "server", required=True, help="Results server URL.")
@click.option(
    "--token",
    envvar="DEFCORE_TOKEN",
    default=None,
    help="API token. Without one, a signed upload (--sign) is its registered key's owner's, "
    "and an unsigned one is anonymous: private and unlisted, read only through the URL printed.",
)
@click.option(
    "--sign",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Private key (RSA or Ed25519, PEM or OpenSSH) to sign the upload with.",
)
def upload(source: Path, server: str, token: str | None, key_path: Path | None) -> None:
    """Upload a run's results (defcore JSON, RefStack JSON or subunit); print the result id."""
    path = find_upload(source)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ServerError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        json.loads(body)
        content_type = "application/json"
    except (json.JSONDecodeError, UnicodeDecodeError):
        content_type = "application/octet-stream"
    headers = {"Content-Type": content_type}
    if key_path is not None:
        try:
            from defcore.server.signatures import load_private_key, sign
        except ImportError as exc:
            raise ServerError(f"signing needs the `server` extra: {exc}") from None
        signature, public_key = sign(load_private_key(key_path), body)
        headers["X-Signature"] = signature
        headers["X-Public-Key"] = public_key
    reply = request("POST", server, "/v1/results", token, body, headers, ok=(201, 409))
    data = reply.data if isinstance(reply.data, dict) else {}
    if reply.status == 409:
        if "id" not in data:
            raise ServerError(f"upload refused: {data.get('detail', data)}")
        click.echo(f"already uploaded: {data['detail']}", err=True)
    if token is None and key_path is None:
        click.echo(f"anonymous upload, private: its page is {data.get('url')}", err=True)
    click.echo(data["id"])
