"""RefStack's API, as refstack-client and RefStack's users call it, on defcore's store.

This router only translates RefStack's shapes and calls the service functions the rest of the
API uses. Where a path is also defcore's own (`/v1/results`, `/v1/results/{id}`), one handler
answers both: its JSON carries defcore's fields and RefStack's side by side (`id` and
`test_id`, `total` and `pagination`), so neither client notices the other. It is included
before the resource modules, so it wins on the paths both declare.

- `POST /v1/results` and `/v1/results/` (no redirect): from the token's account, else from
  the owner of the registered key that signed the body (RefStack's `X-Signature` and
  `X-Public-Key`), else, when the server allows it, anonymous and private: unlisted, read by
  its id alone. 201 `{test_id, url}` with `url` the result's page.
- `GET /v1/results` with RefStack's filters and `pagination`; `/v1/results/{id}` with
  RefStack's fields; `/v1/results/schema`; `DELETE` of one's own unverified result; the
  metadata keys `shared` (the public flag), `guideline` and `target`.
- `GET /v1/guidelines`, `/v1/guidelines/{g}` and `/v1/guidelines/{g}/tests` (text/plain,
  `target`, `type`, `alias`, `flag`: defcore.guidelines.refstack_list).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from defcore.errors import Conflict, DefcoreError, NotFound, Unauthorized, UploadError
from defcore.guidelines.refstack_list import InvalidTarget, listed_tests, truthy
from defcore.server import schemas as s
from defcore.server.access import Principal, can_change_result
from defcore.server.api.common import ERRORS, ResultId, app_state
from defcore.server.api.results import result_out
from defcore.server.ingest import run_from_json
from defcore.server.models import Result, ResultTests
from defcore.server.service import (
    META_KEYS,
    ResultFilter,
    delete_result,
    list_results,
    readable_result,
    result_meta,
    set_result_meta,
    store_parsed,
)
from defcore.server.state import AppState

router = APIRouter(prefix="/v1", tags=["results", "guidelines"])
# defcore's page size; RefStack's is 20, and its client follows `pagination` whatever it is.
PER_PAGE = 50


class BadQuery(DefcoreError):
    """A query parameter the server cannot use (400)."""


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")  # RefStack's input_date_format, and a day


class UploadOut(BaseModel):
    id: str
    test_id: str  # RefStack's name for the id
    created: bool
    url: str  # the result's web page


class ProductInfo(BaseModel):
    id: int
    name: str
    public: bool
    vendor_id: int


class ProductVersionOut(BaseModel):
    id: int
    version: str
    product_info: ProductInfo


class Pagination(BaseModel):
    current_page: int
    total_pages: int


class ResultItem(s.ResultOut):
    """defcore's result with RefStack's fields."""

    url: str
    meta: dict[str, str]
    product_version: ProductVersionOut | None
    verification_status: int  # 1 once a foundation admin verified it


class ResultDetail(ResultItem):
    results: list[str]  # the passed tests' names, as RefStack lists them
    user_role: str | None  # "foundation", "owner" or "user"


class ResultPage(BaseModel):
    results: list[ResultItem]
    total: int
    pagination: Pagination


def _state(request: Request) -> AppState:
    return app_state(request)


def page_url(request: Request, result_id: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/results/{result_id}"


# -- results ---------------------------------------------------------------------------------


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


@router.post(
    "/results",
    status_code=201,
    response_model=UploadOut,
    responses=ERRORS,
    openapi_extra={"requestBody": UPLOAD_BODY},
    summary="Upload a test run (defcore JSON, RefStack JSON or subunit); a token, a "
    "registered key's signature, or neither (anonymous, when the server allows it)",
)
@router.post("/results/", status_code=201, response_model=UploadOut, include_in_schema=False)
async def upload(
    request: Request,
    x_signature: Annotated[str | None, Header(max_length=4096)] = None,
    x_public_key: Annotated[str | None, Header(max_length=20_000)] = None,
) -> UploadOut:
    # Refused before any work: a body declared over the limit (defcore.server.limits), then an
    # unknown token, or no way at all to name the uploader (a short read transaction); only
    # then is the body read, counted as it arrives, parsed outside any transaction and stored
    # in a short one. Before all that, the upload waits for one of its worker's upload slots
    # (AppState.upload_turn).
    state = _state(request)
    async with state.upload_turn():
        return await _upload(request, state, x_signature, x_public_key)


async def _upload(
    request: Request, state: AppState, x_signature: str | None, x_public_key: str | None
) -> UploadOut:
    asker = await run_in_threadpool(_may_upload, request, bool(x_signature or x_public_key))
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    parsed = await state.parser.parse(body, content_type)

    def work() -> UploadOut:
        for attempt in range(2):
            try:
                # the principal found before the body was read: the write transaction,
                # which on SQLite holds the database's one write lock, does only the writing
                with state.tx(request, write=True, principal=asker) as (session, p):
                    stored = store_parsed(
                        session,
                        p,
                        body,
                        parsed,
                        x_signature,
                        x_public_key,
                        anonymous_allowed=state.anonymous_uploads,
                    )
                    result_id, created = stored.result.id, stored.created
                break
            except IntegrityError:
                if attempt:  # the same body raced in twice; the second try finds the first
                    raise
        url = page_url(request, result_id)
        if not created:
            raise Conflict(
                f"this exact body was already uploaded as result {result_id}",
                {"id": result_id, "test_id": result_id, "url": url},
            )
        return UploadOut(id=result_id, test_id=result_id, created=True, url=url)

    return await run_in_threadpool(work)


def _may_upload(request: Request, signed: bool) -> Principal:
    """Who uploads; refused before the body is read when it is no one that may."""
    state = _state(request)
    with state.tx(request, write=False) as (_session, p):  # an unknown token: 401 here
        if p.user is None and not signed and not state.anonymous_uploads:
            raise Unauthorized(
                "anonymous uploads are disabled on this server: send a token "
                "('Authorization: Bearer <token>') or sign the upload with a registered key"
            )
        return p


def _date(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise BadQuery(f"Invalid date format: {name} {value[:40]!r} is not 'YYYY-MM-DD HH:MM:SS'")


@router.get("/results", response_model=ResultPage, responses=ERRORS)
@router.get("/results/", response_model=ResultPage, include_in_schema=False)
def list_all(
    request: Request,
    vendor_id: Annotated[int | None, Query(ge=1, le=s.MAX_DB_INT)] = None,
    product_id: Annotated[int | None, Query(ge=1, le=s.MAX_DB_INT)] = None,
    public: bool | None = None,
    cpid: Annotated[str | None, Query(max_length=200)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    signed: Annotated[str | None, Query(max_length=20)] = None,
    verification_status: Annotated[int | None, Query(ge=0, le=1)] = None,
    page: Annotated[int | None, Query(ge=1, le=s.MAX_DB_INT)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = PER_PAGE,
    offset: Annotated[int | None, Query(ge=0, le=s.MAX_DB_INT)] = None,
) -> ResultPage:
    """Results newest first: defcore's filters and RefStack's (`start_date`, `end_date`,
    `cpid`, `signed` for one's own uploads, `verification_status`, `product_id`, `page`)."""
    start, end = _date("start_date", start_date), _date("end_date", end_date)
    if start and end and start > end:
        raise BadQuery("Invalid dates: start_date is after end_date")
    where = ResultFilter(
        vendor_id=vendor_id,
        product_id=product_id,
        public=public,
        cpid=cpid,
        start=start,
        end=end,
        own=signed is not None,
        verified=None if verification_status is None else bool(verification_status),
    )
    skip = offset if offset is not None else ((page or 1) - 1) * limit
    with _state(request).tx(request) as (session, p):
        rows, total = list_results(session, p, where, limit, skip)
        pages = math.ceil(total / limit)
        current = skip // limit + 1
        if page is not None and page > 1 and page > pages:
            raise BadQuery(f"Invalid page number: page {page} is past the last page ({pages})")
        return ResultPage(
            results=[_item(request, session, p, r) for r in rows],
            total=total,
            pagination=Pagination(current_page=current, total_pages=pages),
        )


@router.get("/results/schema", responses=ERRORS)
def upload_schema() -> dict[str, Any]:
    """The JSON schema of RefStack's upload format (what refstack-client sends)."""
    return {
        "type": "object",
        "properties": {
            "cpid": {"type": "string"},
            "duration_seconds": {"type": "integer"},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "uuid": {"type": "string", "format": "uuid_hex"},
                    },
                },
            },
        },
        "required": ["cpid", "duration_seconds", "results"],
        "additionalProperties": False,
    }


