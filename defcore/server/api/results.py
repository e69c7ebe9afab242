"""/v1/results: uploads (defcore JSON, RefStack JSON or subunit), listings, a result, its
verdict against a guideline target, and its verification by a foundation admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool

from defcore.errors import Conflict, Forbidden, UploadTooLarge
from defcore.server import schemas
from defcore.server.access import can_change_result, readable_results
from defcore.server.api.common import ERRORS, ResultId, app_state, signed_in
from defcore.server.ingest import MAX_BODY_BYTES
from defcore.server.models import ProductVersion, Result
from defcore.server.service import (
    product_version_for,
    readable_result,
    store_upload,
    verdict,
    verify_result,
)

router = APIRouter(prefix="/v1", tags=["results"])

UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "RefStack's upload format, or defcore's result JSON "
                "(an object with a `refstack` section of that format)",
                "properties": {
                    "cpid": {"type": "string"},
                    "duration_seconds": {"type": "number"},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string"}, "uuid": {"type": "string"}},
                            "required": ["name"],
                        },
                    },
                    "refstack": {"type": "object"},
                },
            }
        },
        "application/octet-stream": {
            "schema": {"type": "string", "format": "binary", "description": "subunit v2"}
        },
    },
}


def _result_out(result: Result) -> schemas.ResultOut:
    return schemas.ResultOut(
        id=result.id,
        public=result.public,
        format=result.body_format,
        cpid=result.cpid,
        duration_seconds=result.duration_seconds,
        test_count=result.test_count,
        passed_count=result.passed_count,
        created_at=result.created_at,
        uploader=result.uploader.name,
        vendor_id=result.vendor_id,
        product_version_id=result.product_version_id,
        signed=result.signed_key_id is not None,
        verifications=[
            schemas.VerificationOut(
                guideline=v.guideline_id, target=v.target, verified_at=v.created_at
            )
            for v in result.verifications
        ],
    )


@router.post(
    "/results",
    status_code=201,
    response_model=schemas.UploadOut,
    responses=ERRORS,
    openapi_extra={"requestBody": UPLOAD_BODY},
    summary="Upload a test run (defcore JSON, RefStack JSON or subunit), optionally signed",
)
async def upload(
    request: Request,
    response: Response,
    x_signature: Annotated[str | None, Header(max_length=4096)] = None,
    x_public_key: Annotated[str | None, Header(max_length=20_000)] = None,
) -> schemas.UploadOut:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise UploadTooLarge(f"body is {declared} bytes; the limit is {MAX_BODY_BYTES}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise UploadTooLarge(f"body exceeds the limit of {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    state = app_state(request)
    content_type = request.headers.get("content-type", "")

    def work() -> schemas.UploadOut:
        for attempt in range(2):
            try:
                with state.tx(request) as (session, p):
                    stored = store_upload(
                        session,
                        signed_in(p),
                        body,
                        content_type,
                        state.registry,
                        x_signature,
                        x_public_key,
                    )
                    result_id, created = stored.result.id, stored.created
                break
            except IntegrityError:
                if attempt:  # the same body raced in twice; the second try finds the first
                    raise
        if not created:
            raise Conflict(
                f"this exact body was already uploaded as result {result_id}",
                {"id": result_id, "url": f"/v1/results/{result_id}"},
            )
        return schemas.UploadOut(id=result_id, created=True, url=f"/v1/results/{result_id}")

    return await run_in_threadpool(work)


@router.get("/results", response_model=schemas.ResultList, responses=ERRORS)
def list_results(
    request: Request,
    vendor_id: Annotated[int | None, Query(ge=1, le=schemas.MAX_DB_INT)] = None,
    product_id: Annotated[int | None, Query(ge=1, le=schemas.MAX_DB_INT)] = None,
    public: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=schemas.MAX_DB_INT)] = 0,
) -> schemas.ResultList:
    state = app_state(request)
    with state.tx(request) as (session, p):
        query = select(Result).where(readable_results(p))
        if vendor_id is not None:
            query = query.where(Result.vendor_id == vendor_id)
        if product_id is not None:
            query = query.join(ProductVersion).where(ProductVersion.product_id == product_id)
        if public is not None:
            query = query.where(Result.public == public)
        total = session.scalar(query.with_only_columns(func.count(Result.id))) or 0
        rows = session.scalars(
            query.options(
                selectinload(Result.uploader),
                selectinload(Result.verifications),
            )
            .order_by(Result.created_at.desc(), Result.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return schemas.ResultList(results=[_result_out(r) for r in rows], total=total)


@router.get("/results/{result_id}", response_model=schemas.ResultOut, responses=ERRORS)
def get_result(request: Request, result_id: ResultId) -> schemas.ResultOut:
    with app_state(request).tx(request) as (session, p):
        return _result_out(readable_result(session, p, result_id))


@router.patch("/results/{result_id}", response_model=schemas.ResultOut, responses=ERRORS)
def change_result(
    request: Request, result_id: ResultId, change: schemas.ResultPatch
) -> schemas.ResultOut:
    with app_state(request).tx(request) as (session, p):
        result = readable_result(session, signed_in(p), result_id)
        if not can_change_result(p, result):
            raise Forbidden(f"result {result_id} belongs to another account or vendor")
        if change.product_version_id is not None:
            version = product_version_for(session, p, change.product_version_id)
            result.product_version_id = version.id
            result.vendor_id = version.product.vendor_id
        if change.public is not None:
            result.public = change.public
        session.flush()
        return _result_out(result)


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
)
def verify(
    request: Request, result_id: ResultId, body: schemas.VerifyIn
) -> schemas.VerificationOut:
    state = app_state(request)
    with state.tx(request) as (session, p):
        result = readable_result(session, signed_in(p), result_id)
        row = verify_result(session, state.registry, p, result, body.guideline, body.target)
        return schemas.VerificationOut(
            guideline=row.guideline_id, target=row.target, verified_at=row.created_at
        )
