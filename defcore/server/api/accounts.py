"""/v1/me, /v1/users and /v1/me/keys: who the caller is, accounts (created by a foundation
admin; maintainers named by one) and the public keys that sign an account's uploads."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from defcore.errors import Conflict, Forbidden, NotFound
from defcore.server import feedback, schemas
from defcore.server.api.common import ERRORS, SIGNED_IN, Id, app_state, signed_in
from defcore.server.models import PublicKey, User, Vendor, VendorMember
from defcore.server.service import create_account
from defcore.server.signatures import parse_public_key

router = APIRouter(prefix="/v1", tags=["accounts"])


@router.get("/me", response_model=schemas.MeOut, responses=ERRORS)
def me(request: Request) -> schemas.MeOut:
    with app_state(request).tx(request) as (session, p):
        user = signed_in(p).user
        assert user is not None
        memberships = session.execute(
            select(VendorMember, Vendor)
            .join(Vendor, Vendor.id == VendorMember.vendor_id)
            .where(VendorMember.user_id == user.id)
        ).all()
        return schemas.MeOut(
            id=user.id,
            name=user.name,
            foundation_admin=user.foundation_admin,
            maintainer=user.maintainer,
            vendors=[
                schemas.Membership(vendor_id=v.id, vendor=v.name, role=m.role)
                for m, v in memberships
            ],
        )


@router.post(
    "/users",
    status_code=201,
    response_model=schemas.UserCreated,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def create_user(request: Request, body: schemas.UserIn) -> schemas.UserCreated:
    with app_state(request).tx(request) as (session, p):
        if not signed_in(p).admin:
            raise Forbidden("only a foundation admin may create accounts")
        if session.scalar(select(User).where(User.name == body.name)) is not None:
            raise Conflict(f"an account named {body.name!r} exists")
        user, token = create_account(session, body.name, body.foundation_admin)
        return schemas.UserCreated(id=user.id, name=user.name, token=token)


@router.get("/me/keys", response_model=list[schemas.KeyOut], responses=ERRORS)
def list_keys(request: Request) -> list[schemas.KeyOut]:
    with app_state(request).tx(request) as (session, p):
        user_id = signed_in(p).user_id
        rows = session.scalars(select(PublicKey).where(PublicKey.user_id == user_id)).all()
        return [_key_out(k) for k in rows]


def _key_out(key: PublicKey) -> schemas.KeyOut:
    return schemas.KeyOut(
        id=key.id, algorithm=key.algorithm, fingerprint=key.fingerprint, label=key.label
    )


@router.post(
    "/me/keys",
    status_code=201,
    response_model=schemas.KeyOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def add_key(request: Request, body: schemas.KeyIn) -> schemas.KeyOut:
    with app_state(request).tx(request) as (session, p):
        user_id = signed_in(p).user_id
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


@router.delete("/me/keys/{key_id}", status_code=204, responses=ERRORS, dependencies=[SIGNED_IN])
def delete_key(request: Request, key_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        key = session.get(PublicKey, key_id)
        if key is None or key.user_id != signed_in(p).user_id:
            raise NotFound(f"no key {key_id}")
        session.delete(key)
    return Response(status_code=204)


@router.patch(
    "/users/{user_id}", response_model=schemas.UserOut, responses=ERRORS, dependencies=[SIGNED_IN]
)
def change_user(request: Request, user_id: Id, body: schemas.UserPatch) -> schemas.UserOut:
    with app_state(request).tx(request) as (session, p):
        user = feedback.set_maintainer(session, signed_in(p), user_id, body.maintainer)
        return schemas.UserOut(
            id=user.id,
            name=user.name,
            foundation_admin=user.foundation_admin,
            maintainer=user.maintainer,
        )
