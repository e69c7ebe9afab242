"""Resolve what a product is tested for: a platform, an add-on or a component, by any name."""

from __future__ import annotations

from defcore.errors import TargetNotFound
from defcore.guidelines.model import Component, ComponentRef, Guideline, Target

# RefStack's short names for the trademark programs, and the obvious English ones.
SHORT_NAMES = {
    "platform": "OpenStack Powered Platform",
    "compute": "OpenStack Powered Compute",
    "object": "OpenStack Powered Storage",
    "storage": "OpenStack Powered Storage",
}


def _fold(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").split()).casefold()


def resolve_target(guideline: Guideline, name: str) -> Target:
    """The target called `name` in `guideline`; names compare without case or separators."""
    wanted = _fold(name)
    platforms = {_fold(n): p for n, p in guideline.platforms.items()}
    if wanted in {_fold(s) for s in SHORT_NAMES} and _fold(SHORT_NAMES[wanted]) in platforms:
        wanted = _fold(SHORT_NAMES[wanted])
    for platform in guideline.platforms.values():
        if wanted in {_fold(platform.name), _fold(platform.short_name or "")}:
            return Target("platform", platform.name, _components(guideline, platform.components))
    for add_on in guideline.add_ons.values():
        if wanted == _fold(add_on.name):
            return Target(
                "add-on",
                add_on.name,
                _components(guideline, add_on.components),
                add_on.required_platform_components,
            )
    for component in guideline.components.values():
        if wanted == _fold(component.name):
            return Target("component", component.name, (component,))
    known = ", ".join(repr(n) for n in guideline.target_names()) or "none"
    raise TargetNotFound(
        f"guideline {guideline.id or guideline.path}: no platform, add-on or component "
        f"named {name!r} (known: {known})"
    )


def _components(guideline: Guideline, refs: tuple[ComponentRef, ...]) -> tuple[Component, ...]:
    found = []
    for ref in refs:
        component = guideline.components.get(ref.name)
        if component is None:
            raise TargetNotFound(
                f"guideline {guideline.id}: target refers to component {ref.name!r}, "
                "which the guideline does not define"
            )
        found.append(component)
    return tuple(found)
