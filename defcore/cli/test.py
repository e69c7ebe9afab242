"""`defcore test`: certify a cloud against a guideline's target; `defcore certify-lab`: the same
against the local lab, started for the purpose."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from rich.console import Console

from defcore import lab
from defcore.cli.console import make_console
from defcore.lab.config import LAB_CLOUD
from defcore.runner.report import print_summary
from defcore.runner.run import RunOutcome, RunRequest, certify, rerun_failed


def _parse_options(values: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected SECTION.OPTION=VALUE")
        options[key.strip()] = value.strip()
    return options


def _finish(ctx: click.Context, outcome: RunOutcome, console: Console) -> None:
    print_summary(console, outcome.verdict, outcome.outputs)
    if outcome.interrupted:
        console.print(f"interrupted: resume with defcore test --rerun-failed {outcome.run_dir}")
        ctx.exit(130)
    ctx.exit(0 if outcome.verdict.passed else 1)


@click.command("test")
@click.option("--cloud", help="Cloud name in clouds.yaml (default: the OS_* variables).")
@click.option("--guideline", default="newest", show_default=True, help="Guideline id or file.")
@click.option("--target", help='Platform, component or add-on, e.g. "OpenStack Powered Storage".')
@click.option("--advisory", is_flag=True, help="Also run the advisory capabilities' tests.")
@click.option(
    "--with-platform",
    is_flag=True,
    help="For an add-on: also run the platform components it requires (os_powered_compute), "
    "so the report says whether they passed.",
)
@click.option("--concurrency", default=4, show_default=True, help="Parallel Tempest workers.")
@click.option(
    "--timeout", default=30.0, show_default=True, help="Seconds to wait for each discovery request."
)
@click.option(
    "--accounts-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tempest's pre-provisioned accounts (for clouds where you are not an admin).",
)
@click.option(
    "--tempest-option",
    "tempest_options",
    multiple=True,
    metavar="SECTION.OPTION=VALUE",
    help="Set a tempest.conf option (repeatable), e.g. compute.image_ref=UUID.",
)
@click.option(
    "--tempest-conf",
    "tempest_conf_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Start from your own tempest.conf: its options win over discovery, "
    "--tempest-option wins over it.",
)
@click.option(
    "--image",
    "image_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A bootable image to upload for the compute tests (deleted afterwards); default: an "
    "active public image of the cloud, else a 1 MiB raw image.",
)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to put the run (default: runs/ under defcore's data directory).",
)
@click.option(
    "--rerun-failed",
    "rerun_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Run again what did not pass in RUN_DIR (or never ran: resumes an interrupted run).",
)
@click.pass_context
def test(
    ctx: click.Context,
    cloud: str | None,
    guideline: str,
    target: str | None,
    advisory: bool,
    with_platform: bool,
    concurrency: int,
    timeout: float,
    accounts_file: Path | None,
    tempest_options: tuple[str, ...],
    tempest_conf_file: Path | None,
    image_file: Path | None,
    run_dir: Path | None,
    rerun_dir: Path | None,
) -> None:
    """Run a guideline target's tests against a cloud; exit 0 only when the target passes."""
    console = make_console()
    if rerun_dir is not None:
        _finish(ctx, rerun_failed(rerun_dir, console), console)
        return
    if not target:
        raise click.UsageError("--target is required (or --rerun-failed RUN_DIR)")
    request = RunRequest(
        cloud=cloud,
        target=target,
        guideline=guideline,
        advisory=advisory,
        with_platform=with_platform,
        concurrency=concurrency,
        timeout=timeout,
        accounts_file=str(accounts_file.absolute()) if accounts_file else None,
        tempest_options=_parse_options(tempest_options),
        tempest_conf=str(tempest_conf_file.absolute()) if tempest_conf_file else None,
        image_file=str(image_file.absolute()) if image_file else None,
    )
    _finish(ctx, certify(request, run_dir, console), console)


@click.command("certify-lab")
@click.option("--guideline", default="newest", show_default=True)
@click.option(
    "--target",
    help='[default: "OpenStack Powered Platform", or "OpenStack Powered Storage" with --storage]',
)
@click.option(
    "--platform/--storage",
    default=True,
    show_default=True,
    help="The Platform lab (compute, network, volume, image, identity, object) or the Storage "
    "lab (Keystone and Swift only).",
)
@click.option(
    "--nodes", type=int, help="Storage nodes of the lab.  [default: 1 Platform, 3 Storage]"
)
@click.option("--keep-lab", is_flag=True, help="Leave the lab running afterwards.")
@click.option("--port-offset", default=0, show_default=True, help="Add this to the lab's ports.")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def certify_lab(
    ctx: click.Context,
    guideline: str,
    target: str | None,
    platform: bool,
    nodes: int | None,
    keep_lab: bool,
    port_offset: int,
    run_dir: Path | None,
) -> None:
    """Start the local lab cloud, certify it, and print the verdict and the report's path."""
    console = make_console()
    directory = lab.default_lab_dir()
    if target is None:
        target = "OpenStack Powered Platform" if platform else "OpenStack Powered Storage"
    if nodes is None:
        nodes = 1 if platform else 3  # Swift's replicas matter to Storage; to Platform, memory
    config = lab.LabConfig(
        directory=directory, nodes=nodes, port_offset=port_offset, platform=platform
    )
    with contextlib.ExitStack() as stack:
        with console.status("starting the lab") as status:
            running = stack.enter_context(
                lab.running(config, status.update, reuse=True, keep=keep_lab)
            )
        if running.started_here:
            console.print(f"lab up in {running.state.seconds_to_healthy:.1f} s ({directory})")
        else:
            console.print(f"using the lab already running in {directory}")
        request = RunRequest(
            cloud=LAB_CLOUD,
            target=target,
            guideline=guideline,
            clouds_file=running.state.clouds_file,
        )
        outcome = certify(request, run_dir, console)
    if running.started_here and keep_lab:
        console.print(f"the lab keeps running: defcore lab down --dir {directory}")
    _finish(ctx, outcome, console)
