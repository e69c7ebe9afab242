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


def fold_name(name: str) -> str:
    """A name as targets compare: no case, `_` and `-` as spaces, spaces collapsed."""
    return " ".join(name.replace("_", " ").replace("-", " ").split()).casefold()


def resolve_target(guideline: Guideline, name: str) -> Target:
    """The target called `name` in `guideline`; names compare without case or separators."""
    wanted = fold_name(name)
    platforms = {fold_name(n): p for n, p in guideline.platforms.items()}
    if (
        wanted in {fold_name(s) for s in SHORT_NAMES}
        and fold_name(SHORT_NAMES[wanted]) in platforms
    ):
        wanted = fold_name(SHORT_NAMES[wanted])
    for platform in guideline.platforms.values():
        if wanted in {fold_name(platform.name), fold_name(platform.short_name or "")}:
            return Target("platform", platform.name, _components(guideline, platform.components))
    for add_on in guideline.add_ons.values():
        programs = {fold_name(f"OpenStack Powered {add_on.name}"), fold_name(add_on.description)}
        if wanted == fold_name(add_on.name) or wanted in programs:
            return Target(
                "add-on",
                add_on.name,
                _components(guideline, add_on.components),
                add_on.required_platform_components,
            )
    for component in guideline.components.values():
        if wanted == fold_name(component.name):
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
