"""The ingest loop against a real Redis, with an injected enqueue and a manual clock."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from prometheus_client import REGISTRY

from newswire.lookup import find_jobs
from newswire.redis_server import RedisServer
from newswire_ingest.service import IngestService
from newswire_ingest.settings import IngestSettings
from newswire_shared.jobs import read_job
from newswire_shared.keys import ENRICH_TASK, RedisKeys
from newswire_shared.queueing import make_celery
from newswire_shared.schemas import ArticleJob, FailureRecord
from tests.unit.conftest import Clock

KEYS = RedisKeys("newswire")


def _advance(service: IngestService, seconds: float) -> None:
    service.clock.now += seconds  # type: ignore[attr-defined]
    service.tick()


def _drop(service: IngestService, name: str, text: str) -> None:
    """Drop `name` into the inbox and let it settle (claimed once stable)."""
    (service.inbox.root / name).write_text(text, encoding="utf-8")
    _advance(service, 0)
    _advance(service, 2)


def _publish(client: redis.Redis, job: ArticleJob) -> None:
    client.set(KEYS.published(job.job_id), "1")
    client.xadd(KEYS.results, {"job_id": job.job_id, "result": "{}"})


def test_file_is_claimed_only_when_stable(service: IngestService, sent: list[ArticleJob]) -> None:
    """A new file waits for the quiet period, then moves to processing/ and is queued once."""
    path = service.inbox.root / "a.txt"
    path.write_text("Some article.", encoding="utf-8")
    _advance(service, 0)
    assert sent == []
    _advance(service, 1.5)
    assert [j.source.filename for j in sent] == ["a.txt"]
    assert (service.inbox.processing / "a.txt").exists()
    _advance(service, 5)
    assert len(sent) == 1


def test_result_moves_file_to_done(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """A results-stream entry for the job settles its file into done/."""
    _drop(service, "a.txt", "Some article.")
    _publish(redis_client, sent[0])
    _advance(service, 0.1)
    assert (service.inbox.done / "a.txt").exists()
    assert service.in_flight == {}


def test_failure_moves_file_to_failed_with_record(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """A failure-stream entry settles the file into failed/ with the worker's reason."""
    _drop(service, "a.json", '{"x": 1}')
    record = FailureRecord(
        job_id=sent[0].job_id, filename="a.json", stage="enrich", error="UnsupportedJSON",
        reason="no article text", failed_at=datetime.now(UTC),
    )  # fmt: skip
    redis_client.xadd(
        KEYS.failures, {"job_id": sent[0].job_id, "failure": record.model_dump_json()}
    )
    _advance(service, 0.1)
    saved = json.loads((service.inbox.failed / "a.json.error.json").read_text(encoding="utf-8"))
    assert saved["reason"] == "no article text"


