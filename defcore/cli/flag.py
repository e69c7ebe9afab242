"""`defcore flag candidates|propose RUN...`: tests to flag, from the evidence of many runs."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from defcore.gate.flags import Candidate, apply, candidates
from defcore.gate.runs import load_runs, load_store_runs
from defcore.guidelines.model import Guideline
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.guidelines.writer import dumps

runs_argument = click.argument("runs", nargs=-1, type=click.Path(exists=True, path_type=Path))
database_option = click.option(
    "--database", "database_url", help="Also every result in this results store, by product."
)


def _find(
    runs: tuple[Path, ...], guideline: str, target: str, database_url: str | None
) -> tuple[Guideline, list[Candidate], int]:
    """The guideline, its flag candidates for the target, and how many runs were evidence."""
    chosen = load(guideline)
    records = load_store_runs(database_url) if database_url else []
    if runs or not records:
        records += load_runs(list(runs))
    return chosen, candidates(chosen, resolve_target(chosen, target), records), len(records)


guideline_option = click.option("--guideline", default="newest", show_default=True)
target_option = click.option("--target", required=True, help="Platform, component or add-on.")


@click.group("flag")
def flag() -> None:
    """Flag candidates from stored results and repeated lab runs."""


@flag.command("candidates")
@runs_argument
@guideline_option
@target_option
@database_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def candidates_command(
    runs: tuple[Path, ...], guideline: str, target: str, database_url: str | None, fmt: str
) -> None:
    """List tests that should be flagged, with the reason code and the evidence."""
    chosen, found, evidence = _find(runs, guideline, target, database_url)
    if fmt == "json":
        click.echo(json.dumps([c.__dict__ for c in found], indent=2))
        return
    table = Table(title=f"flag candidates in {chosen.id} {target}, from {evidence} runs")
    for column in ("test", "capability", "reason", "evidence"):
        table.add_column(column, overflow="fold")
    for c in found:
        table.add_row(c.test, c.capability, c.flag_reason, "\n".join(c.evidence))
    Console().print(table)
    if not found:
        click.echo("no flag candidates")


@flag.command("propose")
@runs_argument
@guideline_option
@target_option
@database_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def propose(
    runs: tuple[Path, ...], guideline: str, target: str, database_url: str | None, output: Path
) -> None:
    """Write the guideline with the candidates flagged, as a draft for the committee's review."""
    chosen, found, _ = _find(runs, guideline, target, database_url)
    output.write_text(dumps(apply(chosen, found)))
    for c in found:
        click.echo(f"flagged {c.test} ({c.capability}): {c.flag_reason}", err=True)
    click.echo(f"{len(found)} flags proposed in {output}", err=True)
