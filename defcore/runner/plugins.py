"""The Tempest plugins a guideline's tests live in, and whether they are installed.

Add-on guidelines name their tests' home in `test_repositories` by git URL
(`http://opendev.org/openstack/heat-tempest-plugin/`); defcore installs plugins from PyPI with
the `addons` extra (`pip install 'defcore[addons]'`, pinned by constraints/addons.txt), so each
repository maps to the distribution published from it. Tempest itself is the runner extra's.
A missing plugin is found before anything slow happens, with the command that installs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from defcore.errors import RunnerError
from defcore.guidelines.model import Guideline, TestRepository


@dataclass(frozen=True)
class Plugin:
    repository: str  # the repository's name, the last part of its URL
    distribution: str  # what pip installs
    module: str  # the package its test ids start with
    tested_version: str  # the version defcore is tested with (constraints/addons.txt)

    @property
    def installed_version(self) -> str | None:
        try:
            return version(self.distribution)
        except PackageNotFoundError:
            return None

    @property
    def install_command(self) -> str:
        return f"pip install 'defcore[addons]' (or pip install {self.distribution})"


PLUGINS = {
    plugin.repository: plugin
    for plugin in (
        Plugin("heat-tempest-plugin", "heat-tempest-plugin", "heat_tempest_plugin", "3.0.0"),
        Plugin(
            "designate-tempest-plugin",
            "designate-tempest-plugin",
            "designate_tempest_plugin",
            "0.30.0",
        ),
    )
}
# Repositories whose tests Tempest itself holds: nothing to install.
TEMPEST_REPOSITORIES = ("tempest",)


def repository_name(repository: TestRepository) -> str:
    """`http://opendev.org/openstack/heat-tempest-plugin/` -> `heat-tempest-plugin` (the
    entry's key, `heat` in the orchestration guidelines, is not the repository's name)."""
    if repository.url:
        return repository.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return repository.name


def plugin_for(repository: TestRepository) -> Plugin | None:
    """The plugin a test repository is published as; None for Tempest's own tests."""
    name = repository_name(repository)
    if name in TEMPEST_REPOSITORIES:
        return None
    known = PLUGINS.get(name)
    if known is not None:
        return known
    # A repository defcore does not know: by OpenStack's convention the distribution has the
    # repository's name and the package the same with underscores.
    return Plugin(name, name, name.replace("-", "_"), "")


def required_plugins(guideline: Guideline) -> list[Plugin]:
    """The plugins holding the guideline's tests (none for a platform guideline)."""
    found = [plugin_for(r) for r in guideline.test_repositories.values()]
    return [p for p in found if p is not None]


def check_installed(guideline: Guideline) -> list[Plugin]:
    """The guideline's plugins, all installed; else a RunnerError naming the install command."""
    plugins = required_plugins(guideline)
    for plugin in plugins:
        if plugin.installed_version is None:
            raise RunnerError(
                f"guideline {guideline.id}: its tests are in the Tempest plugin "
                f"{plugin.distribution}, which is not installed: {plugin.install_command}"
            )
    return plugins
