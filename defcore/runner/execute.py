"""Running the planned tests through stestr, streaming subunit to a file and to a live view.

The stream is read as it arrives: every finished test is reported at once, and if the run is
interrupted the file is cut back to the last complete packet, so what has run is kept and reads
back cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import subunit
import testtools

from defcore.results.model import split_test_id

OnTest = Callable[[str, str], None]  # (test name, subunit status) for each finished test


@dataclass
class Execution:
    returncode: int | None
    interrupted: bool
    stream: Path
    log: Path


class _Tee:
    """A readable pipe that copies every byte it hands out into a file, counting them."""

    def __init__(self, source: IO[bytes], sink: IO[bytes]) -> None:
        self.source, self.sink, self.offset = source, sink, 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        if data:
            self.sink.write(data)
            self.offset += len(data)
        return data

    def readline(self) -> bytes:
        data = self.source.readline()
        if data:
            self.sink.write(data)
            self.offset += len(data)
        return data


def run(
    workspace: Path,
    worker_file: Path,
    stream: Path,
    env: dict[str, str],
    on_test: OnTest,
) -> Execution:
    log = stream.with_suffix(".log")
    argv = [sys.executable, "-m", "stestr", "run", "--worker-file", str(worker_file), "--subunit"]
    good_offset = 0
    # Unbuffered: the stream on disk grows packet by packet as tests finish, so that it can be
    # read (or followed) during the run, not in 8 KiB pieces that end mid-packet.
    with open(stream, "wb", buffering=0) as sink, open(log, "wb") as errors:
        proc = subprocess.Popen(
            argv,
            cwd=workspace,
            stdout=subprocess.PIPE,
            stderr=errors,
            env={**os.environ, **env},
            start_new_session=True,  # so that Ctrl-C reaches it only through us, cleanly
        )
        assert proc.stdout is not None
        tee = _Tee(proc.stdout, sink)

        def finished(test: dict[str, Any]) -> None:
            nonlocal good_offset
            good_offset = tee.offset
            if test["status"] not in (None, "exists", "inprogress"):
                on_test(split_test_id(test["id"])[0], str(test["status"]))

        def pump() -> None:
            collector = testtools.StreamToDict(finished)  # type: ignore[arg-type]
            collector.startTestRun()
            try:
                subunit.ByteStreamToStreamResult(tee, non_subunit_name="stdout").run(collector)
            finally:
                collector.stopTestRun()

        reader = threading.Thread(target=pump, name="subunit-reader", daemon=True)
        reader.start()
        interrupted = False
        try:
            while reader.is_alive():
                reader.join(0.2)
            returncode: int | None = proc.wait()
        except KeyboardInterrupt:
            interrupted = True
            _interrupt(proc)
            reader.join(10)
            returncode = proc.returncode
        sink.flush()
    if interrupted:
        # Keep only whole packets: the test in progress is dropped, and counts as not run.
        with open(stream, "r+b") as cut:
            cut.truncate(good_offset)
    return Execution(returncode, interrupted, stream, log)


def _interrupt(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
