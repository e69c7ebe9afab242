"""heat-tempest-plugin's `heat_plugin` section, from discovery (owned by the Heat lab work)."""

from __future__ import annotations

from defcore.runner.cloud import Cloud
from defcore.runner.discover import Discovery
from defcore.runner.resources import ComputeResources


def sections(
    cloud: Cloud, found: Discovery, resources: ComputeResources
) -> dict[str, dict[str, str]]:
    """Nothing yet beyond `service_available.heat`, which tempest_conf sets from the catalog."""
    return {}
