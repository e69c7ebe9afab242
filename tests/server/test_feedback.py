"""Feedback: proposals, votes, maintainers and the audit trail, over real HTTP on both databases.

Rules under test (defcore.server.feedback): a proposal advances only when a maintainer asks and
it has a quorum of +1s (3 on the test server) and no unresolved maintainer -1; silence never
advances it; every vote and state change is appended to a trail the database will not change.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from server_support import Account, Live
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from defcore.cli import cli
from defcore.server.feedback import chain_intact
from defcore.server.models import ProposalEvent

CAPABILITY = "compute-images-create"  # required in 2020.06, below the cutoff (72)


def _maintainer(live: Live) -> Account:
    account = live.user("maintainer")
    r = live.call("PATCH", f"/v1/users/{account.id}", live.admin.token, json={"maintainer": True})
    assert r.status_code == 200 and r.json()["maintainer"] is True, r.text
    return account


def _propose(live: Live, token: str, **change: Any) -> dict[str, Any]:
    body = {
        "guideline": "2020.06",
        "capability": CAPABILITY,
        "title": "demote a capability below the cutoff",
        "comment": "scores 72, under the platform's 74",
        **(change or {"status": "advisory"}),
    }
    r = live.call("POST", "/v1/proposals", token, json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def _vote(live: Live, account: Account, pid: int, value: int, comment: str = "") -> httpx.Response:
    return live.call(
        "POST",
        f"/v1/proposals/{pid}/votes",
        account.token,
        json={"vote": value, "comment": comment},
    )


def _advance(live: Live, token: str, pid: int) -> httpx.Response:
    return live.call("POST", f"/v1/proposals/{pid}/advance", token, json={"comment": "go"})


def _get(live: Live, pid: int, token: str | None = None) -> dict[str, Any]:
    r = live.call("GET", f"/v1/proposals/{pid}", token)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_quorum_of_plus_ones_advances(live: Live) -> None:
    author, maintainer = live.user("author"), _maintainer(live)
    proposal = _propose(live, author.token)
    pid = proposal["id"]
    assert proposal["state"] == "open" and proposal["quorum"] == 3
    assert proposal["current"] == {
        "status": "required",
        "achievements": sorted(proposal["current"]["achievements"]),
    }
    voters = [live.user("voter") for _ in range(3)]
    for n, voter in enumerate(voters[:2], 1):
        assert _vote(live, voter, pid, 1, f"agree {n}").status_code == 200
        r = _advance(live, maintainer.token, pid)
        assert r.status_code == 409
        assert f"{n} of the 3 +1 votes needed" in r.json()["detail"]
        assert r.json()["reasons"] == [f"{n} of the 3 +1 votes needed"]
    r = _vote(live, voters[2], pid, 1, "agree 3")
    assert r.json()["ready"] is True and r.json()["state"] == "open"  # ready, not advanced
    # only a maintainer or a foundation admin advances
    assert _advance(live, author.token, pid).status_code == 403
    r = _advance(live, maintainer.token, pid)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["state"] == "accepted" and data["plus"] == 3
    assert [e["kind"] for e in data["events"]] == ["created", "vote", "vote", "vote", "state"]
    assert data["events"][-1]["state_from"] == "open"
    assert data["events"][-1]["state_to"] == "accepted"
    assert data["events"][-1]["actor"] == maintainer.name
    # an accepted proposal takes no more votes
    assert _vote(live, live.user(), pid, -1).status_code == 409
    assert _advance(live, maintainer.token, pid).status_code == 409


def test_maintainer_minus_one_blocks_until_the_maintainer_changes_it(live: Live) -> None:
    maintainer = _maintainer(live)
    pid = _propose(live, live.user().token)["id"]
    for _ in range(3):
        _vote(live, live.user(), pid, 1)
    # a plain account's -1 is recorded but does not block
    r = _vote(live, live.user("skeptic"), pid, -1, "not sure")
    assert r.json()["ready"] is True and r.json()["minus"] == 1
    r = _vote(live, maintainer, pid, -1, "clients still use it")
    data = r.json()
    assert data["ready"] is False
    blocking = [v for v in data["votes"] if v["blocking"]]
    assert [v["voter"] for v in blocking] == [maintainer.name]
    r = _advance(live, maintainer.token, pid)
    assert r.status_code == 409 and "unresolved -1 from maintainer" in r.json()["detail"]
    assert _advance(live, live.admin.token, pid).status_code == 409  # not even an admin
    # the maintainer changes the vote: one vote per account, the latest counts
    r = _vote(live, maintainer, pid, 1, "convinced")
    data = r.json()
    assert data["ready"] is True and data["plus"] == 4
    assert sum(1 for v in data["votes"] if v["voter"] == maintainer.name) == 1
    assert _advance(live, maintainer.token, pid).json()["state"] == "accepted"


def test_maintainer_minus_one_resolved_by_a_foundation_admin(live: Live) -> None:
    maintainer, other = _maintainer(live), live.user()
    pid = _propose(live, live.user().token, criteria={"deployed": True})["id"]
    for _ in range(3):
        _vote(live, live.user(), pid, 1)
    data = _vote(live, maintainer, pid, -1, "needs data").json()
    seq = next(v["seq"] for v in data["votes"] if v["voter"] == maintainer.name)
    path = f"/v1/proposals/{pid}/resolutions"
    # a resolution needs a comment, and only the maintainer or a foundation admin may give it
    r = live.call("POST", path, live.admin.token, json={"vote_seq": seq, "comment": ""})
    assert r.status_code == 422
    r = live.call("POST", path, other.token, json={"vote_seq": seq, "comment": "meh"})
    assert r.status_code == 403
    r = live.call("POST", path, live.admin.token, json={"vote_seq": 1, "comment": "x"})
    assert r.status_code == 409  # event 1 is the creation, not a blocking vote
    r = live.call("POST", path, live.admin.token, json={"vote_seq": seq, "comment": "data came in"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["ready"] is True
    vote = next(v for v in data["votes"] if v["voter"] == maintainer.name)
    assert vote["vote"] == -1 and vote["blocking"] is False
    assert vote["resolved_by"] == live.admin.name and vote["resolution"] == "data came in"
    # resolving twice is refused; a new -1 from the maintainer blocks again
    r = live.call("POST", path, live.admin.token, json={"vote_seq": seq, "comment": "again"})
    assert r.status_code == 409
    assert _vote(live, maintainer, pid, -1, "still no").json()["ready"] is False
    assert _advance(live, maintainer.token, pid).status_code == 409


def test_silence_never_advances(live: Live) -> None:
    maintainer = _maintainer(live)
    pid = _propose(live, live.user().token)["id"]
    _vote(live, live.user(), pid, 1)
    time.sleep(1.5)
    for _ in range(3):  # reads and time change nothing
        data = _get(live, pid)
        assert data["state"] == "open" and data["ready"] is False
    assert _advance(live, maintainer.token, pid).status_code == 409
    assert [e["kind"] for e in _get(live, pid)["events"]] == ["created", "vote"]
    # nobody objected, but nobody agreed either: still open, still not ready
    listing = live.call("GET", "/v1/proposals", params={"state": "open"}).json()
    assert any(p["id"] == pid and p["ready"] is False for p in listing)


def test_audit_trail_is_complete_and_append_only(live: Live) -> None:
    author, maintainer, voter = live.user(), _maintainer(live), live.user()
    pid = _propose(live, author.token)["id"]
    _vote(live, voter, pid, 1, "yes")
    _vote(live, voter, pid, -1, "on second thought")
    _vote(live, voter, pid, 1, "yes after all")
    _vote(live, maintainer, pid, -1, "no")
    seq = _get(live, pid)["votes"][-1]["seq"]
    live.call(
        "POST",
        f"/v1/proposals/{pid}/resolutions",
        maintainer.token,
        json={"vote_seq": seq, "comment": "I withdraw my objection"},
    )
    before = _get(live, pid)["events"]
    r = live.call("POST", f"/v1/proposals/{pid}/withdraw", author.token, json={"comment": "later"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    data = r.json()
    events = data["events"]
    # every vote, resolution and state change, in order, each with its actor and comment
    assert [(e["seq"], e["kind"], e["actor"], e["vote"], e["comment"]) for e in events] == [
        (1, "created", author.name, None, "scores 72, under the platform's 74"),
        (2, "vote", voter.name, 1, "yes"),
        (3, "vote", voter.name, -1, "on second thought"),
        (4, "vote", voter.name, 1, "yes after all"),
        (5, "vote", maintainer.name, -1, "no"),
        (6, "resolve", maintainer.name, None, "I withdraw my objection"),
        (7, "state", author.name, None, "later"),
    ]
    assert events[4]["maintainer"] is True and events[5]["ref_seq"] == 5
    assert (events[6]["state_from"], events[6]["state_to"]) == ("open", "withdrawn")
    assert events[:-1] == before  # appending left every earlier entry as it was
    assert data["plus"] == 1 and data["minus"] == 1  # one vote per account: the latest
    assert data["trail_intact"] is True
    # the database itself refuses to change or delete an entry
    for statement in (
        "UPDATE proposal_events SET comment = 'edited' WHERE proposal_id = :pid",
        "DELETE FROM proposal_events WHERE proposal_id = :pid",
    ):
        with pytest.raises(DBAPIError, match="append-only"), live.engine.begin() as conn:
            conn.execute(text(statement), {"pid": pid})
    with live.engine.connect() as conn:
        rows = list(
            conn.execute(
                select(ProposalEvent)
                .where(ProposalEvent.proposal_id == pid)
                .order_by(ProposalEvent.seq)
            )
        )
    assert len(rows) == 7 and all(r.comment != "edited" for r in rows)
    stored = [ProposalEvent(**dict(r._mapping)) for r in rows]
    assert chain_intact(stored)
    stored[2].comment = "rewritten history"  # what an edit behind the server's back would be
    assert not chain_intact(stored)
    # a withdrawn proposal takes no more votes
    assert _vote(live, live.user(), pid, 1).status_code == 409


def test_access_rules(live: Live) -> None:
    author, stranger, maintainer = live.user(), live.user(), _maintainer(live)
    public = _propose(live, author.token)["id"]
    private = _propose(live, author.token, status="deprecated", public=False)["id"]
    # public proposals for everyone, signed in or not; voting needs an account
    assert live.call("GET", f"/v1/proposals/{public}").status_code == 200
    r = live.call("POST", f"/v1/proposals/{public}/votes", json={"vote": 1})
    assert r.status_code == 401
    assert live.call("POST", "/v1/proposals", json={}).status_code in (401, 422)
    # private ones for the author, maintainers and admins only
    for token in (None, stranger.token):
        assert live.call("GET", f"/v1/proposals/{private}", token).status_code == 404
        ids = [p["id"] for p in live.call("GET", "/v1/proposals", token).json()]
        assert public in ids and private not in ids
    for token in (author.token, maintainer.token, live.admin.token):
        assert live.call("GET", f"/v1/proposals/{private}", token).status_code == 200
    assert _vote(live, stranger, private, 1).status_code == 404
    # only a foundation admin grants the maintainer role
    r = live.call("PATCH", f"/v1/users/{stranger.id}", maintainer.token, json={"maintainer": True})
    assert r.status_code == 403
    assert live.call("GET", "/v1/me", maintainer.token).json()["maintainer"] is True
    # only the author or an admin withdraws
    r = live.call("POST", f"/v1/proposals/{public}/withdraw", stranger.token, json={})
    assert r.status_code == 403
    # a vote is +1 or -1
    assert _vote(live, stranger, public, 2).status_code == 422


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capability": "no-such-capability", "status": "advisory"}, "has no capability"),
        ({"status": "required"}, "already required"),
        ({"criteria": {"sparkly": True}}, "no criterion 'sparkly'"),
        ({"criteria": {"complete": True}}, "already has these marks"),
        ({"status": "advisory", "criteria": {"deployed": True}}, "exactly one"),
        ({"guideline": "1999.01", "status": "advisory"}, "no guideline"),
    ],
)
def test_proposals_are_checked_against_the_guideline(
    live: Live, change: dict[str, Any], message: str
) -> None:
    body = {"guideline": "2020.06", "capability": CAPABILITY, "title": "t", **change}
    r = live.call("POST", "/v1/proposals", live.user().token, json=body)
    assert r.status_code in (404, 422), r.text
    assert message in r.json()["detail"]


def test_pages_list_proposals_with_votes_and_trail(live: Live) -> None:
    author, maintainer, voter = live.user(), _maintainer(live), live.user()
    pid = _propose(live, author.token)["id"]
    _vote(live, voter, pid, 1, "ship it")
    _vote(live, maintainer, pid, -1, "wait for the data")
    listing = live.call("GET", "/proposals", params={"guideline": "2020.06"}).text
    row = listing.split(f'data-proposal="{pid}"')[1].split("</tr>")[0]
    assert CAPABILITY in row and "+1" in row and "-1" in row and "blocked by 1" in row
    assert 'data-state="open"' in listing
    page = live.call("GET", f"/proposals/{pid}").text
    assert "ship it" in page and "wait for the data" in page
    assert f'data-voter="{maintainer.name}" data-vote="-1" data-blocking="yes"' in page
    assert "unresolved -1 from maintainer" in page
    assert page.count('data-kind="vote"') == 2 and "the chain is intact" in page
    assert live.call("GET", "/proposals/999999").status_code == 404


def test_cli_create_vote_show_list(live: Live) -> None:
    author, maintainer = live.user(), _maintainer(live)
    runner = CliRunner()
    base = ["--server", live.url]

    def run(*args: str, token: str | None = None, code: int = 0) -> str:
        extra = ["--token", token] if token else []
        result = runner.invoke(cli, [*args, *base, *extra], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    out = run(
        "proposal",
        "create",
        "-g",
        "2020.06",
        "-c",
        CAPABILITY,
        "--criterion",
        "deployed=yes",
        "--title",
        "deployed after all",
        token=author.token,
    )
    assert out.startswith("#") and "[open]" in out and "deployed yes" in out
    pid = out[1:].split(" ", 1)[0]
    voters = [live.user() for _ in range(3)]
    for voter in voters:
        run("proposal", "vote", pid, "+1", "--comment", "agreed", token=voter.token)
    out = run("proposal", "vote", pid, "-1", "--comment", "hold on", token=maintainer.token)
    assert "+3 -1 of 3, 1 blocking" in out
    out = run("proposal", "show", pid)
    assert "BLOCKING" in out and "cannot advance: an unresolved -1 from maintainer" in out
    seq = next(
        line.split("[event ")[1].split("]")[0] for line in out.splitlines() if "BLOCKING" in line
    )
    result = runner.invoke(cli, ["proposal", "advance", pid, *base, "--token", maintainer.token])
    assert result.exit_code != 0 and "cannot advance" in str(result.exception)
    run(
        "proposal",
        "resolve",
        pid,
        "--vote-event",
        seq,
        "--comment",
        "my concern is answered",
        token=maintainer.token,
    )
    out = run("proposal", "advance", pid, token=maintainer.token)
    assert "[accepted]" in out
    out = run("proposal", "list", "--state", "accepted")
    assert f"#{pid} [accepted]" in out
    out = run("proposal", "show", pid, "--format", "json")
    assert '"state": "accepted"' in out


def test_concurrent_votes_each_take_their_own_place_in_the_trail(live: Live) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pid = _propose(live, live.user().token)["id"]
    voters = [live.user() for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda v: _vote(live, v, pid, 1, v.name).status_code, voters))
    assert codes == [200] * 8
    data = _get(live, pid)
    assert [e["seq"] for e in data["events"]] == list(range(1, 10))
    assert data["plus"] == 8 and data["trail_intact"] is True
    assert {e["actor"] for e in data["events"][1:]} == {v.name for v in voters}
