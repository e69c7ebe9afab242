"""`defcore results diff A B`: what changed between two results, for one guideline's target."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from defcore.cli.console import make_console
from defcore.cli.upload import find_upload
from defcore.errors import ResultsError
from defcore.guidelines.model import Guideline
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.results.diff import ResultsDiff, diff_verdicts
from defcore.results.read import read_results
from defcore.results.verdict import compute_verdict
from defcore.server.client import request

_RESULT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _verdict_of(
    source: str, guideline: Guideline, target: str, server: str | None, token: str | None
) -> dict[str, Any]:
    """The verdict on a file, a run directory or (with --server) a stored result's id."""
    path = Path(source)
    if path.exists():
        _kind, run = read_results(find_upload(path))
        judged = compute_verdict(guideline, resolve_target(guideline, target), run).as_dict()
        judged["guideline"] = guideline.id
        return judged
    if _RESULT_ID.match(source):
        if server is None:
            raise ResultsError(f"{source} looks like a result id: give --server to fetch it")
        query = {"guideline": guideline.id, "target": target}
        data: dict[str, Any] = request(
            "GET", server, f"/v1/results/{source}/verdict", token, query=query
        ).data
        return data
    raise ResultsError(f"{source}: no such file or run directory, and not a result id")


@click.command("diff")
@click.argument("before", metavar="A")
@click.argument("after", metavar="B")
@click.option("--guideline", "-g", default="newest", show_default=True, help="Guideline id.")
@click.option("--target", "-t", required=True, help='e.g. "OpenStack Powered Compute".')
@click.option("--server", default=None, envvar="DEFCORE_SERVER", help="For result ids.")
@click.option("--token", default=None, envvar="DEFCORE_TOKEN", help="For private results.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def diff(
    ctx: click.Context,
    before: str,
    after: str,
    guideline: str,
    target: str,
    server: str | None,
    token: str | None,
    fmt: str,
) -> None:
    """What changed from result A to result B against one guideline's target: tests whose
    outcome changed, capabilities gained or lost, and whether B is better.

    A and B are result files (subunit, RefStack JSON, result.json), run directories, or ids
    of results stored on --server (judged there by the same code). Exit status: 0 when B
    loses nothing A passed, 1 when it does (a regression), 2 when a side cannot be read.
    """
    chosen = load(guideline)
    changes = diff_verdicts(
        _verdict_of(before, chosen, target, server, token),
        _verdict_of(after, chosen, target, server, token),
    )
    if fmt == "json":
        click.echo(json.dumps(changes.as_dict(), indent=2))
    else:
        _print(changes, before, after)
    ctx.exit(1 if changes.judgement in ("worse", "mixed") else 0)


def _print(changes: ResultsDiff, before: str, after: str) -> None:
    console = make_console()
    (a_ok, a_all), (b_ok, b_all) = changes.before_tests, changes.after_tests
    word = {True: "PASS", False: "FAIL"}
    click.echo(f"{changes.target} {changes.guideline}")
    click.echo(f"  A {before}: {word[changes.before_passed]} ({a_ok}/{a_all} required tests)")
    click.echo(f"  B {after}: {word[changes.after_passed]} ({b_ok}/{b_all} required tests)")
    if changes.gained:
        click.echo("capabilities gained: " + ", ".join(changes.gained))
    if changes.lost:
        click.echo("capabilities lost: " + ", ".join(changes.lost))
    if changes.tests:
        table = Table(title=f"{len(changes.tests)} tests changed outcome")
        for column in ("test", "capability", "A", "B"):
            table.add_column(column)
        for t in changes.tests:
            flagged = "" if t.required else " (flagged)"
            table.add_row(t.name, ", ".join(t.capabilities) + flagged, t.before, t.after)
        console.print(table)
    click.echo(
        {
            "better": "B is better than A",
            "worse": "B is worse than A: a regression",
            "mixed": "B gains some and loses some: a regression",
            "same": "no change in what passes",
        }[changes.judgement]
    )
