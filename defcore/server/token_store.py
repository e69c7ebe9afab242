"""An account's API tokens: issue, list, rotate, revoke. Only their SHA-256 is ever stored.

Revoking deletes the token's row, so that nothing can bring a revoked token back; rotation
issues a new token with the old one's label and revokes the old one in the same transaction.
A foundation admin may list, issue and revoke any account's tokens (to lock out a stolen one).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from defcore.errors import Forbidden, NotFound
from defcore.server.access import Principal
from defcore.server.models import ApiToken, User
from defcore.server.tokens import hash_token, new_token


def issue(session: Session, user_id: int, label: str) -> tuple[ApiToken, str]:
    """A new token for the account: (its row, the token itself, shown once)."""
    token = new_token()
    row = ApiToken(user_id=user_id, token_hash=hash_token(token), label=label)
    session.add(row)
    session.flush()
    return row, token


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
    )


def own_token(session: Session, p: Principal, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != p.user_id:
        raise NotFound(f"no token {token_id} of yours")
    return row


def rotate(session: Session, p: Principal, token_id: int) -> tuple[ApiToken, str]:
    old = own_token(session, p, token_id)
    row, token = issue(session, old.user_id, old.label)
    session.delete(old)
    session.flush()
    return row, token


def revoke(session: Session, p: Principal, token_id: int) -> None:
    session.delete(own_token(session, p, token_id))


def account_for_admin(session: Session, p: Principal, user_id: int) -> User:
    """Another account, for a foundation admin only; everyone else learns nothing of it."""
    if not p.admin:
        raise Forbidden("only a foundation admin may manage another account's tokens")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no account {user_id}")
    return user


def revoke_for_admin(session: Session, p: Principal, user_id: int, token_id: int | None) -> int:
    """Revoke one of the account's tokens, or all of them (token_id None); how many went."""
    user = account_for_admin(session, p, user_id)
    rows = tokens_of(session, user.id)
    if token_id is not None:
        rows = [row for row in rows if row.id == token_id]
        if not rows:
            raise NotFound(f"account {user_id} has no token {token_id}")
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
