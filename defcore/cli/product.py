"""`defcore product ...`: a vendor's products and their versions on a results server."""

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
from defcore.errors import ServerError

KINDS = click.Choice(["distribution", "public-cloud", "appliance"])


@click.group()
def product() -> None:
    """List, show, create, edit and delete products and their versions.

    Vendor admins manage their vendor's products; anyone reads public ones.
    """


def _show_product(data: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        show_json(data)
        return
    show_fields(
        [
            ("id", data["id"]),
            ("name", data["name"]),
            ("vendor", f"{data['vendor']} (id {data['vendor_id']})"),
            ("kind", data["kind"]),
            ("public", "yes" if data["public"] else "no"),
            ("description", data["description"]),
        ]
    )
    versions = data["versions"]
    if versions:
        show_table(
            "versions",
            ["id", "version", "cpid"],
            [(v["id"], v["version"], v.get("cpid", "")) for v in versions],
        )


@product.command("list")
@remote_options(token_required=False)
@click.option("--vendor", "vendor_id", type=click.IntRange(1), help="Only this vendor's products.")
@format_option
def list_(server: str, token: str | None, vendor_id: int | None, fmt: str) -> None:
    """The products you may read (public ones, and your vendors' private ones)."""
    query = {"vendor_id": str(vendor_id)} if vendor_id else None
    rows = Remote(server, token).call("GET", "/v1/products", query=query)
    if fmt == "json":
        show_json(rows)
        return
    show_table(
        None,
        ["id", "name", "vendor", "kind", "public", "versions"],
        [
            (
                x["id"],
                x["name"],
                x["vendor"],
                x["kind"],
                "yes" if x["public"] else "no",
                ", ".join(v["version"] for v in x["versions"]),
            )
            for x in rows
        ],
    )


@product.command("show")
@remote_options(token_required=False)
@click.argument("product_id", type=click.IntRange(1))
@format_option
def show(server: str, token: str | None, product_id: int, fmt: str) -> None:
    """One product and its versions."""
    _show_product(Remote(server, token).call("GET", f"/v1/products/{product_id}"), fmt)


@product.command("create")
@remote_options()
@click.argument("vendor_id", type=click.IntRange(1))
@click.argument("name")
@click.option("--kind", type=KINDS, required=True)
@click.option("--description", default="")
@click.option("--public/--private", default=False, show_default=True)
@format_option
def create(
    server: str,
    token: str,
    vendor_id: int,
    name: str,
    kind: str,
    description: str,
    public: bool,
    fmt: str,
) -> None:
    """Add a product to a vendor you are an admin of."""
    body = {"name": name, "kind": kind, "description": description, "public": public}
    data = Remote(server, token).call("POST", f"/v1/vendors/{vendor_id}/products", body)
    _show_product(data, fmt)


@product.group("version")
def version() -> None:
    """Add, edit and delete a product's versions (each may carry the cloud's cpid)."""


@version.command("add")
@remote_options()
@click.argument("product_id", type=click.IntRange(1))
@click.argument("version_name", metavar="VERSION")
@click.option("--cpid", default=None, help="The cloud's id; uploads with it join this version.")
def version_add(
    server: str, token: str, product_id: int, version_name: str, cpid: str | None
) -> None:
    """Add VERSION to a product; print the new version's id."""
    body: dict[str, Any] = {"version": version_name}
    if cpid is not None:
        body["cpid"] = cpid
    data = Remote(server, token).call("POST", f"/v1/products/{product_id}/versions", body)
    click.echo(data["id"])


def version_id_of(remote: Remote, product_id: int, version_name: str) -> int:
    """The id of the product's version named `version_name`."""
    data = remote.call("GET", f"/v1/products/{product_id}")
    for v in data["versions"]:
        if v["version"] == version_name:
            return int(v["id"])
    known = ", ".join(v["version"] for v in data["versions"]) or "none"
    raise ServerError(f"product {product_id} has no version {version_name!r} (it has: {known})")


@product.command("edit")
@remote_options()
@click.argument("product_id", type=click.IntRange(1))
@click.option("--name", default=None)
@click.option("--kind", type=KINDS, default=None)
@click.option("--description", default=None)
@click.option("--public/--private", default=None, help="List it in the marketplace, or not.")
@format_option
def edit(
    server: str,
    token: str,
    product_id: int,
    name: str | None,
    kind: str | None,
    description: str | None,
    public: bool | None,
    fmt: str,
) -> None:
    """Change a product's name, kind, description or visibility."""
    change = {"name": name, "kind": kind, "description": description, "public": public}
    body = {k: v for k, v in change.items() if v is not None}
    if not body:
        raise click.UsageError("nothing to change: give --name, --kind, --description or --public")
    _show_product(Remote(server, token).call("PATCH", f"/v1/products/{product_id}", body), fmt)


@product.command("delete")
@remote_options()
@click.argument("product_id", type=click.IntRange(1))
def delete(server: str, token: str, product_id: int) -> None:
    """Delete a product and its versions (refused while it has a verified result)."""
    Remote(server, token).call("DELETE", f"/v1/products/{product_id}")
    click.echo(f"product {product_id} deleted", err=True)


@version.command("edit")
@remote_options()
@click.argument("product_id", type=click.IntRange(1))
@click.argument("version_name", metavar="VERSION")
@click.option("--rename", "new_name", default=None, help="A new name for the version.")
@click.option("--cpid", default=None, help="The cloud's id ('' to clear it).")
def version_edit(
    server: str,
    token: str,
    product_id: int,
    version_name: str,
    new_name: str | None,
    cpid: str | None,
) -> None:
    """Rename a product's VERSION or set its cpid."""
    body = {k: v for k, v in {"version": new_name, "cpid": cpid}.items() if v is not None}
    if not body:
        raise click.UsageError("nothing to change: give --rename or --cpid")
    remote = Remote(server, token)
    version_id = version_id_of(remote, product_id, version_name)
    data = remote.call("PATCH", f"/v1/products/{product_id}/versions/{version_id}", body)
    click.echo(f"version {data['version']} (id {data['id']}) cpid {data['cpid'] or '-'}")


@version.command("delete")
@remote_options()
@click.argument("product_id", type=click.IntRange(1))
@click.argument("version_name", metavar="VERSION")
def version_delete(server: str, token: str, product_id: int, version_name: str) -> None:
    """Delete a product's VERSION (refused while it has a verified result)."""
    remote = Remote(server, token)
    version_id = version_id_of(remote, product_id, version_name)
    remote.call("DELETE", f"/v1/products/{product_id}/versions/{version_id}")
    click.echo(f"version {version_name} of product {product_id} deleted", err=True)
