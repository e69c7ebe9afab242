"""Starting, probing and stopping the lab's server processes, tracked by pid."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from defcore.errors import LabError

PROBE_TIMEOUT = 2.0  # seconds for one health request: a hung service must not hang `lab status`
# Seconds for a started process to answer its probe: importing Nova or Neutron on a loaded
# 2-core machine alone takes tens of seconds.
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class ServiceSpec:
    """How to start one server process and how to tell that it is healthy.

    `health_url` is probed: `http://...` must answer 2xx, `tcp://HOST:PORT` must accept a
    connection (a database, a queue); None means the process being alive is all there is to
    check (a worker with no listener). `port` is the one it listens on at `address` (None for
    none), `other_ports` any more it binds there: all are checked free before the lab starts.
    """

    name: str
    argv: Sequence[str]
    health_url: str | None
    address: str
    port: int | None
    env: Mapping[str, str]
    log_file: Path
    other_ports: tuple[int, ...] = ()

    @property
    def ports(self) -> tuple[int, ...]:
        return ((self.port,) if self.port is not None else ()) + self.other_ports


def port_in_use(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise LabError(f"cannot bind {address}:{port}: {exc.strerror}") from exc
    return False


def start(spec: ServiceSpec) -> int:
    """Start the service in a session of its own (so it outlives `lab up`); returns its pid."""
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(spec.log_file, "ab") as log:
        proc = subprocess.Popen(
            list(spec.argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **spec.env},
            start_new_session=True,
        )
    return proc.pid


def probe(url: str | None, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when the URL answers (2xx, or a TCP connection), else what went wrong, briefly."""
    if url is None:
        return None
    if url.startswith("tcp://"):
        host, _, port = url.removeprefix("tcp://").rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return None
        except OSError as exc:
            return f"no connection ({exc.strerror or exc})"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"no answer ({reason})"
    return None if 200 <= status < 300 else f"HTTP {status}"


def is_alive(pid: int) -> bool:
    # A child that has exited stays a zombie until reaped, and signal 0 still reaches a zombie.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Nor is a zombie someone else must reap (a service started by a process that has since
    # exited): taken for alive, `start_service` would not start it again after `stop`.
    fields = _stat_fields(pid)
    return not (fields and fields[0] in ("Z", "X"))


def start_time(pid: int) -> int | None:
    """The kernel's start time of a process (clock ticks since boot), None if unknown.

    Recorded beside each pid, so that `lab down` never signals an unrelated process that was
    given a recycled pid.
    """
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def same_process(pid: int, started: int | None) -> bool:
    if not is_alive(pid):
        return False
    return started is None or start_time(pid) in (None, started)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    return stat[stat.rindex(")") + 2 :].split()


def session_rss(leaders: Sequence[int]) -> int:
    """Bytes of memory resident in every process of these sessions (workers and helpers too).

    Each service is started as a session leader, so its session holds everything it forked.
    """
    wanted, total = set(leaders), 0
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and int(fields[3]) in wanted:
            total += int(fields[21]) * page
    return total


def last_lines(log_file: Path, count: int = 1) -> str:
    try:
        lines = [ln for ln in log_file.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-count:])


def wait_healthy(spec: ServiceSpec, pid: int, timeout: float) -> None:
    """Wait until the service answers its health URL; fail at once if its process exits."""
    deadline = time.monotonic() + timeout
    problem = "not started"
    while time.monotonic() < deadline:
        if not is_alive(pid):
            tail = last_lines(spec.log_file)
            raise LabError(
                f"{spec.name} exited while starting; see {spec.log_file}"
                + (f": {tail[:300]}" if tail else "")
            )
        problem = probe(spec.health_url, timeout=1.0) or ""
        if not problem:
            return
        time.sleep(0.1)
    raise LabError(
        f"{spec.name} not healthy after {timeout:.0f} s at {spec.health_url} ({problem}); "
        f"see {spec.log_file}"
    )


KILL_WAIT = 5.0  # seconds a killed process may take to be gone


def stop(pids: Sequence[int], grace: float = 10.0) -> list[int]:
    """Stop these processes and their process groups: TERM, then KILL after `grace` seconds.

    Returns the pids that were still running when asked to stop.
    """
    running = [pid for pid in pids if is_alive(pid)]
    for pid in running:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(is_alive(pid) for pid in running):
        time.sleep(0.05)
    for pid in running:
        if is_alive(pid):
            _signal_group(pid, signal.SIGKILL)
    # Killed is not yet gone: wait for it, so that whoever starts the service again next does
    # not find its old process still there (and take it for running).
    deadline = time.monotonic() + KILL_WAIT
    while time.monotonic() < deadline and any(is_alive(pid) for pid in running):
        time.sleep(0.05)
    for pid in running:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return running


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # Each service was started as the leader of its own session, so its group id is its pid:
    # signalling the group also reaches the workers it forked (gunicorn's, for one).
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def run_tool(
    argv: Sequence[str],
    log_file: Path,
    *,
    timeout: float = 300.0,
    env: Mapping[str, str] | None = None,
    what: str | None = None,
) -> None:
    """Run a set-up command to its end (a schema sync, say), its output appended to log_file.

    A missing program, a timeout or a non-zero exit is a LabError naming the command (`what`,
    say "nova-manage db sync"), the log and its last line.
    """
    what = what or Path(argv[0]).name
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        try:
            done = subprocess.run(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise LabError(f"{argv[0]} not found; is the lab's extra installed?") from exc
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{what} took over {timeout:.0f} s; see {log_file}") from exc
    if done.returncode != 0:
        raise LabError(
            f"{what} failed (exit {done.returncode}); see {log_file}: {last_lines(log_file)[:300]}"
        )
