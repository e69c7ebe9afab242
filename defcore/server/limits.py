"""Request body limits, enforced before anything is parsed or authenticated.

A pure ASGI middleware: a declared Content-Length over the endpoint's limit is answered 413
at once, before the app runs; a body without one (chunked) is counted as it arrives and the
read that crosses the limit fails with 413, so no more than the limit is ever held. Uploads
may be large; every other body (forms, JSON objects) is small.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from defcore.server.ingest import MAX_BODY_BYTES

# Forms and JSON objects: the largest legitimate one is a public key (20,000 characters).
MAX_REQUEST_BYTES = 64 * 1024
# POST to these paths (with or without a trailing slash) carries a result upload.
UPLOAD_PATHS = frozenset({"/v1/results"})


def body_limit(method: str, path: str) -> int:
    if method == "POST" and (path.rstrip("/") or "/") in UPLOAD_PATHS:
        return MAX_BODY_BYTES
    return MAX_REQUEST_BYTES


class BodyTooLarge(HTTPException):
    """Raised by the counting receive; an HTTPException so FastAPI's body parsing lets it
    through (it turns other errors into a 400) to the app's handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over this endpoint's limit of {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, render: Callable[[Request, int, str], Response]) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["method"], scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = self.render(Request(scope), 413, BodyTooLarge(limit).detail)
            # the unread body stays on the wire: this connection cannot carry another request
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted_receive, send)
