"""newswire.runlock: one `newswire run` per data folder, held by every process of the run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from newswire.runlock import DataFolderBusyError, RunLock, lock_path


def test_a_live_holder_means_refusal_at_once(tmp_path: Path) -> None:
    """While a run holds the folder, another acquire fails at once naming pid and folder."""
    with RunLock.acquire(tmp_path):
        started = time.monotonic()
        code = (
            "import sys; from pathlib import Path; from newswire.runlock import RunLock;"
            f"RunLock.acquire(Path({str(tmp_path)!r}))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert time.monotonic() - started < 15
    assert out.returncode == 1
    assert "DataFolderBusyError" in out.stderr
    assert f"pid {os.getpid()}" in out.stderr
    assert str(tmp_path) in out.stderr
    assert lock_path(tmp_path).read_text().strip() == str(os.getpid())


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _run_that_leaves_a_child(data: Path, child_seconds: float) -> int:
    """A `newswire run` stand-in: locks `data`, starts a child holding the lock, vanishes."""
    code = (
        "import os, subprocess, sys\n"
        "from pathlib import Path\n"
        "from newswire.runlock import RunLock\n"
        f"lock = RunLock.acquire(Path({str(data)!r}))\n"
        f"sleep = 'import time; time.sleep({child_seconds})'\n"
        "child = subprocess.Popen([sys.executable, '-c', sleep], pass_fds=(lock.fd,),"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(child.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_children_keep_the_lock_after_the_run_is_gone(tmp_path: Path) -> None:
    """A child that inherited the descriptor keeps the folder locked; the next run waits."""
    child_pid = _run_that_leaves_a_child(tmp_path, 2)
    messages: list[str] = []
    started = time.monotonic()
    with RunLock.acquire(tmp_path, on_wait=messages.append):
        waited = time.monotonic() - started
        assert _gone(child_pid)
    assert waited > 0.5
    assert len(messages) == 1
    assert "stopped `newswire run`" in messages[0]


def test_gives_up_on_leftovers_that_never_stop(tmp_path: Path) -> None:
    """Leftover processes holding the lock past the wait: a clear error, not a second Redis."""
    child_pid = _run_that_leaves_a_child(tmp_path, 60)
    try:
        with pytest.raises(DataFolderBusyError, match="still in use by processes"):
            RunLock.acquire(tmp_path, stale_wait=0.5)
    finally:
        os.kill(child_pid, 9)
