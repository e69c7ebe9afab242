"""The console the long-running commands print to."""

from __future__ import annotations

import os
import sys

from rich.console import Console


def make_console() -> Console:
    # Piped into a CI log there is no terminal width; rich's 80 columns would fold every name.
    if sys.stdout.isatty() or "COLUMNS" in os.environ:
        return Console()
    return Console(width=140)
