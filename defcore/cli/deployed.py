"""`defcore deployed --server URL --guideline G [--threshold X]`: Widely Deployed from data.

Asks the results server for each capability's share of products whose newest verified result
passes it (see defcore.scoring.deployed for the exact rules) and prints it beside the
committee's own "deployed" mark, flagging where they disagree.
"""

from __future__ import annotations

import json

import click

from defcore.scoring.deployed import DEFAULT_MIN_PRODUCTS, DEFAULT_THRESHOLD
from defcore.server.client import request


def _mark(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


@click.command("deployed")
@click.option("--server", "server", required=True, help="Results server URL.")
@click.option("--token", default=None, envvar="DEFCORE_TOKEN", help="API token (optional).")
@click.option("--guideline", "-g", required=True, help="Guideline id, e.g. 2020.06.")
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Achieved when the share of products passing is strictly above this.",
)
@click.option(
    "--min-products",
    type=click.IntRange(1),
    default=DEFAULT_MIN_PRODUCTS,
    show_default=True,
    help="Fewer products judged than this leaves the mark unknown.",
)
@click.option(
    "--disagreements", is_flag=True, help="Only capabilities where data and committee differ."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def deployed(
    server: str,
    token: str | None,
    guideline: str,
    threshold: float,
    min_products: int,
    disagreements: bool,
    fmt: str,
) -> None:
    """Widely Deployed from verified results, beside the committee's mark."""
    data = request(
        "GET",
        server,
        f"/v1/guidelines/{guideline}/deployed",
        token,
        query={"threshold": str(threshold), "min_products": str(min_products)},
    ).data
    rows = [c for c in data["capabilities"] if not disagreements or c["agrees"] is False]
    if fmt == "json":
        click.echo(json.dumps({**data, "capabilities": rows}, indent=2))
    else:
        click.echo(
            f"Widely Deployed, {data['guideline']}: {len(data['products'])} products with "
            f"verified results; achieved above {threshold:.0%}"
        )
        width = max((len(c["name"]) for c in rows), default=10)
        click.echo(f"{'capability':<{width}}  passing  share  data     committee")
        for c in rows:
            share = "  -  " if c["share"] is None else f"{c['share']:>5.0%}"
            flag = "  DISAGREES" if c["agrees"] is False else ""
            click.echo(
                f"{c['name']:<{width}}  {c['passing']:>3}/{c['judged']:<3}  {share}  "
                f"{_mark(c['achieved']):<7}  {_mark(c['committee'])}{flag}"
            )
