"""Runner fixtures: real `defcore test` runs on real labs, each run once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from runner_support import Finished, run_storage
from shared_lab import LabFactory

from defcore.lab.lab import LabState


@pytest.fixture(scope="session")
def storage_run(lab_cloud: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """OpenStack Powered Storage 2020.06 on the shared 3-node lab, with admin credentials."""
    return run_storage(lab_cloud, tmp_path_factory.mktemp("storage") / "run")


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
