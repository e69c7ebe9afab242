"""`defcore guideline propose --previous ID --scores FILE`: draft the next guideline."""

from __future__ import annotations

from pathlib import Path

import click

from defcore.guidelines.check import check as check_guideline
from defcore.guidelines.findings import has_errors
from defcore.guidelines.lint import lint as lint_guideline
from defcore.guidelines.loader import parse
from defcore.guidelines.sources import load
from defcore.guidelines.writer import dumps, to_json
from defcore.scoring.load import read_scores
from defcore.scoring.propose import propose as propose_draft
from defcore.scoring.rows import cards_of


@click.command("propose")
@click.option("--previous", "previous_ref", required=True, metavar="GUIDELINE")
@click.option(
    "--scores",
    "scores_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The committee's sheet (scoring.txt layout) or its CSV.",
)
@click.option("--id", "new_id", help="The new guideline's id (default: this month's).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the draft here (default: standard output).",
)
@click.pass_context
def propose(
    ctx: click.Context,
    previous_ref: str,
    scores_file: Path,
    new_id: str | None,
    output: Path | None,
) -> None:
    """Write a draft schema 2.0 guideline replacing --previous, following the process.

    A capability newly at or above the cutoff enters as advisory; an advisory one still there
    becomes required; a required one below it becomes deprecated; a deprecated one is removed.
    Capabilities the sheet does not score keep the scores of their achievements. The changes and
    notes go to standard error, then the draft's own check and lint against --previous; exit 1
    when they find an error.
    """
    previous = load(previous_ref)
    proposal = propose_draft(previous, cards_of(read_scores(scores_file)), new_id)
    text = dumps(proposal.guideline)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    name = str(output) if output else f"{proposal.guideline.id}.json"
    draft = parse(to_json(proposal.guideline), name)
    if output is not None:
        draft.path = output
    for change in proposal.changes:
        click.echo(f"change: {change.line()}", err=True)
    for note in proposal.notes:
        click.echo(f"note: {note}", err=True)
    findings = [*check_guideline(draft), *lint_guideline(draft, previous)]
    for finding in findings:
        click.echo(finding.line(), err=True)
    where = f" written to {output}" if output else ""
    click.echo(
        f"draft {proposal.guideline.id}{where}: {len(proposal.changes)} changes, "
        f"{len(findings)} findings of check and lint",
        err=True,
    )
    ctx.exit(1 if has_errors(findings) else 0)
