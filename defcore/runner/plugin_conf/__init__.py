"""tempest.conf sections of the Tempest plugins, one module per plugin.

Tempest's own sections come from discovery in defcore.runner.tempest_conf; a plugin registers
sections of its own (heat's `heat_plugin`, designate's `dns` and `dns_feature_enabled`), which
its module here writes from the same discovery. A writer is called only when the cloud's
catalog has its service type, after Tempest's sections and before the layers (clouds.yaml
`defcore_tempest_options`, --tempest-conf, --tempest-option), so what the operator or user
states still wins.
"""

from __future__ import annotations

from collections.abc import Callable

from defcore.runner.cloud import Cloud
from defcore.runner.discover import Discovery
from defcore.runner.plugin_conf import dns, heat
from defcore.runner.resources import ComputeResources

Sections = dict[str, dict[str, str]]  # section -> option -> value
SectionWriter = Callable[[Cloud, Discovery, ComputeResources], Sections]

# Catalog service type -> the writer of its plugin's sections.
WRITERS: dict[str, SectionWriter] = {
    "orchestration": heat.sections,
    "dns": dns.sections,
}


def plugin_sections(cloud: Cloud, found: Discovery, resources: ComputeResources) -> Sections:
    """Every plugin section for the services the cloud has, merged in catalog-type order."""
    merged: Sections = {}
    for service_type in sorted(set(found.services) & set(WRITERS)):
        for section, options in WRITERS[service_type](cloud, found, resources).items():
            merged.setdefault(section, {}).update(options)
    return merged
