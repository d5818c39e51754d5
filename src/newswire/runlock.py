"""One ``newswire run`` per data folder: an flock'd ``run.lock`` held for the run's lifetime.

The lock file records the holder's pid. ``newswire run`` passes the locked descriptor on to
every process it starts, so the lock is free only once all of them are gone: a run started
right after another was killed waits for the old processes to finish stopping instead of
starting a second Redis on the same files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil

#: How long a new run waits for the processes of a run whose parent is already gone.
STALE_WAIT_SECONDS = 60.0


class DataFolderBusyError(Exception):
    """Another ``newswire run`` (or what is left of one, still stopping) uses the data folder."""


def lock_path(data_dir: Path) -> Path:
    """The lock file of `data_dir`."""
    return data_dir / "run.lock"


class RunLock:
    """An exclusive lock on a data folder; ``fd`` is the descriptor to pass to children."""

    def __init__(self, data_dir: Path, fd: int) -> None:
        self.data_dir = data_dir
        self.fd = fd

    @classmethod
    def acquire(
        cls,
        data_dir: Path,
        *,
        stale_wait: float = STALE_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
    ) -> RunLock:
        """Lock `data_dir` or raise :class:`DataFolderBusyError` (one line, for a person).

        A live holder means refusal at once. A holder that is gone means its processes are
        still stopping: wait up to `stale_wait` seconds for them, telling `on_wait` once.
        """
        path = lock_path(data_dir)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline: float | None = None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = _holder(fd)
                    if holder is not None and _alive(holder):
                        raise DataFolderBusyError(
                            f"the data folder {data_dir} is in use by another `newswire run` "
                            f"(pid {holder}); stop it first or choose another --data folder"
                        ) from None
                    if deadline is None:
                        deadline = time.monotonic() + stale_wait
                        if on_wait is not None:
                            on_wait(
                                f"waiting for the processes of a stopped `newswire run` "
                                f"(pid {holder}) to leave {data_dir}"
                            )
                    elif time.monotonic() > deadline:
                        raise DataFolderBusyError(
                            f"the data folder {data_dir} is still in use by processes of a "
                            f"`newswire run` that ended (pid {holder}); stop them first"
                        ) from None
                    time.sleep(0.2)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(data_dir, fd)

    def release(self) -> None:
        """Close our descriptor (children that still hold it keep the folder locked)."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or "x")
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False
