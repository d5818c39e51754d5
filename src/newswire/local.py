"""``newswire run``: Redis, the ingest service and the workers on one machine.

Without ``REDIS_URL`` a private Redis server is started with its data in ``<data>/redis`` (so a
restart resumes where it stopped), and its URL is written to ``<data>/redis.url`` for
``newswire status``. The services run as child processes exactly as containers run them;
Ctrl-C, SIGTERM or a hang-up (the terminal closed) stops the services first, then Redis.

No child outlives the run: each is started through :mod:`newswire.lifeline` (Linux sends it
SIGTERM when we die, even by SIGKILL), and :mod:`newswire.reaper` stops whatever is left
when we vanish without an orderly stop, on any platform. ``<data>/run.lock`` (flock, passed on
to every child) keeps a second run off the same data folder until all our processes are gone.
With ``REDIS_URL`` set, the run waits for that Redis (one line per attempt) and stops at once
with one line if Redis refuses the password. The worker starts first and ingest only once the
worker is ready (its model loaded): a worker that cannot load its model ends the run with the
worker's one line and status, before any file is claimed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import redis

from newswire.lifeline import lifeline_command
from newswire.progress import RateEstimator, Snapshot, display_for, read_snapshot
from newswire.reaper import Reaper
from newswire.redis_server import RedisServer, RedisServerError
from newswire.runlock import DataFolderBusyError, RunLock
from newswire_shared.keys import RedisKeys
from newswire_shared.redis_conn import RedisAuthError, redacted_url, redis_client, wait_for_redis
from newswire_shared.settings import CommonSettings


@dataclass(frozen=True)
class LocalOptions:
    """What ``newswire run`` was asked to do."""

    inbox: Path
    results: Path
    workers: int
    data_dir: Path
    redis_url: str | None
    polling: bool = False
    stable_seconds: float | None = None
    log_level: str = "INFO"


def url_file(data_dir: Path) -> Path:
    """Where ``newswire run`` records the private Redis URL."""
    return data_dir / "redis.url"


def run_local(options: LocalOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run everything until interrupted; return the exit status."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _stop)
    try:
        lock = RunLock.acquire(
            options.data_dir, on_wait=lambda text: _say(out, f"newswire: {text}")
        )
    except DataFolderBusyError as exc:
        _say(err, f"newswire: {exc}")
        return 1
    with lock:
        return _run_locked(options, lock, stop, out, err)


def _run_locked(
    options: LocalOptions, lock: RunLock, stop: threading.Event, out: TextIO, err: TextIO
) -> int:
    url_file(options.data_dir).unlink(missing_ok=True)  # left by a run that was killed
    reaper = Reaper.start(pass_fds=(lock.fd,))
    server = None
    children: list[subprocess.Popen[bytes]] = []
    try:
        url = options.redis_url
        if url is None:
            server = RedisServer(
                options.data_dir / "redis", wrap=lifeline_command, pass_fds=(lock.fd,)
            )
            try:
                server.start()
            except RedisServerError as exc:
                _say(err, f"newswire: {exc}")
                return 1
            reaper.watch_redis(server.pid or 0)
            url = server.url
            url_file(options.data_dir).write_text(url + "\n", encoding="utf-8")
        else:
            client = redis_client(CommonSettings(redis_url=url))
            try:
                if not wait_for_redis(client, stop=stop, what="newswire run", log=_SayLog(out)):
                    return 0
            except RedisAuthError as exc:
                _say(err, f"newswire: {exc}")
                return 1
        env = _child_env(options, url)
        # The worker first: ingest claims no file before the worker holds its model. A worker
        # that cannot load it has said why in one line and exited; so do we, with its status.
        ready = options.data_dir / "worker.ready"
        ready.unlink(missing_ok=True)
        worker_env = env | _worker_metrics_port(env)
        worker_env["NEWSWIRE_READY_FILE"] = str(ready.resolve())
        worker = _spawn(["-m", "newswire_enrich"], worker_env, lock.fd)
        children.append(worker)
        reaper.watch_service(worker.pid)
        if not _worker_ready(worker, ready, stop):
            return 0 if worker.returncode is None else 1
        ingest = _spawn(["-m", "newswire_ingest"], env, lock.fd)
        children.insert(0, ingest)  # stopped first
        reaper.watch_service(ingest.pid)
        _say(
            out,
            f"newswire: watching {options.inbox} -> {options.results} (Redis {redacted_url(url)})",
        )
        _progress(url, children, stop, out)
    finally:
        _terminate(children)
        if server is not None:
            server.stop()
            url_file(options.data_dir).unlink(missing_ok=True)
        reaper.done()
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0


class _SayLog:
    """Renders :func:`wait_for_redis`'s warnings as one ``newswire:`` line each."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def warning(self, event: str, **fields: Any) -> None:
        _say(
            self._out,
            f"newswire: Redis at {fields.get('url')} is not answering ({fields.get('error')}); "
            f"retrying in {fields.get('retry_in')}s",
        )


