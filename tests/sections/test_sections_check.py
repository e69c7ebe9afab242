"""The provenance check on the venv's real keystone and swift against their PyPI releases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from defcore.cli import cli
from defcore.errors import SectionsError
from defcore.sections.check import Options, check
from defcore.sections.report import ProjectState, SectionVerdict, Verdict, verdict_of

from .conftest import SITE, UNREACHABLE_INDEX, copy_distribution, installed_version

REPO = Path(__file__).resolve().parents[2]
DEFCORE = [sys.executable, "-m", "defcore"]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DEFCORE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        check=False,
    )


def test_venv_designated_sections_of_keystone_and_swift_unchanged(
    releases_dir: Path, offline: Path
) -> None:
    report = check(
        "2020.06",
        Options(site_packages=(SITE,), releases_dir=releases_dir, projects=("keystone", "swift")),
    )
    assert report.verdict is Verdict.PASS and report.exit_code == 0
    for name in ("keystone", "swift"):
        project = report.project(name)
        assert project.state is ProjectState.CHECKED, project.message
        assert project.distributions[0].version == installed_version(name)
        assert project.distributions[0].upstream_origin == "releases-dir"
        designated = [s for s in project.sections if s.designated]
        assert {s.name for s in designated} >= (
            {"auth (v3) API", "assignment API", "resource API", "trust API"}
            if name == "keystone"
            else {"proxy server", "object server", "container server", "account server", "slo"}
        )
        for section in designated:
            assert section.verdict is SectionVerdict.UNCHANGED, (name, section.name)
            assert section.total_files > 0 and section.lines > 0
        assert project.counts()["modified"] == 0 and project.counts()["missing"] == 0
        assert project.distance == 0.0 and project.designated_lines > 1000


def test_real_download_then_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No release directory: the wheel comes from PyPI into an empty cache, then from it."""
    installed_version("swift")
    monkeypatch.setenv("DEFCORE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DEFCORE_PYPI_INDEX", raising=False)
    first = check("2020.06", Options(site_packages=(SITE,), projects=("swift",)))
    swift = first.project("swift")
    if swift.state is ProjectState.UNVERIFIED and "could not be reached" in swift.message:
        pytest.skip(f"no network to PyPI: {swift.message}")
    assert swift.distributions[0].upstream_origin == "index"
    assert swift.distributions[0].upstream_url
    assert swift.distributions[0].upstream_url.startswith("https://")
    assert (tmp_path / "cache" / "sections" / "releases").is_dir()
    second = check("2020.06", Options(site_packages=(SITE,), projects=("swift",)))
    assert second.project("swift").distributions[0].upstream_origin == "cache"
    assert first.verdict is second.verdict is Verdict.PASS


def test_patched_v3_auth_file_fails_and_is_named(
    keystone_copy: Path, releases_dir: Path, offline: Path
) -> None:
    target = keystone_copy / "keystone" / "api" / "auth.py"
    target.write_text(
        target.read_text() + "\n\ndef _vendor_hook():\n    return 'not upstream'\n",
        encoding="utf-8",
    )
    assert (SITE / "keystone" / "api" / "auth.py").read_bytes() != target.read_bytes()
    args = ["sections", "check", "--guideline", "2020.06", "--site-packages", str(keystone_copy)]
    args += ["--releases", str(releases_dir), "--project", "keystone"]
    code, out, _ = _run(*args)
    assert code == 1
    assert "modified: keystone/api/auth.py [auth (v3) API]" in out
    assert "+def _vendor_hook():" in out
    assert "verdict: fail" in out

    code, out, _ = _run(*args, "--format", "json")
    document = json.loads(out)
    assert code == 1 and verdict_of(document) == "fail"
    keystone = document["projects"][0]
    auth = next(s for s in keystone["sections"] if s["name"] == "auth (v3) API")
    assert auth["designated"] and auth["verdict"] == "modified"
    assert auth["counts"]["modified"] == 1
    assert [f["path"] for f in auth["files"]] == ["keystone/api/auth.py"]
    assert auth["files"][0]["changed_lines"] == 4 and "diff" in auth["files"][0]
    assert keystone["designated_changed_lines"] == 4
    assert 0 < keystone["distance"] == pytest.approx(4 / keystone["designated_lines"], abs=1e-6)
    others = [s for s in keystone["sections"] if s["name"] != "auth (v3) API"]
    assert all(s["verdict"] in ("unchanged", "no files") for s in others)


