"""`defcore results ...`: test results and their verdicts.

`verdict` asks a results server; `import` judges a local file the same way.
"""

from __future__ import annotations

import click

from defcore.cli.results_diff import diff
from defcore.cli.results_import import import_
from defcore.cli.results_verdict import verdict


@click.group()
def results() -> None:
    """Read test results and judge them against guidelines."""


results.add_command(verdict)
results.add_command(import_)
results.add_command(diff)
