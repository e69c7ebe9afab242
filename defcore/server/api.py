"""The JSON API under /v1. Every request runs in one transaction (state.tx)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi import Path as PathParam
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from defcore.server import schemas as s
from defcore.server.access import (
    Principal,
    can_change_result,
    can_read_product,
    readable_products,
    readable_results,
)
from defcore.server.ingest import MAX_BODY_BYTES, UploadError
from defcore.server.models import (
    ApiToken,
    Product,
    ProductVersion,
    PublicKey,
    Result,
    User,
    Vendor,
    VendorMember,
)
from defcore.server.service import (
    Conflict,
    Forbidden,
    NotFound,
    product_version_for,
    readable_result,
    store_upload,
    verdict,
    verify_result,
)
from defcore.server.signatures import parse_public_key
from defcore.server.state import AppState, Unauthorized
from defcore.server.tokens import hash_token, new_token

router = APIRouter(prefix="/v1")
Id = Annotated[int, PathParam(ge=1, le=s.MAX_DB_INT)]
ResultId = Annotated[str, PathParam(max_length=36)]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": s.ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422)
}

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


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.defcore
    return state


def _signed_in(p: Principal) -> Principal:
    if p.user is None:
        raise Unauthorized("sign in: send 'Authorization: Bearer <token>'")
    return p


def _result_out(result: Result) -> s.ResultOut:
    return s.ResultOut(
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
            s.VerificationOut(guideline=v.guideline_id, target=v.target, verified_at=v.created_at)
            for v in result.verifications
        ],
    )


def _product_out(product: Product) -> s.ProductOut:
    return s.ProductOut(
        id=product.id,
        vendor_id=product.vendor_id,
        vendor=product.vendor.name,
        name=product.name,
        kind=product.kind,
        description=product.description,
        public=product.public,
        versions=[s.VersionOut(id=v.id, version=v.version) for v in product.versions],
    )


# -- uploads and results --------------------------------------------------------------------


@router.post(
    "/results",
    status_code=201,
    response_model=s.UploadOut,
    responses=ERRORS,
    openapi_extra={"requestBody": UPLOAD_BODY},
    summary="Upload a test run (defcore JSON, RefStack JSON or subunit), optionally signed",
)
async def upload(
    request: Request,
    response: Response,
    x_signature: Annotated[str | None, Header(max_length=4096)] = None,
    x_public_key: Annotated[str | None, Header(max_length=20_000)] = None,
) -> s.UploadOut:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise UploadError(f"body is {declared} bytes; the limit is {MAX_BODY_BYTES}", 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise UploadError(f"body exceeds the limit of {MAX_BODY_BYTES} bytes", 413)
        chunks.append(chunk)
    body = b"".join(chunks)
    state = _state(request)
    content_type = request.headers.get("content-type", "")

    def work() -> s.UploadOut:
        for attempt in range(2):
            try:
                with state.tx(request) as (session, p):
                    stored = store_upload(
                        session,
                        _signed_in(p),
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
        return s.UploadOut(id=result_id, created=True, url=f"/v1/results/{result_id}")

    return await run_in_threadpool(work)


@router.get("/results", response_model=s.ResultList, responses=ERRORS)
def list_results(
    request: Request,
    vendor_id: Annotated[int | None, Query(ge=1, le=s.MAX_DB_INT)] = None,
    product_id: Annotated[int | None, Query(ge=1, le=s.MAX_DB_INT)] = None,
    public: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=s.MAX_DB_INT)] = 0,
) -> s.ResultList:
    state = _state(request)
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
        return s.ResultList(results=[_result_out(r) for r in rows], total=total)


@router.get("/results/{result_id}", response_model=s.ResultOut, responses=ERRORS)
def get_result(request: Request, result_id: ResultId) -> s.ResultOut:
    with _state(request).tx(request) as (session, p):
        return _result_out(readable_result(session, p, result_id))


@router.patch("/results/{result_id}", response_model=s.ResultOut, responses=ERRORS)
def change_result(request: Request, result_id: ResultId, change: s.ResultPatch) -> s.ResultOut:
    with _state(request).tx(request) as (session, p):
        result = readable_result(session, _signed_in(p), result_id)
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


@router.get("/results/{result_id}/verdict", response_model=s.VerdictOut, responses=ERRORS)
def result_verdict(
    request: Request,
    result_id: ResultId,
    guideline: Annotated[str, Query(max_length=100)],
    target: Annotated[str, Query(max_length=200)],
) -> dict[str, Any]:
    state = _state(request)
    with state.tx(request) as (session, p):
        result = readable_result(session, p, result_id)
        return verdict(session, state.registry, result, guideline, target)


@router.post(
    "/results/{result_id}/verifications",
    status_code=201,
    response_model=s.VerificationOut,
    responses=ERRORS,
)
def verify(request: Request, result_id: ResultId, body: s.VerifyIn) -> s.VerificationOut:
    state = _state(request)
    with state.tx(request) as (session, p):
        result = readable_result(session, _signed_in(p), result_id)
        row = verify_result(session, state.registry, p, result, body.guideline, body.target)
        return s.VerificationOut(
            guideline=row.guideline_id, target=row.target, verified_at=row.created_at
        )


# -- accounts ---------------------------------------------------------------------------------


@router.get("/me", response_model=s.MeOut, responses=ERRORS)
def me(request: Request) -> s.MeOut:
    with _state(request).tx(request) as (session, p):
        user = _signed_in(p).user
        assert user is not None
        memberships = session.execute(
            select(VendorMember, Vendor)
            .join(Vendor, Vendor.id == VendorMember.vendor_id)
            .where(VendorMember.user_id == user.id)
        ).all()
        return s.MeOut(
            id=user.id,
            name=user.name,
            foundation_admin=user.foundation_admin,
            maintainer=user.maintainer,
            vendors=[
                s.Membership(vendor_id=v.id, vendor=v.name, role=m.role) for m, v in memberships
            ],
        )


@router.post("/users", status_code=201, response_model=s.UserCreated, responses=ERRORS)
def create_user(request: Request, body: s.UserIn) -> s.UserCreated:
    with _state(request).tx(request) as (session, p):
        if not _signed_in(p).admin:
            raise Forbidden("only a foundation admin may create accounts")
        if session.scalar(select(User).where(User.name == body.name)) is not None:
            raise Conflict(f"an account named {body.name!r} exists")
        user, token = create_account(session, body.name, body.foundation_admin)
        return s.UserCreated(id=user.id, name=user.name, token=token)


def create_account(session: Session, name: str, foundation_admin: bool) -> tuple[User, str]:
    user = User(name=name, foundation_admin=foundation_admin)
    session.add(user)
    session.flush()
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label="initial"))
    session.flush()
    return user, token


@router.get("/me/keys", response_model=list[s.KeyOut], responses=ERRORS)
def list_keys(request: Request) -> list[s.KeyOut]:
    with _state(request).tx(request) as (session, p):
        user_id = _signed_in(p).user_id
        rows = session.scalars(select(PublicKey).where(PublicKey.user_id == user_id)).all()
        return [_key_out(k) for k in rows]


def _key_out(key: PublicKey) -> s.KeyOut:
    return s.KeyOut(
        id=key.id, algorithm=key.algorithm, fingerprint=key.fingerprint, label=key.label
    )


@router.post("/me/keys", status_code=201, response_model=s.KeyOut, responses=ERRORS)
def add_key(request: Request, body: s.KeyIn) -> s.KeyOut:
    with _state(request).tx(request) as (session, p):
        user_id = _signed_in(p).user_id
        parsed = parse_public_key(body.public_key)
        existing = session.scalar(
            select(PublicKey).where(
                PublicKey.user_id == user_id, PublicKey.fingerprint == parsed.fingerprint
            )
        )
        if existing is not None:
            raise Conflict(f"key SHA256:{parsed.fingerprint[:16]} is already registered")
        assert user_id is not None
        key = PublicKey(
            user_id=user_id,
            algorithm=parsed.algorithm,
            fingerprint=parsed.fingerprint,
            openssh=parsed.openssh,
            label=body.label,
        )
        session.add(key)
        session.flush()
        return _key_out(key)


@router.delete("/me/keys/{key_id}", status_code=204, responses=ERRORS)
def delete_key(request: Request, key_id: Id) -> Response:
    with _state(request).tx(request) as (session, p):
        key = session.get(PublicKey, key_id)
        if key is None or key.user_id != _signed_in(p).user_id:
            raise NotFound(f"no key {key_id}")
        session.delete(key)
    return Response(status_code=204)


# -- vendors and products ---------------------------------------------------------------------


@router.get("/vendors", response_model=list[s.VendorOut], responses=ERRORS)
def list_vendors(request: Request) -> list[s.VendorOut]:
    with _state(request).tx(request) as (session, _p):
        rows = session.scalars(select(Vendor).order_by(Vendor.name)).all()
        return [s.VendorOut(id=v.id, name=v.name) for v in rows]


@router.post("/vendors", status_code=201, response_model=s.VendorOut, responses=ERRORS)
def create_vendor(request: Request, body: s.VendorIn) -> s.VendorOut:
    with _state(request).tx(request) as (session, p):
        if not _signed_in(p).admin:
            raise Forbidden("only a foundation admin may create vendors")
        if session.scalar(select(Vendor).where(Vendor.name == body.name)) is not None:
            raise Conflict(f"a vendor named {body.name!r} exists")
        vendor = Vendor(name=body.name)
        session.add(vendor)
        session.flush()
        return s.VendorOut(id=vendor.id, name=vendor.name)


def _vendor(session: Session, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound(f"no vendor {vendor_id}")
    return vendor


@router.get("/vendors/{vendor_id}/members", response_model=list[s.MemberOut], responses=ERRORS)
def list_members(request: Request, vendor_id: Id) -> list[s.MemberOut]:
    with _state(request).tx(request) as (session, p):
        vendor = _vendor(session, vendor_id)
        if not _signed_in(p).member_of(vendor.id):
            raise Forbidden(f"members of vendor {vendor_id} are private to it")
        return [
            s.MemberOut(user_id=m.user_id, user=m.user.name, role=m.role) for m in vendor.members
        ]


@router.post(
    "/vendors/{vendor_id}/members", status_code=201, response_model=s.MemberOut, responses=ERRORS
)
def add_member(request: Request, vendor_id: Id, body: s.MemberIn) -> s.MemberOut:
    with _state(request).tx(request) as (session, p):
        vendor = _vendor(session, vendor_id)
        if not _signed_in(p).admin_of(vendor.id):
            raise Forbidden(f"only an admin of vendor {vendor_id} may add members")
        user = session.get(User, body.user_id)
        if user is None:
            raise NotFound(f"no account {body.user_id}")
        member = session.scalar(
            select(VendorMember).where(
                VendorMember.vendor_id == vendor.id, VendorMember.user_id == user.id
            )
        )
        if member is None:
            member = VendorMember(vendor_id=vendor.id, user_id=user.id, role=body.role)
            session.add(member)
        else:
            member.role = body.role
        session.flush()
        return s.MemberOut(user_id=user.id, user=user.name, role=member.role)


@router.get("/products", response_model=list[s.ProductOut], responses=ERRORS)
def list_products(
    request: Request, vendor_id: Annotated[int | None, Query(ge=1, le=s.MAX_DB_INT)] = None
) -> list[s.ProductOut]:
    with _state(request).tx(request) as (session, p):
        query = select(Product).where(readable_products(p))
        if vendor_id is not None:
            query = query.where(Product.vendor_id == vendor_id)
        return [_product_out(x) for x in session.scalars(query.order_by(Product.name)).all()]


@router.post(
    "/vendors/{vendor_id}/products", status_code=201, response_model=s.ProductOut, responses=ERRORS
)
def create_product(request: Request, vendor_id: Id, body: s.ProductIn) -> s.ProductOut:
    with _state(request).tx(request) as (session, p):
        vendor = _vendor(session, vendor_id)
        if not _signed_in(p).admin_of(vendor.id):
            raise Forbidden(f"only an admin of vendor {vendor_id} may add products")
        taken = session.scalar(
            select(Product).where(Product.vendor_id == vendor.id, Product.name == body.name)
        )
        if taken is not None:
            raise Conflict(f"vendor {vendor.name!r} already has a product {body.name!r}")
        product = Product(
            vendor_id=vendor.id,
            name=body.name,
            kind=body.kind,
            description=body.description,
            public=body.public,
        )
        session.add(product)
        session.flush()
        session.refresh(product)
        return _product_out(product)


def _readable_product(session: Session, p: Principal, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not can_read_product(p, product):
        raise NotFound(f"no product {product_id}")
    return product


@router.get("/products/{product_id}", response_model=s.ProductOut, responses=ERRORS)
def get_product(request: Request, product_id: Id) -> s.ProductOut:
    with _state(request).tx(request) as (session, p):
        return _product_out(_readable_product(session, p, product_id))


@router.patch("/products/{product_id}", response_model=s.ProductOut, responses=ERRORS)
def change_product(request: Request, product_id: Id, change: s.ProductPatch) -> s.ProductOut:
    with _state(request).tx(request) as (session, p):
        product = _readable_product(session, _signed_in(p), product_id)
        if not p.admin_of(product.vendor_id):
            raise Forbidden(f"product {product_id} belongs to another vendor")
        if change.description is not None:
            product.description = change.description
        if change.public is not None:
            product.public = change.public
        session.flush()
        return _product_out(product)


@router.post(
    "/products/{product_id}/versions",
    status_code=201,
    response_model=s.VersionOut,
    responses=ERRORS,
)
def add_version(request: Request, product_id: Id, body: s.VersionIn) -> s.VersionOut:
    with _state(request).tx(request) as (session, p):
        product = _readable_product(session, _signed_in(p), product_id)
        if not p.admin_of(product.vendor_id):
            raise Forbidden(f"product {product_id} belongs to another vendor")
        if any(v.version == body.version for v in product.versions):
            raise Conflict(f"product {product_id} already has version {body.version!r}")
        version = ProductVersion(product_id=product.id, version=body.version)
        session.add(version)
        session.flush()
        return s.VersionOut(id=version.id, version=version.version)
