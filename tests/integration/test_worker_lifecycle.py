"""A worker's start: the model loaded before any work or it exits at once; Celery's own tools.

Real processes throughout: `python -m newswire_enrich`, `newswire worker`, `newswire run`, a
real Redis, and Celery's command line (`celery -A newswire_enrich.celery_app ...`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from newswire.redis_server import RedisServer
from tests.conftest import NEWSWIRE, SEEDS, Services, cli_env, wait_until

pytestmark = pytest.mark.integration

#: The Celery command line, with the app ops tools use.
CELERY = [sys.executable, "-m", "celery", "-A", "newswire_enrich.celery_app"]
#: A Redis URL nothing listens on: the model check must not wait for Redis.
NO_REDIS = "redis://127.0.0.1:1/0"
#: No metrics server: tests run side by side, and the port is not what they are about.
NO_METRICS = {"NEWSWIRE_METRICS_PORT": "0"}


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "newswire_enrich"], [*NEWSWIRE, "worker"]],
    ids=["python -m newswire_enrich", "newswire worker"],
)
def test_worker_with_an_unknown_model_exits_at_once_with_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    """NEWSWIRE_SPACY_MODEL=nope: exit 1 well within 60 s, one stderr line naming the setting.

    No Redis is reachable: the model is checked before the worker waits for Redis, and it
    never writes its ready file.
    """
    ready = tmp_path / "worker.ready"
    env = {
        **cli_env(),
        "REDIS_URL": NO_REDIS,
        "NEWSWIRE_SPACY_MODEL": "nope",
        "NEWSWIRE_READY_FILE": str(ready),
        "NEWSWIRE_RESULTS_DIR": str(tmp_path / "results"),
        **NO_METRICS,
    }
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 60
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "NEWSWIRE_SPACY_MODEL" in lines[0]
    assert "'nope'" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    assert not ready.exists()


def _worker_without_redis(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m newswire_enrich`` with `env`, no reachable Redis and no metrics port."""
    env = {**env, "REDIS_URL": NO_REDIS, "NEWSWIRE_RESULTS_DIR": str(tmp_path / "results")}
    return subprocess.run(
        [sys.executable, "-m", "newswire_enrich"], env={**env, **NO_METRICS},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NEWSWIRE_EXTRA_STEPS", "no_such_module_xyz:Step"),
        ("NEWSWIRE_EXTRA_STEPS", "not an import path"),
        ("NEWSWIRE_LABEL_MAP", "PER=HUMAN"),
    ],
)
def test_worker_with_a_bad_pipeline_setting_exits_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    """A step that cannot be imported or a label map naming no newswire type: exit 1 at
    start-up with one line naming the variable, before any job is taken."""
    env = {**cli_env(), variable: value, "NEWSWIRE_READY_FILE": str(tmp_path / "worker.ready")}
    proc = _worker_without_redis(tmp_path, env)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert variable in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


def test_newswire_run_with_an_unknown_model_exits_and_claims_no_file(tmp_path: Path) -> None:
    """`newswire run` with NEWSWIRE_SPACY_MODEL=nope: exit 1 with the worker's one line.

    A file dropped in the inbox beforehand is still there afterwards: ingest never started,
    so nothing is in processing/; no process of the run is left.
    """
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seed = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(seed, inbox / "waiting.txt")
    started = time.monotonic()
    proc = subprocess.run(
        [*NEWSWIRE, "run", "--inbox", str(inbox), "--results", str(tmp_path / "results"),
         "--data", str(tmp_path / "data"), "--workers", "2", "--stable-seconds", "0.3"],
        env={**cli_env(), "NEWSWIRE_SPACY_MODEL": "nope", **NO_METRICS},
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert time.monotonic() - started < 60
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "NEWSWIRE_SPACY_MODEL" in lines[0]
    assert "Traceback" not in lines[0]
    assert (inbox / "waiting.txt").read_bytes() == seed.read_bytes()
    processing = inbox / "processing"
    assert not processing.exists() or not any(processing.rglob("*")), list(processing.rglob("*"))
    assert not (tmp_path / "data" / "redis.url").exists()


def test_worker_loads_the_model_once_before_forking_and_inspect_ping_answers(
    services: Services, redis_server: RedisServer
) -> None:
    """Two pool processes, one `model_loaded` line (the main process, before the fork).

    `celery -A newswire_enrich.celery_app -b URL inspect ping` answers with the worker's
    name, and Celery's root SecurityWarning is not in the worker's output.
    """
    services.start_worker(NEWSWIRE_CONCURRENCY="2", **NO_METRICS)
    env = {**cli_env(), "REDIS_URL": redis_server.url}
    ping = subprocess.run(
        [*CELERY, "-b", redis_server.url, "inspect", "ping", "--timeout", "10"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert f"enrich@{socket.gethostname()}: OK" in ping.stdout
    assert "pong" in ping.stdout
    log = services.log("worker")
    assert log.count('"model_loaded"') == 1, log
    assert "superuser privileges" not in log
    assert "SecurityWarning" not in log


def test_celery_events_dump_shows_the_task_events_of_a_file(
    services: Services, redis_server: RedisServer
) -> None:
    """`celery events --dump` sees task-sent (ingest), task-received and task-succeeded
    (worker) for the job of a dropped file, and the worker's heartbeats."""
    services.start_worker(**NO_METRICS)
    services.start_ingest(**NO_METRICS)
    dump_out = services.tmp_path / "events.txt"
    with dump_out.open("wb") as sink:
        dump = subprocess.Popen(
            [*CELERY, "-b", redis_server.url, "events", "--dump"],
            env={**cli_env(), "REDIS_URL": redis_server.url, "PYTHONUNBUFFERED": "1"},
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        # a heartbeat captured: the dump is subscribed, so no event of the file can be missed
        wait_until(lambda: "heartbeat" in dump_out.read_text(), 30, what="a worker heartbeat")
        seed = sorted(SEEDS.glob("*.txt"))[0]
        shutil.copy(seed, services.inbox / "evented.txt")
        wait_until((services.inbox / "done" / "evented.txt").exists, 120, what="file done")
        (result,) = services.results.glob("*.json")
        job_id = result.stem

        def seen(kind: str) -> bool:
            return f"task {kind}: newswire.enrich_article({job_id}-" in dump_out.read_text()

        for kind in ("sent", "received", "started", "succeeded"):
            wait_until(partial(seen, kind), 30, what=f"task {kind} of {job_id}")
    finally:
        dump.terminate()
        dump.wait(timeout=30)
    assert f"task failed: newswire.enrich_article({job_id}-" not in dump_out.read_text()


def test_stale_ready_file_is_removed_before_the_model_loads(tmp_path: Path) -> None:
    """A ready file left by a worker killed outright is gone as soon as a new worker starts,
    even one that then fails to load its model: readiness is never claimed for it."""
    ready = tmp_path / "worker.ready"
    ready.touch()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")},
        "NEWSWIRE_SPACY_MODEL": "nope",
        "NEWSWIRE_READY_FILE": str(ready),
    }
    proc = _worker_without_redis(tmp_path, env)
    assert proc.returncode == 1, proc.stderr
    assert not ready.exists()
