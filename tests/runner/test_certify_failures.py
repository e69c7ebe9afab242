"""Clouds that must not pass, and inputs that must fail: one clear line each, non-zero exits."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml
from ports import free_port
from runner_support import STORAGE, Finished, defcore, defcore_env

from defcore.lab.lab import LabState

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def _caps(run: Finished) -> dict[str, dict[str, object]]:
    doc = json.loads((run.run_dir / "result.json").read_text())
    return {c["name"]: c for comp in doc["verdict"]["components"] for c in comp["capabilities"]}


def test_without_tempurl_the_temp_url_capabilities_do_not_pass(no_tempurl_run: Finished) -> None:
    assert no_tempurl_run.returncode == 1
    caps = _caps(no_tempurl_run)
    for name in ("objectstore-temp-url-get", "objectstore-temp-url-put"):
        assert caps[name]["passed"] is False
        (test,) = caps[name]["tests"]  # type: ignore[misc]
        assert test["outcome"] == "skipped"
        assert "tempurl" in test["reason"].lower()
    failing = sorted(n for n, c in caps.items() if not c["passed"])
    assert failing == ["objectstore-temp-url-get", "objectstore-temp-url-put"]
    assert "NOT PASSED (56/58 tests)" in no_tempurl_run.stdout
    # The skip reason is in the terminal table too.
    assert "not enabled" in no_tempurl_run.stdout or "tempurl" in no_tempurl_run.stdout


def test_rerun_failed_runs_only_what_did_not_pass(
    no_tempurl_lab: LabState, no_tempurl_run: Finished
) -> None:
    out = defcore(
        "test",
        "--rerun-failed",
        str(no_tempurl_run.run_dir),
        env=defcore_env(no_tempurl_lab, no_tempurl_run.run_dir.parent),
    )
    # The cloud is unchanged: the two temp-URL tests are run again and skip again.
    assert out.returncode == 1, out.stderr
    assert "running 2 tests" in out.stdout
    assert (no_tempurl_run.run_dir / "results-2.subunit").exists()
    doc = json.loads((no_tempurl_run.run_dir / "result.json").read_text())
    assert doc["verdict"]["required_tests_passed"] == 56
    assert doc["defcore"]["streams"] == ["results.subunit", "results-2.subunit"]


def _clouds(tmp_path: Path, lab: LabState, **auth: str) -> dict[str, str]:
    clouds = yaml.safe_load(Path(lab.clouds_file).read_text())
    entry = clouds["clouds"]["defcore-lab"]
    entry["auth"].update(auth)
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    env = defcore_env(lab, tmp_path)
    env["OS_CLIENT_CONFIG_FILE"] = str(path)
    return env


def _one_line_error(out: object) -> str:
    stderr = out.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert out.returncode == 2, stderr  # type: ignore[attr-defined]
    assert len(stderr) == 1 and "Traceback" not in stderr[0], stderr
    return stderr[0]


ARGS = ("test", "--cloud", "defcore-lab", "--guideline", "2020.06", "--target", STORAGE)


def test_a_wrong_password(lab_cloud: LabState, tmp_path: Path) -> None:
    env = _clouds(tmp_path, lab_cloud, password="not-the-password")
    line = _one_line_error(defcore(*ARGS, "--run-dir", str(tmp_path / "r"), env=env))
    assert line == (
        f"error: cloud 'defcore-lab': authenticating at {lab_cloud.identity_url}: "
        "refused (HTTP 401): check user, password and project"
    )


def test_an_unreachable_endpoint(lab_cloud: LabState, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v3"
    env = _clouds(tmp_path, lab_cloud, auth_url=url)
    line = _one_line_error(defcore(*ARGS, "--run-dir", str(tmp_path / "r"), env=env))
    assert line.startswith(f"error: cloud 'defcore-lab': authenticating at {url}: cannot connect")


def test_a_cloud_that_times_out(lab_cloud: LabState, tmp_path: Path) -> None:
    # A real silent server: the kernel accepts the connection, nobody ever answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", free_port()))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v3"
        env = _clouds(tmp_path, lab_cloud, auth_url=url)
        out = defcore(*ARGS, "--timeout", "2", "--run-dir", str(tmp_path / "r"), env=env)
    line = _one_line_error(out)
    assert line == f"error: cloud 'defcore-lab': authenticating at {url}: no answer within 2 s"


def test_a_guideline_without_the_target(lab_cloud: LabState, tmp_path: Path) -> None:
    env = defcore_env(lab_cloud, tmp_path)
    args = [*ARGS[:-1], "OpenStack Powered Teapot", "--run-dir", str(tmp_path / "r")]
    out = defcore(*args, env=env)
    line = _one_line_error(out)
    assert "OpenStack Powered Teapot" in line and "2020.06" in line
    assert not (tmp_path / "r").exists()  # nothing was started


def test_an_unknown_cloud(tmp_path: Path) -> None:
    env = defcore_env(None, tmp_path)
    env["OS_CLIENT_CONFIG_FILE"] = str(tmp_path / "none.yaml")
    out = defcore("test", "--cloud", "nowhere", "--target", STORAGE, env=env)
    line = _one_line_error(out)
    assert line.startswith("error: cloud 'nowhere':")
