"""Pages for feedback (the proposals and their votes) and for Widely Deployed from data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from defcore.scoring.deployed import DEFAULT_MIN_PRODUCTS, DEFAULT_THRESHOLD
from defcore.server.api.common import Id
from defcore.server.api.proposals import proposal_out, proposal_summaries
from defcore.server.deployed import deployed_report
from defcore.server.feedback import readable_proposal
from defcore.server.pages import page
from defcore.server.state import AppState

router = APIRouter(include_in_schema=False)


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.defcore
    return state


@router.get("/proposals")
def proposals_page(
    request: Request,
    guideline: Annotated[str, Query(max_length=100)] = "",
    state: Annotated[str, Query(pattern="^(|open|accepted|withdrawn)$")] = "",
) -> Response:
    with _state(request).tx(request) as (session, p):
        rows = proposal_summaries(session, p, guideline or None, state or None)
        return page(
            "proposals.html",
            p,
            proposals=rows,
            filters={"guideline": guideline, "state": state},
            quorum=_state(request).quorum,
        )


@router.get("/proposals/{proposal_id}")
def proposal_page(request: Request, proposal_id: Id) -> Response:
    with _state(request).tx(request) as (session, p):
        proposal = proposal_out(session, readable_proposal(session, p, proposal_id))
        return page("proposal.html", p, proposal=proposal)


@router.get("/usage/deployed")
def deployed_page(
    request: Request,
    guideline: Annotated[str, Query(max_length=100)] = "",
    threshold: Annotated[float, Query(ge=0.0, lt=1.0)] = DEFAULT_THRESHOLD,
    min_products: Annotated[int, Query(ge=1, le=1_000_000)] = DEFAULT_MIN_PRODUCTS,
) -> Response:
    state = _state(request)
    with state.tx(request) as (session, p):
        gid = guideline or state.registry.newest() or ""
        report, rows = deployed_report(session, p, state.registry, gid, threshold, min_products)
        return page(
            "deployed.html",
            p,
            guideline=gid,
            threshold=threshold,
            min_products=min_products,
            report=report,
            products=rows,
            guideline_ids=state.registry.ids(),
        )
