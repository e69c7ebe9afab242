"""Feedback on the next guideline: proposals, votes, and their append-only audit trail.

A proposal asks for one change to one capability of a named guideline: a new status
(`{"status": "advisory"}`) or new marks on scoring criteria (`{"criteria": {"deployed": true}}`).

Rules ("crickets means go slower"):

- Anyone with an account may vote +1 or -1 with a comment on a proposal they can see; an account
  has one vote per proposal, its latest: voting again replaces the vote and appends to the trail.
- A -1 cast by a maintainer (the account's role when it voted) blocks the proposal until it is
  resolved: by its maintainer changing the vote to +1, or by a resolution, with a comment, from
  that maintainer or a foundation admin. A new -1 from the maintainer blocks again.
- A proposal advances (open -> accepted) only when a maintainer or foundation admin asks it to
  and, at that moment, it has at least `quorum` +1s and no unresolved maintainer -1. Nothing
  ever advances a proposal by itself: silence, or time passing, leaves it open.
- Its author or a foundation admin may withdraw an open proposal. Accepted and withdrawn
  proposals take no more votes.
- The quorum is the server's setting when the proposal is made (default 3), kept with it.

Every creation, vote, resolution and state change is one row of `proposal_events`, which the
database refuses to update or delete; the state and the votes shown are computed from it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from defcore.errors import Conflict, Forbidden, NotFound, ProposalError
from defcore.guidelines.model import Status
from defcore.server.access import Principal
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.models import Proposal, ProposalEvent, User, utcnow

DEFAULT_QUORUM = 3


# -- who sees what --------------------------------------------------------------------------


def is_maintainer(p: Principal) -> bool:
    return p.user is not None and p.user.maintainer


def visible_proposals(p: Principal) -> ColumnElement[bool]:
    """Public proposals for everyone; private ones for their author, maintainers and admins."""
    if p.admin or is_maintainer(p):
        return true()
    if p.user_id is None:
        return Proposal.public == true()
    return or_(Proposal.public == true(), Proposal.created_by == p.user_id)


def readable_proposal(
    session: Session, p: Principal, proposal_id: int, for_update: bool = False
) -> Proposal:
    """The proposal if `p` may see it; `for_update` locks its row until the transaction ends,
    so that appends to one trail happen one at a time (SQLite's BEGIN IMMEDIATE does that
    already for the whole database)."""
    query = select(Proposal).where(Proposal.id == proposal_id, visible_proposals(p))
    if for_update:
        query = query.with_for_update()
    proposal = session.scalar(query)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    return proposal


# -- the trail --------------------------------------------------------------------------------


def events_of(session: Session, proposal_id: int) -> list[ProposalEvent]:
    return list(
        session.scalars(
            select(ProposalEvent)
            .where(ProposalEvent.proposal_id == proposal_id)
            .order_by(ProposalEvent.seq)
        )
    )


def event_digest(previous: str, event: ProposalEvent) -> str:
    content = [
        event.proposal_id,
        event.seq,
        event.kind,
        event.actor_id,
        bool(event.maintainer),
        event.vote,
        event.ref_seq,
        event.state_from,
        event.state_to,
        event.comment,
        event.created_at.isoformat(),
    ]
    data = previous + json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def chain_intact(events: list[ProposalEvent]) -> bool:
    """Whether the trail is numbered 1..n and every digest follows from the one before."""
    previous = ""
    for number, event in enumerate(events, 1):
        if event.seq != number or event.digest != event_digest(previous, event):
            return False
        previous = event.digest
    return True


def _append(
    session: Session, proposal: Proposal, p: Principal, kind: str, **values: Any
) -> ProposalEvent:
    assert p.user is not None
    last = session.scalar(
        select(ProposalEvent)
        .where(ProposalEvent.proposal_id == proposal.id)
        .order_by(ProposalEvent.seq.desc())
        .limit(1)
    )
    event = ProposalEvent(
        proposal_id=proposal.id,
        seq=(last.seq + 1) if last else 1,
        kind=kind,
        actor_id=p.user.id,
        maintainer=bool(p.user.maintainer),
        vote=values.get("vote"),
        ref_seq=values.get("ref_seq"),
        state_from=values.get("state_from"),
        state_to=values.get("state_to"),
        comment=values.get("comment", ""),
        created_at=utcnow(),
    )
    event.digest = event_digest(last.digest if last else "", event)
    session.add(event)
    session.flush()  # a concurrent append that took the same seq fails here, whole
    return event


# -- the tally --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentVote:
    event: ProposalEvent  # the account's latest vote
    resolution: ProposalEvent | None  # the resolution of it, if any

    @property
    def blocking(self) -> bool:
        return self.event.vote == -1 and self.event.maintainer and self.resolution is None


@dataclass(frozen=True)
class Tally:
    state: str
    quorum: int
    votes: list[CurrentVote]
    reasons: list[str] = field(default_factory=list)  # why it cannot advance; empty if it can

    @property
    def plus(self) -> int:
        return sum(1 for v in self.votes if v.event.vote == 1)

    @property
    def minus(self) -> int:
        return sum(1 for v in self.votes if v.event.vote == -1)

    @property
    def blocking(self) -> list[CurrentVote]:
        return [v for v in self.votes if v.blocking]

    @property
    def ready(self) -> bool:
        return not self.reasons


def tally(proposal: Proposal, events: list[ProposalEvent]) -> Tally:
    latest: dict[int, ProposalEvent] = {}
    resolutions: dict[int, ProposalEvent] = {}
    for event in events:
        if event.kind == "vote":
            latest[event.actor_id] = event
        elif event.kind == "resolve" and event.ref_seq is not None:
            resolutions.setdefault(event.ref_seq, event)
    votes = [
        CurrentVote(e, resolutions.get(e.seq)) for e in sorted(latest.values(), key=lambda e: e.seq)
    ]
    result = Tally(proposal.state, proposal.quorum, votes)
    if proposal.state != "open":
        result.reasons.append(f"the proposal is {proposal.state}")
    if result.plus < proposal.quorum:
        result.reasons.append(f"{result.plus} of the {proposal.quorum} +1 votes needed")
    for vote in result.blocking:
        result.reasons.append(f"an unresolved -1 from maintainer {vote.event.actor.name!r}")
    return result


# -- actions ----------------------------------------------------------------------------------


def describe_capability(
    registry: GuidelineRegistry, guideline_id: str, capability: str
) -> dict[str, Any]:
    guideline = registry.get(guideline_id)
    if capability not in guideline.capabilities:
        raise ProposalError(f"guideline {guideline_id} has no capability {capability!r}")
    status = guideline.status_of(capability)
    return {
        "status": str(status) if status else None,
        "achievements": sorted(a for a in guideline.capabilities[capability].achievements if a),
    }


def check_change(
    registry: GuidelineRegistry,
    guideline_id: str,
    current: dict[str, Any],
    status: str | None,
    criteria: dict[str, bool] | None,
) -> dict[str, Any]:
    """The change as stored: exactly one of a new status or new criterion marks."""
    if (status is None) == (criteria is None):
        raise ProposalError("a proposal changes either the status or criteria, exactly one")
    if status is not None:
        if status not in {str(s) for s in Status}:
            known = ", ".join(str(s) for s in Status)
            raise ProposalError(f"status {status!r} is not one of {known}")
        if status == current["status"]:
            raise ProposalError(f"the capability is already {status} in {guideline_id}")
        return {"status": status}
    assert criteria is not None
    guideline = registry.get(guideline_id)
    if not criteria:
        raise ProposalError("criteria: name at least one criterion")
    unknown = sorted(set(criteria) - set(guideline.criteria))
    if unknown:
        known = ", ".join(sorted(guideline.criteria)) or "none"
        raise ProposalError(f"criteria: {guideline_id} has no criterion {unknown[0]!r} ({known})")
    achieved = set(current["achievements"])
    if all((key in achieved) == value for key, value in criteria.items()):
        raise ProposalError(f"criteria: the capability already has these marks in {guideline_id}")
    return {"criteria": dict(sorted(criteria.items()))}


def create_proposal(
    session: Session,
    registry: GuidelineRegistry,
    p: Principal,
    *,
    guideline_id: str,
    capability: str,
    status: str | None,
    criteria: dict[str, bool] | None,
    title: str,
    comment: str,
    public: bool,
    quorum: int,
) -> Proposal:
    if p.user is None:
        raise Forbidden("sign in to make a proposal")
    current = describe_capability(registry, guideline_id, capability)
    change = check_change(registry, guideline_id, current, status, criteria)
    proposal = Proposal(
        guideline_id=guideline_id,
        capability=capability,
        change_json=json.dumps(change),
        current_json=json.dumps(current),
        title=title,
        public=public,
        quorum=quorum,
        state="open",
        created_by=p.user.id,
    )
    session.add(proposal)
    session.flush()
    _append(session, proposal, p, "created", state_to="open", comment=comment)
    return proposal


def _open(proposal: Proposal) -> None:
    if proposal.state != "open":
        raise Conflict(f"proposal {proposal.id} is {proposal.state}: it takes no more changes")


def vote(session: Session, p: Principal, proposal: Proposal, value: int, comment: str) -> None:
    if p.user is None:
        raise Forbidden("sign in to vote")
    if value not in (1, -1):
        raise ProposalError(f"a vote is +1 or -1, not {value}")
    _open(proposal)
    _append(session, proposal, p, "vote", vote=value, comment=comment)


def resolve(
    session: Session, p: Principal, proposal: Proposal, vote_seq: int, comment: str
) -> None:
    if p.user is None:
        raise Forbidden("sign in to resolve a vote")
    _open(proposal)
    current = tally(proposal, events_of(session, proposal.id))
    target = next((v for v in current.votes if v.event.seq == vote_seq), None)
    if target is None or not target.blocking:
        raise Conflict(
            f"event {vote_seq} of proposal {proposal.id} is not a maintainer's current, "
            "unresolved -1"
        )
    if not (p.admin or target.event.actor_id == p.user.id):
        raise Forbidden("only the maintainer who voted or a foundation admin may resolve a -1")
    _append(session, proposal, p, "resolve", ref_seq=vote_seq, comment=comment)


def _change_state(
    session: Session, p: Principal, proposal: Proposal, new: str, comment: str
) -> None:
    old = proposal.state
    proposal.state = new
    _append(session, proposal, p, "state", state_from=old, state_to=new, comment=comment)


def advance(session: Session, p: Principal, proposal: Proposal, comment: str) -> Tally:
    if not (p.admin or is_maintainer(p)):
        raise Forbidden("only a maintainer or a foundation admin may advance a proposal")
    current = tally(proposal, events_of(session, proposal.id))
    if not current.ready:
        raise Conflict(
            f"proposal {proposal.id} cannot advance: " + "; ".join(current.reasons),
            {"reasons": current.reasons},
        )
    _change_state(session, p, proposal, "accepted", comment)
    return current


def withdraw(session: Session, p: Principal, proposal: Proposal, comment: str) -> None:
    if p.user is None or not (p.admin or proposal.created_by == p.user.id):
        raise Forbidden("only the proposal's author or a foundation admin may withdraw it")
    _open(proposal)
    _change_state(session, p, proposal, "withdrawn", comment)


def set_maintainer(session: Session, p: Principal, user_id: int, value: bool) -> User:
    if not p.admin:
        raise Forbidden("only a foundation admin may grant or take the maintainer role")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no account {user_id}")
    user.maintainer = value
    session.flush()
    return user


def count_open(session: Session, p: Principal) -> int:
    query = select(func.count(Proposal.id)).where(visible_proposals(p), Proposal.state == "open")
    return session.scalar(query) or 0