@router.get("/results/{result_id}", response_model=ResultDetail, responses=ERRORS)
def get_one(request: Request, result_id: ResultId) -> ResultDetail:
    with _state(request).tx(request) as (session, p):
        result = readable_result(session, p, result_id)
        item = _item(request, session, p, result)
        stored = session.get(ResultTests, result.id)
        run = run_from_json(stored.tests_json) if stored else None
        passed = [r.name for r in run.results.values() if r.passed] if run else []
        return ResultDetail(**item.model_dump(), results=passed, user_role=_role(p, result))


@router.delete("/results/{result_id}", status_code=204, responses=ERRORS)
def delete_one(request: Request, result_id: ResultId) -> Response:
    """Delete one's own result (not once verified)."""
    with _state(request).tx(request) as (session, p):
        delete_result(session, p, readable_result(session, p, result_id))
    return Response(status_code=204)


@router.get("/results/{result_id}/meta", response_model=dict[str, str], responses=ERRORS)
def get_meta(request: Request, result_id: ResultId) -> dict[str, str]:
    with _state(request).tx(request) as (session, p):
        return result_meta(session, p, readable_result(session, p, result_id))


@router.get("/results/{result_id}/meta/{key}", responses=ERRORS)
def get_meta_key(
    request: Request, result_id: ResultId, key: Annotated[str, PathParam(max_length=40)]
) -> Response:
    with _state(request).tx(request) as (session, p):
        meta = result_meta(session, p, readable_result(session, p, result_id))
    if key not in meta:
        raise NotFound(f"result {result_id} has no metadata {key!r}")
    return JSONResponse(meta[key])


