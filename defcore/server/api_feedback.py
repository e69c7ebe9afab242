"""The /v1 API for feedback (proposals, votes, maintainers) and Widely Deployed from data.

The rules are in `defcore.server.feedback` and `defcore.scoring.deployed`; this module only
maps them onto HTTP. A request that appends to a proposal's trail runs in one transaction and is
retried once when a concurrent request took the same place in the trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from defcore.scoring.deployed import DEFAULT_MIN_PRODUCTS, DEFAULT_THRESHOLD
from defcore.server import feedback as fb
from defcore.server import schemas as s
from defcore.server.access import Principal
from defcore.server.api import ERRORS, Id
from defcore.server.deployed import deployed_report
from defcore.server.models import Proposal
from defcore.server.state import AppState, Unauthorized

router = APIRouter(prefix="/v1")
T = TypeVar("T")


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.defcore
    return state


def _signed_in(p: Principal) -> Principal:
    if p.user is None:
        raise Unauthorized("sign in: send 'Authorization: Bearer <token>'")
    return p


def _retrying(request: Request, work: Callable[[Session, Principal], T]) -> T:
    for attempt in range(3):
        try:
            with _state(request).tx(request) as (session, p):
                return work(session, p)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def quorum_of(request: Request) -> int:
    return _state(request).quorum


def proposal_out(session: Session, proposal: Proposal) -> s.ProposalOut:
    events = fb.events_of(session, proposal.id)
    t = fb.tally(proposal, events)
    names = {e.seq: e.actor.name for e in events}
    return s.ProposalOut(
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
            s.VoteOut(
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
        trail_intact=fb.chain_intact(events),
        events=[
            s.EventOut(
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
) -> list[s.ProposalSummary]:
    query = select(Proposal).where(fb.visible_proposals(p))
    if guideline:
        query = query.where(Proposal.guideline_id == guideline)
    if state:
        query = query.where(Proposal.state == state)
    rows = session.scalars(
        query.options(selectinload(Proposal.author)).order_by(Proposal.id.desc())
    ).all()
    out = []
    for proposal in rows:
        t = fb.tally(proposal, fb.events_of(session, proposal.id))
        out.append(
            s.ProposalSummary(
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


# -- proposals ----------------------------------------------------------------------------------


@router.get("/proposals", response_model=list[s.ProposalSummary], responses=ERRORS)
def list_proposals(
    request: Request,
    guideline: Annotated[str | None, Query(max_length=100)] = None,
    state: Annotated[str | None, Query(pattern="^(open|accepted|withdrawn)$")] = None,
) -> list[s.ProposalSummary]:
    with _state(request).tx(request) as (session, p):
        return proposal_summaries(session, p, guideline, state)


@router.post("/proposals", status_code=201, response_model=s.ProposalOut, responses=ERRORS)
def create_proposal(request: Request, body: s.ProposalIn) -> s.ProposalOut:
    state = _state(request)

    def work(session: Session, p: Principal) -> s.ProposalOut:
        proposal = fb.create_proposal(
            session,
            state.registry,
            _signed_in(p),
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

    return _retrying(request, work)


@router.get("/proposals/{proposal_id}", response_model=s.ProposalOut, responses=ERRORS)
def get_proposal(request: Request, proposal_id: Id) -> s.ProposalOut:
    with _state(request).tx(request) as (session, p):
        return proposal_out(session, fb.readable_proposal(session, p, proposal_id))


@router.post("/proposals/{proposal_id}/votes", response_model=s.ProposalOut, responses=ERRORS)
def vote(request: Request, proposal_id: Id, body: s.VoteIn) -> s.ProposalOut:
    def work(session: Session, p: Principal) -> s.ProposalOut:
        proposal = fb.readable_proposal(session, _signed_in(p), proposal_id, True)
        fb.vote(session, p, proposal, body.vote, body.comment)
        return proposal_out(session, proposal)

    return _retrying(request, work)


@router.post("/proposals/{proposal_id}/resolutions", response_model=s.ProposalOut, responses=ERRORS)
def resolve(request: Request, proposal_id: Id, body: s.ResolveIn) -> s.ProposalOut:
    def work(session: Session, p: Principal) -> s.ProposalOut:
        proposal = fb.readable_proposal(session, _signed_in(p), proposal_id, True)
        fb.resolve(session, p, proposal, body.vote_seq, body.comment)
        return proposal_out(session, proposal)

    return _retrying(request, work)


@router.post("/proposals/{proposal_id}/advance", response_model=s.ProposalOut, responses=ERRORS)
def advance(request: Request, proposal_id: Id, body: s.StateIn) -> s.ProposalOut:
    def work(session: Session, p: Principal) -> s.ProposalOut:
        proposal = fb.readable_proposal(session, _signed_in(p), proposal_id, True)
        fb.advance(session, p, proposal, body.comment)
        return proposal_out(session, proposal)

    return _retrying(request, work)


@router.post("/proposals/{proposal_id}/withdraw", response_model=s.ProposalOut, responses=ERRORS)
def withdraw(request: Request, proposal_id: Id, body: s.StateIn) -> s.ProposalOut:
    def work(session: Session, p: Principal) -> s.ProposalOut:
        proposal = fb.readable_proposal(session, _signed_in(p), proposal_id, True)
        fb.withdraw(session, p, proposal, body.comment)
        return proposal_out(session, proposal)

    return _retrying(request, work)


# -- maintainers --------------------------------------------------------------------------------


@router.patch("/users/{user_id}", response_model=s.UserOut, responses=ERRORS)
def change_user(request: Request, user_id: Id, body: s.UserPatch) -> s.UserOut:
    with _state(request).tx(request) as (session, p):
        user = fb.set_maintainer(session, _signed_in(p), user_id, body.maintainer)
        return s.UserOut(
            id=user.id,
            name=user.name,
            foundation_admin=user.foundation_admin,
            maintainer=user.maintainer,
        )


# -- Widely Deployed ----------------------------------------------------------------------------


@router.get(
    "/guidelines/{guideline_id}/deployed",
    response_model=s.DeployedOut,
    responses=ERRORS,
    summary="Widely Deployed from data: per capability, the share of products whose newest "
    "verified result passes it, beside the committee's mark",
)
def deployed(
    request: Request,
    guideline_id: Annotated[str, PathParam(min_length=1, max_length=100)],
    threshold: Annotated[float, Query(ge=0.0, lt=1.0)] = DEFAULT_THRESHOLD,
    min_products: Annotated[int, Query(ge=1, le=1_000_000)] = DEFAULT_MIN_PRODUCTS,
) -> s.DeployedOut:
    state = _state(request)
    with state.tx(request) as (session, p):
        report, rows = deployed_report(
            session, p, state.registry, guideline_id, threshold, min_products
        )
        return s.DeployedOut(
            guideline=guideline_id,
            threshold=report.threshold,
            min_products=report.min_products,
            products=[
                s.DeployedProductOut(
                    product=r.label,
                    product_id=r.product_id,
                    result_id=r.result_id,
                    targets=list(r.targets),
                )
                for r in rows
            ],
            capabilities=[s.DeployedCapabilityOut(**c.as_dict()) for c in report.capabilities],
        )
