"""`defcore guideline ...`: read, check, lint, list, diff and render guidelines."""

from __future__ import annotations

import click


@click.group()
def guideline() -> None:
    """Read, check, lint, list, diff and render interop guidelines."""
