"""The console the long-running commands print to."""

from __future__ import annotations

import os

from rich.console import Console


def make_console() -> Console:
    # Piped into a file or a CI log there is no terminal width; rich's 80 columns would fold
    # every name.
    console = Console()
    if console.is_terminal or "COLUMNS" in os.environ:
        return console
    return Console(width=160)
