"""The certification lifecycle on the real guidelines, and after a newer one is approved."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from defcore.server.guidelines import GuidelineRegistry
from defcore.server.lifecycle import add_months, approval_of, family_of, lifecycle


def newer_guideline(interop_dir: Path, directory: Path, gid: str, status: str) -> None:
    """A copy of the interop directory with one more platform guideline, `gid`, in `status`."""
    for name in ("2018.02.json", "2019.11.json", "2020.06.json"):
        shutil.copy(interop_dir / name, directory / name)
    shutil.copytree(interop_dir / "add-ons", directory / "add-ons")
    data = json.loads((interop_dir / "2020.06.json").read_text())
    approval = data["metadata"]["os_trademark_approval"]
    approval.update({"target_approval": gid, "replaces": "2020.06", "status": status})
    (directory / f"{gid}.json").write_text(json.dumps(data))


def test_approval_dates_from_each_generation(interop_dir: Path) -> None:
    registry = GuidelineRegistry(interop_dir)
    approvals = {a.guideline_id: a for a in registry.approvals()}
    # schema 2.0: metadata.os_trademark_approval.target_approval is a month
    assert approvals["2020.06"].approved_on == date(2020, 6, 1)
    assert approvals["2019.11"].approved_on == date(2019, 11, 1)
    # schema 1.5/1.6: a top-level target_approval day
    assert approvals["2016.01"].approved_on == date(2016, 1, 27)
    assert approvals["2017.09"].approved_on == date(2017, 9, 10)
    # schema 1.2 says no date: the id's month
    assert approvals["2015.03"].approved_on == date(2015, 3, 1)
    # add-ons are families of their own; orchestration's target_approval carries its prefix
    assert approvals["orchestration.2019.06"].approved_on == date(2019, 6, 1)
    assert approvals["dns.2019.06"].family == "dns"
    assert family_of("2020.06") == "" and family_of("orchestration.2020.06") == "orchestration"


def test_on_a_day_when_2020_06_is_the_newest_approved(interop_dir: Path) -> None:
    approvals = GuidelineRegistry(interop_dir).approvals()
    day = date(2021, 3, 1)
    for gid in ("2019.11", "2020.06"):
        state = lifecycle(gid, approvals, day)
        assert (state.status, state.current_until, state.expires_on) == ("current", None, None)
    # 2018.02 left the two newest when 2020.06 was approved: six months' grace, then expired
    old = lifecycle("2018.02", approvals, day)
    assert (old.current_until, old.expires_on, old.superseded_by) == (
        date(2020, 6, 1),
        date(2020, 12, 1),
        "2020.06",
    )
    assert old.status == "expired"
    assert lifecycle("2018.02", approvals, date(2020, 5, 31)).status == "current"
    assert lifecycle("2018.02", approvals, date(2020, 6, 1)).status == "expiring"
    assert lifecycle("2018.02", approvals, date(2020, 11, 30)).status == "expiring"
    assert lifecycle("2018.02", approvals, date(2020, 12, 1)).status == "expired"
    # add-ons: dns.2019.06 left when dns.2020.06 was approved
    dns = lifecycle("dns.2019.06", approvals, day)
    assert (dns.current_until, dns.status) == (date(2020, 6, 1), "expired")
    assert lifecycle("dns.2019.11", approvals, day).status == "current"
    # an unknown guideline certifies nothing
    assert lifecycle("2099.01", approvals, day).status == "expired"


def test_after_a_newer_guideline_is_approved(interop_dir: Path, tmp_path: Path) -> None:
    newer_guideline(interop_dir, tmp_path, "2021.11", "approved")
    approvals = GuidelineRegistry(tmp_path).approvals()
    before = lifecycle("2019.11", approvals, date(2021, 10, 31))
    assert before.status == "current" and before.current_until == date(2021, 11, 1)
    after = lifecycle("2019.11", approvals, date(2022, 1, 15))
    assert (after.status, after.current_until, after.expires_on, after.superseded_by) == (
        "expiring",
        date(2021, 11, 1),
        date(2022, 5, 1),
        "2021.11",
    )
    assert lifecycle("2019.11", approvals, date(2022, 5, 1)).status == "expired"
    newest = lifecycle("2020.06", approvals, date(2022, 1, 15))
    assert (newest.status, newest.current_until) == ("current", None)


@pytest.mark.parametrize("status", ["draft", "advisory"])
def test_a_guideline_not_approved_pushes_nothing_out(
    interop_dir: Path, tmp_path: Path, status: str
) -> None:
    newer_guideline(interop_dir, tmp_path, "2021.11", status)
    registry = GuidelineRegistry(tmp_path)
    assert approval_of(registry.get("2021.11")) is None
    state = lifecycle("2019.11", registry.approvals(), date(2023, 1, 1))
    assert (state.status, state.current_until) == ("current", None)
    assert lifecycle("2021.11", registry.approvals(), date(2023, 1, 1)).status == "expired"


def test_grace_months_end_on_a_real_day() -> None:
    assert add_months(date(2021, 8, 31), 6) == date(2022, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2021, 11, 1), 6) == date(2022, 5, 1)
