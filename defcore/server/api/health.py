"""/v1/health: whether this server answers and reaches its database (for a proxy or a load
balancer: 200, or 503 with Retry-After while the database is away)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from defcore.server import schemas
from defcore.server.api.common import ERRORS, app_state

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=schemas.HealthOut, responses=ERRORS)
def health(request: Request) -> schemas.HealthOut:
    with app_state(request).read_sessions() as session:
        session.execute(text("SELECT 1"))
    return schemas.HealthOut(status="ok", database="ok")
