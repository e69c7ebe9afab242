"""`defcore proposal create|list|show|vote|resolve|advance|withdraw|maintainer`: feedback.

Proposals live on a results server; these commands call its /v1/proposals API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from defcore.errors import ServerError
from defcore.server.client import request

F = TypeVar("F", bound=Callable[..., Any])

server_option = click.option("--server", "server", required=True, help="Results server URL.")
json_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")


def token_option(required: bool) -> Callable[[F], F]:
    return click.option(
        "--token",
        required=required,
        default=None,
        envvar="DEFCORE_TOKEN",
        help="API token" + ("." if required else " (public proposals need none)."),
    )


@click.group()
def proposal() -> None:
    """Propose changes to a guideline's capabilities, vote on them, advance them."""


def _change(data: dict[str, Any]) -> str:
    change = data["change"]
    if "status" in change:
        return f"status -> {change['status']}"
    marks = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in change["criteria"].items())
    return f"criteria: {marks}"


def _summary(data: dict[str, Any]) -> str:
    blocking = data.get("blocking")
    if blocking is None:
        blocking = sum(1 for v in data.get("votes", []) if v["blocking"])
    text = (
        f"#{data['id']} [{data['state']}] {data['guideline']} {data['capability']}: "
        f"{_change(data)} (+{data['plus']} -{data['minus']} of {data['quorum']}"
    )
    if blocking:
        text += f", {blocking} blocking"
    if data["state"] == "open" and data["ready"]:
        text += ", ready"
    return text + f") {data['title']}"


