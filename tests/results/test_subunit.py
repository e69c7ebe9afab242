"""Reading real subunit streams: outcomes, reasons, class set-up failures, damaged streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from defcore.errors import ResultsError
from defcore.results.model import Outcome
from defcore.results.subunit import parse_subunit, read_subunit


def test_outcomes_and_reasons(stream_file: Path) -> None:
    run = read_subunit(stream_file)
    by_name = {name.rsplit(".", 1)[-1]: r for name, r in run.results.items()}
    assert by_name["test_passes"].outcome is Outcome.PASSED
    assert by_name["test_passes"].reason == ""
    assert by_name["test_skips"].outcome is Outcome.SKIPPED
    assert by_name["test_skips"].reason == "feature tempurl is not enabled on this cloud"
    assert by_name["test_fails"].outcome is Outcome.FAILED
    assert "one is not two" in by_name["test_fails"].reason
    assert by_name["test_passes"].duration is not None


def test_a_class_set_up_failure_is_kept_for_its_class(stream_file: Path) -> None:
    run = read_subunit(stream_file)
    assert "could not create the test container" in run.class_failures["sample_tests.BrokenSetUp"]
    never = run.results["sample_tests.BrokenSetUp.test_never_runs"]
    assert never.outcome is Outcome.ERRORED
    assert never.reason.startswith("class set-up failed: Traceback")


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_a_truncated_stream_is_one_error_naming_the_file(real_stream: bytes, keep: float) -> None:
    cut = real_stream[: int(len(real_stream) * keep)]
    with pytest.raises(ResultsError) as caught:
        parse_subunit(cut, "cut.subunit")
    message = str(caught.value)
    assert message.startswith("cut.subunit: corrupt or truncated subunit stream")
    assert "\n" not in message


def test_a_corrupted_byte_is_caught(real_stream: bytes) -> None:
    damaged = bytearray(real_stream)
    damaged[len(damaged) // 2] ^= 0xFF
    with pytest.raises(ResultsError, match=r"^x\.subunit: corrupt"):
        parse_subunit(bytes(damaged), "x.subunit")


def test_empty_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="empty subunit stream"):
        parse_subunit(b"", "e.subunit")
    with pytest.raises(ResultsError, match=r"absent\.subunit: cannot read"):
        read_subunit(tmp_path / "absent.subunit")
