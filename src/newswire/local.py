"""``newswire run``: Redis, the ingest service and the workers on one machine.

Without ``REDIS_URL`` a private Redis server is started with its data in ``<data>/redis`` (so a
restart resumes where it stopped), and its URL is written to ``<data>/redis.url`` for
``newswire status``. The services run as child processes exactly as containers run them;
Ctrl-C (or SIGTERM) stops the services first, then Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO

import redis

from newswire.redis_server import RedisServer
from newswire.status import read_status
from newswire_shared.keys import RedisKeys
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


def run_local(options: LocalOptions, out: TextIO = sys.stdout) -> int:
    """Run everything until interrupted; return the exit status."""
    stop = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server = None
    url = options.redis_url
    if url is None:
        server = RedisServer(options.data_dir / "redis").start()
        url = server.url
        url_file(options.data_dir).write_text(url + "\n", encoding="utf-8")
    children: list[subprocess.Popen[bytes]] = []
    try:
        env = _child_env(options, url)
        children.append(_spawn(["-m", "newswire_ingest"], env))
        children.append(_spawn(["-m", "newswire_enrich"], env))
        _say(out, f"newswire: watching {options.inbox} -> {options.results} (Redis {url})")
        _progress(options, url, children, lambda: stop, out)
    finally:
        _terminate(children)
        if server is not None:
            server.stop()
            url_file(options.data_dir).unlink(missing_ok=True)
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0


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
    return env


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Own process group: the terminal's Ctrl-C reaches us only, and we stop children in order.
    return subprocess.Popen([sys.executable, *args], env=env, start_new_session=True)


def _progress(
    options: LocalOptions,
    url: str,
    children: list[subprocess.Popen[bytes]],
    stopped: Callable[[], bool],
    out: TextIO,
) -> None:
    settings = CommonSettings(redis_url=url)
    client = redis.Redis.from_url(url)
    keys = RedisKeys(settings.key_prefix)
    last = ""

    def current() -> str:
        try:
            return read_status(client, keys, settings.queue).line()
        except redis.RedisError:
            return last

    while not stopped():
        for child in children:
            if child.poll() is not None:
                _say(out, f"newswire: a service exited with status {child.returncode}; stopping")
                return
        line = current()
        if line != last:
            _say(out, f"newswire: {line}")
            last = line
        time.sleep(0.5)
    _say(out, f"newswire: stopping; {current()}")


def _terminate(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)