@router.post("/results/{result_id}/meta/{key}", status_code=201, responses=ERRORS)
async def set_meta_key(
    request: Request, result_id: ResultId, key: Annotated[str, PathParam(max_length=40)]
) -> Response:
    """Set `shared` (any body: the result becomes public), `guideline` or `target` (the body,
    as plain text, is the value)."""
    raw = await request.body()
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise UploadError(f"metadata {key!r}: the value is not UTF-8 text") from None
    if len(value) > 200 or "\x00" in value:
        raise UploadError(f"metadata {key!r}: the value must be at most 200 characters")
    if not value and key != "shared":
        raise UploadError(f"metadata {key!r}: send the value as the request body")
    state = _state(request)

    def work() -> None:
        with state.tx(request) as (session, p):
            result = readable_result(session, p, result_id)
            set_result_meta(session, p, result, key, value or "true")

    await run_in_threadpool(work)
    return Response(status_code=201)


@router.delete("/results/{result_id}/meta/{key}", status_code=204, responses=ERRORS)
def delete_meta_key(
    request: Request, result_id: ResultId, key: Annotated[str, PathParam(max_length=40)]
) -> Response:
    with _state(request).tx(request) as (session, p):
        set_result_meta(session, p, readable_result(session, p, result_id), key, None)
    return Response(status_code=204)


