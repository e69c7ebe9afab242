"""`defcore results verdict ID --server URL --token T --guideline G --target NAME`."""

from __future__ import annotations

import json

import click

from defcore.server.client import request


@click.command("verdict")
@click.argument("result_id", metavar="ID")
@click.option("--server", "server", required=True, help="Results server URL.")
@click.option(
    "--token", default=None, envvar="DEFCORE_TOKEN", help="API token (public results need none)."
)
@click.option("--guideline", "-g", required=True, help="Guideline id, e.g. 2020.06.")
@click.option("--target", "-t", required=True, help="Platform, add-on or component name.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def verdict(
    ctx: click.Context,
    result_id: str,
    server: str,
    token: str | None,
    guideline: str,
    target: str,
    fmt: str,
) -> None:
    """Print the server's verdict on a stored result; exit 0 only if it passes."""
    data = request(
        "GET",
        server,
        f"/v1/results/{result_id}/verdict",
        token,
        query={"guideline": guideline, "target": target},
    ).data
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        word = "PASS" if data["passed"] else "FAIL"
        click.echo(
            f"{data['target']} {data['guideline']}: {word} "
            f"({data['required_tests_passed']}/{data['required_tests']} required tests passed)"
        )
        for comp in data["components"]:
            for cap in comp["capabilities"]:
                if cap["passed"]:
                    continue
                click.echo(f"  {cap['name']}: fail")
                for t in cap["tests"]:
                    if t["required"] and t["outcome"] != "passed":
                        reason = (t["reason"] or "").splitlines()
                        click.echo(
                            f"    {t['name']}: {t['outcome']}"
                            + (f": {reason[-1]}" if reason else "")
                        )
    ctx.exit(0 if data["passed"] else 1)
