"""`defcore lab up|status|down|node`: the local Keystone + multi-node Swift cloud."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from defcore import lab
from defcore.lab.config import LAB_CLOUD, MIDDLEWARE

dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The lab's directory (default: lab/ under defcore's data directory).",
)


def _dir(directory: Path | None) -> Path:
    return (directory or lab.default_lab_dir()).absolute()


@click.group("lab")
def lab_group() -> None:
    """A real OpenStack cloud on this machine: Keystone and Swift from PyPI, on loopback."""


@lab_group.command("up")
@dir_option
@click.option("--nodes", default=3, show_default=True, help="Storage nodes (one replica each).")
@click.option(
    "--without",
    multiple=True,
    type=click.Choice(MIDDLEWARE),
    help="Leave this proxy middleware out: a deliberately non-compliant cloud (repeatable).",
)
@click.option(
    "--port-offset", default=0, show_default=True, help="Add this to every port (two labs)."
)
def up(directory: Path | None, nodes: int, without: tuple[str, ...], port_offset: int) -> None:
    """Start a fresh lab cloud and wait until every service is healthy."""
    config = lab.LabConfig(
        directory=_dir(directory), nodes=nodes, port_offset=port_offset, without=frozenset(without)
    )
    console = Console(stderr=True)
    with console.status("starting the lab") as status:
        state = lab.up(config, progress=lambda step: status.update(step))
    click.echo(
        f"lab up in {state.seconds_to_healthy:.1f} s: keystone {state.keystone_url}, "
        f"swift {state.proxy_url}, {nodes} storage nodes"
        + (f", without {', '.join(sorted(without))}" if without else "")
    )
    click.echo(f"cloud {LAB_CLOUD!r} (admin) and '{LAB_CLOUD}-member' in {state.clouds_file}")
    click.echo(f"export OS_CLIENT_CONFIG_FILE={state.clouds_file}")


@lab_group.command("status")
@dir_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def status(ctx: click.Context, directory: Path | None, fmt: str) -> None:
    """Health of each service; exit 1 when any is not healthy."""
    report = lab.status(_dir(directory))
    if fmt == "json":
        click.echo(json.dumps([h.__dict__ for h in report], indent=2))
    else:
        table = Table(title=f"lab in {_dir(directory)}")
        for column in ("service", "pid", "url", "state"):
            table.add_column(column)
        for h in report:
            style = "green" if h.healthy else "red"
            table.add_row(h.name, str(h.pid), h.url, f"[{style}]{h.state}[/{style}]")
        Console().print(table)
    ctx.exit(0 if all(h.healthy for h in report) else 1)


@lab_group.command("down")
@dir_option
def down(directory: Path | None) -> None:
    """Stop exactly the processes `lab up` started."""
    stopped = lab.down(_dir(directory))
    click.echo(f"stopped {len(stopped)} processes" if stopped else "no lab was running")


@lab_group.group("node")
def node() -> None:
    """Stop or start one storage node, as a failing machine would."""


@node.command("stop")
@dir_option
@click.argument("number", type=int)
def node_stop(directory: Path | None, number: int) -> None:
    lab.stop_node(_dir(directory), number)
    click.echo(f"storage node {number} stopped")


@node.command("start")
@dir_option
@click.argument("number", type=int)
def node_start(directory: Path | None, number: int) -> None:
    lab.start_node(_dir(directory), number)
    click.echo(f"storage node {number} started")
