"""`defcore gate --base OLD --change NEW`: may this guideline change land?"""

from __future__ import annotations

from pathlib import Path

import click

from defcore.cli.console import make_console
from defcore.gate.gate import Step, run_gate


@click.command("gate")
@click.option("--base", "base", required=True, help="The guideline the change replaces.")
@click.option("--change", "change", required=True, help="The changed guideline (a file).")
@click.option("--nodes", default=3, show_default=True, help="Storage nodes of the gate's lab.")
@click.option(
    "--lab-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Use the lab running in this directory (left running), else start one there.",
)
@click.option("--port-offset", default=0, show_default=True, help="Add this to the lab's ports.")
@click.option(
    "--fault-node", type=int, help="Stop this storage node during the run: a degraded cloud."
)
@click.option("--fault-after", default=5.0, show_default=True, help="Seconds into the run.")
@click.option(
    "--database",
    "database_url",
    help="A results store: list the products whose verified results the change would break.",
)
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="JUnit XML here.")
@click.pass_context
def gate(
    ctx: click.Context,
    base: str,
    change: str,
    nodes: int,
    lab_dir: Path | None,
    port_offset: int,
    fault_node: int | None,
    fault_after: float,
    database_url: str | None,
    junit: Path | None,
) -> None:
    """Check, lint, find every changed test in Tempest, then run the changed capabilities on a
    multi-node lab (the Platform lab when they need compute, network, volume or image); stop at
    the first failure and exit 1."""
    console = make_console()

    def log(step: Step) -> None:
        word = "skipped" if step.skipped else ("ok" if step.passed else "FAILED")
        click.echo(f"== {step.name}: {word}")
        for line in step.lines:
            click.echo(f"   {line}")

    report = run_gate(
        base,
        change,
        console,
        nodes=nodes,
        lab_dir=lab_dir,
        reuse_lab=lab_dir is not None,
        port_offset=port_offset,
        fault_node=fault_node,
        fault_after=fault_after,
        database_url=database_url,
        log=log,
    )
    if junit:
        junit.write_text(report.junit())
    click.echo("gate: passed" if report.passed else "gate: FAILED")
    ctx.exit(0 if report.passed else 1)
