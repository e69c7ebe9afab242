"""/v1/proposals: proposals to change a guideline, their votes, resolutions and states.

The rules are in `defcore.server.feedback`; this module only maps them onto HTTP. A request that
appends to a proposal's trail runs in one transaction and is retried when a concurrent request
took the same place in the trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from defcore.server import feedback, schemas
from defcore.server.access import Principal
from defcore.server.api.common import ERRORS, SIGNED_IN, Id, app_state, retrying, signed_in
from defcore.server.models import Proposal

router = APIRouter(prefix="/v1", tags=["proposals"])


def quorum_of(request: Request) -> int:
    return app_state(request).quorum


def proposal_out(session: Session, proposal: Proposal) -> schemas.ProposalOut:
    events = feedback.events_of(session, proposal.id)
    t = feedback.tally(proposal, events)
    names = {e.seq: e.actor.name for e in events}
    return schemas.ProposalOut(
        id=proposal.id,
        guideline=proposal.guideline_id,
        capability=proposal.capability,
        change=json.loads(proposal.change_json),
        current=json.loads(proposal.current_json),
        title=proposal.title,
        public=proposal.public,
        author=proposal.author.name,
        created_at=proposal.created_at,
        state=proposal.state,
        quorum=proposal.quorum,
        plus=t.plus,
        minus=t.minus,
        ready=t.ready,
        reasons=t.reasons,
        votes=[
            schemas.VoteOut(
                voter=names[v.event.seq],
                vote=v.event.vote or 0,
                maintainer=v.event.maintainer,
                comment=v.event.comment,
                seq=v.event.seq,
                at=v.event.created_at,
                blocking=v.blocking,
                resolved_by=v.resolution.actor.name if v.resolution else None,
                resolution=v.resolution.comment if v.resolution else None,
            )
            for v in t.votes
        ],
        trail_intact=feedback.chain_intact(events),
        events=[
            schemas.EventOut(
                seq=e.seq,
                kind=e.kind,
                actor=e.actor.name,
                maintainer=e.maintainer,
                vote=e.vote,
                ref_seq=e.ref_seq,
                state_from=e.state_from,
                state_to=e.state_to,
                comment=e.comment,
                at=e.created_at,
                digest=e.digest,
            )
            for e in events
        ],
    )


def proposal_summaries(
    session: Session, p: Principal, guideline: str | None, state: str | None
) -> list[schemas.ProposalSummary]:
    query = select(Proposal).where(feedback.visible_proposals(p))
    if guideline:
        query = query.where(Proposal.guideline_id == guideline)
    if state:
        query = query.where(Proposal.state == state)
    rows = session.scalars(
        query.options(selectinload(Proposal.author)).order_by(Proposal.id.desc())
    ).all()
    out = []
    for proposal in rows:
        t = feedback.tally(proposal, feedback.events_of(session, proposal.id))
        out.append(
            schemas.ProposalSummary(
                id=proposal.id,
                guideline=proposal.guideline_id,
                capability=proposal.capability,
                change=json.loads(proposal.change_json),
                title=proposal.title,
                author=proposal.author.name,
                created_at=proposal.created_at,
                state=proposal.state,
                quorum=proposal.quorum,
                plus=t.plus,
                minus=t.minus,
                blocking=len(t.blocking),
                ready=t.ready,
            )
        )
    return out


@router.get("/proposals", response_model=list[schemas.ProposalSummary], responses=ERRORS)
def list_proposals(
    request: Request,
    guideline: Annotated[str | None, Query(max_length=100)] = None,
    state: Annotated[str | None, Query(pattern="^(open|accepted|withdrawn)$")] = None,
) -> list[schemas.ProposalSummary]:
    with app_state(request).tx(request) as (session, p):
        return proposal_summaries(session, p, guideline, state)


@router.post(
    "/proposals",
    status_code=201,
    response_model=schemas.ProposalOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def create_proposal(request: Request, body: schemas.ProposalIn) -> schemas.ProposalOut:
    state = app_state(request)

    def work(session: Session, p: Principal) -> schemas.ProposalOut:
        proposal = feedback.create_proposal(
            session,
            state.registry,
            signed_in(p),
            guideline_id=body.guideline,
            capability=body.capability,
            status=body.status,
            criteria=body.criteria,
            title=body.title,
            comment=body.comment,
            public=body.public,
            quorum=quorum_of(request),
        )
        return proposal_out(session, proposal)

    return retrying(request, work)


@router.get("/proposals/{proposal_id}", response_model=schemas.ProposalOut, responses=ERRORS)
def get_proposal(request: Request, proposal_id: Id) -> schemas.ProposalOut:
    with app_state(request).tx(request) as (session, p):
        return proposal_out(session, feedback.readable_proposal(session, p, proposal_id))


def _act(
    request: Request,
    proposal_id: Id,
    action: Callable[[Session, Principal, Proposal], object],
) -> schemas.ProposalOut:
    """One signed-in action on a proposal the caller may read, retried on a write conflict."""

    def work(session: Session, p: Principal) -> schemas.ProposalOut:
        proposal = feedback.readable_proposal(session, signed_in(p), proposal_id, True)
        action(session, p, proposal)
        return proposal_out(session, proposal)

    return retrying(request, work)


@router.post(
    "/proposals/{proposal_id}/votes",
    response_model=schemas.ProposalOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def vote(request: Request, proposal_id: Id, body: schemas.VoteIn) -> schemas.ProposalOut:
    return _act(
        request,
        proposal_id,
        lambda session, p, proposal: feedback.vote(session, p, proposal, body.vote, body.comment),
    )


@router.post(
    "/proposals/{proposal_id}/resolutions",
    response_model=schemas.ProposalOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def resolve(request: Request, proposal_id: Id, body: schemas.ResolveIn) -> schemas.ProposalOut:
    return _act(
        request,
        proposal_id,
        lambda session, p, proposal: feedback.resolve(
            session, p, proposal, body.vote_seq, body.comment
        ),
    )


@router.post(
    "/proposals/{proposal_id}/advance",
    response_model=schemas.ProposalOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def advance(request: Request, proposal_id: Id, body: schemas.StateIn) -> schemas.ProposalOut:
    return _act(
        request,
        proposal_id,
        lambda session, p, proposal: feedback.advance(session, p, proposal, body.comment),
    )


@router.post(
    "/proposals/{proposal_id}/withdraw",
    response_model=schemas.ProposalOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def withdraw(request: Request, proposal_id: Id, body: schemas.StateIn) -> schemas.ProposalOut:
    return _act(
        request,
        proposal_id,
        lambda session, p, proposal: feedback.withdraw(session, p, proposal, body.comment),
    )
