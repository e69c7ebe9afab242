"""`defcore results import FILE`: the runner's verdict, offline, from a result file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from defcore.cli.console import make_console
from defcore.guidelines.addons import load_target
from defcore.guidelines.model import Status
from defcore.results.model import Outcome
from defcore.results.read import read_results
from defcore.results.table import platform_component_line, verdict_table
from defcore.results.verdict import compute_verdict


@click.command("import")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@click.option(
    "--guideline",
    "-g",
    default="newest",
    show_default=True,
    help="Guideline id (2020.06), file or URL; newest is the newest dated guideline in "
    "DEFCORE_GUIDELINES.",
)
@click.option(
    "--target",
    "-t",
    required=True,
    help='Platform, add-on or component, e.g. "OpenStack Powered Storage" or storage. '
    "Required: a guideline defines several and a result file does not say which was tested.",
)
@click.option("--advisory", is_flag=True, help="Judge the advisory capabilities too.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def import_(
    ctx: click.Context, path: Path, guideline: str, target: str, advisory: bool, fmt: str
) -> None:
    """Judge a subunit stream, RefStack JSON or defcore result.json against a target.

    The format is read from the content. The verdict is computed as `defcore test` and the
    results server compute it: a capability passes only if every unflagged test of it passed
    (a skip is not a pass); RefStack files list passed tests only, so a test absent from one did
    not pass. There is no default target: --target is required, since a guideline defines
    several platforms (2020.06: Platform, Compute, Storage) and add-ons.

    Exit status: 0 when the target passes, 1 when it does not, 2 when the file cannot be read
    or the guideline has no such target.
    """
    kind, run = read_results(path)
    chosen, chosen_target = load_target(guideline, target)
    statuses = (Status.REQUIRED, Status.ADVISORY) if advisory else (Status.REQUIRED,)
    verdict = compute_verdict(chosen, chosen_target, run, statuses)
    tests = verdict.distinct_tests()
    passed = sum(1 for t in tests.values() if t.passed)
    if fmt == "json":
        document = {"file": str(path), "format": kind, "verdict": verdict.as_dict()}
        click.echo(json.dumps(document, indent=2))
    else:
        make_console().print(verdict_table(verdict, show_status=advisory))
        word = "PASSED" if verdict.passed else "NOT PASSED"
        colour = "green" if verdict.passed else "red"
        click.echo(
            f"{verdict.target} {verdict.guideline}: {click.style(word, fg=colour, bold=True)} "
            f"({passed}/{len(tests)} tests) from {path} ({kind})"
        )
        for needed in verdict.platform_components:
            click.echo(platform_component_line(needed))
    if tests and all(t.outcome is Outcome.MISSING for t in tests.values()):
        click.echo(
            f"note: none of the target's {len(tests)} tests is in {path}; "
            "is it a run of this target?",
            err=True,
        )
    ctx.exit(0 if verdict.passed else 1)
