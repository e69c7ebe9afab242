"""What the account, vendor and product commands share: the server, the token, one call, output.

The commands are thin: each is one call of the server's /v1 API through `defcore.server.client`;
the server decides what is allowed and its one-line refusal becomes the command's error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from rich.table import Table

from defcore.cli.console import make_console
from defcore.server.client import request

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Remote:
    server: str
    token: str | None

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else None
        return request(method, self.server, path, self.token, data, headers, query).data


def remote_options(token_required: bool = True) -> Callable[[F], F]:
    """--server and --token (also $DEFCORE_SERVER and $DEFCORE_TOKEN), passed as `remote`."""

    def decorate(command: F) -> F:
        command = click.option(
            "--token",
            required=token_required,
            default=None,
            envvar="DEFCORE_TOKEN",
            help="API token ($DEFCORE_TOKEN)"
            + ("." if token_required else "; public data needs none."),
        )(command)
        return click.option(
            "--server",
            required=True,
            envvar="DEFCORE_SERVER",
            help="Results server URL ($DEFCORE_SERVER).",
        )(command)

    return decorate


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


def show_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def show_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    make_console().print(table)


def show_fields(fields: Sequence[tuple[str, Any]]) -> None:
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        click.echo(f"{name.ljust(width)}  {'' if value is None else value}")
