"""Resolving a guideline's tests against the installed Tempest: name, alias, id in its family."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from defcore.errors import GuidelineNotFound, RunnerError
from defcore.guidelines.addons import load_target
from defcore.guidelines.model import Capability, Component, Guideline, Status, Target, Test
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.runner import selection, workspace


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return selection.installed_tests(tmp_path_factory.mktemp("cache"))


def test_the_list_is_cached_by_installed_versions(tmp_path: Path) -> None:
    first = selection.installed_tests(tmp_path)
    (cached,) = tmp_path.glob("tempest-tests-*.txt")
    assert cached.read_text().split() == first
    cached.write_text("only.this.Test.test_one[id-1]\n")  # proves the second call reads it
    assert selection.installed_tests(tmp_path) == ["only.this.Test.test_one[id-1]"]
    assert len(first) > 1000


def test_a_run_lists_only_the_modules_its_tests_are_in(tmp_path: Path) -> None:
    module = "tempest.api.identity.v3.test_tokens"
    tests = selection.installed_tests(tmp_path, [module])
    assert tests and all(t.startswith(f"{module}.") for t in tests)
    assert "tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token" in {
        t.split("[", 1)[0] for t in tests
    }
    with pytest.raises(RunnerError, match="listing the installed Tempest tests failed"):
        selection.installed_tests(tmp_path, ["tempest.api.identity.v3.test_no_such_module"])


def test_storage_2020_06_is_all_found_in_the_installed_tempest(installed: list[str]) -> None:
    guideline = load("2020.06")
    chosen = selection.resolve(
        guideline, resolve_target(guideline, "OpenStack Powered Storage"), installed
    )
    assert len(chosen.tests) == 58
    assert chosen.not_found == []
    assert all(s.installed_id and "[id-" in s.installed_id for s in chosen.tests)


def test_flagged_tests_are_left_out_unless_asked_for(installed: list[str]) -> None:
    guideline = load("2020.06")
    target = resolve_target(guideline, "OpenStack Powered Platform")
    required = selection.resolve(guideline, target, installed)
    with_flagged = selection.resolve(guideline, target, installed, include_flagged=True)
    assert len(with_flagged.tests) > len(required.tests)
    assert not any(s.test.flagged for s in required.tests)


def _one_test_guideline(test: Test) -> tuple[Guideline, Target]:
    guideline = load("2020.06")
    capability = Capability(name="cap", tests=(test,))
    guideline.capabilities = {"cap": capability}
    component = Component(name="comp", capabilities={Status.REQUIRED: ("cap",)})
    return guideline, Target(name="t", kind="platform", components=(component,))


INSTALLED = [
    "tempest.api.network.test_networks.NetworksTest.test_list_networks[id-f7ffdeda]",
    "tempest.api.network.test_networks.NetworksIpV6Test.test_list_networks[id-f7ffdeda]",
    "tempest.api.compute.servers.test_list.ListServersTest.test_renamed[id-aaaa1111]",
]


def test_an_id_shared_by_subclasses_picks_the_guideline_class() -> None:
    test = Test(
        name="tempest.api.network.test_networks.NetworksTest.test_list_networks_old",
        idempotent_id="id-f7ffdeda",
    )
    guideline, target = _one_test_guideline(test)
    (chosen,) = selection.resolve(guideline, target, INSTALLED).tests
    assert chosen.installed_id == INSTALLED[0]
    assert chosen.matched_as == "tempest.api.network.test_networks.NetworksTest.test_list_networks"


def test_alias_before_id_and_unknown_tests_reported() -> None:
    aliased = Test(
        name="tempest.api.compute.servers.test_list.ListServersTest.test_gone",
        idempotent_id="id-bbbb2222",
        aliases=("tempest.api.compute.servers.test_list.ListServersTest.test_renamed",),
    )
    guideline, target = _one_test_guideline(aliased)
    (chosen,) = selection.resolve(guideline, target, INSTALLED).tests
    assert chosen.installed_id == INSTALLED[2]
    missing = Test(name="tempest.api.nothing.NoTest.test_nothing", idempotent_id="id-cccc3333")
    guideline, target = _one_test_guideline(missing)
    selected = selection.resolve(guideline, target, INSTALLED)
    assert [s.test.name for s in selected.not_found] == [missing.name]


def test_installed_list_names_the_failure(tmp_path: Path) -> None:
    space = workspace.prepare(tmp_path / "ws")
    (space / ".stestr.conf").write_text("[DEFAULT]\ntest_path=/nonexistent/path\n")
    with pytest.raises(RunnerError, match="listing the installed Tempest tests failed"):
        selection._list(space)


def test_a_run_workspace_discovers_only_its_modules(tmp_path: Path) -> None:
    module = "tempest.api.object_storage.test_object_expiry"
    space = workspace.prepare(tmp_path / "ws", [module])
    listed = selection._list(space)
    assert listed and all(t.startswith(module + ".") for t in listed)


def _require_plugins() -> None:
    for distribution in ("heat-tempest-plugin", "designate-tempest-plugin"):
        try:
            version(distribution)
        except PackageNotFoundError:
            message = f"{distribution} is not installed (pip install 'defcore[addons]')"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)


@pytest.mark.parametrize("family", ["orchestration", "dns"])
def test_every_add_on_guideline_resolves_in_the_installed_plugins(
    installed: list[str], family: str
) -> None:
    _require_plugins()
    months = ["2018.02", "2018.11", "2019.06", "2019.11", "2020.06"]
    resolved = 0
    for month in months:
        try:
            guideline, target = load_target(month, family)
        except GuidelineNotFound:
            continue  # orchestration has no 2018.02
        chosen = selection.resolve(guideline, target, installed)
        assert chosen.not_found == [], (guideline.id, chosen.not_found)
        resolved += 1
    assert resolved == (4 if family == "orchestration" else 5)


def test_plugin_tests_resolve_by_name_alias_and_id(installed: list[str]) -> None:
    _require_plugins()
    guideline, target = load_target("2020.06", "orchestration")
    chosen = {s.test.name: s for s in selection.resolve(guideline, target, installed).tests}
    assert len(chosen) == 60
    gabbi = "heat_tempest_plugin.tests.api.test_heat_api.stacks_create_empty_stack.test_request"
    assert chosen[gabbi].installed_id == f"{gabbi}[id-bde1b827-65fb-47ea-909f-82537e6260d3]"
    assert chosen[gabbi].matched_as == ""  # by exact name
    # The guideline misspells one name (`...:Wherej`); its idempotent id finds it in its class.
    (by_id,) = [s for s in chosen.values() if s.matched_as]
    assert by_id.test.name.endswith(":Wherej")
    assert by_id.matched_as.endswith("StackPreviewTest.test_res_group_with_nested_template")
    dns_guideline, dns_target = load_target("2020.06", "dns")
    dns = selection.resolve(dns_guideline, dns_target, installed)
    assert all(
        s.installed_id and s.installed_id.startswith("designate_tempest_plugin.") for s in dns.tests
    )


def test_a_test_the_plugin_no_longer_has_is_not_found(installed: list[str]) -> None:
    _require_plugins()
    gone = Test(
        name="heat_tempest_plugin.tests.api.test_heat_api.stacks_gone.test_request",
        idempotent_id="id-00000000-0000-0000-0000-000000000000",
    )
    guideline, target = _one_test_guideline(gone)
    (chosen,) = selection.resolve(guideline, target, installed).tests
    assert chosen.installed_id is None


def test_a_plugin_workspace_lists_the_gabbi_tests(tmp_path: Path) -> None:
    _require_plugins()
    module = "heat_tempest_plugin.tests.api.test_heat_api"
    listed = selection._list(workspace.prepare(tmp_path / "ws", [module]))
    assert f"{module}.stacks_create_empty_stack.test_request" in {t.split("[")[0] for t in listed}
