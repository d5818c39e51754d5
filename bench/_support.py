"""What the benchmarks that run the real services share (``pipeline_bench.py``, ``chaos.py``).

Progress lines, command-line helpers, the services' environment, starting a service as a
process with its own log, stopping a process tree, and the report's table. The scripts run as
``python bench/<script>.py``, so this folder is on ``sys.path`` and they import it as
``_support``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any, TextIO, TypeVar

import psutil

T = TypeVar("T")


def say(text: str, out: TextIO = sys.stderr) -> None:
    """Print a progress line."""
    print(text, file=out, flush=True)


# --------------------------------------------------------------------------- command line


def arg_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser whose help starts with the script's docstring `doc`, laid out as written."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# --------------------------------------------------------------------------- processes


def service_env(
    *,
    redis_url: str,
    inbox: Path,
    results: Path,
    heartbeat: Path,
    ready: Path,
    stable_seconds: float,
    tick_seconds: float,
    concurrency: int,
    log_level: str,
    **extra: str,
) -> dict[str, str]:
    """Environment of a service process, as a container would get it.

    This process's own ``NEWSWIRE_*`` variables are left out; the services log JSON lines.
    `extra` adds or overrides variables by name (``NEWSWIRE_SPACY_MODEL="..."``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(
        {
            "REDIS_URL": redis_url,
            "NEWSWIRE_INBOX": str(inbox),
            "NEWSWIRE_RESULTS_DIR": str(results),
            "NEWSWIRE_STABLE_SECONDS": str(stable_seconds),
            "NEWSWIRE_TICK_SECONDS": str(tick_seconds),
            "NEWSWIRE_CONCURRENCY": str(concurrency),
            "NEWSWIRE_LOG_LEVEL": log_level,
            "NEWSWIRE_LOG_FORMAT": "json",
            "NEWSWIRE_HEARTBEAT_FILE": str(heartbeat),
            "NEWSWIRE_READY_FILE": str(ready),
            # several workers on one machine would fight over the default metrics port
            "NEWSWIRE_METRICS_PORT": "0",
        }
    )
    env.update(extra)
    return env


def start_service(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m module`` with `env`, appending its output to the file `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            env=env,
            stdout=out,
            stderr=out,
            # Own session: a terminal's Ctrl-C reaches the bench only; it stops us in order.
            start_new_session=True,
        )


def log_tail(log: Path, chars: int = 2000) -> str:
    """The last `chars` characters of the file `log` ("" if there is none)."""
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def stop_tree(
    proc: subprocess.Popen[bytes],
    timeout: float,
    *,
    grace: float,
    on_timeout: Callable[[], None] | None = None,
) -> None:
    """Stop `proc` and every process below it; nothing is left running.

    SIGTERM first; SIGKILL if it has not exited after `timeout` seconds (`on_timeout` is
    called just before). Its descendants (a worker's pool processes) get `grace` seconds more
    to exit on their own, then are killed.
    """
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if on_timeout is not None:
                on_timeout()
            proc.kill()
            proc.wait()
    _, alive = psutil.wait_procs(descendants, timeout=grace)
    for child in alive:
        with suppress(psutil.Error):
            child.kill()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so that ``finally`` blocks stop the services."""

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_in_work_folder(
    work: Path,
    body: Callable[[], T],
    *,
    keep: bool,
    kept: str,
    error: type[Exception],
    error_status: int,
    name: str,
) -> T | int:
    """Return what `body` returns; `body` starts the services in `work` and stops them.

    SIGTERM is taken as Ctrl-C: either says "interrupted; services stopped" and gives 130.
    An `error` says "<name> failed: <error>" and gives `error_status`. In every case the
    folder `work` is then removed, or with `keep` kept and named ("kept <kept>").
    """
    try:
        with sigterm_as_interrupt():
            return body()
    except KeyboardInterrupt:
        say("interrupted; services stopped")
        return 130
    except error as exc:
        say(f"{name} failed: {exc}")
        return error_status
    finally:
        if keep:
            say(f"kept {kept}")
        else:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- report


def table(rows: list[tuple[str, str]]) -> str:
    """Return `rows` (label, text) as lines with the labels in one left-aligned column."""
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {text}" for label, text in rows)


def print_report(report: dict[str, Any], text: str, as_json: bool) -> None:
    """Print the table `text` on stdout; with `as_json`, the JSON `report` instead (table to
    stderr)."""
    if as_json:
        say(text)
        print(json.dumps(report, indent=2))
    else:
        print(text)
