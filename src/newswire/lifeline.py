"""``python -m newswire.lifeline PARENT_PID -- PROGRAM [ARG...]``: PROGRAM dies with its parent.

``newswire run`` starts Redis, ingest and the worker through this wrapper. On Linux it asks
the kernel (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``) to send PROGRAM a SIGTERM when
the process that started it dies, however it dies (SIGKILL included), then replaces itself
with PROGRAM: same pid, no extra process. If the parent is already gone it does not start
PROGRAM at all. Elsewhere the wrapper only runs PROGRAM; :mod:`newswire.reaper` is the
portable safety net.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Sequence

_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send `sig` to this process when its parent dies; False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def lifeline_command(program: Sequence[str], parent: int | None = None) -> list[str]:
    """Return the command that runs `program` so that it dies with `parent` (default: us)."""
    pid = os.getpid() if parent is None else parent
    return [sys.executable, "-m", "newswire.lifeline", str(pid), "--", *program]


def main(argv: Sequence[str]) -> None:
    """Set the parent-death signal, check the parent is still there, exec the program."""
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python -m newswire.lifeline PARENT_PID -- PROGRAM [ARG...]")
    parent, program = int(argv[0]), list(argv[2:])
    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit(f"newswire.lifeline: parent {parent} is gone; not starting {program[0]}")
    os.execv(program[0], program)  # noqa: S606 - the program newswire run chose


if __name__ == "__main__":
    main(sys.argv[1:])
