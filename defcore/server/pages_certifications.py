"""A result page's forms for foundation admins: verify the result for a guideline and target,
or withdraw a verification with a reason (kept with the verification, in the audit trail).

The same rules as the API's POST /v1/results/ID/verifications and .../withdrawals
(defcore.server.service.verify_result, defcore.server.certification.withdraw).
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy.orm import Session

from defcore.server import schemas
from defcore.server.access import Principal
from defcore.server.certification import withdraw
from defcore.server.page_forms import Form, app_state, parse_form, take_form
from defcore.server.service import readable_result, verify_result

router = APIRouter(include_in_schema=False)
ResultId = Annotated[str, PathParam(max_length=36)]


def _back_to(result_id: str, guideline: str, target: str) -> str:
    query = urllib.parse.urlencode({"guideline": guideline, "target": target})
    return f"/results/{result_id}?{query}"


@router.post("/results/{result_id}/verify")
async def verify(request: Request, result_id: ResultId) -> Response:
    state = app_state(request)

    def action(session: Session, p: Principal, form: Form) -> str:
        body = parse_form(schemas.VerifyIn, form)
        result = readable_result(session, p, result_id)
        row = verify_result(session, state.registry, p, result, body.guideline, body.target)
        return _back_to(result.id, row.guideline_id, row.target)

    return await take_form(request, action)


@router.post("/results/{result_id}/withdraw")
async def withdraw_verification(request: Request, result_id: ResultId) -> Response:
    state = app_state(request)

    def action(session: Session, p: Principal, form: Form) -> str:
        body = parse_form(schemas.WithdrawIn, form)
        result = readable_result(session, p, result_id)
        _, target = state.registry.target(body.guideline, body.target)  # "storage" is an alias
        row = withdraw(session, p, result, body.guideline, target.name, body.reason)
        return _back_to(result.id, row.guideline_id, row.target)

    return await take_form(request, action)