def _show(data: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(_summary(data))
    click.echo(f"  by {data['author']}; current: {json.dumps(data['current'])}")
    if data["state"] == "open" and data["reasons"]:
        click.echo("  cannot advance: " + "; ".join(data["reasons"]))
    for v in data["votes"]:
        mark = "+1" if v["vote"] > 0 else "-1"
        who = v["voter"] + (" (maintainer)" if v["maintainer"] else "")
        line = f"  {mark} {who} [event {v['seq']}]: {v['comment']}"
        if v["resolved_by"]:
            line += f" -- resolved by {v['resolved_by']}: {v['resolution']}"
        elif v["blocking"]:
            line += " -- BLOCKING"
        click.echo(line)
    click.echo("  trail" + ("" if data["trail_intact"] else " (CHAIN BROKEN)") + ":")
    for e in data["events"]:
        what = e["kind"]
        if e["kind"] == "vote":
            what = f"vote {'+1' if e['vote'] > 0 else '-1'}"
        elif e["kind"] == "resolve":
            what = f"resolve event {e['ref_seq']}"
        elif e["kind"] == "state":
            what = f"{e['state_from']} -> {e['state_to']}"
        click.echo(f"    {e['seq']:>3} {e['at']} {e['actor']}: {what} {e['comment']}".rstrip())


def _print(data: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        _show(data, fmt)
    else:
        click.echo(_summary(data))


def _criteria(values: tuple[str, ...]) -> dict[str, bool] | None:
    if not values:
        return None
    out: dict[str, bool] = {}
    for item in values:
        key, sep, value = item.partition("=")
        word = value.strip().lower()
        if not sep or word not in {"yes", "no", "1", "0", "true", "false"}:
            raise ServerError(f"--criterion {item!r}: write KEY=yes or KEY=no (e.g. deployed=yes)")
        out[key.strip()] = word in {"yes", "1", "true"}
    return out


@proposal.command("create")
@server_option
@token_option(True)
@click.option("--guideline", "-g", required=True, help="Guideline id, e.g. 2020.06.")
@click.option("--capability", "-c", required=True, help="Capability name.")
@click.option("--status", default=None, help="The proposed status (required, advisory, ...).")
@click.option(
    "--criterion",
    "criteria",
    multiple=True,
    metavar="KEY=yes|no",
    help="A proposed criterion mark, e.g. deployed=yes (repeatable).",
)
@click.option("--title", required=True, help="One line saying what and why.")
@click.option("--comment", default="", help="The rationale.")
@click.option("--private", is_flag=True, help="Visible to maintainers and admins only.")
@json_option
def create(
    server: str,
    token: str,
    guideline: str,
    capability: str,
    status: str | None,
    criteria: tuple[str, ...],
    title: str,
    comment: str,
    private: bool,
    fmt: str,
) -> None:
    """Propose a change of one capability's status or criteria; print the proposal."""
    body = {
        "guideline": guideline,
        "capability": capability,
        "status": status,
        "criteria": _criteria(criteria),
        "title": title,
        "comment": comment,
        "public": not private,
    }
    data = request(
        "POST", server, "/v1/proposals", token, json.dumps(body).encode(), _JSON, ok=(201,)
    ).data
    _print(data, fmt)


_JSON = {"Content-Type": "application/json"}


@proposal.command("list")
@server_option
@token_option(False)
@click.option("--guideline", "-g", default=None, help="Only this guideline's proposals.")
@click.option("--state", type=click.Choice(["open", "accepted", "withdrawn"]), default=None)
@json_option
def list_(
    server: str, token: str | None, guideline: str | None, state: str | None, fmt: str
) -> None:
    """List the proposals you may see, newest first."""
    query = {k: v for k, v in {"guideline": guideline, "state": state}.items() if v}
    data = request("GET", server, "/v1/proposals", token, query=query).data
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    for item in data:
        click.echo(_summary(item))


@proposal.command("show")
@click.argument("proposal_id", type=int, metavar="ID")
@server_option
@token_option(False)
@json_option
def show(proposal_id: int, server: str, token: str | None, fmt: str) -> None:
    """Show a proposal: its votes, whether it can advance, and its audit trail."""
    _show(request("GET", server, f"/v1/proposals/{proposal_id}", token).data, fmt)


@proposal.command("vote", context_settings={"ignore_unknown_options": True})
@click.argument("proposal_id", type=int, metavar="ID")
@click.argument("value", type=click.Choice(["+1", "-1", "1"]), metavar="+1|-1")
@server_option
@token_option(True)
@click.option("--comment", default="", help="Why.")
@json_option
def vote(proposal_id: int, value: str, server: str, token: str, comment: str, fmt: str) -> None:
    """Vote +1 or -1 on a proposal; voting again replaces your vote (the trail keeps both)."""
    body = {"vote": -1 if value == "-1" else 1, "comment": comment}
    data = _post(server, token, f"/v1/proposals/{proposal_id}/votes", body)
    _print(data, fmt)


@proposal.command("resolve")
@click.argument("proposal_id", type=int, metavar="ID")
@click.option("--vote-event", "vote_seq", type=int, required=True, help="The -1's event number.")
@server_option
@token_option(True)
@click.option("--comment", required=True, help="How the objection was resolved.")
@json_option
def resolve(
    proposal_id: int, vote_seq: int, server: str, token: str, comment: str, fmt: str
) -> None:
    """Resolve a maintainer's -1 (that maintainer or a foundation admin)."""
    body = {"vote_seq": vote_seq, "comment": comment}
    data = _post(server, token, f"/v1/proposals/{proposal_id}/resolutions", body)
    _print(data, fmt)


@proposal.command("advance")
@click.argument("proposal_id", type=int, metavar="ID")
@server_option
@token_option(True)
@click.option("--comment", default="")
@json_option
def advance(proposal_id: int, server: str, token: str, comment: str, fmt: str) -> None:
    """Advance a proposal (maintainers, admins): only with a quorum and no blocking -1."""
    data = _post(server, token, f"/v1/proposals/{proposal_id}/advance", {"comment": comment})
    _print(data, fmt)


@proposal.command("withdraw")
@click.argument("proposal_id", type=int, metavar="ID")
@server_option
@token_option(True)
@click.option("--comment", default="")
@json_option
def withdraw(proposal_id: int, server: str, token: str, comment: str, fmt: str) -> None:
    """Withdraw an open proposal (its author or a foundation admin)."""
    data = _post(server, token, f"/v1/proposals/{proposal_id}/withdraw", {"comment": comment})
    _print(data, fmt)


@proposal.command("maintainer")
@click.argument("user_id", type=int, metavar="ACCOUNT_ID")
@server_option
@token_option(True)
@click.option("--revoke", is_flag=True, help="Take the role instead of granting it.")
def maintainer(user_id: int, server: str, token: str, revoke: bool) -> None:
    """Grant (or revoke) the maintainer role on an account (foundation admins)."""
    body = json.dumps({"maintainer": not revoke}).encode()
    data = request("PATCH", server, f"/v1/users/{user_id}", token, body, _JSON).data
    click.echo(f"{data['name']}: maintainer {'yes' if data['maintainer'] else 'no'}")


def _post(server: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = request(
        "POST", server, path, token, json.dumps(body).encode(), _JSON
    ).data
    return data
