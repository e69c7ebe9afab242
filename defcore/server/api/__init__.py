"""The JSON API under /v1, one module per resource (as datasette's views/).

Every request runs in one transaction (`AppState.tx`); the rules live in the service modules
(`defcore.server.service`, `feedback`, `deployed`) and these modules only map them onto HTTP.
"""

from __future__ import annotations

from fastapi import APIRouter

from defcore.server.api import (
    accounts,
    certifications,
    deployed,
    health,
    products,
    proposals,
    refstack,
    results,
    vendors,
)

# refstack first: /v1/results/schema must not be read as a result id.
ROUTERS: tuple[APIRouter, ...] = (
    refstack.router,
    results.router,
    accounts.router,
    vendors.router,
    products.router,
    certifications.router,
    proposals.router,
    deployed.router,
    health.router,
)