def test_patched_non_designated_driver_is_allowed(
    keystone_copy: Path, releases_dir: Path, offline: Path
) -> None:
    target = keystone_copy / "keystone" / "identity" / "backends" / "sql.py"
    target.write_text(target.read_text() + "\n# vendor: our own SQL tweaks\n", encoding="utf-8")
    (keystone_copy / "keystone" / "identity" / "backends" / "vendor_ldap.py").write_text(
        "# a vendor's own identity driver\n", encoding="utf-8"
    )
    args = ["sections", "check", "--guideline", "2020.06", "--site-packages", str(keystone_copy)]
    args += ["--releases", str(releases_dir), "--project", "keystone"]
    code, out, _ = _run(*args)
    assert code == 0
    assert "allowed: drivers (not designated): keystone/identity/backends/sql.py (modified)" in out
    assert "keystone/identity/backends/vendor_ldap.py (added)" in out
    assert "verdict: pass" in out
    report = check(
        "2020.06",
        Options(site_packages=(keystone_copy,), releases_dir=releases_dir, projects=("keystone",)),
    )
    drivers = next(s for s in report.project("keystone").sections if s.name == "drivers")
    assert drivers.verdict is SectionVerdict.ALLOWED and not drivers.designated
    assert drivers.counts["modified"] == 1 and drivers.counts["added"] == 1
    assert report.project("keystone").distance == 0.0


def test_removed_designated_file_is_missing_and_fails(
    keystone_copy: Path, releases_dir: Path, offline: Path
) -> None:
    (keystone_copy / "keystone" / "trust" / "core.py").unlink()
    report = check(
        "2020.06",
        Options(site_packages=(keystone_copy,), releases_dir=releases_dir, projects=("keystone",)),
    )
    trust = next(s for s in report.project("keystone").sections if s.name == "trust API")
    assert trust.verdict is SectionVerdict.MODIFIED and trust.counts["missing"] == 1
    assert report.exit_code == 1