def _worker_ready(worker: subprocess.Popen[bytes], ready: Path, stop: threading.Event) -> bool:
    """Wait for the worker's ready file (every pool process holds the model); False if the
    worker exited first or we were told to stop."""
    while not stop.is_set():
        if worker.poll() is not None:
            return False
        if ready.exists():
            return True
        stop.wait(0.2)
    return False


def _child_env(options: LocalOptions, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "REDIS_URL": url,
            "NEWSWIRE_INBOX": str(options.inbox.resolve()),
            "NEWSWIRE_RESULTS_DIR": str(options.results.resolve()),
            "NEWSWIRE_CONCURRENCY": str(options.workers),
            "NEWSWIRE_POLLING": "true" if options.polling else "false",
            "NEWSWIRE_LOG_LEVEL": options.log_level,
            "NEWSWIRE_HEARTBEAT_FILE": str((options.data_dir / "ingest.heartbeat").resolve()),
        }
    )
    if options.stable_seconds is not None:
        env["NEWSWIRE_STABLE_SECONDS"] = str(options.stable_seconds)
    # on a laptop the metrics stay on this machine unless asked otherwise
    env.setdefault("NEWSWIRE_METRICS_HOST", "127.0.0.1")
    return env


def _worker_metrics_port(env: dict[str, str]) -> dict[str, str]:
    """The worker's metrics port: the one after ingest's when NEWSWIRE_METRICS_PORT is set for
    the run (0 turns both off), else the worker's default."""
    port = env.get("NEWSWIRE_METRICS_PORT", "").strip()
    if not port.isdigit():
        return {}
    return {"NEWSWIRE_METRICS_PORT": "0" if int(port) == 0 else str(int(port) + 1)}


def _spawn(args: list[str], env: dict[str, str], lock_fd: int) -> subprocess.Popen[bytes]:
    # Own session: the terminal's Ctrl-C and hang-up reach us only, and we stop children in
    # order. The lifeline makes the child die with us; it keeps the run lock while it lives.
    return subprocess.Popen(
        lifeline_command([sys.executable, *args]),
        env=env,
        start_new_session=True,
        pass_fds=(lock_fd,),
    )


def _progress(
    url: str, children: list[subprocess.Popen[bytes]], stop: threading.Event, out: TextIO
) -> None:
    # A live panel on a terminal, one line per change otherwise (newswire.progress). Neither
    # raises when the terminal is gone (a hang-up): the services are stopped all the same.
    settings = CommonSettings(redis_url=url)
    client = redis_client(settings)
    keys = RedisKeys(settings.key_prefix)
    estimator = RateEstimator()
    display = display_for(out)
    last: Snapshot | None = None

    def current() -> Snapshot | None:
        nonlocal last
        with contextlib.suppress(redis.RedisError):
            last = read_snapshot(client, keys, settings.queue, estimator)
        return last

    try:
        while not stop.is_set():
            for child in children:
                if child.poll() is not None:
                    display.message(
                        f"newswire: a service exited with status {child.returncode}; stopping"
                    )
                    return
            snapshot = current()
            if snapshot is not None:
                display.show(snapshot)
            stop.wait(0.5)
        final = current()
        if final is not None:
            display.show(final)
    finally:
        display.close()
    display.message(f"newswire: stopping; {final.line() if final else 'Redis not answering'}")


def _terminate(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # the child leads its own process group: its pool processes go with it
            with contextlib.suppress(OSError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _say(out: TextIO, text: str) -> None:
    # After a hang-up the terminal is gone: losing a progress line must not stop the cleanup.
    with contextlib.suppress(OSError, ValueError):
        print(text, file=out, flush=True)
