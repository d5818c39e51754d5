"""Redis down or refusing our password, as the worker and `newswire run` meet it at start.

Real redis-server processes (one with ``requirepass``), real worker and CLI processes: a
wrong password is one clear line and a non-zero exit, never a traceback; an unreachable Redis
is waited out with one line per attempt.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newswire.redis_server import RedisServer, free_port
from tests.conftest import wait_until

pytestmark = pytest.mark.integration
WRONG = "not-the-password"


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(
        {
            "REDIS_URL": url,
            "NEWSWIRE_RESULTS_DIR": str(tmp_path / "results"),
            "NEWSWIRE_LOG_FORMAT": "json",
            "NEWSWIRE_READY_FILE": str(tmp_path / "worker.ready"),
            "NEWSWIRE_HEARTBEAT_FILE": str(tmp_path / "worker.heartbeat"),
        }
    )
    return env


def _output_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip()]


def _is_info(line: str) -> bool:
    """A structured log line below warning level (start-up news such as the metrics port)."""
    try:
        return json.loads(line).get("level") in ("debug", "info")
    except (ValueError, AttributeError):
        return False


def _assert_one_clear_line(out: str, port: int) -> str:
    lines = [line for line in _output_lines(out) if not _is_info(line)]
    assert len(lines) == 1, out
    assert "Traceback" not in out
    assert WRONG not in out
    assert "refused our credentials" in lines[0]
    assert f"127.0.0.1:{port}" in lines[0]
    return lines[0]


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server that requires a password."""
    with RedisServer(tmp_path / "redis", password="the-right-one") as server:
        yield server


def test_worker_with_a_wrong_password_exits_with_one_line(
    tmp_path: Path, locked_redis: RedisServer
) -> None:
    """The worker says once that Redis refused the password and exits 1 (Celery would retry)."""
    url = f"redis://:{WRONG}@127.0.0.1:{locked_redis.port}/0"
    out = subprocess.run(
        [sys.executable, "-m", "newswire_enrich"],
        env=_env(tmp_path, url), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    line = _assert_one_clear_line(out.stdout + out.stderr, locked_redis.port)
    assert json.loads(line)["event"] == "redis_auth_failed"
    assert not (tmp_path / "worker.ready").exists()


def test_worker_waits_for_redis_then_accepts_jobs(tmp_path: Path) -> None:
    """Redis down at start: one redis_unavailable line per attempt, then ready once it is up."""
    port = free_port()
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "newswire_enrich"],
        env=_env(tmp_path, f"redis://127.0.0.1:{port}/0"), stdout=log, stderr=log,
    )  # fmt: skip
    try:

        def attempts() -> list[dict[str, object]]:
            text = (tmp_path / "worker.log").read_text()
            return [
                json.loads(line)
                for line in text.splitlines()
                if line.startswith("{") and "redis_unavailable" in line
            ]

        wait_until(lambda: len(attempts()) >= 2, 60, what="two waiting lines")
        assert all(a["url"] == f"redis://127.0.0.1:{port}/0" for a in attempts())
        assert all("retry_in" in a and "error" in a for a in attempts())
        with RedisServer(tmp_path / "redis", port=port):
            wait_until((tmp_path / "worker.ready").exists, 90, what="worker ready")
            assert worker.poll() is None
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
    assert "Traceback" not in (tmp_path / "worker.log").read_text()


def test_run_with_a_wrong_password_exits_with_one_line(
    tmp_path: Path, locked_redis: RedisServer
) -> None:
    """`newswire run` with REDIS_URL and a wrong password: one line, exit 1, no services."""
    url = f"redis://:{WRONG}@127.0.0.1:{locked_redis.port}/0"
    out = subprocess.run(
        [sys.executable, "-m", "newswire", "run", "--inbox", str(tmp_path / "inbox"),
         "--results", str(tmp_path / "results"), "--data", str(tmp_path / "data")],
        env=_env(tmp_path, url), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    line = _assert_one_clear_line(out.stdout + out.stderr, locked_redis.port)
    assert line.startswith("newswire: ")


def test_run_waits_for_an_unreachable_redis_one_line_per_attempt(tmp_path: Path) -> None:
    """`newswire run` with REDIS_URL down: one line per attempt; SIGTERM ends it cleanly."""
    port = free_port()
    run = subprocess.Popen(
        [sys.executable, "-m", "newswire", "run", "--inbox", str(tmp_path / "inbox"),
         "--results", str(tmp_path / "results"), "--data", str(tmp_path / "data")],
        env=_env(tmp_path, f"redis://:{WRONG}@127.0.0.1:{port}/0"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        time.sleep(6)
        run.send_signal(signal.SIGTERM)
        out, _ = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, out
    lines = _output_lines(out)
    assert len(lines) >= 2, out
    assert all(line.startswith("newswire: Redis at ") for line in lines), out
    assert all("not answering" in line and "retrying in" in line for line in lines)
    assert f"127.0.0.1:{port}" in lines[0]
    assert WRONG not in out


def test_status_with_a_wrong_password_says_so(tmp_path: Path, locked_redis: RedisServer) -> None:
    """`newswire status` against a Redis that refuses the password: one line, exit 1."""
    url = f"redis://:{WRONG}@127.0.0.1:{locked_redis.port}/0"
    out = subprocess.run(
        [sys.executable, "-m", "newswire", "status", "--data", str(tmp_path)],
        env=_env(tmp_path, url), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert "refused our credentials" in out.stderr
    assert WRONG not in out.stdout + out.stderr
    assert "Traceback" not in out.stderr