def test_duplicate_content_waits_and_settles_with_first(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """Two files with the same bytes make one job; both reach done/ with its result."""
    for name in ("a.txt", "b.txt"):
        (service.inbox.root / name).write_text("Same words.", encoding="utf-8")
    _advance(service, 0)
    _advance(service, 2)
    assert len(sent) == 1
    _publish(redis_client, sent[0])
    _advance(service, 0.1)
    assert sorted(p.name for p in service.inbox.done.iterdir()) == ["a.txt", "b.txt"]
    _drop(service, "c.txt", "Same words.")
    # published before: a worker is asked to put the result in the results folder in use
    assert [j.source.filename for j in sent] == ["a.txt", "c.txt"]
    assert (service.inbox.processing / "c.txt").exists()
    redis_client.hset(KEYS.job(sent[0].job_id), "refreshed_at", "now")
    _advance(service, 0.1)
    assert (service.inbox.done / "c.txt").exists()
    assert redis_client.hget(KEYS.stats, "duplicates") == b"2"


def test_rejected_files_fail_at_once(service: IngestService, sent: list[ArticleJob]) -> None:
    """Empty and oversized files never become jobs; each gets its reason."""
    (service.inbox.root / "empty.md").write_bytes(b"  \n")
    (service.inbox.root / "big.txt").write_bytes(b"x" * (service.settings.max_file_bytes + 1))
    _advance(service, 0)
    _advance(service, 2)
    assert sent == []
    empty = json.loads((service.inbox.failed / "empty.md.error.json").read_text())
    big = json.loads((service.inbox.failed / "big.txt.error.json").read_text())
    assert empty["reason"] == "the file is empty"
    assert "over the limit" in big["reason"]


def test_enqueue_failure_is_retried(
    tmp_path: Path, redis_client: redis.Redis, service: IngestService
) -> None:
    """When the broker refuses a job, the file stays claimed and the job is sent later."""
    attempts: list[str] = []

    def flaky(job: ArticleJob) -> None:
        attempts.append(job.job_id)
        if len(attempts) == 1:
            raise ConnectionError("broker away")

    service.enqueue = flaky
    _drop(service, "a.txt", "Words.")
    _advance(service, 0.1)
    assert len(attempts) == 2
    assert (service.inbox.processing / "a.txt").exists()


def test_startup_requeues_processing_and_settles_published(
    tmp_path: Path, redis_client: redis.Redis, service: IngestService, sent: list[ArticleJob]
) -> None:
    """After a restart, files in processing/ are queued again unless already published."""
    (service.inbox.processing / "left.txt").write_text("Left behind.", encoding="utf-8")
    (service.inbox.processing / "finished.txt").write_text("Already done.", encoding="utf-8")
    job = read_job(service.inbox.processing / "finished.txt", max_bytes=1000)
    redis_client.set(KEYS.published(job.job_id), "1")
    restarted = IngestService(settings=service.settings, redis=redis_client, enqueue=sent.append)
    restarted.startup()
    assert [j.source.filename for j in sent] == ["left.txt"]
    assert (service.inbox.done / "finished.txt").exists()
    assert list(restarted.in_flight) == [sent[0].job_id]


def _record_failure(client: redis.Redis, job: ArticleJob) -> FailureRecord:
    record = FailureRecord(
        job_id=job.job_id, filename=job.source.filename, stage="enrich", error="UnsupportedJSON",
        reason="no article text", failed_at=datetime.now(UTC),
    )  # fmt: skip
    client.set(KEYS.failed(job.job_id), "1")
    client.set(KEYS.deliveries(job.job_id), 3)
    client.hset(
        KEYS.job(job.job_id), mapping={"state": "failed", "failure": record.model_dump_json()}
    )
    return record


def test_failed_file_dropped_again_is_retried(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """Moving a failed file back into the inbox retries it with its failure state cleared."""
    _drop(service, "a.json", '{"x": 1}')
    job = sent[0]
    _record_failure(redis_client, job)
    _advance(service, 300)  # reconcile settles it from the stored failure
    assert (service.inbox.failed / "a.json").exists()
    (service.inbox.failed / "a.json").replace(service.inbox.root / "a.json")
    _advance(service, 301)
    _advance(service, 2)
    assert [j.job_id for j in sent] == [job.job_id, job.job_id]
    assert (service.inbox.processing / "a.json").exists()
    assert not redis_client.exists(KEYS.failed(job.job_id), KEYS.deliveries(job.job_id))
    assert redis_client.hget(KEYS.job(job.job_id), "failure") is None


def test_restart_settles_file_whose_failure_was_recorded(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """A file still in processing/ whose failure was recorded goes to failed/ on restart."""
    path = service.inbox.processing / "b.json"
    path.write_text('{"y": 2}', encoding="utf-8")
    job = read_job(path, max_bytes=1000)
    _record_failure(redis_client, job)
    restarted = IngestService(settings=service.settings, redis=redis_client, enqueue=sent.append)
    restarted.startup()
    assert sent == []
    assert (service.inbox.failed / "b.json.error.json").exists()


def _later(service: IngestService, seconds: float) -> None:
    """Move the service's wall clock `seconds` ahead and run a reconciling tick."""
    service.wall_clock = lambda: time.time() + seconds
    _advance(service, service.settings.rescan_seconds)


def test_job_started_long_ago_without_result_is_sent_again(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """A job idle past lost_after_seconds with no live message is re-sent once; a recent one
    not."""
    _drop(service, "a.txt", "Words here.")
    job_id = sent[0].job_id
    _later(service, 10)
    assert len(sent) == 1
    _later(service, 5000)
    assert [j.job_id for j in sent] == [job_id, job_id]
    _advance(service, 0.1)
    assert len(sent) == 2


def test_lost_jobs_are_looked_for_soon_after_lost_after_seconds(
    tmp_path: Path, redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    """With lost_after_seconds=30 and the default 300 s rescan, a lost job is re-sent within
    a quarter of lost_after_seconds, not at the next rescan."""
    sent: list[ArticleJob] = []
    settings = IngestSettings(
        inbox=tmp_path / "inbox", stable_seconds=1.0, heartbeat_file=tmp_path / "beat",
        redis_url=redis_server.url, lost_after_seconds=30,
    )  # fmt: skip
    svc = IngestService(settings=settings, redis=redis_client, enqueue=sent.append, clock=Clock())
    svc.startup()
    _drop(svc, "a.txt", "Lost words.")
    svc.wall_clock = lambda: time.time() + 31
    _advance(svc, 8)
    assert len(sent) == 2


def test_job_with_a_live_message_is_not_sent_again(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """An idle job whose message still waits in the broker's queue is not re-sent."""
    _drop(service, "a.txt", "Other words.")
    job = sent[0]
    producer = make_celery(service.settings, "test-producer")
    producer.send_task(ENRICH_TASK, args=[job.model_dump(mode="json")], task_id=f"{job.job_id}-1")
    _later(service, 5000)
    assert len(sent) == 1  # it waits behind others: not lost
    redis_client.delete(service.settings.queue)
    _later(service, 5000)
    assert len(sent) == 2


def test_long_article_is_given_its_time_limit_before_counting_as_lost(
    service: IngestService, sent: list[ArticleJob]
) -> None:
    """A job whose message carries a long time limit is not re-sent while it may still run."""
    _drop(service, "long.txt", "A long article.\n\n" * 600_000)
    _later(service, service.settings.lost_after_seconds + 1)
    assert len(sent) == 1
    _later(service, 2 * 3600)
    assert len(sent) == 2


def test_name_of_published_content_dropped_again_is_recorded(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """Published content dropped again under another name goes to the worker's refresh under
    the same job, and `newswire status --file` finds the new name (the name index has it)."""
    _drop(service, "a.txt", "Some article.")
    _publish(redis_client, sent[0])
    _advance(service, 0.1)
    assert find_jobs(redis_client, KEYS, "copy of a.txt") == []
    _drop(service, "copy of a.txt", "Some article.")
    assert [(j.name, j.job_id) for j in find_jobs(redis_client, KEYS, "copy of a.txt")] == [
        ("copy of a.txt", sent[0].job_id)
    ]


class _QuietWatcher:
    """A watcher that heard nothing, but can say the kernel dropped events."""

    def __init__(self) -> None:
        self.dropped = False

    def drain(self) -> dict[Path, object]:
        return {}

    def overflowed(self) -> bool:
        dropped, self.dropped = self.dropped, False
        return dropped

    def wait(self, timeout: float) -> bool:
        return False


def test_dropped_events_make_the_next_tick_rescan(
    service: IngestService, sent: list[ArticleJob]
) -> None:
    """A file whose events were lost is found by the tick after the kernel's overflow notice,
    not only by the periodic rescan (minutes later); it then waits the full quiet period."""
    watcher: Any = _QuietWatcher()
    service.tick(watcher)  # the startup rescan is behind us
    (service.inbox.root / "unheard.txt").write_text("Some article.", encoding="utf-8")
    _advance_with(service, watcher, 1.5)
    assert sent == []  # no event, no rescan due: nobody knows of the file
    before = REGISTRY.get_sample_value("newswire_inbox_events_dropped_total") or 0.0
    watcher.dropped = True
    _advance_with(service, watcher, 0.1)
    assert REGISTRY.get_sample_value("newswire_inbox_events_dropped_total") == before + 1
    _advance_with(service, watcher, 0.5)
    assert sent == []  # known since the rescan, but not yet quiet for long enough
    _advance_with(service, watcher, 0.6)
    assert [job.source.filename for job in sent] == ["unheard.txt"]


def _advance_with(service: IngestService, watcher: Any, seconds: float) -> None:
    service.clock.now += seconds  # type: ignore[attr-defined]
    service.tick(watcher)


def test_one_claim_round_sorts_every_kind_of_file(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """One round of claiming (one Redis step) takes new content, content published before,
    content failed before and copies within the round, each its own way: new and failed
    ones are recorded queued and sent once (the failure cleared), the published one goes to
    the worker's refresh, copies wait on their job; the stats count them."""
    inbox = service.inbox.root
    published = read_job(_write(inbox / "old.txt", "Published before."), max_bytes=1000)
    failed = read_job(_write(inbox / "bad.json", '{"x": 1}'), max_bytes=1000)
    for path in inbox.glob("*.*"):
        path.unlink()
    redis_client.set(KEYS.published(published.job_id), "1")
    _record_failure(redis_client, failed)
    redis_client.set(KEYS.deliveries(failed.job_id), 3)
    for name, text in [("old.txt", "Published before."), ("bad.json", '{"x": 1}'),
                       ("new.txt", "Brand new."), ("new copy.txt", "Brand new."),
                       ("old copy.txt", "Published before.")]:  # fmt: skip
        _write(inbox / name, text)
    service.claim_many(sorted(inbox.glob("*.*")))
    by_name = {job.source.filename: job for job in sent}
    assert sorted(by_name) == ["bad.json", "new copy.txt", "old copy.txt"]  # first of each
    new = by_name["new copy.txt"]
    for job in (new, by_name["bad.json"]):
        state = redis_client.hgetall(KEYS.job(job.job_id))
        assert state[b"state"] == b"queued" and b"failure" not in state and b"queued_ts" in state
        assert redis_client.sismember(KEYS.inflight, job.job_id)
    assert not redis_client.exists(KEYS.failed(failed.job_id), KEYS.deliveries(failed.job_id))
    assert not redis_client.exists(KEYS.job(published.job_id))  # refreshed, not queued again
    assert len(service.in_flight[new.job_id]) == 2
    assert len(service.in_flight[published.job_id]) == 2
    stats = redis_client.hgetall(KEYS.stats)
    assert (stats[b"queued"], stats[b"duplicates"]) == (b"2", b"2")
    assert len(list(service.inbox.processing.iterdir())) == 5


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
