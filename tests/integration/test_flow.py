"""The whole flow with a real Redis server, the real ingest service and real Celery workers."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest
import redis

from newswire.redis_server import RedisServer
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import EnrichedArticle, FailureRecord
from tests.conftest import SEEDS, Services, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()


def _results(folder: Path) -> list[EnrichedArticle]:
    if not folder.exists():
        return []
    return [
        EnrichedArticle.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.json"))
    ]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".error.json"))


def test_seed_articles_flow_to_results_stream_and_done(
    services: Services, redis_client: redis.Redis
) -> None:
    """Five dropped articles give five result files, five stream entries, five files in done/."""
    services.start_worker(NEWSWIRE_CONCURRENCY="2")
    services.start_ingest()
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) == 5
    for seed in seeds:
        shutil.copy(seed, services.inbox / seed.name)
    done = services.inbox / "done"
    wait_until(
        lambda: done.exists() and len(_names(done)) == 5,
        120,
        what="5 files in done/\n" + services.log("ingest")[-2000:],
    )
    results = _results(services.results)
    assert sorted(r.source.filename for r in results) == [s.name for s in seeds]
    for result in results:
        assert result.text.strip()
        assert result.entities, result.source.filename
        assert (services.results / f"{result.job_id}.json").exists()
    entries = redis_client.xrange(KEYS.results)
    assert sorted(e[1][b"job_id"].decode() for e in entries) == sorted(r.job_id for r in results)
    streamed = EnrichedArticle.model_validate_json(entries[0][1][b"result"])
    assert streamed.job_id == entries[0][1][b"job_id"].decode()
    assert _names(done) == [s.name for s in seeds]
    assert not list((services.inbox / "processing").iterdir())
    assert redis_client.scard(KEYS.inflight) == 0


def test_bad_files_end_in_failed_with_reason(services: Services, redis_client: redis.Redis) -> None:
    """Empty, binary, unsupported and unusable files go to failed/ with an explaining record."""
    services.start_worker()
    services.start_ingest()
    (services.inbox / "empty.txt").write_bytes(b"")
    (services.inbox / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (services.inbox / "scan.pdf").write_bytes(b"%PDF-1.4 not an article")
    (services.inbox / "odd.json").write_text('{"numbers": [1, 2, 3]}', encoding="utf-8")
    (services.inbox / "fine.txt").write_text(
        "Mayor Ana Ruiz said on Monday that the bridge would reopen in May.\n", encoding="utf-8"
    )
    (services.inbox / ".hidden.txt").write_text("ignored", encoding="utf-8")
    (services.inbox / "upload.part").write_text("ignored", encoding="utf-8")
    failed = services.inbox / "failed"
    wait_until(
        lambda: failed.exists() and len(_names(failed)) == 4,
        90,
        what="4 failed files\n" + services.log("ingest")[-3000:],
    )
    wait_until(lambda: (services.inbox / "done" / "fine.txt").exists(), 60, what="fine.txt done")
    reasons = {}
    for name in ("empty.txt", "binary.txt", "scan.pdf", "odd.json"):
        record = FailureRecord.model_validate_json(
            (failed / f"{name}.error.json").read_text(encoding="utf-8")
        )
        assert record.filename == name
        reasons[name] = (record.stage, record.reason)
    assert reasons["empty.txt"] == ("ingest", "the file is empty")
    assert reasons["binary.txt"][0] == "ingest"
    assert "unsupported file type '.pdf'" in reasons["scan.pdf"][1]
    assert reasons["odd.json"][0] == "enrich"
    assert "json" in reasons["odd.json"][1].lower()
    failures = [json.loads(f[1][b"failure"]) for f in redis_client.xrange(KEYS.failures)]
    assert sorted((f["filename"], f["stage"]) for f in failures) == [
        ("binary.txt", "ingest"),
        ("empty.txt", "ingest"),
        ("odd.json", "enrich"),
        ("scan.pdf", "ingest"),
    ]
    assert (services.inbox / ".hidden.txt").exists()
    assert (services.inbox / "upload.part").exists()

    # moved back after "fixing the cause": it is tried again and explained again, not stuck
    (failed / "odd.json.error.json").unlink()
    (failed / "odd.json").replace(services.inbox / "odd.json")
    wait_until(lambda: (failed / "odd.json.error.json").exists(), 60, what="odd.json failed again")
    assert redis_client.xlen(KEYS.failures) == len(failures) + 1


def test_same_content_twice_gives_one_result(services: Services, redis_client: redis.Redis) -> None:
    """The same bytes under two names, together and later again, are enriched once."""
    services.start_worker()
    services.start_ingest()
    body = (SEEDS / "001_efb00fa991b78c4f.txt").read_bytes()
    (services.inbox / "first.txt").write_bytes(body)
    (services.inbox / "second.txt").write_bytes(body)
    done = services.inbox / "done"
    wait_until(lambda: done.exists() and len(_names(done)) == 2, 90, what="both files done")
    (services.inbox / "third.txt").write_bytes(body)
    wait_until(lambda: len(_names(done)) == 3, 60, what="third file done")
    assert len(_results(services.results)) == 1
    assert redis_client.xlen(KEYS.results) == 1
    assert int(redis_client.hget(KEYS.stats, "done") or 0) == 1
    assert int(redis_client.hget(KEYS.stats, "duplicates") or 0) == 2


def test_restart_completes_files_left_in_processing(
    services: Services, redis_client: redis.Redis
) -> None:
    """A file claimed before a crash (left in processing/, job lost) is queued again."""
    processing = services.inbox / "processing"
    processing.mkdir()
    shutil.copy(SEEDS / "002_735976ee0c613209.txt", processing / "002_735976ee0c613209.txt")
    services.start_worker()
    services.start_ingest()
    done = services.inbox / "done"
    wait_until(
        lambda: (done / "002_735976ee0c613209.txt").exists(),
        90,
        what="recovered file done\n" + services.log("ingest")[-2000:],
    )
    assert [r.source.filename for r in _results(services.results)] == ["002_735976ee0c613209.txt"]
    assert redis_client.xlen(KEYS.results) == 1


def test_ingest_killed_mid_flight_resumes_without_duplicates(
    services: Services, redis_client: redis.Redis
) -> None:
    """Ingest killed while jobs are queued: after restart every file settles, each once.

    (Killed between claiming and queueing, its files wait in processing/ for the restart:
    test_faults covers that.)"""
    services.start_ingest()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, services.inbox / seed.name)
    processing = services.inbox / "processing"
    wait_until(
        lambda: (
            processing.exists()
            and len(list(processing.iterdir())) == 5
            and redis_client.llen("newswire.enrich") == 5
        ),
        30,
        what="5 files claimed and queued",
    )
    services.stop("ingest", signal.SIGKILL)
    services.start_worker(NEWSWIRE_CONCURRENCY="2")
    wait_until(lambda: redis_client.xlen(KEYS.results) == 5, 120, what="5 results")
    services.start_ingest()
    done = services.inbox / "done"
    wait_until(lambda: done.exists() and len(_names(done)) == 5, 60, what="5 files done")
    assert redis_client.xlen(KEYS.results) == 5
    assert len(_results(services.results)) == 5


def test_worker_process_killed_mid_job_is_redelivered(
    services: Services, redis_client: redis.Redis
) -> None:
    """A pool process killed mid-job (as by the OOM killer): the job runs again, once published."""
    worker = services.start_worker("w1")
    services.start_ingest()
    long_article = "\n\n".join(
        (SEEDS / name).read_text(encoding="utf-8")
        for name in sorted(p.name for p in SEEDS.iterdir())
    )
    (services.inbox / "long.txt").write_text(long_article * 6, encoding="utf-8")
    job_keys = lambda: redis_client.keys(KEYS.deliveries("*"))  # noqa: E731
    wait_until(lambda: bool(job_keys()), 30, what="job delivered")
    children = psutil.Process(worker.pid).children()
    assert children, "prefork pool has no child process"
    for child in children:
        child.send_signal(signal.SIGKILL)
    done = services.inbox / "done"
    wait_until(lambda: (done / "long.txt").exists(), 120, what="long.txt done after requeue")
    assert redis_client.xlen(KEYS.results) == 1
    assert int(redis_client.get(job_keys()[0]) or 0) >= 2


def test_redis_restart_mid_flight_loses_nothing(
    services: Services, redis_server: RedisServer
) -> None:
    """Redis restarted while jobs run: its AOF keeps the queue, lost attempts are re-sent."""
    services.start_worker(NEWSWIRE_CONCURRENCY="2")
    services.start_ingest(NEWSWIRE_RESCAN_SECONDS="1", NEWSWIRE_LOST_AFTER_SECONDS="6")
    seeds = sorted(SEEDS.glob("*.txt"))
    for seed in seeds:
        shutil.copy(seed, services.inbox / seed.name)
    client = redis.Redis.from_url(redis_server.url)
    wait_until(lambda: bool(client.keys(KEYS.deliveries("*"))), 30, what="first job started")
    redis_server.stop()
    time.sleep(2)
    restarted = RedisServer(redis_server.data_dir, port=redis_server.port).start()
    try:
        done = services.inbox / "done"
        wait_until(
            lambda: done.exists() and len(_names(done)) == 5,
            150,
            what="5 files done after the restart\n" + services.log("ingest")[-3000:],
        )
        client = redis.Redis.from_url(restarted.url)
        assert client.xlen(KEYS.results) == 5
        assert sorted(r.source.filename for r in _results(services.results)) == [
            s.name for s in seeds
        ]
    finally:
        services.stop_all()
        restarted.stop()
