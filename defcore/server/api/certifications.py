"""/v1 certifications: a product's certifications, and withdrawing a verification.

Importing this module (defcore.server.certification) also locks verified results.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from defcore.server import schemas
from defcore.server.api.common import ERRORS, Id, ResultId, app_state, signed_in
from defcore.server.api.results import verification_out
from defcore.server.certification import Certification, certifications, standing, withdraw
from defcore.server.models import utcnow
from defcore.server.products import readable_product
from defcore.server.service import readable_result

router = APIRouter(prefix="/v1")


def certification_out(item: Certification) -> schemas.CertificationOut:
    return schemas.CertificationOut(
        version_id=item.version_id,
        version=item.version,
        guideline=item.guideline_id,
        target=item.target,
        program=item.program,
        result_id=item.result_id,
        verified_at=item.verified_at,
        status=item.status,
        guideline_approved_on=item.lifecycle.approved_on,
        current_until=item.lifecycle.current_until,
        expires_on=item.lifecycle.expires_on,
        superseded_by=item.lifecycle.superseded_by,
        withdrawn_at=item.withdrawn_at,
        withdraw_reason=item.withdraw_reason,
    )


@router.post(
    "/results/{result_id}/verifications/withdrawals",
    response_model=schemas.VerificationOut,
    responses=ERRORS,
    summary="Withdraw a verification (foundation admins), with a reason kept in the audit trail",
)
def withdraw_verification(
    request: Request, result_id: ResultId, body: schemas.WithdrawIn
) -> schemas.VerificationOut:
    state = app_state(request)
    with state.tx(request) as (session, p):
        result = readable_result(session, signed_in(p), result_id)
        _, target = state.registry.target(body.guideline, body.target)  # "storage" is an alias
        row = withdraw(session, p, result, body.guideline, target.name, body.reason)
        return verification_out(row)


@router.get(
    "/products/{product_id}/certifications",
    response_model=schemas.CertificationsOut,
    responses=ERRORS,
    summary="A product's certifications and their status (current, expiring, expired) on a day",
)
def product_certifications(
    request: Request,
    product_id: Id,
    on: Annotated[date | None, Query(description="the day to judge on (default: today)")] = None,
) -> schemas.CertificationsOut:
    state = app_state(request)
    with state.tx(request) as (session, p):
        product = readable_product(session, p, product_id)
        day = on or utcnow().date()
        items = certifications(session, state.registry, [product.id], day)[product.id]
        return schemas.CertificationsOut(
            product_id=product.id,
            product=product.name,
            vendor=product.vendor.name,
            on=day,
            standing=standing(items),
            certifications=[certification_out(c) for c in items],
        )
