"""`defcore score GUIDELINE [--scores FILE]`: each capability's score, and where status and
score disagree."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from defcore.guidelines.sources import load
from defcore.scoring.load import read_scores
from defcore.scoring.report import DISAGREEMENTS, CapabilityScore, score_guideline
from defcore.scoring.rows import cards_of, mismatches, retabulate
from defcore.scoring.tabulated import write_tabulated


@click.command("score")
@click.argument("ref", metavar="GUIDELINE")
@click.option(
    "--scores",
    "scores_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The committee's sheet (scoring.txt layout) or its CSV; overrides the achievements.",
)
@click.option("--disagreements", is_flag=True, help="Only capabilities whose status disagrees.")
@click.option(
    "--csv",
    "csv_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the --scores rows, totals recomputed with GUIDELINE's weights, as CSV.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def score(
    ctx: click.Context,
    ref: str,
    scores_file: Path | None,
    disagreements: bool,
    csv_out: Path | None,
    fmt: str,
) -> None:
    """Score every capability of GUIDELINE: sum of weight x achieved criterion.

    Cards come from the guideline's achievements; a sheet given with --scores overrides them
    capability by capability. A capability needing admin scores 0; an unknown mark (?) leaves
    the total undetermined; at or above the cutoff it is a candidate (*). Then the capabilities
    whose status disagrees: required below the cutoff, qualifying but not required or absent.
    """
    guideline = load(ref)
    rows = read_scores(scores_file) if scores_file else []
    if csv_out is not None:
        if not rows:
            raise click.UsageError("--csv needs --scores")
        write_tabulated(retabulate(rows, guideline), csv_out)
    report = score_guideline(guideline, cards_of(rows) if rows else None)
    stale = [m.message(str(scores_file)) for m in mismatches(rows, guideline)]
    shown = report.disagreements() if disagreements else report.capabilities
    if fmt == "json":
        document = report.as_dict()
        document["capabilities"] = [c.as_dict() for c in shown]
        document["sheet_mismatches"] = stale
        click.echo(json.dumps(document, indent=2))
        ctx.exit(0)
    console = Console()
    weights = ", ".join(f"{k} {w}" for k, w in report.weights.items())
    console.print(f"[bold]{report.guideline}[/]: cutoff {report.cutoff}; weights {weights}")
    table = Table("capability", "status", "total", "achieved", "missed; ? unknown", "from")
    table.columns[0].no_wrap = True
    for row in shown:
        table.add_row(*_cells(row))
    console.print(table)
    for kind in DISAGREEMENTS:
        hits = [c for c in report.capabilities if c.disagreement == kind]
        if hits:
            console.print(f"[bold]{kind}[/] ({len(hits)}):")
            for c in hits:
                total = "undetermined" if c.score.total is None else c.score.total
                console.print(f"  {c.capability} ({c.status or 'absent'}, {total})")
    for line in [*report.notes, *stale]:
        console.print(f"note: {line}", style="dim", highlight=False)
    ctx.exit(0)


def _cells(row: CapabilityScore) -> list[str]:
    s = row.score
    if s.total is None:
        total = "?"
    else:
        total = f"{s.total}{'*' if s.candidate else ''}" + (" (admin)" if s.admin else "")
    missing = " ".join(s.missed) + (f"; ? {' '.join(s.unknown)}" if s.unknown else "")
    return [
        row.capability,
        row.status.value if row.status else "-",
        total,
        " ".join(s.achieved),
        missing,
        "achievements" if s.source.endswith("achievements") else "sheet",
    ]
