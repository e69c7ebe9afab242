"""Record a serial run's durations in the runner's shipped timings (defcore/runner/timings.json).

Run: python benchmarks/record_timings.py SERIAL.subunit [--keep-known]
From a `tempest run --serial` stream (benchmarks/platform_run.py --dir D keeps one under
D/bench-*/tempest-serial/serial.subunit): each test's duration under its name, and each test
class's set-up and tear-down under the class's name (the time between the previous class's last
test and its own first one, which a serial run shows and a parallel one hides). The scheduler
(defcore/runner/schedule.py) reads both. With --keep-known, durations already shipped are kept.
"""

from __future__ import annotations

import argparse
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import subunit
import testtools

TIMINGS = Path(__file__).resolve().parents[1] / "defcore" / "runner" / "timings.json"


def measured(stream: bytes) -> dict[str, float]:
    runs: list[tuple[datetime, datetime, str]] = []

    def finished(test: dict[str, Any]) -> None:
        start, stop = test["timestamps"]
        if test["status"] in ("success", "fail", "skip") and start and stop:
            runs.append((start, stop, test["id"].split("[", 1)[0]))

    collector = testtools.StreamToDict(finished)
    collector.startTestRun()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream), non_subunit_name="stdout").run(collector)
    collector.stopTestRun()
    out: dict[str, float] = {}
    previous: tuple[datetime, str] | None = None
    for start, stop, name in sorted(runs):
        out[name] = round((stop - start).total_seconds(), 3)
        cls = name.rsplit(".", 1)[0]
        if previous is not None and previous[1] != cls:
            gap = (start - previous[0]).total_seconds()
            out[cls] = round(out.get(cls, 0.0) + gap, 3)
        previous = (stop, cls)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stream", type=Path)
    parser.add_argument("--keep-known", action="store_true")
    args = parser.parse_args()
    known = json.loads(TIMINGS.read_text())
    new = measured(args.stream.read_bytes())
    if args.keep_known:
        new = {k: v for k, v in new.items() if k not in known}
    known.update(new)
    TIMINGS.write_text(json.dumps(dict(sorted(known.items())), indent=1) + "\n")
    print(f"{len(new)} timings recorded in {TIMINGS} ({len(known)} in all)")


if __name__ == "__main__":
    main()
