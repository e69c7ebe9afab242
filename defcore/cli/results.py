"""`defcore results ...`: test results and their verdicts.

Created by the results-server work with only the `verdict` command (from results_verdict.py);
the results engineer owns this group and adds the local commands here.
"""

from __future__ import annotations

import click

from defcore.cli.results_verdict import verdict


@click.group()
def results() -> None:
    """Read test results and judge them against guidelines."""


results.add_command(verdict)
