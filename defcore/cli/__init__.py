"""The `defcore` command: a thin layer over the subpackages.

Each command group lives in its own module here and only calls into the library; errors that are
the user's to fix (DefcoreError) become one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys

import click

from defcore import __version__
from defcore.cli.deployed import deployed
from defcore.cli.flag import flag
from defcore.cli.gate import gate
from defcore.cli.governance import governance
from defcore.cli.guideline import guideline
from defcore.cli.key import key
from defcore.cli.lab import lab_group
from defcore.cli.product import product
from defcore.cli.product_status import status as _product_status  # noqa: F401  (joins `product`)
from defcore.cli.proposal import proposal
from defcore.cli.results import results
from defcore.cli.score import score
from defcore.cli.sections import sections
from defcore.cli.server import serve, server
from defcore.cli.test import certify_lab, test
from defcore.cli.tokens import token_group
from defcore.cli.upload import upload
from defcore.cli.vendor import vendor
from defcore.errors import DefcoreError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="defcore")
def cli() -> None:
    """Define the required baseline of OpenStack and hold real clouds to it."""


cli.add_command(guideline)
cli.add_command(server)
cli.add_command(serve)
cli.add_command(upload)
cli.add_command(results)
cli.add_command(product)
cli.add_command(vendor)
cli.add_command(key)
cli.add_command(token_group)
cli.add_command(proposal)
cli.add_command(deployed)
cli.add_command(sections)
cli.add_command(score)
cli.add_command(governance)
cli.add_command(lab_group)
cli.add_command(test)
cli.add_command(certify_lab)
cli.add_command(flag)
cli.add_command(gate)


def main() -> None:
    try:
        # Commands signal a verdict by ctx.exit(code); without standalone mode click returns it.
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DefcoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
