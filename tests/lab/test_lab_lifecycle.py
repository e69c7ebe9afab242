"""Starting and stopping labs: the CLI, --without, and every way a start can go wrong."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from shared_lab import next_port_offset, processes_mentioning, proxy_url

from defcore import lab
from defcore.errors import LabError
from defcore.lab.lab import LabState

pytestmark = [pytest.mark.lab, pytest.mark.slow]
DEFCORE = [sys.executable, "-m", "defcore"]


def test_without_tempurl_is_left_out_of_info(no_tempurl_lab: LabState) -> None:
    # The lab the runner's no-tempurl control uses (tests/conftest.py): one lab, not two.
    with urllib.request.urlopen(f"{proxy_url(no_tempurl_lab)}/info", timeout=5) as response:
        info = json.load(response)
    assert "tempurl" not in info
    assert "formpost" in info


def test_cli_up_status_down_leaves_no_process(tmp_path: Path) -> None:
    directory = tmp_path / "cli-lab"
    offset = str(next_port_offset())
    up = subprocess.run(
        [*DEFCORE, "lab", "up", "--dir", str(directory), "--nodes", "1", "--port-offset", offset],
        capture_output=True,
        text=True,
        timeout=180,
    )
    try:
        assert up.returncode == 0, up.stderr
        assert "lab up in" in up.stdout and "OS_CLIENT_CONFIG_FILE" in up.stdout
        pids = [s["pid"] for s in json.loads((directory / "lab.json").read_text())["services"]]
        assert len(pids) == 5  # keystone, proxy, and one node's three servers

        status = subprocess.run(
            [*DEFCORE, "lab", "status", "--dir", str(directory), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        assert {h["state"] for h in json.loads(status.stdout)} == {"healthy"}
    finally:
        down = subprocess.run(
            [*DEFCORE, "lab", "down", "--dir", str(directory)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert down.returncode == 0 and "stopped 5 processes" in down.stdout
    assert processes_mentioning(directory) == []
    assert not (directory / "lab.json").exists()

    again = subprocess.run(
        [*DEFCORE, "lab", "status", "--dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"error: no lab in {directory}: start one with defcore lab up --dir {directory}"
    )


def test_a_busy_port_is_named_and_nothing_starts(tmp_path: Path) -> None:
    config = lab.LabConfig(directory=tmp_path / "busy", nodes=1, port_offset=next_port_offset())
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", config.port(8080)))
        holder.listen()
        with pytest.raises(LabError, match=rf"port 127.0.0.1:{config.port(8080)} for proxy"):
            lab.up(config)
    assert processes_mentioning(config.directory) == []
    assert not config.state_file.exists()


def test_a_lab_already_running_is_refused(lab_cloud: LabState) -> None:
    config = lab.LabConfig(directory=Path(lab_cloud.directory), nodes=3, port_offset=0)
    with pytest.raises(LabError, match=r"a lab is already running in .*lab down --dir"):
        lab.up(config)
    assert all(h.healthy for h in lab.status(Path(lab_cloud.directory)))


def test_a_service_dying_at_start_is_named_and_the_rest_stopped(tmp_path: Path) -> None:
    # A real fault: another program takes Keystone's port after `lab up` found it free (the
    # progress report of the Keystone step is that moment), so gunicorn cannot bind and exits.
    config = lab.LabConfig(directory=tmp_path / "dies", nodes=1, port_offset=next_port_offset())
    thief = socket.socket()

    def take_keystone_port(step: str) -> None:
        if step.startswith("keystone: database"):
            thief.bind(("127.0.0.1", config.port(5000)))
            thief.listen()

    try:
        with pytest.raises(LabError, match=r"^keystone exited while starting; see .*keystone\.log"):
            lab.up(config, progress=take_keystone_port)
    finally:
        thief.close()
        lab.down(config.directory)  # only does something if `up` left a lab behind
    assert processes_mentioning(config.directory) == []
    assert not config.state_file.exists()


def test_a_missing_extra_is_one_line(tmp_path: Path) -> None:
    # A fake, said so: uninstalling Keystone from the shared venv is not something a test may do,
    # so the `keystone` package is hidden from this one process instead.
    hide = tmp_path / "hide"
    hide.mkdir()
    # A None entry in sys.modules is Python's own way of saying "this package is not there".
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['keystone'] = None\n")
    env = {**os.environ, "PYTHONPATH": str(hide)}
    out = subprocess.run(
        [*DEFCORE, "lab", "up", "--dir", str(tmp_path / "lab")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: the lab needs keystone: install the lab extra "
        "(pip install -e '.[lab]' -c constraints/lab.txt)"
    ]


def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="--nodes 0"):
        lab.LabConfig(directory=tmp_path, nodes=0)
    with pytest.raises(LabError, match="--without cache: not a lab middleware or platform service"):
        lab.plan(lab.LabConfig(directory=tmp_path, without=frozenset({"cache"})))


def test_running_reuses_a_lab_of_the_same_kind_and_leaves_it_running(lab_cloud: LabState) -> None:
    directory = Path(lab_cloud.directory)
    config = lab.LabConfig(directory=directory, nodes=3)
    with lab.running(config, reuse=True) as running:
        assert not running.started_here
        assert running.state.endpoints == lab_cloud.endpoints
    assert all(h.healthy for h in lab.status(directory))
    platform = lab.LabConfig(directory=directory, platform=True)
    with (
        pytest.raises(LabError, match=r"^a Storage lab is running in .*lab down --dir"),
        lab.running(platform, reuse=True),
    ):
        pass
    assert all(h.healthy for h in lab.status(directory))
