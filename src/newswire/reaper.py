"""The safety net of ``newswire run``: stops its processes if it dies without doing so.

``newswire run`` starts one reaper (``python -m newswire.reaper FD``, in its own session so a
closing terminal does not reach it) and keeps the only write end of a pipe whose read end is
FD. It writes ``service PID`` and ``redis PID`` lines as it starts processes, and ``done``
after an orderly stop. The pipe reaches end-of-file when ``newswire run`` exits in any way,
SIGKILL included; without a ``done`` the reaper then stops what is left: each service with
its whole process tree (Celery's pool processes) with SIGTERM, SIGKILL after a grace period,
then Redis with SIGTERM (Redis's own clean shutdown, so its append-only file is complete).
This works without Linux's parent-death signal, which :mod:`newswire.lifeline` adds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from typing import IO

import psutil

#: Seconds a service gets to stop after SIGTERM (a worker finishes its job) before SIGKILL.
SERVICE_GRACE = 30.0
#: Seconds what is left of a service's tree (orphaned pool processes) gets after that.
LEFTOVER_GRACE = 5.0
#: Seconds Redis gets to write its append-only file and exit before SIGKILL.
REDIS_GRACE = 10.0


class Reaper:
    """The parent's handle on the reaper process: tell it what to watch, then ``done()``."""

    def __init__(self, pipe: IO[str], proc: subprocess.Popen[bytes]) -> None:
        self._pipe = pipe
        self.proc = proc

    @classmethod
    def start(cls, pass_fds: Sequence[int] = ()) -> Reaper:
        """Start the reaper process; `pass_fds` are kept open in it (the run lock)."""
        read_fd, write_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "newswire.reaper", str(read_fd)],
                pass_fds=(read_fd, *pass_fds),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            os.close(write_fd)
            raise
        finally:
            os.close(read_fd)
        return cls(os.fdopen(write_fd, "w", buffering=1, encoding="ascii"), proc)

    def watch_service(self, pid: int) -> None:
        """Stop process `pid` and its descendants if ``newswire run`` dies."""
        self._send(f"service {pid}")

    def watch_redis(self, pid: int) -> None:
        """Stop Redis `pid` (after the services) if ``newswire run`` dies."""
        self._send(f"redis {pid}")

    def done(self) -> None:
        """Everything was stopped in order: the reaper exits without signalling anyone."""
        self._send("done")
        with contextlib.suppress(OSError):
            self._pipe.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _send(self, line: str) -> None:
        with contextlib.suppress(OSError):
            self._pipe.write(line + "\n")


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _tree(pid: int) -> list[psutil.Process]:
    try:
        top = psutil.Process(pid)
        return [top, *top.children(recursive=True)]
    except psutil.Error:
        return []


def _signal_all(procs: Iterable[psutil.Process], sig: int) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)


def _wait_gone(procs: list[psutil.Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in procs):
        time.sleep(0.1)


def _stop(procs: list[psutil.Process], grace: float) -> None:
    """SIGTERM `procs`, wait up to `grace` seconds, SIGKILL the ones still alive."""
    _signal_all(procs, signal.SIGTERM)
    _wait_gone(procs, grace)
    _signal_all([p for p in procs if _alive(p)], signal.SIGKILL)


def reap(services: Sequence[int], redis_pids: Sequence[int]) -> None:
    """Stop `services` (each with its process tree), then Redis.

    A service's main process gets SIGTERM and `SERVICE_GRACE` to stop its own children (a
    Celery worker its pool); what is left of its tree after that is stopped directly.
    """
    trees = [_tree(pid) for pid in services]
    _stop([tree[0] for tree in trees if tree], SERVICE_GRACE)
    _stop([p for tree in trees for p in tree[1:] if _alive(p)], LEFTOVER_GRACE)
    for pid in redis_pids:
        _stop(_tree(pid), REDIS_GRACE)


def main(argv: Sequence[str]) -> None:
    """Read the watch list until end-of-file; reap unless the parent said ``done``."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    services: list[int] = []
    redis_pids: list[int] = []
    with os.fdopen(int(argv[0]), encoding="ascii") as pipe:
        for line in pipe:
            kind, _, value = line.strip().partition(" ")
            if kind == "done":
                return
            if kind == "service":
                services.append(int(value))
            elif kind == "redis":
                redis_pids.append(int(value))
    reap(services, redis_pids)


if __name__ == "__main__":
    main(sys.argv[1:])
