"""/v1/me, /v1/users, keys and tokens: who the caller is, accounts (created by a foundation
admin), the public keys that sign an account's uploads (registered with proof of the private
key, also in RefStack's /v1/profile/pubkeys shape) and the account's API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from defcore.errors import Conflict, Forbidden
from defcore.server import feedback, schemas
from defcore.server.access import Principal
from defcore.server.api.common import ERRORS, SIGNED_IN, Id, app_state, signed_in
from defcore.server.keys import (
    REFSTACK_PROOF,
    delete_own_key,
    keys_of,
    proof_message,
    register_key,
)
from defcore.server.models import ApiToken, PublicKey, User
from defcore.server.service import create_account
from defcore.server.token_store import (
    account_for_admin,
    issue,
    revoke,
    revoke_for_admin,
    rotate,
    tokens_of,
)
from defcore.server.vendors import memberships_of

router = APIRouter(prefix="/v1", tags=["accounts"])


def _user(p: Principal) -> User:
    user = signed_in(p).user
    assert user is not None
    return user


@router.get("/me", response_model=schemas.MeOut, responses=ERRORS)
def me(request: Request) -> schemas.MeOut:
    with app_state(request).tx(request) as (session, p):
        user = _user(p)
        return schemas.MeOut(
            id=user.id,
            name=user.name,
            foundation_admin=user.foundation_admin,
            maintainer=user.maintainer,
            vendors=[
                schemas.Membership(vendor_id=v.id, vendor=v.name, role=m.role)
                for m, v in memberships_of(session, user.id)
            ],
            key_proof=proof_message(user.id).decode(),
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


# -- public keys -------------------------------------------------------------------------------


def _key_out(key: PublicKey) -> schemas.KeyOut:
    return schemas.KeyOut(
        id=key.id, algorithm=key.algorithm, fingerprint=key.fingerprint, label=key.label
    )


@router.get("/me/keys", response_model=list[schemas.KeyOut], responses=ERRORS)
def list_keys(request: Request) -> list[schemas.KeyOut]:
    with app_state(request).tx(request) as (session, p):
        return [_key_out(k) for k in keys_of(session, _user(p).id)]


@router.post(
    "/me/keys",
    status_code=201,
    response_model=schemas.KeyOut,
    responses=ERRORS,
    summary="Register a public key: self_signature is its signature of /v1/me's key_proof",
    dependencies=[SIGNED_IN],
)
def add_key(request: Request, body: schemas.KeyIn) -> schemas.KeyOut:
    with app_state(request).tx(request) as (session, p):
        key = register_key(session, _user(p), body.public_key, body.self_signature, body.label)
        return _key_out(key)


def _delete_own_key(request: Request, key_id: int) -> Response:
    with app_state(request).tx(request) as (session, p):
        delete_own_key(session, _user(p), key_id)
    return Response(status_code=204)


@router.delete("/me/keys/{key_id}", status_code=204, responses=ERRORS, dependencies=[SIGNED_IN])
def delete_key(request: Request, key_id: Id) -> Response:
    return _delete_own_key(request, key_id)


def _refstack_key(key: PublicKey) -> schemas.RefstackKeyOut:
    kind, blob = key.openssh.split()[:2]
    return schemas.RefstackKeyOut(id=str(key.id), format=kind, pubkey=blob, comment=key.label)


@router.get("/profile/pubkeys", response_model=list[schemas.RefstackKeyOut], responses=ERRORS)
def refstack_list_keys(request: Request) -> list[schemas.RefstackKeyOut]:
    with app_state(request).tx(request) as (session, p):
        return [_refstack_key(k) for k in keys_of(session, _user(p).id)]


@router.post(
    "/profile/pubkeys",
    status_code=201,
    response_model=str,
    responses=ERRORS,
    summary="RefStack's key registration: self_signature signs the string 'signature'",
    dependencies=[SIGNED_IN],
)
def refstack_add_key(request: Request, body: schemas.RefstackKeyIn) -> str:
    with app_state(request).tx(request) as (session, p):
        parts = body.raw_key.split()
        comment = " ".join(parts[2:])[:200] if len(parts) > 2 else ""
        key = register_key(
            session, _user(p), body.raw_key, body.self_signature, comment, REFSTACK_PROOF
        )
        return str(key.id)


@router.delete(
    "/profile/pubkeys/{key_id}", status_code=204, responses=ERRORS, dependencies=[SIGNED_IN]
)
def refstack_delete_key(request: Request, key_id: Id) -> Response:
    return _delete_own_key(request, key_id)


# -- tokens ------------------------------------------------------------------------------------


def _token_out(row: ApiToken, p: Principal) -> schemas.TokenOut:
    return schemas.TokenOut(
        id=row.id, label=row.label, created_at=row.created_at, current=row.id == p.token_id
    )


def _created(row: ApiToken, token: str) -> schemas.TokenCreated:
    return schemas.TokenCreated(id=row.id, label=row.label, created_at=row.created_at, token=token)


@router.get("/me/tokens", response_model=list[schemas.TokenOut], responses=ERRORS)
def list_tokens(request: Request) -> list[schemas.TokenOut]:
    with app_state(request).tx(request) as (session, p):
        return [_token_out(row, p) for row in tokens_of(session, _user(p).id)]


@router.post(
    "/me/tokens",
    status_code=201,
    response_model=schemas.TokenCreated,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def create_token(request: Request, body: schemas.TokenIn) -> schemas.TokenCreated:
    with app_state(request).tx(request) as (session, p):
        return _created(*issue(session, _user(p).id, body.label))


@router.post(
    "/me/tokens/{token_id}/rotate",
    status_code=201,
    response_model=schemas.TokenCreated,
    responses=ERRORS,
    summary="A new token with the same label; the old one is revoked",
    dependencies=[SIGNED_IN],
)
def rotate_token(request: Request, token_id: Id) -> schemas.TokenCreated:
    with app_state(request).tx(request) as (session, p):
        return _created(*rotate(session, signed_in(p), token_id))


@router.delete("/me/tokens/{token_id}", status_code=204, responses=ERRORS, dependencies=[SIGNED_IN])
def revoke_token(request: Request, token_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        revoke(session, signed_in(p), token_id)
    return Response(status_code=204)


@router.get("/users/{user_id}/tokens", response_model=list[schemas.TokenOut], responses=ERRORS)
def admin_list_tokens(request: Request, user_id: Id) -> list[schemas.TokenOut]:
    with app_state(request).tx(request) as (session, p):
        user = account_for_admin(session, signed_in(p), user_id)
        return [_token_out(row, p) for row in tokens_of(session, user.id)]


@router.post(
    "/users/{user_id}/tokens",
    status_code=201,
    response_model=schemas.TokenCreated,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def admin_issue_token(request: Request, user_id: Id, body: schemas.TokenIn) -> schemas.TokenCreated:
    with app_state(request).tx(request) as (session, p):
        user = account_for_admin(session, signed_in(p), user_id)
        return _created(*issue(session, user.id, body.label))


@router.delete(
    "/users/{user_id}/tokens/{token_id}",
    status_code=204,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def admin_revoke_token(request: Request, user_id: Id, token_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        revoke_for_admin(session, signed_in(p), user_id, token_id)
    return Response(status_code=204)


@router.delete(
    "/users/{user_id}/tokens", status_code=204, responses=ERRORS, dependencies=[SIGNED_IN]
)
def admin_revoke_all_tokens(request: Request, user_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        revoke_for_admin(session, signed_in(p), user_id, None)
    return Response(status_code=204)
