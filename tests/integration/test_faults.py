"""Partial faults with a real Redis server, the real ingest service and real Celery workers:
outages mid-claim, lost attempts, restarts, refused credentials, results folders that move."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import redis

from newswire.redis_server import RedisServer
from newswire_shared.keys import RedisKeys
from tests.conftest import SEEDS, Services, drop_articles, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()
QUEUE = "newswire.enrich"


def _settled(inbox: Path, folder: str) -> list[str]:
    path = inbox / folder
    if not path.exists():
        return []
    return sorted(p.name for p in path.iterdir() if not p.name.endswith(".error.json"))


def _ingest_started(services: Services, times: int = 1) -> bool:
    return services.log("ingest").count('"ingest_started"') >= times


def _broker_messages(client: redis.Redis) -> int:
    return int(client.llen(QUEUE)) + int(client.hlen("unacked"))


def test_restart_sends_no_message_for_jobs_still_queued(
    services: Services, redis_client: redis.Redis
) -> None:
    """A graceful ingest restart with a backlog: jobs whose message still waits are followed,
    not sent again; every file settles once and no message is left over."""
    services.start_ingest()
    drop_articles(services.inbox, 30)
    processing = services.inbox / "processing"
    wait_until(lambda: redis_client.llen(QUEUE) == 30, 30, what="30 jobs queued")
    services.stop("ingest")
    services.start_ingest()
    wait_until(lambda: _ingest_started(services, 2), 30, what="ingest restarted")
    assert redis_client.llen(QUEUE) == 30, services.log("ingest")[-2000:]
    assert len(list(processing.iterdir())) == 30
    services.start_worker(NEWSWIRE_CONCURRENCY="2")
    wait_until(lambda: len(_settled(services.inbox, "done")) == 30, 120, what="30 done")
    assert redis_client.xlen(KEYS.results) == 30
    wait_until(lambda: _broker_messages(redis_client) == 0, 30, what="queue drained")


def test_redis_outage_while_claiming_strands_nothing(
    services: Services, redis_server: RedisServer
) -> None:
    """Redis goes away while ingest moves a burst into processing/: once it is back, every
    file is queued and settles, without restarting ingest."""
    services.start_worker(NEWSWIRE_CONCURRENCY="2")
    services.start_ingest()
    processing = services.inbox / "processing"
    drop_articles(services.inbox, 300)
    wait_until(lambda: processing.exists() and any(processing.iterdir()), 30, interval=0.005)
    redis_server.stop()
    time.sleep(2)
    restarted = RedisServer(redis_server.data_dir, port=redis_server.port).start()
    try:
        wait_until(
            lambda: len(_settled(services.inbox, "done")) == 300,
            240,
            what="300 done after the outage\n" + services.log("ingest")[-3000:],
        )
        client = redis.Redis.from_url(restarted.url)
        assert client.xlen(KEYS.results) == 300
        assert not list(processing.iterdir())
        assert "Traceback" not in services.log("ingest")
    finally:
        services.stop_all()
        restarted.stop()


def _kill_tree(pid: int) -> None:
    proc = psutil.Process(pid)
    for child in proc.children(recursive=True):
        child.kill()
    proc.kill()


def test_lost_job_is_sent_again_soon_after_lost_after_seconds(
    services: Services, redis_client: redis.Redis
) -> None:
    """A whole worker SIGKILLed mid-job: the job is sent again about lost_after_seconds later
    (not at the five-minute rescan), published once, and its stale message is dropped."""
    worker = services.start_worker("w1")
    services.start_ingest(NEWSWIRE_LOST_AFTER_SECONDS="4")
    long_article = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir()))
    (services.inbox / "long.txt").write_text(long_article * 6, encoding="utf-8")
    wait_until(lambda: bool(redis_client.keys(KEYS.deliveries("*"))), 30, what="job started")
    _kill_tree(worker.pid)
    services.procs.pop("w1").wait()
    assert redis_client.hlen("unacked") == 1
    killed_at = time.monotonic()
    services.start_worker("w2")
    wait_until(
        lambda: (services.inbox / "done" / "long.txt").exists(),
        60,
        what="long.txt done after the worker died\n" + services.log("ingest")[-2000:],
    )
    assert time.monotonic() - killed_at < 60
    assert redis_client.xlen(KEYS.results) == 1
    wait_until(lambda: _broker_messages(redis_client) == 0, 20, what="stale message dropped")


def test_file_published_before_gets_a_result_in_the_current_results_folder(
    services: Services, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The same content dropped again after the results folder changed: the new folder gets
    the result, the file goes to done/, the stream keeps one entry."""
    services.start_worker("w1")
    services.start_ingest()
    seed = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(seed, services.inbox / "first.txt")
    wait_until(lambda: "first.txt" in _settled(services.inbox, "done"), 90, what="first done")
    [published] = list(services.results.glob("*.json"))
    services.stop("w1")
    elsewhere = tmp_path / "results-elsewhere"
    services.start_worker("w2", NEWSWIRE_RESULTS_DIR=str(elsewhere))
    shutil.copy(seed, services.inbox / "again.txt")
    wait_until(lambda: "again.txt" in _settled(services.inbox, "done"), 90, what="again done")
    again = json.loads((elsewhere / published.name).read_text(encoding="utf-8"))
    assert again["job_id"] == published.stem
    assert again["text"] == json.loads(published.read_text(encoding="utf-8"))["text"]
    assert redis_client.xlen(KEYS.results) == 1


