"""Fixtures shared by every part's tests: real lab clouds, started once.

A Storage lab (Keystone + Swift) takes 10 to 20 s to start, so the tests share a session-wide
3-node lab and start smaller special-purpose ones (without tempurl, say) through `lab_factory`.
A Platform lab takes a minute or two and ~2.5 GB: every test that can share one uses
`platform_lab`. Each lab gets its own ports, so they can run side by side and beside a
developer's own lab on the default ports.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from packaging.version import Version
from runner_support import Finished, run_storage
from shared_lab import LabFactory, next_port_offset

from defcore import lab
from defcore.errors import LabError
from defcore.lab.lab import LabState

# The add-on services the shared Platform lab runs too (`lab up --platform --with NAME`).
PLATFORM_LAB_ADDONS = ("heat", "designate")


def pytest_sessionstart(session: pytest.Session) -> None:
    # A CI job's time limit or `timeout` ends the run with SIGTERM, which skips fixture
    # teardown and would leave the labs running: make it an interruption, which does not.
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`./scripts/test` runs `-n 2 --dist loadgroup`), the tests of one
    shared lab run on one worker, so that each session lab starts once: the Platform lab's on
    one, the Storage labs' on another, and every test that needs no lab goes to whichever
    worker is free. The lab phases that wait (lab starts, Designate's polling, a stopped node)
    leave a core to the server's and the guidelines' tests beside them."""
    for item in items:
        group = lab_group(getattr(item, "fixturenames", ()))
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_configure(config: pytest.Config) -> None:
    # pytest 9.2's node ids drop the group suffix pytest-xdist 3.8 adds for --dist loadgroup
    # (pytest-xdist issue #1386): the groups would silently not take, and every worker would
    # start every shared lab. Refused in the controller, where the message is seen.
    if config.getoption("dist", "no") != "loadgroup" or hasattr(config, "workerinput"):
        return
    import xdist

    if Version(pytest.__version__) >= Version("9.2") and Version(xdist.__version__) <= Version(
        "3.8.0"
    ):
        raise pytest.UsageError(
            f"--dist loadgroup does not group tests with pytest {pytest.__version__} and "
            f"pytest-xdist {xdist.__version__} (pytest-xdist issue #1386): install the pytest "
            "that pyproject.toml's dev extra asks for (pip install 'pytest<9.2')"
        )


def lab_group(fixtures: Iterable[str]) -> str | None:
    names = set(fixtures)
    if "platform_lab" in names:  # heat_lab, designate_lab and the Platform runs need it
        return "platform-lab"
    if "lab_factory" in names:  # every other lab fixture needs it
        return "storage-labs"
    return None


@pytest.fixture(scope="session")
def lab_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFactory]:
    started: list[Path] = []

    def make(
        name: str,
        nodes: int = 1,
        without: tuple[str, ...] = (),
        platform: bool = False,
        addons: tuple[str, ...] = (),
    ) -> LabState:
        try:
            lab.check_extra(platform, frozenset(addons))
        except LabError as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(str(exc))
        directory = tmp_path_factory.mktemp(f"lab-{name}")
        config = lab.LabConfig(
            directory=directory,
            nodes=nodes,
            port_offset=next_port_offset(),
            without=frozenset(without),
            platform=platform,
            addons=frozenset(addons),
        )
        started.append(directory)
        return lab.up(config)

    yield make
    for directory in started:
        lab.down(directory)


@pytest.fixture(scope="session")
def lab_cloud(lab_factory: LabFactory) -> LabState:
    """The shared 3-node lab. Tests that stop a node must start it again before they end."""
    return lab_factory("main", nodes=3)


@pytest.fixture(scope="session")
def platform_lab(lab_factory: LabFactory) -> LabState:
    """The shared Platform lab (one storage node), with the add-on services, so that the
    add-ons' suites pay for no lab of their own. Tests must leave it as they found it: whatever
    they create, they delete; a service they stop, they start again."""
    return lab_factory("platform", nodes=1, platform=True, addons=_installed_addons())


def _installed_addons() -> tuple[str, ...]:
    """The add-ons of PLATFORM_LAB_ADDONS whose packages are installed; in CI, all of them (a
    missing one then fails the lab, not quietly the add-on's tests). In a venv without the
    lab-addons extra the Platform tests still run, and the add-on tests skip, saying why."""
    if os.environ.get("CI"):
        return PLATFORM_LAB_ADDONS
    installed = []
    for name in PLATFORM_LAB_ADDONS:
        try:
            lab.check_extra(True, frozenset({name}))
        except LabError:
            continue
        installed.append(name)
    return tuple(installed)


@pytest.fixture(scope="session")  # the orchestration runs are module fixtures
def heat_lab(platform_lab: LabState) -> LabState:
    """The shared Platform lab, for Heat's tests: skipped (outside CI) without Heat installed."""
    if "heat" not in platform_lab.addons:
        pytest.skip("openstack-heat is not installed: install the lab-addons extra")
    return platform_lab


@pytest.fixture(scope="session")
def designate_lab(platform_lab: LabState) -> LabState:
    """The shared Platform lab, for the DNS add-on's tests: skipped (outside CI) without
    Designate installed. A test that stops its BIND 9 starts it again before it ends."""
    if "designate" not in platform_lab.addons:
        pytest.skip("designate is not installed: install the lab-addons extra")
    return platform_lab


@pytest.fixture(scope="session")
def storage_run(lab_cloud: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """OpenStack Powered Storage 2020.06 on the shared 3-node lab, with admin credentials."""
    return run_storage(lab_cloud, tmp_path_factory.mktemp("storage") / "run")


@pytest.fixture(scope="session")
def member_storage_run(lab_cloud: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """The same on the same lab as a plain member, with the lab's pre-provisioned accounts."""
    return run_storage(
        lab_cloud, tmp_path_factory.mktemp("member") / "run", cloud="defcore-lab-member"
    )


@pytest.fixture(scope="session")
def no_tempurl_lab(lab_factory: LabFactory) -> LabState:
    return lab_factory("no-tempurl-runner", nodes=1, without=("tempurl",))


@pytest.fixture(scope="session")
def no_tempurl_run(no_tempurl_lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return run_storage(no_tempurl_lab, tmp_path_factory.mktemp("no-tempurl") / "run")


@pytest.fixture
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    binary = Path("/usr/bin/chromium")
    if not binary.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing (scripts/setup.d/chromium.sh installs it)")
        pytest.skip("no /usr/bin/chromium")
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(binary), headless=True, args=flags)
        yield browser
        browser.close()
