"""/v1/results/{id}: a result's changes (product version, public), its verdict against a
guideline target, and its verification by a foundation admin.

Uploads, listings and a result itself are answered in defcore's and RefStack's shapes at once
by `api.refstack`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from defcore.server import schemas
from defcore.server.access import require_change_result
from defcore.server.api.common import ERRORS, SIGNED_IN, ResultId, app_state, signed_in
from defcore.server.models import Result, Verification
from defcore.server.service import (
    product_version_for,
    readable_result,
    verdict,
    verify_result,
)

router = APIRouter(prefix="/v1", tags=["results"])


def verification_out(row: Verification) -> schemas.VerificationOut:
    """A verification, with the product version it certifies and any withdrawal."""
    return schemas.VerificationOut(
        guideline=row.guideline_id,
        target=row.target,
        verified_at=row.created_at,
        product_version_id=row.product_version_id,
        withdrawn_at=row.withdrawn_at,
        withdraw_reason=row.withdraw_reason,
    )


def result_out(result: Result) -> schemas.ResultOut:
    """defcore's fields of a result (RefStack's listing adds its own: api.refstack)."""
    return schemas.ResultOut(
        id=result.id,
        public=result.public,
        format=result.body_format,
        cpid=result.cpid,
        duration_seconds=result.duration_seconds,
        test_count=result.test_count,
        passed_count=result.passed_count,
        created_at=result.created_at,
        uploader=result.uploader.name if result.uploader else None,
        vendor_id=result.vendor_id,
        product_version_id=result.product_version_id,
        signed=result.signed_key_id is not None,
        verifications=[verification_out(v) for v in result.verifications],
    )


@router.patch(
    "/results/{result_id}",
    response_model=schemas.ResultOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def change_result(
    request: Request, result_id: ResultId, change: schemas.ResultPatch
) -> schemas.ResultOut:
    with app_state(request).tx(request) as (session, p):
        result = readable_result(session, signed_in(p), result_id)
        require_change_result(p, result)
        if change.product_version_id is not None:
            version = product_version_for(session, p, change.product_version_id)
            result.product_version_id = version.id
            result.vendor_id = version.product.vendor_id
        if change.public is not None:
            result.public = change.public
        session.flush()
        return result_out(result)


@router.get("/results/{result_id}/verdict", response_model=schemas.VerdictOut, responses=ERRORS)
def result_verdict(
    request: Request,
    result_id: ResultId,
    guideline: Annotated[str, Query(max_length=100)],
    target: Annotated[str, Query(max_length=200)],
) -> dict[str, Any]:
    state = app_state(request)
    with state.tx(request) as (session, p):
        result = readable_result(session, p, result_id)
        return verdict(session, state.registry, result, guideline, target)


@router.post(
    "/results/{result_id}/verifications",
    status_code=201,
    response_model=schemas.VerificationOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def verify(
    request: Request, result_id: ResultId, body: schemas.VerifyIn
) -> schemas.VerificationOut:
    state = app_state(request)
    with state.tx(request) as (session, p):
        result = readable_result(session, signed_in(p), result_id)
        row = verify_result(session, state.registry, p, result, body.guideline, body.target)
        return verification_out(row)
