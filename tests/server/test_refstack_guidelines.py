"""Guideline test lists: defcore's `/v1/guidelines/{g}/tests` against RefStack's own code.

RefStack's server 2.1.0 (from PyPI, in a virtualenv of its own) computes the list for every
target, status, alias and flag combination of 2020.06 and 2019.11 (and their DNS and
orchestration add-ons) from the same guideline files; the server must answer the same bytes.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from refstack_support import Served, refstack_venv, serve  # noqa: F401

GUIDELINES = (
    "2020.06",
    "2019.11",
    "dns.2020.06",
    "dns.2019.11",
    "orchestration.2020.06",
    "orchestration.2019.11",
)
TARGETS = ("platform", "compute", "object", "dns", "orchestration")
TYPES = (None, "required", "advisory", "deprecated", "removed", "required,advisory")
BOOLEANS = (None, "true", "false", "1", "no")

# RefStack's functions on each file, for every combination; "Invalid target: x" where it
# raises KeyError (what its controller answers then).
REFSTACK = """
import json, sys
from refstack.api.guidelines import Guidelines

guidelines = Guidelines(repo_url="unused", raw_url="unused", additional_capability_urls="unused")
truthy = lambda v, d=True: v.lower() in ("true", "yes", "1") if v else d
answers = {}
for case in json.load(sys.stdin):
    path, target, types, alias, flag = case
    doc = json.load(open(path))
    try:
        caps = guidelines.get_target_capabilities(
            doc, types.split(",") if types else None, target
        )
        lines = guidelines.get_test_list(doc, caps, truthy(alias), truthy(flag))
        answers[json.dumps(case)] = "\\n".join(lines)
    except KeyError:
        answers[json.dumps(case)] = "Invalid target: " + target
json.dump(answers, sys.stdout)
"""


def _path(interop_dir: Path, guideline: str) -> Path:
    name = f"{guideline}.json"
    return interop_dir / ("add-ons" if not guideline[0].isdigit() else "") / name


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, interop_dir: Path) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("lists"), "--guidelines", str(interop_dir))


def test_lists_match_refstack_byte_for_byte(
    refstack_venv: Path,  # noqa: F811
    served: Served,
    interop_dir: Path,
) -> None:
    cases = [
        [str(_path(interop_dir, g)), target, types, alias, flag]
        for g, target, types, alias, flag in itertools.product(
            GUIDELINES, TARGETS, TYPES, BOOLEANS, BOOLEANS
        )
    ]
    done = subprocess.run(
        [str(refstack_venv / "bin" / "python"), "-c", REFSTACK],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    expected: dict[str, str] = json.loads(done.stdout)
    valid = 0
    with httpx.Client(base_url=served.url, timeout=60) as client:
        for case in cases:
            path, target, types, alias, flag = case
            guideline = Path(path).stem
            params = {"target": target}
            params.update(
                {k: v for k, v in (("type", types), ("alias", alias), ("flag", flag)) if v}
            )
            r = client.get(f"/v1/guidelines/{guideline}/tests", params=params)
            want = expected[json.dumps(case)]
            assert r.text == want, (case, r.text[:300], want[:300])
            assert r.headers["content-type"].startswith("text/plain")
            if want.startswith("Invalid target"):
                assert r.status_code == 400
            else:
                assert r.status_code == 200
                valid += 1
    # every platform target of both guidelines and both add-ons' own targets were compared
    assert valid >= len(TYPES) * len(BOOLEANS) ** 2 * (2 * 3 + 4)


def test_list_keeps_duplicates_and_aliases(served: Served) -> None:
    text = served.call(
        "GET", "/v1/guidelines/2020.06/tests", params={"target": "platform", "type": "required"}
    ).text
    lines = text.split("\n")
    assert lines == sorted(lines) and not text.endswith("\n")
    assert len(lines) > len(set(lines))  # a test shared by two capabilities appears twice
    doc = json.loads(served.call("GET", "/v1/guidelines/2020.06").content)
    aliases = [
        a
        for cap in doc["capabilities"].values()
        for t in cap["tests"].values()
        for a in t.get("aliases", [])
    ]
    assert aliases and any(line.startswith(aliases[0] + "[") for line in lines)
    no_alias = served.call(
        "GET", "/v1/guidelines/2020.06/tests", params={"type": "required", "alias": "false"}
    ).text.split("\n")
    assert not any(line.startswith(aliases[0] + "[") for line in no_alias)


def test_guideline_listing_and_files(served: Served, interop_dir: Path) -> None:
    listing = served.call("GET", "/v1/guidelines").json()
    assert list(listing) == ["dns", "orchestration", "powered"]
    assert {"name": "2020.06.json", "file": "2020.06.json"} in listing["powered"]
    assert {"name": "2020.06.json", "file": "dns.2020.06.json"} in listing["dns"]
    for name in ("2020.06", "2020.06.json"):
        r = served.call("GET", f"/v1/guidelines/{name}")
        assert r.status_code == 200 and r.content == (interop_dir / "2020.06.json").read_bytes()
    assert served.call("GET", "/v1/guidelines/dns.2020.06").json()["metadata"]["id"]
    missing = served.call("GET", "/v1/guidelines/1999.01/tests")
    assert missing.status_code == 404
    assert missing.text == "Error getting JSON content for version: 1999.01"
