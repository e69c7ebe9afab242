"""What one running server holds: the engine, the guideline registry, the request transaction."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from defcore.errors import Forbidden, ServiceUnavailable, Unauthorized
from defcore.server.access import ANONYMOUS, Principal, principal_for_token, principal_for_user
from defcore.server.db import read_only
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.models import User
from defcore.server.parsing import UploadParser
from defcore.server.service import DEFERRED_VERDICTS
from defcore.server.sessions import SESSION_COOKIE, live_session
from defcore.server.trail import set_actor
from defcore.server.verdict_cache import VerdictCacheWriter
from defcore.server.writers import UNQUEUED, WriterQueue, writer_queue

# Methods that only read: their transaction takes no write lock (SQLite: a deferred BEGIN).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/v1" or path.startswith("/v1/")


def principal_of(session: Session, request: Request) -> Principal:
    """Who asks: the API token of the Authorization header; for pages, else the session
    cookie's account. The API never takes the cookie: a write to it carrying the cookie and no
    token comes from a browser (a cross-site form, say) and is refused. A token the server
    does not know is refused; a stale cookie is no one."""
    token = bearer_token(request)
    if token is not None:
        principal = principal_for_token(session, token)
        if principal is None:
            raise Unauthorized("the API token is not valid (unknown or revoked)")
        return principal
    if is_api(request):
        if request.method not in READ_METHODS and SESSION_COOKIE in request.cookies:
            # A browser: a form or script of some site posting with the sign-in cookie.
            raise Forbidden(
                "the API takes an API token (Authorization: Bearer), not the sign-in cookie"
            )
        return ANONYMOUS
    row = live_session(session, request.cookies.get(SESSION_COOKIE))
    if row is None:
        return ANONYMOUS
    user = session.get(User, row.user_id)
    return ANONYMOUS if user is None else principal_for_user(session, user, row.csrf_token)


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
    # Uploads this worker reads, parses and stores at once (0: no limit); the others wait
    # their turn before any work (`upload_turn`).
    upload_slots: int = 0
    read_sessions: sessionmaker[Session] = field(init=False)
    parser: UploadParser = field(init=False)
    # SQLite: the server's writers take turns before they ask for the write lock
    writers: WriterQueue = field(init=False)
    # verdicts computed by reads, cached after the answer (defcore.server.verdict_cache)
    verdict_cache: VerdictCacheWriter = field(init=False)

    # one gate per event loop: a test may serve the same app from several loops
    _upload_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = field(
        init=False, default_factory=weakref.WeakKeyDictionary
    )

    def __post_init__(self) -> None:
        self.read_sessions = sessionmaker(read_only(self.engine), expire_on_commit=False)
        self.parser = UploadParser(self.registry)
        self.writers = writer_queue(self.engine)
        self.verdict_cache = VerdictCacheWriter(self.engine, self.writers)

    @contextmanager
    def tx(
        self, request: Request, write: bool | None = None, principal: Principal | None = None
    ) -> Iterator[tuple[Session, Principal]]:
        """One transaction for the request, with the principal who asks (found in it, unless
        an earlier transaction of the same request found it); a read-only one for GET and
        HEAD unless `write` says otherwise."""
        if write is None:
            write = request.method not in READ_METHODS
        factory = self.sessions if write else self.read_sessions
        deferred: list[dict[str, Any]] = []
        with (self.writers if write else UNQUEUED).turn() as turn:
            if not turn:
                raise ServiceUnavailable("too many writes are waiting for the database")
            with factory() as session, session.begin():
                if not write:
                    session.info[DEFERRED_VERDICTS] = deferred
                if principal is None:
                    principal = principal_of(session, request)
                set_actor(session, principal.user_id)  # whom the audit trail names
                yield session, principal
        if deferred:
            self.verdict_cache.submit(deferred)

    @asynccontextmanager
    async def upload_turn(self) -> AsyncIterator[None]:
        """Wait until fewer than `upload_slots` uploads are under way in this worker, and
        hold a slot for the block. An upload is CPU work (the body parsed, checked and
        stored); more of them at once than the machine has cores only makes every request
        of the worker, reads included, wait longer for the CPU and the GIL. Waiting here,
        before its body is read, an upload costs nothing."""
        if self.upload_slots <= 0:
            yield
            return
        loop = asyncio.get_running_loop()
        gate = self._upload_gates.get(loop)
        if gate is None:
            gate = self._upload_gates[loop] = asyncio.Semaphore(self.upload_slots)
        async with gate:
            yield

    def close(self) -> None:
        self.parser.close()
        self.verdict_cache.close()