def test_ingest_waits_for_redis_at_start(services: Services, redis_server: RedisServer) -> None:
    """Ingest started while Redis is down logs one line per attempt (no traceback), then works
    as soon as Redis is up."""
    redis_server.stop()
    services.start_ingest()
    wait_until(
        lambda: services.log("ingest").count("redis_unavailable") >= 2, 30, what="waiting lines"
    )
    assert services.procs["ingest"].poll() is None
    restarted = RedisServer(redis_server.data_dir, port=redis_server.port).start()
    try:
        services.start_worker()
        shutil.copy(sorted(SEEDS.glob("*.txt"))[0], services.inbox / "a.txt")
        wait_until(
            lambda: "a.txt" in _settled(services.inbox, "done"),
            90,
            what="a.txt done\n" + services.log("ingest")[-3000:],
        )
        log = services.log("ingest")
        assert "Traceback" not in log
        waiting = [line for line in log.splitlines() if "redis_unavailable" in line]
        assert all(json.loads(line)["event"] == "redis_unavailable" for line in waiting)
    finally:
        services.stop_all()
        restarted.stop()


def test_ingest_with_a_wrong_password_exits_with_one_line(
    services: Services, tmp_path: Path
) -> None:
    """Credentials Redis refuses are not waited out: one line naming the problem, exit 1, and
    the password never printed."""
    with RedisServer(tmp_path / "locked", password="right-secret") as server:
        url = f"redis://:wrong-secret@127.0.0.1:{server.port}/0"
        proc = services.start_ingest(REDIS_URL=url)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            pytest.fail("ingest kept running with a wrong password")
        log = services.log("ingest")
        assert proc.returncode == 1
        assert "Traceback" not in log
        assert "refused our credentials" in log
        assert "wrong-secret" not in log
        assert len([line for line in log.splitlines() if line.strip()]) <= 2


def test_redis_refusing_writes_is_waited_out(services: Services, redis_client: redis.Redis) -> None:
    """Redis out of memory (writes refused) neither crashes ingest nor loses the file: it is
    taken once Redis accepts writes again."""
    services.start_worker()
    services.start_ingest()
    wait_until(lambda: _ingest_started(services), 30, what="ingest started")
    redis_client.config_set("maxmemory", "1")
    try:
        shutil.copy(sorted(SEEDS.glob("*.txt"))[0], services.inbox / "a.txt")
        wait_until(lambda: "redis_error" in services.log("ingest"), 30, what="refused write")
        time.sleep(1)
        assert services.procs["ingest"].poll() is None, services.log("ingest")[-2000:]
    finally:
        redis_client.config_set("maxmemory", "0")
    wait_until(
        lambda: "a.txt" in _settled(services.inbox, "done"),
        90,
        what="a.txt done\n" + services.log("ingest")[-2000:],
    )
    assert redis_client.xlen(KEYS.results) == 1
