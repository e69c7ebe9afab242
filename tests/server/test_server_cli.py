"""The commands: `server init`, `serve`, `upload` and `results verdict`, against a real server.

Must show: a signed upload of a lab run is accepted and shows as Storage 2020.06 PASS; the same
body with one byte changed is rejected; an upload signed by an unregistered key is rejected.
The first run directories here are built from the 58 tests Storage 2020.06 requires; the last
test uploads the runner's real run directories from real labs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ports import free_port
from runner_support import Finished
from server_support import Live, refstack_body, storage_tests

from defcore.cli import cli
from defcore.cli.results_verdict import verdict


def _key(tmp_path: Path, name: str) -> tuple[Path, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / name
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    return path, key


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    refstack = json.loads(refstack_body(storage_tests(), cpid="lab-", salt=uuid.uuid4().hex))
    doc = {"guideline": "2020.06", "target": "OpenStack Powered Storage", "refstack": refstack}
    (run / "result.json").write_text(json.dumps(doc, indent=2))
    return run


def test_signed_lab_run_shows_as_storage_2020_06_pass(live: Live, tmp_path: Path) -> None:
    vendor_id, vendor_admin = live.vendor()
    key_path, key = _key(tmp_path, "id_rsa")
    r = live.register_key(vendor_admin, key)
    assert r.status_code == 201, r.text
    run = _run_dir(tmp_path)
    runner = CliRunner()
    up = runner.invoke(
        cli,
        [
            "upload",
            str(run),
            "--server",
            live.url,
            "--token",
            vendor_admin.token,
            "--sign",
            str(key_path),
        ],
    )
    assert up.exit_code == 0, up.output
    result_id = up.stdout.strip()

    judged = runner.invoke(
        verdict,
        [
            result_id,
            "--server",
            live.url,
            "--token",
            vendor_admin.token,
            "--guideline",
            "2020.06",
            "--target",
            "OpenStack Powered Storage",
        ],
    )
    assert judged.exit_code == 0, judged.output
    assert "OpenStack Powered Storage 2020.06: PASS (58/58" in judged.stdout

    page = live.call(
        "GET",
        f"/results/{result_id}",
        vendor_admin.token,
        params={"guideline": "2020.06", "target": "OpenStack Powered Storage"},
    )
    assert page.status_code == 200
    assert 'OpenStack Powered Storage 2020.06: <span class="pass">PASS</span>' in page.text

    # The same body with one byte changed, signed as the original: rejected.
    body = (run / "result.json").read_bytes()
    key_bytes = key_path.read_bytes()
    from defcore.server.signatures import load_private_key, sign

    signature, public_header = sign(load_private_key(key_path), body)
    changed = body.replace(b'"duration_seconds": 321', b'"duration_seconds": 320')
    assert len(changed) == len(body) and changed != body and key_bytes
    r = live.upload(
        changed, vendor_admin.token, **{"X-Signature": signature, "X-Public-Key": public_header}
    )
    assert r.status_code == 400
    assert "signature does not match the body" in r.json()["detail"]

    # Signed by a key nobody registered: rejected, and the command says why.
    stranger, _ = _key(tmp_path, "stranger")
    (run / "result.json").write_bytes(body.replace(b"lab-", b"lab2"))
    refused = runner.invoke(
        cli,
        [
            "upload",
            str(run),
            "--server",
            live.url,
            "--token",
            vendor_admin.token,
            "--sign",
            str(stranger),
        ],
    )
    assert refused.exit_code != 0
    assert "is not registered to account" in str(refused.exception) + refused.output
    del vendor_id


def test_verdict_command_exits_1_on_fail(live: Live) -> None:
    user = live.user()
    tests = storage_tests()[1:]
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), user.token)
    result_id = r.json()["id"]
    judged = CliRunner().invoke(
        verdict,
        [result_id, "--server", live.url, "--token", user.token, "-g", "2020.06", "-t", "object"],
    )
    assert judged.exit_code == 1
    assert "FAIL (57/58" in judged.stdout
    assert "missing" in judged.stdout


def test_upload_twice_prints_the_same_id(live: Live, tmp_path: Path) -> None:
    user = live.user()
    path = tmp_path / "refstack.json"
    path.write_bytes(refstack_body(storage_tests(), salt=uuid.uuid4().hex))
    args = ["upload", str(path), "--server", live.url, "--token", user.token]
    first = CliRunner().invoke(cli, args)
    second = CliRunner().invoke(cli, args)
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert first.stdout.strip() == second.stdout.strip()


def _defcore(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "defcore", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_server_init_then_serve(database_url: str) -> None:
    first = _defcore("server", "init", "--database", database_url)
    assert first.returncode == 0, first.stderr
    token = first.stdout.strip()
    assert token.startswith("dct_")
    again = _defcore("server", "init", "--database", database_url)
    assert again.returncode == 0 and again.stdout == ""
    assert "exists" in again.stderr

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "defcore", "serve", "--database", database_url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/v1/me", headers={"Authorization": f"Bearer {token}"}
                )
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"defcore serve did not start: {proc.stderr and proc.stderr.read()!r}"
                    )
                time.sleep(0.1)
        assert r.status_code == 200
        assert r.json()["foundation_admin"] is True
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/v1/results" in spec["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # the upload slots by default: none on SQLite, CPU count + 1 on PostgreSQL
    assert proc.stderr is not None
    banner = proc.stderr.read().decode()
    if database_url.startswith("sqlite"):
        assert "no upload limit" in banner, banner
    else:
        assert f"{(os.cpu_count() or 1) + 1} uploads at once each" in banner, banner


def test_serve_refuses_an_uninitialised_store(tmp_path: Path) -> None:
    done = _defcore("serve", "--database", str(tmp_path / "empty.sqlite3"), "--port", "1")
    assert done.returncode != 0
    assert "is not initialised" in done.stderr
    assert "defcore server init" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.lab
@pytest.mark.slow
def test_real_lab_run_directories_upload_with_their_verdicts(
    live: Live, storage_run: Finished, no_tempurl_run: Finished, tmp_path: Path
) -> None:
    # The runner's own run directories, from real Tempest runs on real labs.
    _, vendor_admin = live.vendor("lab")
    key_path, key = _key(tmp_path, "id_rsa")
    r = live.register_key(vendor_admin, key)
    assert r.status_code == 201, r.text
    runner = CliRunner()
    judged = {}
    auth = ["--server", live.url, "--token", vendor_admin.token]
    for run in (storage_run, no_tempurl_run):
        up = runner.invoke(cli, ["upload", str(run.run_dir), *auth, "--sign", str(key_path)])
        assert up.exit_code == 0, up.output
        args = [up.stdout.strip(), "--server", live.url, "--token", vendor_admin.token]
        args += ["--guideline", "2020.06", "--target", "storage"]
        judged[run.run_dir] = runner.invoke(verdict, args)
    full = judged[storage_run.run_dir]
    assert full.exit_code == 0 and "PASS (58/58" in full.stdout, full.output
    partial = judged[no_tempurl_run.run_dir]
    assert partial.exit_code == 1 and "FAIL (56/58" in partial.stdout, partial.output
    assert "objectstore-temp-url-get: fail" in partial.stdout
    assert "test_get_object_using_temp_url: skipped" in partial.stdout


def test_upload_without_a_token(live: Live, tmp_path: Path) -> None:
    """As refstack-client does: signed with a registered key, the upload is the key owner's;
    neither signed nor with a token, it is anonymous, and the command prints its page."""
    owner = live.user("signer")
    key_path, key = _key(tmp_path, "id_rsa")
    r = live.register_key(owner, key)
    assert r.status_code == 201, r.text
    runner = CliRunner()
    path = tmp_path / "results.json"
    path.write_bytes(refstack_body(storage_tests(), salt=uuid.uuid4().hex))
    env = {"DEFCORE_TOKEN": ""}
    signed = runner.invoke(
        cli, ["upload", str(path), "--server", live.url, "--sign", str(key_path)], env=env
    )
    assert signed.exit_code == 0, signed.output
    result_id = signed.stdout.strip()
    assert live.call("GET", f"/v1/results/{result_id}", owner.token).json()["uploader"] == (
        owner.name
    )

    path.write_bytes(refstack_body(storage_tests(), salt=uuid.uuid4().hex))
    anonymous = runner.invoke(cli, ["upload", str(path), "--server", live.url], env=env)
    assert anonymous.exit_code == 0, anonymous.output
    result_id = anonymous.stdout.strip()
    assert f"its page is {live.url}/results/{result_id}" in anonymous.stderr
    assert live.call("GET", f"/v1/results/{result_id}").json()["uploader"] is None
