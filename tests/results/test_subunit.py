"""Reading real subunit streams: outcomes, reasons, failed set-ups, damaged streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from defcore.errors import ResultsError
from defcore.results.model import Outcome, RunResults, headline
from defcore.results.model import TestResult as Result
from defcore.results.subunit import HEAD_LINES, TAIL_LINES, parse_subunit, read_subunit

GOOD = "sample_tests.Good"
LOGGED = "sample_tests.Logged"


@pytest.fixture
def run(stream_file: Path) -> RunResults:
    return read_subunit(stream_file)


def test_outcomes_and_reasons(run: RunResults) -> None:
    passes = run.results[f"{GOOD}.test_passes"]
    assert passes.outcome is Outcome.PASSED and passes.reason == ""
    assert passes.duration is not None and passes.duration >= 0
    skips = run.results[f"{GOOD}.test_skips"]
    assert skips.outcome is Outcome.SKIPPED
    assert skips.reason == "feature tempurl is not enabled on this cloud"
    fails = run.results[f"{GOOD}.test_fails"]
    assert fails.outcome is Outcome.FAILED
    lines = fails.reason.splitlines()
    # The first lines of the traceback (where in the test) and its last (what went wrong).
    assert lines[0] == "Traceback (most recent call last):"
    assert "in test_fails" in lines[1]
    assert lines[-1] == "AssertionError: 1 != 2 : one is not two"
    assert headline(fails.reason) == "AssertionError: 1 != 2 : one is not two"


def test_the_log_attached_to_a_result_is_not_its_reason(run: RunResults) -> None:
    # Tempest attaches the test's log as `pythonlogging:''` to every result, skips included.
    skipped = run.results[f"{LOGGED}.test_skips_after_logging"]
    assert skipped.outcome is Outcome.SKIPPED
    assert skipped.reason == "object versioning is not enabled"
    failed = run.results[f"{LOGGED}.test_fails_after_logging"]
    assert failed.outcome is Outcome.FAILED
    assert "PUT /v1/AUTH_x/c" not in failed.reason
    assert failed.reason.splitlines()[0] == "Traceback (most recent call last):"
    assert headline(failed.reason).endswith("201 != 403: container not created")


def test_a_long_traceback_keeps_its_start_and_its_end(run: RunResults) -> None:
    deep = run.results[f"{LOGGED}.test_deep_failure"]
    lines = deep.reason.splitlines()
    assert len(lines) == HEAD_LINES + 1 + TAIL_LINES
    assert lines[0] == "Traceback (most recent call last):"
    assert "in test_deep_failure" in lines[1]
    assert lines[HEAD_LINES].strip().startswith("... (") and "lines)" in lines[HEAD_LINES]
    assert lines[-1] == "ValueError: bottom of the stack"


def test_a_failed_fixture_names_its_cause_not_its_wrapper(run: RunResults) -> None:
    refused = run.results["sample_tests.FixtureRefused.test_fixture_refused"]
    assert refused.outcome is Outcome.FAILED
    # Both tracebacks are kept, each cut on its own, so the cause's last line survives ...
    assert "RuntimeError: 403: Policy doesn't allow os-keypairs:create" in refused.reason
    assert refused.reason.rstrip().endswith("SetupError: {}")
    # ... and the one-line reason is the cause, not `fixtures.fixture.SetupError: {}`.
    assert headline(refused.reason) == "RuntimeError: 403: Policy doesn't allow os-keypairs:create"


def test_a_class_set_up_failure_fails_the_class_tests(run: RunResults) -> None:
    assert "could not create the test container" in run.class_failures["sample_tests.BrokenSetUp"]
    never = run.results["sample_tests.BrokenSetUp.test_never_runs"]
    assert never.outcome is Outcome.ERRORED and not never.passed
    assert never.reason.startswith("class set-up failed: Traceback (most recent call last):")
    assert headline(never.reason) == (
        "class set-up failed: RuntimeError: could not create the test container"
    )


def test_a_class_skipped_at_set_up_skips_its_tests_with_the_reason(run: RunResults) -> None:
    # Tempest's skip_checks raise SkipTest in setUpClass: the class's tests are skipped, with
    # the reason, never "missing" and never passed.
    assert "microversion range[2.2 - latest]" in run.class_skips["sample_tests.SkippedSetUp"]
    never = run.results["sample_tests.SkippedSetUp.test_never_started"]
    assert never.outcome is Outcome.SKIPPED and not never.passed
    assert never.reason.startswith("class skipped at set-up: The microversion range[2.2 - latest]")
    assert "sample_tests.SkippedSetUp" not in run.class_failures


def test_a_module_set_up_failure_fails_the_module_tests(run: RunResults) -> None:
    assert "no credentials for the module" in run.class_failures["module_setup_tests"]
    one = run.results["module_setup_tests.Never.test_one"]
    assert one.outcome is Outcome.ERRORED
    expected = "module set-up failed: RuntimeError: no credentials for the module"
    assert headline(one.reason) == expected


def test_a_tear_down_failure_leaves_the_class_tests_as_they_ran(run: RunResults) -> None:
    assert "sample_tests.BrokenTearDown" not in run.class_failures
    ran = run.results["sample_tests.BrokenTearDown.test_ran_before_tear_down"]
    assert ran.outcome is Outcome.PASSED
    skipped = run.results["sample_tests.BrokenTearDown.test_skipped_before_tear_down"]
    assert skipped.outcome is Outcome.SKIPPED and skipped.reason == "not configured"


def test_names_and_ids_from_a_real_tempest_style_stream(run: RunResults) -> None:
    assert set(run.results) == {
        f"{GOOD}.test_passes",
        f"{GOOD}.test_skips",
        f"{GOOD}.test_fails",
        f"{LOGGED}.test_skips_after_logging",
        f"{LOGGED}.test_fails_after_logging",
        f"{LOGGED}.test_deep_failure",
        "sample_tests.FixtureRefused.test_fixture_refused",
        "sample_tests.BrokenSetUp.test_never_runs",
        "sample_tests.SkippedSetUp.test_never_started",
        "sample_tests.BrokenTearDown.test_ran_before_tear_down",
        "sample_tests.BrokenTearDown.test_skipped_before_tear_down",
        "module_setup_tests.Never.test_one",
    }


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.99])
def test_a_truncated_stream_is_one_error_naming_the_file(
    real_stream: bytes, tmp_path: Path, keep: float
) -> None:
    cut = real_stream[: int(len(real_stream) * keep)]
    if _reads(cut):  # landed exactly on a packet boundary: move one byte into the next packet
        cut = real_stream[: int(len(real_stream) * keep) + 1]
    path = tmp_path / "cut.subunit"
    path.write_bytes(cut)
    with pytest.raises(ResultsError) as caught:
        read_subunit(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: corrupt or truncated subunit stream")
    assert "\n" not in message


def test_a_cut_at_a_packet_boundary_reads_and_passes_nothing_unfinished(
    real_stream: bytes,
) -> None:
    """An interrupted run is cut back to whole packets: it reads, and a test that had not
    finished is not passed. One byte either side of a boundary is a damaged packet."""
    full = parse_subunit(real_stream, "full")
    ends = _packet_ends(real_stream)
    assert ends[-1] == len(real_stream) and len(ends) > 20
    for end in ends[:-1]:
        partial = parse_subunit(real_stream[:end], "cut")
        for name, result in partial.results.items():
            assert not result.passed or full.results[name].passed, name
        unfinished = [r for r in partial.results.values() if r.outcome is Outcome.ERRORED]
        assert all(r.reason for r in unfinished)
        for size in (end - 1, end + 1):
            with pytest.raises(ResultsError, match=r"^cut: corrupt or truncated subunit stream"):
                parse_subunit(real_stream[:size], "cut")


def test_a_corrupted_byte_is_caught(real_stream: bytes) -> None:
    damaged = bytearray(real_stream)
    damaged[len(damaged) // 2] ^= 0xFF
    with pytest.raises(ResultsError, match=r"^x\.subunit: corrupt"):
        parse_subunit(bytes(damaged), "x.subunit")


def test_a_file_that_is_not_subunit(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Ran 3 tests in 0.1s\nOK\n")
    with pytest.raises(ResultsError) as caught:
        read_subunit(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_empty_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="empty subunit stream"):
        parse_subunit(b"", "e.subunit")
    with pytest.raises(ResultsError, match=r"absent\.subunit: cannot read"):
        read_subunit(tmp_path / "absent.subunit")


def test_a_rerun_pass_wins_over_an_earlier_failure(real_stream: bytes) -> None:
    first = parse_subunit(real_stream, "first")
    again = RunResults()
    again.add(Result(f"{GOOD}.test_fails", Outcome.PASSED))
    first.merge(again)
    assert first.results[f"{GOOD}.test_fails"].passed
    # ...and a later failure does not undo a pass.
    first.add(Result(f"{GOOD}.test_passes", Outcome.FAILED, reason="flaky"))
    assert first.results[f"{GOOD}.test_passes"].passed


def _reads(data: bytes) -> bool:
    try:
        parse_subunit(data, "probe")
    except ResultsError:
        return False
    return True


def _packet_ends(data: bytes) -> list[int]:
    """Where each subunit v2 packet ends: signature, 2 flag bytes, then the packet's whole
    length as a 1-4 byte number whose first two bits say how many more bytes it has."""
    ends, pos = [], 0
    while pos < len(data):
        assert data[pos] == 0xB3, f"not a packet at byte {pos}"
        first = data[pos + 3]
        length = first & 0x3F
        for extra in range(first >> 6):
            length = (length << 8) | data[pos + 4 + extra]
        pos += length
        ends.append(pos)
    return ends
