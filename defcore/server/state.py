"""What one running server holds: the engine, the guideline registry, the request transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from defcore.errors import Unauthorized
from defcore.server.access import Principal, principal_for_token
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.trail import set_actor

TOKEN_COOKIE = "defcore_token"


def request_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(TOKEN_COOKIE) or None


@dataclass
class AppState:
    engine: Engine
    sessions: sessionmaker[Session]
    registry: GuidelineRegistry
    database_url: str
    # +1 votes a new proposal needs to advance (defcore.server.feedback)
    quorum: int = 3
    # Unsigned uploads without a token are kept as private, unlisted results (RefStack's
    # enable_anonymous_upload, on by default there too).
    anonymous_uploads: bool = True

    @contextmanager
    def tx(self, request: Request) -> Iterator[tuple[Session, Principal]]:
        """One transaction for the request, with the principal its token names."""
        with self.sessions() as session, session.begin():
            principal = principal_for_token(session, request_token(request))
            if principal is None:
                raise Unauthorized("the API token is not valid (unknown or revoked)")
            set_actor(session, principal.user_id)  # whom the audit trail names
            yield session, principal