def _role(p: Principal, result: Result) -> str | None:
    if p.admin:
        return "foundation"
    if can_change_result(p, result):
        return "owner"
    return "user"


def _item(request: Request, session: Session, p: Principal, result: Result) -> ResultItem:
    """defcore's result (api.results.result_out) with RefStack's fields beside it."""
    version = result.product_version
    shown = version is not None and (version.product.public or p.member_of(result.vendor_id))
    meta = result_meta(session, p, result)
    product_version = None
    if version is not None and shown:
        product_info = ProductInfo(
            id=version.product.id,
            name=version.product.name,
            public=version.product.public,
            vendor_id=version.product.vendor_id,
        )
        product_version = ProductVersionOut(
            id=version.id, version=version.version, product_info=product_info
        )
    return ResultItem(
        **result_out(result).model_dump(),
        url=page_url(request, result.id),
        meta={k: v for k, v in meta.items() if k in META_KEYS or k == "user"},
        product_version=product_version,
        verification_status=1 if any(v.active for v in result.verifications) else 0,
    )


# -- guidelines -------------------------------------------------------------------------------


@router.get("/guidelines", responses=ERRORS)
def guidelines(request: Request) -> dict[str, list[dict[str, str]]]:
    """The guideline files, as RefStack lists them: each add-on's files by add-on (`name`
    without the add-on's prefix), then the platform guidelines under `powered`."""
    registry = _state(request).registry
    add_ons: dict[str, list[dict[str, str]]] = {}
    powered: list[dict[str, str]] = []
    for gid in sorted(registry.ids()):
        path = registry.path(gid)
        where = path.parent.name if path.parent != registry.directory else ""
        dated = gid.rsplit(".", 2)
        if where == "add-ons" and len(dated) == 3 and _is_version(dated[1] + "." + dated[2]):
            add_ons.setdefault(dated[0], []).append(
                {"name": f"{dated[1]}.{dated[2]}.json", "file": path.name}
            )
        elif where == "" and (_is_version(gid) or gid == "next"):
            powered.append({"name": path.name, "file": path.name})
    return {**add_ons, "powered": powered}


def _is_version(text: str) -> bool:
    year, _, month = text.partition(".")
    return len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()


def _guideline_id(name: str) -> str:
    return name.removesuffix(".json")


@router.get("/guidelines/{guideline}", responses=ERRORS)
def guideline(request: Request, guideline: Annotated[str, PathParam(max_length=100)]) -> Response:
    """The guideline file itself (`2020.06`, `2020.06.json`, `dns.2020.06`)."""
    path = _state(request).registry.path(_guideline_id(guideline))
    return Response(path.read_bytes(), media_type="application/json")


@router.get(
    "/guidelines/{guideline}/tests",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, 400: {}, 404: {}},
)
def guideline_tests(
    request: Request,
    guideline: Annotated[str, PathParam(max_length=100)],
    target: Annotated[str, Query(max_length=100)] = "platform",
    type: Annotated[str | None, Query(max_length=200)] = None,
    alias: Annotated[str | None, Query(max_length=10)] = None,
    flag: Annotated[str | None, Query(max_length=10)] = None,
) -> PlainTextResponse:
    """RefStack's test list, one `name[idempotent_id]` a line: what
    `refstack-client test --test-list URL` runs. `type` is a comma-separated list of
    statuses (all when absent), `alias` adds the tests' aliases, `flag` keeps flagged tests
    (both true unless given as something other than true, yes or 1)."""
    try:
        document = _state(request).registry.document(_guideline_id(guideline))
    except DefcoreError:
        return PlainTextResponse(
            f"Error getting JSON content for version: {guideline}", status_code=404
        )
    types = type.split(",") if type else None
    try:
        lines = listed_tests(document, target, types, truthy(alias), truthy(flag))
    except InvalidTarget as exc:
        return PlainTextResponse(str(exc), status_code=400)
    return PlainTextResponse("\n".join(lines))
