"""The real refstack-client against a real `defcore serve`: upload, upload-subunit (anonymous
and signed with a key registered through the API), list, the test-list download of
`refstack-client test --test-list URL`, and that whole command: Tempest run by the client
against the shared Storage lab, its results uploaded signed and judged as defcore's own run.

The client is the public refstack-client (86c1618) from ../shared/clients, in a virtualenv of
its own (refstack_support). Its exit status is 0 whatever the server answers (it only prints
"Test results uploaded!" on a 201), so each test checks the output and then the stored result.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from refstack_support import Served, client_venv, register_key, rsa_key, serve  # noqa: F401
from runner_support import Finished, default_sigint
from server_support import refstack_body, storage_tests

from defcore.lab.lab import LabState

SCENARIO_TEST = (
    "tempest.api.object_storage.test_container_services.ContainerTest"
    ".test_create_container(some_scenario)"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, interop_dir: Path) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("refstack-serve"), "--guidelines", str(interop_dir))


@pytest.fixture(scope="module")
def closed_served(tmp_path_factory: pytest.TempPathFactory, interop_dir: Path) -> Iterator[Served]:
    """`defcore serve --no-anonymous-uploads`, the real command: each worker builds its app
    from the environment `serve` sets."""
    directory = tmp_path_factory.mktemp("refstack-closed")
    yield from serve(directory, "--guidelines", str(interop_dir), "--no-anonymous-uploads")


def _client(
    venv: Path, *args: str, stdin: str = "", timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "refstack-client"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _object_verdict(served: Served, token: str, result_id: str) -> dict[str, Any]:
    """The result's verdict for OpenStack Powered Storage 2020.06, as the server gives it."""
    r = served.call(
        "GET",
        f"/v1/results/{result_id}/verdict",
        token,
        params={"guideline": "2020.06", "target": "object"},
    )
    assert r.status_code == 200, r.text
    verdict: dict[str, Any] = r.json()
    return verdict


def _uploaded_id(done: subprocess.CompletedProcess[str], served: Served) -> str:
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    assert "Test results uploaded!" in done.stdout, done.stdout + done.stderr
    match = re.search(r"URL: (\S+)/results/([0-9a-f-]{36})", done.stdout)
    assert match, done.stdout
    assert match.group(1) == served.url
    return match.group(2)


def _subunit_file(path: Path) -> list[str]:
    """A subunit stream as refstack-client reads it (version 1, text: its SubunitProcessor
    opens the file in text mode), with Tempest's ids: [id-...] attributes, one scenario.
    Returns the names refstack-client will send (attributes stripped, scenario kept)."""
    lines = []
    names = []
    for index, (name, uuid) in enumerate(storage_tests()[:12]):
        test_id = f"{name}[id-{uuid},smoke]" if uuid else name
        if index == 0:  # the scenario variant of the first test, as testscenarios names it
            test_id = f"{name}[id-{uuid}](some_scenario)"
            name = f"{name}(some_scenario)"
        lines += [f"test: {test_id}", f"success: {test_id}"]
        names.append(name)
    path.write_text("\n".join(lines) + "\n")
    return names


