"""Browser sign-in: sessions behind the login cookie, and the CSRF tokens of forms.

The cookie holds a random session id, never the API token: stealing the cookie gives a
session that expires and that signing out ends, not a credential for the API (which reads
only the Authorization header, so a cross-site request that carries the cookie is anonymous
there). Every form sends a CSRF token back: the session's own once signed in, and before that
(the login form) a random one that must match a cookie of its own.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from defcore.server.models import User, WebSession, utcnow
from defcore.server.tokens import hash_token

SESSION_COOKIE = "defcore_session"
LOGIN_CSRF_COOKIE = "defcore_login_csrf"
SESSION_LIFETIME = timedelta(hours=12)
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class NewSession:
    session_id: str  # for the cookie; only its hash is stored
    csrf: str


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an empty or missing token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def start_session(session: Session, user: User) -> NewSession:
    now = utcnow()
    # expired sessions go as new ones come, so the table holds only live ones
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session_id, csrf = secrets.token_urlsafe(32), new_csrf()
    session.add(
        WebSession(
            session_hash=hash_token(session_id),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return NewSession(session_id, csrf)


def live_session(session: Session, session_id: str | None) -> WebSession | None:
    if not session_id:
        return None
    row = session.scalar(
        select(WebSession).where(WebSession.session_hash == hash_token(session_id))
    )
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def end_session(session: Session, session_id: str | None) -> None:
    if session_id:
        session.execute(delete(WebSession).where(WebSession.session_hash == hash_token(session_id)))
