"""`defcore results import FILE`: the runner's verdict, offline, from a result file."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from defcore.guidelines.model import Status
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.results.read import read_results
from defcore.results.verdict import compute_verdict
from defcore.runner.report import table


@click.command("import")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--guideline", default="newest", show_default=True, help="Guideline id or file.")
@click.option(
    "--target",
    required=True,
    help='Platform, component or add-on, e.g. "OpenStack Powered Storage" or storage.',
)
@click.option("--advisory", is_flag=True, help="Judge the advisory capabilities too.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def import_(
    ctx: click.Context, path: Path, guideline: str, target: str, advisory: bool, fmt: str
) -> None:
    """Judge a subunit stream, RefStack JSON or defcore result.json; exit 0 only on a pass.

    The same verdict computation as `defcore test` and the results server: a capability passes
    only if every unflagged test of it passed; RefStack files list passed tests only, so a test
    absent from one did not pass.
    """
    kind, run = read_results(path)
    chosen = load(guideline)
    statuses = (Status.REQUIRED, Status.ADVISORY) if advisory else (Status.REQUIRED,)
    verdict = compute_verdict(chosen, resolve_target(chosen, target), run, statuses)
    if fmt == "json":
        click.echo(json.dumps({"format": kind, "verdict": verdict.as_dict()}, indent=2))
    else:
        console = Console()
        console.print(table(verdict))
        tests = verdict.distinct_tests()
        passed = sum(1 for t in tests.values() if t.passed)
        word = "PASSED" if verdict.passed else "NOT PASSED"
        console.print(
            f"{verdict.target} {verdict.guideline}: {word} ({passed}/{len(tests)} tests) "
            f"from {path} ({kind})"
        )
    ctx.exit(0 if verdict.passed else 1)
