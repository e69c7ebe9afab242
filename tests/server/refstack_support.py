"""RefStack's own software for the RefStack-compatibility tests, each in a virtualenv of its own.

- refstack-client from `../shared/clients/` (not on PyPI; its signing needs cryptography < 37),
  installed as `../shared/README.md` says;
- RefStack's server 2.1.0 from PyPI, whose guideline code gives the test lists to compare with.

Both are built once under defcore's cache directory (`$DEFCORE_CACHE_DIR/test-venvs/`) and kept
between sessions: the first session pays about a minute, the next ones nothing. A venv is marked
ready only once its install finished, so an interrupted build is built again.

`serve` starts the real `defcore serve` command on a port in this checkout's test range
(`DEFCORE_TEST_PORT_OFFSET`), on a new SQLite store, and stops it by pid.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ports import free_port

from defcore.paths import cache_dir

REPO = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    """../shared beside the checkout, or the one $DEFCORE_GUIDELINES lies in (a worktree)."""
    guidelines = os.environ.get("DEFCORE_GUIDELINES")
    if guidelines and Path(guidelines).parent.name == "data":
        return Path(guidelines).parents[1]
    return REPO.parent / "shared"


CLIENT_TARBALL = Path(
    os.environ.get(
        "DEFCORE_REFSTACK_CLIENT", str(_shared() / "clients" / "refstack-client-86c1618.tar.gz")
    )
)
CLIENT_PACKAGES = [str(CLIENT_TARBALL), "cryptography<37", "python-tempestconf==3.5.4"]
SERVER_PACKAGES = ["refstack==2.1.0"]


def _venv(name: str, packages: list[str], env: dict[str, str] | None = None) -> Path:
    """The venv's directory, built on first use; a failed build fails the test (in CI) or skips."""
    target = cache_dir() / "test-venvs" / name
    ready = target / ".ready"
    if ready.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built in place (a venv's scripts name its path), marked ready only once complete.
    subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(target)], check=True, capture_output=True
    )
    done = subprocess.run(
        [str(target / "bin" / "pip"), "install", "-q", *packages],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=900,
    )
    if done.returncode != 0:
        message = f"cannot install {' '.join(packages)}: {done.stderr[-2000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    ready.write_text(" ".join(packages) + "\n")
    return target


@pytest.fixture(scope="session")
def client_venv() -> Path:
    """refstack-client's virtualenv; `bin/refstack-client` is the real client."""
    if not CLIENT_TARBALL.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"refstack-client is missing: {CLIENT_TARBALL}")
        pytest.skip(f"no refstack-client at {CLIENT_TARBALL}")
    return _venv("refstack-client-86c1618", CLIENT_PACKAGES, {"PBR_VERSION": "0.1"})


@pytest.fixture(scope="session")
def refstack_venv() -> Path:
    """RefStack's server 2.1.0, for its guideline code."""
    return _venv("refstack-2.1.0", SERVER_PACKAGES)


# -- the real `defcore serve` -----------------------------------------------------------------


@dataclass
class Served:
    url: str
    admin_token: str

    def call(
        self, method: str, path: str, token: str | None = None, **kw: object
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(base_url=self.url, headers=headers, timeout=60) as client:
            return client.request(method, path, **kw)  # type: ignore[arg-type]

    def user(self, name: str) -> tuple[int, str]:
        r = self.call("POST", "/v1/users", self.admin_token, json={"name": name})
        assert r.status_code == 201, r.text
        return r.json()["id"], r.json()["token"]


def _defcore(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "defcore", *args], capture_output=True, text=True, timeout=120
    )


def serve(directory: Path, *extra: str) -> Iterator[Served]:
    """`defcore server init` and `defcore serve` on a new SQLite store in `directory`."""
    database = f"sqlite:///{directory / 'store.sqlite3'}"
    init = _defcore("server", "init", "--database", database)
    assert init.returncode == 0, init.stderr
    port = free_port()  # from this pytest-xdist worker's own slice
    command = [sys.executable, "-m", "defcore", "serve", "--database", database]
    command += ["--host", "127.0.0.1", "--port", str(port), *extra]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/v1/guidelines", timeout=5)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"defcore serve did not start: {proc.stderr and proc.stderr.read()!r}"
                    )
                time.sleep(0.1)
        yield Served(url, init.stdout.strip())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- keys ---------------------------------------------------------------------------------------


def rsa_key(path: Path) -> str:
    """A new RSA key pair: the private key in PEM at `path` (what `refstack-client -i` reads),
    the public key beside it as `path.pub`; returns the OpenSSH public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path.with_name(path.name + ".pub").write_bytes(public + b"\n")
    return public.decode()


def register_key(served: Served, token: str, key_path: Path) -> None:
    """Register the key at `key_path` to the token's account as a RefStack user does: its
    public key with the self-signature `refstack-client self-sign` makes (RSA-SHA256, hex,
    over the string "signature"), through RefStack's POST /v1/profile/pubkeys."""
    from defcore.server.signatures import load_private_key, sign

    signature, public_key = sign(load_private_key(key_path), b"signature")
    body = {"raw_key": f"{public_key} rc", "self_signature": signature}
    r = served.call("POST", "/v1/profile/pubkeys", token, json=body)
    assert r.status_code == 201, r.text