def test_no_network_and_no_release_directory_one_line(offline: Path) -> None:
    installed_version("keystone")
    done = _process(
        "sections", "check", "--guideline", "2020.06", "--project", "keystone",
        env={"DEFCORE_CACHE_DIR": str(offline), "DEFCORE_PYPI_INDEX": UNREACHABLE_INDEX},
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: keystone {installed_version('keystone')}: ")
    assert UNREACHABLE_INDEX + "keystone/ could not be reached" in lines[0]
    assert lines[0].endswith("and no --releases DIR was given")
    assert "keystone: unverified" in done.stdout and "verdict: incomplete" in done.stdout


def test_version_without_upstream_release_one_line(tmp_path: Path) -> None:
    """A vendor's own version number: the real index has no such release."""
    version = installed_version("keystone")
    site = copy_distribution("keystone", ("keystone",), tmp_path / "site-packages")
    info = next(site.glob("keystone-*.dist-info"))
    metadata_file = info / "METADATA"
    metadata_file.write_text(
        metadata_file.read_text().replace(f"Version: {version}", "Version: 30.0.0.post999"),
        encoding="utf-8",
    )
    done = _process(
        "sections", "check", "--guideline", "2020.06", "--project", "keystone",
        "--site-packages", str(site),
        env={"DEFCORE_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    if "could not be reached" in done.stderr:
        pytest.skip(f"no network to PyPI: {done.stderr.strip()}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "error: keystone 30.0.0.post999: no upstream release of that version on "
        f"https://pypi.org/simple/keystone/ (nearest: {version})"
    ]


def test_local_version_label_compares_with_the_public_release(
    tmp_path: Path, releases_dir: Path, offline: Path
) -> None:
    """A distro's `30.0.0+vendor1` build is compared with upstream 30.0.0."""
    version = installed_version("keystone")
    site = copy_distribution("keystone", ("keystone",), tmp_path / "site-packages")
    metadata_file = next(site.glob("keystone-*.dist-info")) / "METADATA"
    metadata_file.write_text(
        metadata_file.read_text().replace(f"Version: {version}", f"Version: {version}+vendor1"),
        encoding="utf-8",
    )
    report = check(
        "2020.06",
        Options(site_packages=(site,), releases_dir=releases_dir, projects=("keystone",)),
    )
    keystone = report.project("keystone")
    assert keystone.distributions[0].version == f"{version}+vendor1"
    assert report.verdict is Verdict.PASS


def test_python_option_and_html_and_json_files(
    tmp_path: Path, releases_dir: Path, offline: Path
) -> None:
    html = tmp_path / "sections.html"
    code, out, _ = _run(
        "sections", "check", "--guideline", "2020.06", "--python", sys.executable,
        "--releases", str(releases_dir), "--project", "keystone", "--project", "swift",
        "--format", "html", "-o", str(html),
    )  # fmt: skip
    assert code == 0 and out == ""
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "auth (v3) API" in page
    assert "proxy server" in page and "background: #d9f2d9" in page
    out_json = tmp_path / "sections.json"
    code, _, _ = _run(
        "sections", "check", "--guideline", "2020.06", "--releases", str(releases_dir),
        "--project", "swift", "--format", "json", "-o", str(out_json),
    )  # fmt: skip
    document = json.loads(out_json.read_text())
    assert document["format"] == "defcore-sections-report" and document["version"] == 1
    assert document["guideline"]["id"] == "2020.06" and document["verdict"] == "pass"
    swift = document["projects"][0]
    assert swift["distributions"][0]["upstream"]["file"].endswith(".whl")
    assert len(swift["distributions"][0]["upstream"]["sha256"]) == 64


def test_not_installed_projects_are_reported_not_failed(
    releases_dir: Path, offline: Path, tmp_path: Path
) -> None:
    # A site-packages with only Keystone and Swift: the Platform lab's extra installs Nova,
    # Glance, Cinder and Neutron into the test venv, and here they must be absent.
    site = tmp_path / "site-packages"
    site.mkdir()
    for entry in Path(SITE).iterdir():
        if entry.name.lower().startswith(("keystone", "swift")):
            (site / entry.name).symlink_to(entry)
    report = check("2020.06", Options(site_packages=(site,), releases_dir=releases_dir))
    states = {p.project: p.state for p in report.projects}
    assert states["keystone"] is states["swift"] is ProjectState.CHECKED
    for name in ("nova", "glance", "cinder", "neutron"):
        assert states[name] is ProjectState.NOT_INSTALLED
    assert report.verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project", "horizon"], "--project horizon: guideline 2020.06 names no sections"),
        (["--site-packages", "/nonexistent/site"], "--site-packages /nonexistent/site: no such"),
        (["--python", "/nonexistent/python"], "--python /nonexistent/python: cannot run it"),
        (["--python", sys.executable, "--site-packages", "/tmp"], "not both"),
    ],
)
def test_user_errors_are_one_line(args: list[str], message: str) -> None:
    done = _process("sections", "check", "--guideline", "2020.06", *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr


def test_guideline_without_named_sections_is_a_user_error() -> None:
    with pytest.raises(SectionsError, match="names no designated sections"):
        check("icehousecore", Options(site_packages=(SITE,)))
