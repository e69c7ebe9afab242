"""`defcore product status PRODUCT`: a product's certifications and where each stands."""

from __future__ import annotations

import click

from defcore.cli.product import product
from defcore.cli.remote import Remote, format_option, remote_options, show_json, show_table


@product.command("status")
@remote_options(token_required=False)
@click.argument("product_id", type=click.IntRange(1), metavar="PRODUCT")
@click.option(
    "--on",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Judge on this day (YYYY-MM-DD) instead of today.",
)
@format_option
@click.pass_context
def status(
    ctx: click.Context,
    server: str,
    token: str | None,
    product_id: int,
    day: object,
    fmt: str,
) -> None:
    """PRODUCT's certifications: current, expiring or expired (with dates), or withdrawn.

    Exit status 0 when the product holds a current certification, 1 when its best one is
    expiring, 2 otherwise (expired, withdrawn or none), so scripts can warn before it lapses.
    """
    query = {"on": f"{day:%Y-%m-%d}"} if day is not None else None
    data = Remote(server, token).call(
        "GET", f"/v1/products/{product_id}/certifications", query=query
    )
    if fmt == "json":
        show_json(data)
    else:
        click.echo(f"{data['product']} ({data['vendor']}) on {data['on']}: {data['standing']}")
        if data["certifications"]:
            show_table(
                None,
                [
                    "version",
                    "program",
                    "guideline",
                    "status",
                    "verified",
                    "current until",
                    "expires",
                    "result",
                ],
                [
                    (
                        c["version"],
                        c["target"],
                        c["guideline"],
                        c["status"]
                        + (f" ({c['withdraw_reason']})" if c["status"] == "withdrawn" else ""),
                        c["verified_at"][:10],
                        c["current_until"] or "-",
                        c["expires_on"] or "-",
                        c["result_id"],
                    )
                    for c in data["certifications"]
                ],
            )
    ctx.exit({"current": 0, "expiring": 1}.get(data["standing"], 2))
