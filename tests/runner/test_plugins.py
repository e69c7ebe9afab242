"""The Tempest plugins an add-on guideline's `test_repositories` name: which distribution each
is, that defcore's pins agree, and a clear error naming the command when one is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from defcore.errors import RunnerError
from defcore.guidelines.model import TestRepository
from defcore.guidelines.sources import load
from defcore.runner.plugins import PLUGINS, check_installed, plugin_for, required_plugins
from defcore.runner.selection import installed_versions

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints" / "addons.txt"


def test_each_add_on_guideline_names_its_plugin() -> None:
    for ref, distribution in (
        ("orchestration.2020.06", "heat-tempest-plugin"),  # listed as `heat` by URL
        ("orchestration.2018.11", "heat-tempest-plugin"),
        ("dns.2018.02", "designate-tempest-plugin"),
        ("dns.2020.06", "designate-tempest-plugin"),
    ):
        (plugin,) = required_plugins(load(ref))
        assert plugin.distribution == distribution


def test_a_platform_guideline_needs_no_plugin() -> None:
    assert required_plugins(load("2020.06")) == []


def test_the_pins_in_constraints_are_the_tested_versions() -> None:
    pins = dict(
        line.split("==", 1)
        for line in CONSTRAINTS.read_text().splitlines()
        if line and not line.startswith("#")
    )
    for plugin in PLUGINS.values():
        assert pins[plugin.distribution] == plugin.tested_version


def test_an_unknown_repository_is_taken_by_openstacks_naming() -> None:
    plugin = plugin_for(TestRepository("x", "https://opendev.org/openstack/foo-tempest-plugin"))
    assert plugin is not None
    assert (plugin.distribution, plugin.module) == ("foo-tempest-plugin", "foo_tempest_plugin")
    assert plugin_for(TestRepository("tempest", "https://opendev.org/openstack/tempest")) is None


def test_a_missing_plugin_is_one_line_naming_the_pip_command() -> None:
    guideline = load("dns.2020.06")
    # A repository whose plugin is really not installed here.
    guideline.test_repositories = {
        "nosuch": TestRepository("nosuch", "https://opendev.org/openstack/nosuch-tempest-plugin/")
    }
    with pytest.raises(RunnerError) as caught:
        check_installed(guideline)
    message = str(caught.value)
    assert "nosuch-tempest-plugin" in message and "pip install" in message
    assert "dns.2020.06" in message and "\n" not in message


def test_the_installed_test_list_is_keyed_on_the_plugins_too() -> None:
    versions = installed_versions()
    assert versions[0].startswith("tempest=")
    for plugin in PLUGINS.values():
        if plugin.installed_version is not None:  # (CI installs both: defcore[addons])
            name = plugin.module.removesuffix("_tempest_plugin")
            assert f"{name}={plugin.installed_version}" in versions
