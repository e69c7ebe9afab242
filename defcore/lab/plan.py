"""Which services a lab runs, and in what order: the registry of `defcore.lab.services`.

A new service is a module under `defcore/lab/services/` and one line in `SERVICES`.
"""

from __future__ import annotations

from defcore.errors import LabError
from defcore.lab.config import LabConfig
from defcore.lab.services import (
    bind9,
    cinder,
    designate,
    epmd,
    glance,
    heat,
    keystone,
    mariadb,
    neutron,
    nova,
    placement,
    rabbitmq,
    swift,
)
from defcore.lab.services.base import LabPlan, LabService

SERVICES: tuple[LabService, ...] = (
    keystone.SERVICE,
    swift.SERVICE,
    mariadb.SERVICE,
    epmd.SERVICE,
    rabbitmq.SERVICE,
    glance.SERVICE,
    placement.SERVICE,
    nova.SERVICE,
    neutron.SERVICE,
    cinder.SERVICE,
    heat.SERVICE,
    bind9.SERVICE,
    designate.SERVICE,
)


def platform_services() -> tuple[str, ...]:
    """The services `--without` may leave out of a Platform lab."""
    return tuple(s.name for s in SERVICES if s.platform_only and not s.addon)


def addon_services() -> tuple[str, ...]:
    """The add-on services `--with` may add to a Platform lab."""
    return tuple(s.name for s in SERVICES if s.addon)


def _with_needed_addons(config: LabConfig) -> frozenset[str]:
    """The add-ons asked for, and the add-on services they need (Designate's BIND 9), so that
    `--with designate` brings its DNS server without a second `--with`."""
    by_name = {s.name: s for s in SERVICES}
    wanted, pending = set(config.addons), list(config.addons)
    while pending:
        for need in by_name[pending.pop()].needs:
            if by_name.get(need) and by_name[need].addon and need not in wanted:
                wanted.add(need)
                pending.append(need)
    return frozenset(wanted)


def without_choices() -> tuple[str, ...]:
    return (*swift.MIDDLEWARE, *platform_services())


def plan(config: LabConfig) -> LabPlan:
    """The services of this lab, each after those it needs; a one-line LabError if impossible."""
    for name in sorted(config.without):
        if name in platform_services():
            if not config.platform:
                raise LabError(f"--without {name}: the Storage lab has no {name} (add --platform)")
        elif name not in swift.MIDDLEWARE:
            known = ", ".join(without_choices())
            raise LabError(
                f"--without {name}: not a lab middleware or platform service (one of: {known})"
            )
    for name in sorted(config.addons):
        if name not in addon_services():
            known = ", ".join(addon_services()) or "none"
            raise LabError(f"--with {name}: not an add-on service (one of: {known})")
        if not config.platform:
            raise LabError(f"--with {name}: the Storage lab has no add-ons (add --platform)")
    addons = _with_needed_addons(config)
    chosen = [
        s
        for s in SERVICES
        if (config.platform or not s.platform_only)
        and s.name not in config.without
        and (not s.addon or s.name in addons)
    ]
    names = {s.name for s in chosen}
    for service in chosen:
        for need in service.needs:
            if need not in names:
                if need in config.without:
                    raise LabError(f"--without {need}: {service.name} needs it")
                raise LabError(f"{service.name} needs {need}, which this lab does not run")
    ordered: list[LabService] = []
    while chosen:
        done = {s.name for s in ordered}
        free = [s for s in chosen if set(s.needs) | (set(s.starts_after) & names) <= done]
        if not free:
            raise LabError(f"the lab's services need each other: {', '.join(names - done)}")
        ordered.extend(free)
        chosen = [s for s in chosen if s not in free]
    return LabPlan(config, tuple(ordered))
