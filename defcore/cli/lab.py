"""`defcore lab up|status|down|node`: the local cloud, the Storage lab or (--platform) Platform."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from defcore import lab
from defcore.lab.config import LAB_CLOUD
from defcore.lab.plan import addon_services, without_choices

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
    """A real OpenStack cloud on this machine, from PyPI and Debian packages, on loopback."""


@lab_group.command("up")
@dir_option
@click.option("--nodes", default=3, show_default=True, help="Storage nodes (one replica each).")
@click.option(
    "--platform",
    is_flag=True,
    help="The Platform lab: Glance, Placement, Nova, Neutron, Cinder, MariaDB and RabbitMQ too.",
)
@click.option(
    "--without",
    multiple=True,
    type=click.Choice(without_choices()),
    help="Leave this proxy middleware or platform service out: a deliberately non-compliant "
    "cloud (repeatable).",
)
@click.option(
    "--with",
    "addons",
    multiple=True,
    type=click.Choice(addon_services()),
    help="Run this add-on service too, on the Platform lab (repeatable).",
)
@click.option(
    "--port-offset", default=0, show_default=True, help="Add this to every port (two labs)."
)
def up(
    directory: Path | None,
    nodes: int,
    platform: bool,
    without: tuple[str, ...],
    addons: tuple[str, ...],
    port_offset: int,
) -> None:
    """Start a fresh lab cloud and wait until every service is healthy."""
    config = lab.LabConfig(
        directory=_dir(directory),
        nodes=nodes,
        port_offset=port_offset,
        without=frozenset(without),
        platform=platform,
        addons=frozenset(addons),
    )
    console = Console(stderr=True)
    with console.status("starting the lab") as status:
        state = lab.up(config, progress=lambda step: status.update(step))
    kind = "Platform lab" if platform else "Storage lab"
    click.echo(
        f"{kind} up in {state.seconds_to_healthy:.1f} s, {nodes} storage nodes"
        + (f", without {', '.join(sorted(without))}" if without else "")
        + (f", with {', '.join(sorted(addons))}" if addons else "")
    )
    for service_type, url in sorted(state.endpoints.items()):
        click.echo(f"  {service_type}: {url}")
    click.echo(f"cloud {LAB_CLOUD!r} (admin) and '{LAB_CLOUD}-member' in {state.clouds_file}")
    click.echo(f"export OS_CLIENT_CONFIG_FILE={state.clouds_file}")


@lab_group.command("status")
@dir_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def status(ctx: click.Context, directory: Path | None, fmt: str) -> None:
    """Health and memory of each service; exit 1 when any is not healthy."""
    report = lab.status(_dir(directory))
    if fmt == "json":
        click.echo(json.dumps([h.__dict__ for h in report], indent=2))
    else:
        table = Table(title=f"lab in {_dir(directory)}")
        for column in ("service", "pid", "url", "state", "memory"):
            table.add_column(column)
        for h in report:
            style = "green" if h.healthy else "red"
            state = f"[{style}]{h.state}[/{style}]"
            table.add_row(h.name, str(h.pid), h.url or "(process)", state, _megabytes(h.rss))
        Console().print(table)
        total = sum(h.rss for h in report)
        click.echo(
            f"memory: {total / 2**30:.2f} GiB resident in all the lab's processes (sum of RSS)"
        )
    ctx.exit(0 if all(h.healthy for h in report) else 1)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


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
