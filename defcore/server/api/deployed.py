"""/v1/guidelines/{id}/deployed: Widely Deployed from data (`defcore.server.deployed`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from defcore.scoring.deployed import DEFAULT_MIN_PRODUCTS, DEFAULT_THRESHOLD
from defcore.server import schemas
from defcore.server.api.common import ERRORS, app_state
from defcore.server.deployed import deployed_report

router = APIRouter(prefix="/v1", tags=["deployed"])


@router.get(
    "/guidelines/{guideline_id}/deployed",
    response_model=schemas.DeployedOut,
    responses=ERRORS,
    summary="Widely Deployed from data: per capability, the share of products whose newest "
    "verified result passes it, beside the committee's mark",
)
def deployed(
    request: Request,
    guideline_id: Annotated[str, PathParam(min_length=1, max_length=100)],
    threshold: Annotated[float, Query(ge=0.0, lt=1.0)] = DEFAULT_THRESHOLD,
    min_products: Annotated[int, Query(ge=1, le=1_000_000)] = DEFAULT_MIN_PRODUCTS,
) -> schemas.DeployedOut:
    state = app_state(request)
    with state.tx(request) as (session, p):
        report, rows = deployed_report(
            session, p, state.registry, guideline_id, threshold, min_products
        )
        return schemas.DeployedOut(
            guideline=guideline_id,
            threshold=report.threshold,
            min_products=report.min_products,
            products=[
                schemas.DeployedProductOut(
                    product=r.label,
                    product_id=r.product_id,
                    result_id=r.result_id,
                    targets=list(r.targets),
                )
                for r in rows
            ],
            capabilities=[
                schemas.DeployedCapabilityOut(**c.as_dict()) for c in report.capabilities
            ],
        )
