"""Deployment: the database URL from a file or the environment, its password never printed nor
on a command line, and `defcore serve --workers N` on PostgreSQL (a real cluster)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from ports import free_port
from server_support import PostgresCluster

PASSWORD = "s3cret-never-shown"


def _with_password(url: str) -> str:
    # the test cluster trusts loopback connections: any password connects
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")


def _defcore(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "defcore", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_init_and_serve_with_workers_never_show_the_password(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = _with_password(postgres.new_database())
    secret_file = tmp_path / "database-url"
    secret_file.write_text(url + "\n")
    secret_file.chmod(0o600)
    init = _defcore("server", "init", "--database-file", str(secret_file))
    assert init.returncode == 0, init.stderr
    assert PASSWORD not in init.stderr + init.stdout
    assert "***" in init.stderr  # the URL is shown, masked
    token = init.stdout.strip()

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "defcore", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "DEFCORE_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        me = httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["foundation_admin"] is True
        # every process of the server: the parent and its two workers
        tree = subprocess.run(
            ["ps", "-o", "pid=,args=", "--ppid", str(proc.pid)], capture_output=True, text=True
        ).stdout
        assert len(tree.strip().splitlines()) >= 2, tree
        assert PASSWORD not in tree
        assert PASSWORD.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        bad = httpx.get(f"{base}/v1/products/99999999999999")
        assert bad.status_code == 422 and PASSWORD not in bad.text
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=60)
    assert PASSWORD not in stderr


def test_a_wrong_database_file_is_one_clear_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    done = _defcore("server", "init", "--database-file", str(empty))
    assert done.returncode != 0
    assert f"{empty}: the first line should be the database URL" in done.stderr
    assert "Traceback" not in done.stderr
