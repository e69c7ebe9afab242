"""Changed-line counts, short diffs and release selection: the arithmetic behind distance."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.version import Version

from defcore.errors import UpstreamUnavailable
from defcore.sections.check import Options, check
from defcore.sections.compare import FileState, changed_lines, compare_file, short_diff
from defcore.sections.installed import describe
from defcore.sections.report import ProjectState, SectionVerdict, Verdict
from defcore.sections.upstream import _pick, obtain

from .conftest import SITE, installed_version


def test_changed_lines_counts_a_replaced_run_once() -> None:
    old = b"a\nb\nc\nd\n"
    assert changed_lines(old, old) == 0
    assert changed_lines(old, b"a\nB\nc\nd\n") == 1  # one line replaced
    assert changed_lines(old, b"a\nc\nd\n") == 1  # one removed
    assert changed_lines(old, b"a\nb\nx\ny\nz\nc\nd\n") == 3  # three inserted
    assert changed_lines(old, b"a\nX\nY\nZ\nd\n") == 3  # two replaced by three


def test_short_diff_is_cut() -> None:
    old = "".join(f"{i}\n" for i in range(200)).encode()
    new = "".join(f"{i}x\n" for i in range(200)).encode()
    diff = short_diff("p.py", old, new, limit=10).splitlines()
    assert diff[0] == "--- upstream/p.py" and diff[1] == "+++ installed/p.py"
    assert len(diff) == 11 and diff[-1].startswith("... (") and "more diff lines" in diff[-1]


def test_file_states_and_line_figures() -> None:
    up, new = b"x = 1\n", b"x = 2\n"
    files = {"u": up, "i": new}
    read_up, read_in = (lambda p: files["u"]), (lambda p: files["i"])
    same = compare_file("f.py", describe(up), describe(up), read_up, read_in, True)
    assert (same.state, same.lines, same.changed_lines) == (FileState.UNCHANGED, 1, 0)
    changed = compare_file("f.py", describe(up), describe(new), read_up, read_in, True)
    assert (changed.state, changed.changed_lines) == (FileState.MODIFIED, 1)
    assert changed.diff and "+x = 2" in changed.diff
    added = compare_file("f.py", None, describe(new), read_up, read_in, True)
    assert (added.state, added.lines, added.changed_lines) == (FileState.ADDED, 0, 1)
    missing = compare_file("f.py", describe(up), None, read_up, read_in, True)
    assert (missing.state, missing.lines, missing.changed_lines) == (FileState.MISSING, 1, 1)
    binary = compare_file("f.mo", describe(b"\xff\x00"), describe(b"\xfe"), read_up, read_in, True)
    assert (binary.state, binary.changed_lines, binary.diff) == (FileState.MODIFIED, 1, None)


def test_wheel_preferred_then_sdist() -> None:
    files = ["swift-2.38.3.tar.gz", "swift-2.38.3-py3-none-any.whl", "swift-2.38.2.tar.gz"]
    assert _pick(files, "swift", Version("2.38.3")) == "swift-2.38.3-py3-none-any.whl"
    assert _pick(files, "swift", Version("2.38.2")) == "swift-2.38.2.tar.gz"
    assert _pick(files, "swift", Version("2.38.1")) is None
    assert _pick(files, "swift", Version("2.38.3"), ("sdist",)) == "swift-2.38.3.tar.gz"
    assert _pick(["openstack_heat-27.0.1-py3-none-any.whl"], "openstack-heat", Version("27.0.1"))


def test_sdist_fallback_on_the_real_swift_sdist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only the sdist in the release directory, swift's designated sections still match."""
    version = installed_version("swift")
    monkeypatch.setenv("DEFCORE_CACHE_DIR", str(tmp_path / "cache"))
    try:
        release = obtain("swift", version, kinds=("sdist",))  # the real sdist from the index
    except UpstreamUnavailable as exc:
        pytest.skip(f"no network to PyPI: {exc}")
    assert release.kind == "sdist" and release.path.name.endswith(".tar.gz")
    releases = tmp_path / "releases"
    releases.mkdir()
    shutil.copy2(release.path, releases / release.path.name)
    monkeypatch.setenv("DEFCORE_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("DEFCORE_PYPI_INDEX", "http://127.0.0.1:9/simple/")
    report = check(
        "2020.06", Options(site_packages=(SITE,), releases_dir=releases, projects=("swift",))
    )
    swift = report.project("swift")
    assert swift.state is ProjectState.CHECKED, swift.message
    assert swift.distributions[0].upstream_kind == "sdist"
    for section in swift.sections:
        if section.designated:
            assert section.verdict is SectionVerdict.UNCHANGED, section.name
    assert report.verdict is Verdict.PASS