def test_upload_json_anonymously(client_venv: Path, served: Served, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "results.json"
    path.write_bytes(refstack_body(storage_tests(), salt="anon"))
    done = _client(client_venv, "upload", "-y", "--url", served.url, str(path))
    result_id = _uploaded_id(done, served)

    # anonymous and private: readable by its id, never listed, owned by nobody
    r = served.call("GET", f"/v1/results/{result_id}")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["uploader"] is None and data["public"] is False and data["signed"] is False
    assert data["cpid"] == "labanon" and data["test_count"] == len(storage_tests())
    listed = served.call("GET", "/v1/results", params={"cpid": "labanon"}).json()
    assert listed["results"] == []
    as_admin = served.call("GET", "/v1/results", served.admin_token, params={"cpid": "labanon"})
    assert [x["id"] for x in as_admin.json()["results"]] == [result_id]


def test_anonymous_uploads_refused_when_the_server_says_so(
    client_venv: Path,  # noqa: F811
    closed_served: Served,
    tmp_path: Path,
) -> None:
    """With anonymous uploads turned off, the client's unsigned upload is refused with 401."""
    path = tmp_path / "results.json"
    path.write_bytes(refstack_body(storage_tests(), salt="closed"))
    done = _client(client_venv, "upload", "-y", "--url", closed_served.url, str(path))
    assert "Test results uploaded!" not in done.stdout
    assert '"code":401' in done.stderr, done.stdout + done.stderr
    listed = closed_served.call("GET", "/v1/results", closed_served.admin_token).json()
    assert listed["results"] == []


def test_upload_subunit_anonymously(client_venv: Path, served: Served, tmp_path: Path) -> None:  # noqa: F811
    stream = tmp_path / "0"
    names = _subunit_file(stream)
    keystone = "http://keystone.example.test:5000/v3"
    done = _client(
        client_venv,
        "upload-subunit",
        "-y",
        "--url",
        served.url,
        "--keystone-endpoint",
        keystone,
        str(stream),
    )
    result_id = _uploaded_id(done, served)
    data = served.call("GET", f"/v1/results/{result_id}").json()
    # refstack-client's cpid for a bare endpoint: the MD5 of its host name
    assert data["cpid"] == hashlib.md5(b"keystone.example.test").hexdigest()
    assert sorted(data["results"]) == sorted(names)  # the scenario name kept as sent
    assert data["passed_count"] == len(names)


def test_upload_subunit_signed_with_a_registered_key(
    client_venv: Path,  # noqa: F811
    served: Served,
    tmp_path: Path,
) -> None:
    _user_id, token = served.user("vendor-engineer")
    key = tmp_path / "id_rsa"
    rsa_key(key)
    register_key(served, token, key)
    stream = tmp_path / "0"
    _subunit_file(stream)
    done = _client(
        client_venv,
        "upload-subunit",
        "-y",
        "--url",
        served.url,
        "-i",
        str(key),
        "--keystone-endpoint",
        "http://signed.example.test:5000/v3",
        str(stream),
    )
    result_id = _uploaded_id(done, served)
    # the key identified its owner with no token: the result is theirs, signed and private
    mine = served.call("GET", "/v1/results", token, params={"signed": "true"}).json()
    (item,) = [x for x in mine["results"] if x["id"] == result_id]
    assert item["uploader"] == "vendor-engineer" and item["signed"] is True
    assert item["public"] is False and item["meta"]["user"] == "vendor-engineer"
    assert served.call("GET", f"/v1/results/{result_id}").status_code == 404  # private


def test_upload_json_signed_then_judged_with_the_scenario(
    client_venv: Path,  # noqa: F811
    served: Served,
    tmp_path: Path,
) -> None:
    _user_id, token = served.user("json-signer")
    key = tmp_path / "id_rsa"
    rsa_key(key)
    register_key(served, token, key)
    tests = storage_tests()
    # every required Storage test passed, one of them only as a scenario run
    first_name, first_uuid = tests[0]
    sent = [(f"{first_name}(some_scenario)", first_uuid), *tests[1:]]
    path = tmp_path / "results.json"
    path.write_bytes(refstack_body(sent, salt="scenario"))
    done = _client(client_venv, "upload", "-y", "-i", str(key), "--url", served.url, str(path))
    result_id = _uploaded_id(done, served)
    verdict = _object_verdict(served, token, result_id)
    assert verdict["passed"] is True
    names = json.dumps(verdict)
    assert f"{first_name}(some_scenario)" in names  # matched as the scenario run


def test_upload_signed_with_an_unknown_key_is_refused(
    client_venv: Path,  # noqa: F811
    served: Served,
    tmp_path: Path,
) -> None:
    key = tmp_path / "stranger"
    rsa_key(key)
    path = tmp_path / "results.json"
    path.write_bytes(refstack_body(storage_tests(), salt="stranger"))
    done = _client(client_venv, "upload", "-y", "-i", str(key), "--url", served.url, str(path))
    assert "Test results uploaded!" not in done.stdout
    # the client logs the server's answer: RefStack's error shape with what to do
    assert '"code":401' in done.stderr and "not registered to any account" in done.stderr


def test_list_pages_through_public_results(
    client_venv: Path,  # noqa: F811
    served: Served,
    tmp_path: Path,
) -> None:
    _user_id, token = served.user("lister")
    for n in range(53):  # two pages of 50
        body = refstack_body(storage_tests()[:3], cpid="listed", salt=str(n))
        r = served.call(
            "POST", "/v1/results", token, content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 201, r.text
        shared = served.call("POST", f"/v1/results/{r.json()['test_id']}/meta/shared", token)
        assert shared.status_code == 201, shared.text
    first = served.call("GET", "/v1/results/").json()
    total, pages = first["total"], first["pagination"]["total_pages"]
    assert first["pagination"]["current_page"] == 1 and pages == 2

    # stderr to a file: a pipe nobody reads until the end could fill and stall the client.
    errors = (tmp_path / "stderr").open("w+b")
    proc = subprocess.Popen(
        [str(client_venv / "bin" / "refstack-client"), "list", "--url", served.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=default_sigint,  # the test ends the listing with Ctrl-C's signal
    )
    assert proc.stdin is not None and proc.stdout is not None
    output = bytearray()

    def read() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(4096):
            output.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    prompt = b"Press Enter to go to next page..."
    try:
        for page in range(1, pages + 1):
            deadline = time.monotonic() + 60
            while output.count(prompt) < page:
                assert proc.poll() is None, bytes(output) + (tmp_path / "stderr").read_bytes()
                assert time.monotonic() < deadline, bytes(output)
                time.sleep(0.05)
            if page < pages:
                proc.stdin.write(b"\n")
                proc.stdin.flush()
        # After the last page the client asks once more; a user ends the listing with Ctrl-C,
        # which the client handles (Enter there makes its generator raise StopIteration, a
        # RuntimeError since Python 3.7, whatever the server: RefStack's own included).
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 0, (tmp_path / "stderr").read_bytes()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    lines = re.findall(
        rb"^(?:Press Enter to go to next page\.\.\.)?(\S+ - (\S+))$", bytes(output), re.M
    )
    urls = [url.decode() for _line, url in lines]
    assert len(urls) == total and len(set(urls)) == total
    assert all(url.startswith(f"{served.url}/results/") for url in urls)


def _tempest_dir(directory: Path) -> Path:
    """A Tempest directory as refstack-client's `test` command expects (`.stestr.conf`,
    `tools/with_venv.sh`, an initialised stestr repository), on the real Tempest installed
    beside defcore: what refstack-client's own `setup_env` makes of a Tempest checkout."""
    import tempest

    site = Path(tempest.__file__).resolve().parents[1]
    shutil.rmtree(directory, ignore_errors=True)  # no stream of an earlier session
    (directory / "tools").mkdir(parents=True)
    (directory / ".stestr.conf").write_text(
        f"[DEFAULT]\ntest_path={site}/tempest/test_discover\ntop_dir={site}\n"
    )
    wrapper = directory / "tools" / "with_venv.sh"
    wrapper.write_text(f'#!/bin/sh\nPATH={Path(sys.executable).parent}:$PATH exec "$@"\n')
    wrapper.chmod(0o755)
    # the client starts `stestr init` without waiting for it; initialise first
    init = subprocess.run(
        [str(wrapper), "stestr", "init"], cwd=directory, capture_output=True, timeout=120
    )
    assert init.returncode == 0, init.stderr
    return directory


def test_test_list_download_normalised_against_tempest(
    client_venv: Path,  # noqa: F811
    served: Served,
    tmp_path: Path,
) -> None:
    """What `refstack-client test --test-list URL` does before it runs Tempest: its
    TestListParser downloads the list from the server, lists the local Tempest's tests
    (`stestr list` in the Tempest directory, here the real Tempest) and writes the whitelist
    handed to `tempest run --whitelist_file`. Running Tempest itself is not part of this test
    (the runner tests run Tempest on the lab)."""
    url = (
        f"{served.url}/v1/guidelines/2020.06/tests"
        "?target=object&type=required&alias=true&flag=false"
    )
    listed = served.call("GET", url.removeprefix(served.url)).text.splitlines()
    wanted = {line.split("[")[0] for line in listed}
    assert len(wanted) > 50
    code = (
        "import sys\n"
        "from refstack_client.list_parser import TestListParser\n"
        "parser = TestListParser(sys.argv[1])\n"
        "print(open(parser.create_whitelist(sys.argv[2])).read())\n"
    )
    done = subprocess.run(
        [
            str(client_venv / "bin" / "python"),
            "-c",
            code,
            str(_tempest_dir(tmp_path / "tempest")),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # one regex per test, `name\[`, for the tests of the list this Tempest has
    whitelisted = {line.removesuffix("\\[") for line in done.stdout.split()}
    assert whitelisted <= wanted
    missing = wanted - whitelisted
    assert len(missing) <= len(wanted) // 10, sorted(missing)


def test_refstack_client_runs_tempest_on_the_lab_and_uploads(
    client_venv: Path,  # noqa: F811
    served: Served,
    lab_cloud: LabState,
    storage_run: Finished,
    tmp_path: Path,
) -> None:
    """The whole `refstack-client test -c tempest.conf --test-list URL --upload -i KEY`, as a
    RefStack user runs it: the test list from `defcore serve`, Tempest run by the client (in
    the Tempest directory its `setup_env` would make) against the shared Storage lab, the
    passed tests uploaded signed with a registered key, and the upload judged by defcore as
    it judges its own run of the same target on the same lab."""
    assert storage_run.returncode == 0, storage_run.stdout[-3000:]
    conf = _users_tempest_conf(storage_run.run_dir / "tempest.conf", lab_cloud, tmp_path)
    _user_id, token = served.user("client-runner")
    key = tmp_path / "id_rsa"
    rsa_key(key)
    register_key(served, token, key)
    # refstack-client runs Tempest from `.tempest` beside its own package, nowhere else
    site = subprocess.run(
        [
            str(client_venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tempest_dir = _tempest_dir(Path(site) / ".tempest")
    url = (
        f"{served.url}/v1/guidelines/2020.06/tests"
        "?target=object&type=required&alias=true&flag=false"
    )
    done = _client(
        client_venv,
        "test",
        "-v",  # without it the client fails (its verbosity is None, compared with 0)
        "-c",
        str(conf),
        "--test-list",
        url,
        "--upload",
        "--url",
        served.url,
        "-i",
        str(key),
        timeout=1200,
    )
    result_id = _uploaded_id(done, served)

    # the stream the client read is the one Tempest wrote in its directory
    streams = [p for p in (tempest_dir / ".stestr").iterdir() if p.name.isdigit()]
    assert len(streams) == 1, streams
    mine = served.call("GET", "/v1/results", token, params={"signed": "true"}).json()
    (item,) = [x for x in mine["results"] if x["id"] == result_id]
    assert item["uploader"] == "client-runner" and item["signed"] is True
    # the client's cpid is Keystone's identity service id, as defcore's discovery finds it
    found = json.loads((storage_run.run_dir / "discovery.json").read_text())
    assert item["cpid"] == found["cpid"]

    verdict = _object_verdict(served, token, result_id)
    own = json.loads((storage_run.run_dir / "result.json").read_text())["verdict"]
    assert own["passed"] is True  # defcore's own run of the target on this lab
    assert verdict["passed"] is True, json.dumps(verdict)[-3000:]
    assert _passed(verdict) == _passed(own)  # the same tests passed, test by test


def _users_tempest_conf(kept: Path, lab: LabState, tmp_path: Path) -> Path:
    """The tempest.conf a RefStack user would bring: the one `defcore test` kept of its admin
    run (passwords shown as ***), with the admin password put back, and the credentials
    refstack-client asks Keystone for the cpid with. They go in [identity] (its older, still
    supported place, which Tempest ignores): its other place, an accounts file, it reads with
    `yaml.load` without a Loader, which PyYAML 6 refuses; and Tempest keeps to dynamic
    credentials (with pre-provisioned accounts Tempest 47 skips a required Storage test)."""
    auth = yaml.safe_load(Path(lab.clouds_file).read_text())["clouds"]["defcore-lab"]["auth"]
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(kept)
    assert conf["auth"]["use_dynamic_credentials"] == "true"
    conf["auth"]["admin_password"] = auth["password"]
    conf["identity"]["username"] = auth["username"]
    conf["identity"]["password"] = auth["password"]
    conf["identity"]["tenant_name"] = auth["project_name"]
    conf["identity"]["domain_name"] = auth.get("user_domain_name", "Default")
    path = tmp_path / "tempest.conf"
    with path.open("w") as out:
        conf.write(out)
    return path


def _passed(verdict: dict[str, Any]) -> set[str]:
    return {
        test["name"]
        for component in verdict["components"]
        for capability in component["capabilities"]
        for test in capability["tests"]
        if test["outcome"] == "passed"
    }
