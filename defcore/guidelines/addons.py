"""Add-on guidelines: which file an add-on target means, and the platform components it needs.

The interop repository keeps each add-on program in its own family of files
(`add-ons/dns.2020.06.json`, `add-ons/orchestration.2019.11.json`), dated like the platform
guidelines they go with. People name the program and the month (`--guideline 2020.06 --target
dns`), so a dated platform id (or `newest`) with an add-on target means the add-on's file of
that month (or its newest file). An add-on's `required_platform_components` point into a
platform guideline by URL (`.../interop/2020.06.json`); that is read from the local guidelines
first, like any other reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from defcore.errors import GuidelineError, GuidelineNotFound
from defcore.guidelines.model import Component, ComponentRef, Guideline, Target
from defcore.guidelines.sources import guidelines_dir, load
from defcore.guidelines.targets import fold_name, resolve_target

# The add-on programs of the interop repository, by their files' prefix.
KNOWN_FAMILIES = ("dns", "orchestration")
_DATED = re.compile(r"^\d{4}\.\d{2}$")
_NEWEST = {"newest", "latest", "current"}
_PROGRAM_PREFIXES = ("openstack powered with ", "openstack powered ")


def families() -> list[str]:
    """Add-on families: the known ones and any other prefix in the guidelines' add-ons/."""
    found = set(KNOWN_FAMILIES)
    directory = guidelines_dir()
    if directory is not None and (directory / "add-ons").is_dir():
        for path in (directory / "add-ons").glob("*.json"):
            family, _, rest = path.stem.partition(".")
            if _DATED.match(rest):
                found.add(family)
    return sorted(found)


def add_on_family(target: str) -> str | None:
    """`dns`, `DNS`, `OpenStack Powered DNS` -> "dns"; None when `target` is no add-on."""
    wanted = fold_name(target)
    for prefix in _PROGRAM_PREFIXES:
        if wanted.startswith(prefix):
            wanted = wanted.removeprefix(prefix)
            break
    return wanted if wanted in families() else None


def add_on_ref(family: str, ref: str) -> str:
    """The guideline id of `family`'s file for a dated id (`2020.06`) or `newest`."""
    if ref in _NEWEST:
        dated = _local_ids(family)
        if not dated:
            raise GuidelineNotFound(
                f"no {family} add-on guideline found: set DEFCORE_GUIDELINES to the interop "
                f"repository's directory, or name one (--guideline {family}.2020.06)"
            )
        return dated[-1]
    return f"{family}.{ref}"


def _local_ids(family: str) -> list[str]:
    """The family's dated guideline ids in the local guidelines directory, oldest first."""
    directory = guidelines_dir()
    if directory is None or not (directory / "add-ons").is_dir():
        return []
    return sorted(
        p.stem
        for p in (directory / "add-ons").glob(f"{family}.*.json")
        if _DATED.match(p.stem.removeprefix(f"{family}."))
    )


def load_target(ref: str, target: str) -> tuple[Guideline, Target]:
    """The guideline and target a user means by `--guideline REF --target TARGET`.

    A dated platform id or `newest` with an add-on target (dns, orchestration, by any of its
    names) reads the add-on's own file of that month; everything else is `ref` as it is.
    """
    family = add_on_family(target)
    if family is not None and (_DATED.match(ref) or ref in _NEWEST):
        addon_id = add_on_ref(family, ref)
        known = _local_ids(family)
        if known and addon_id not in known:
            raise GuidelineNotFound(
                f"the {family} add-on has no guideline {ref} (no add-ons/{addon_id}.json; "
                f"known: {', '.join(known)})"
            )
        guideline = load(addon_id)
        return guideline, resolve_target(guideline, target)
    guideline = load(ref)
    return guideline, resolve_target(guideline, target)


@dataclass(frozen=True)
class PlatformComponent:
    """A platform component an add-on requires, and the platform guideline defining it."""

    name: str
    guideline_ref: str  # the platform guideline's id (`2020.06`) or the URL given
    guideline: Guideline | None
    component: Component | None
    problem: str = ""  # why the component could not be read, when it could not


def platform_ref(source: str | None, add_on: Guideline) -> str:
    """`http://opendev.org/openstack/interop/2020.06.json` -> `2020.06`; without a source,
    the platform guideline of the add-on's own month."""
    if source:
        stem = source.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")
        return stem if _DATED.match(stem) else source
    return add_on.id.rsplit(".", 2)[-2] + "." + add_on.id.rsplit(".", 1)[-1]


def required_platform_components(
    add_on: Guideline, target: Target, load_platform: Callable[[str], Guideline] = load
) -> list[PlatformComponent]:
    """The platform components `target` (an add-on of `add_on`) requires, each read from its
    platform guideline; one that cannot be read says why instead of failing the run."""
    return [_platform_component(ref, add_on, load_platform) for ref in target.external_components]


def _platform_component(
    ref: ComponentRef, add_on: Guideline, load_platform: Callable[[str], Guideline]
) -> PlatformComponent:
    where = platform_ref(ref.source, add_on)
    try:
        platform = load_platform(where)
    except GuidelineError as exc:
        return PlatformComponent(ref.name, where, None, None, str(exc))
    component = platform.components.get(ref.name)
    if component is None:
        problem = f"guideline {platform.id} defines no component {ref.name!r}"
        return PlatformComponent(ref.name, where, platform, None, problem)
    return PlatformComponent(ref.name, where, platform, component)


def component_target(component: Component) -> Target:
    return Target("component", component.name, (component,))
