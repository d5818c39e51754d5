"""One queue message through the runner: publish once, fail clearly, retry transient errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from newswire_enrich.errors import EmptyArticleError, TransientError
from newswire_enrich.jobs import JobRunner, Retry, backoff
from newswire_enrich.publish import Publisher
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import (
    ArticleJob,
    EnrichedArticle,
    FailureRecord,
    MediaType,
    PipelineInfo,
)

KEYS = RedisKeys("t")


class EchoPipeline:
    """Enriches by copying the text; raises the queued errors first, one per call."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return EnrichedArticle(
            job_id=job.job_id, source=job.source, title=None, text=job.text,
            pipeline=PipelineInfo(newswire_version="test"), enriched_at=datetime.now(UTC),
        )  # fmt: skip


def _runner(client: redis.Redis, tmp_path: Path, pipeline: EchoPipeline) -> JobRunner:
    return JobRunner(
        pipeline=pipeline, publisher=Publisher(client, KEYS, tmp_path / "results"),
        redis=client, keys=KEYS, max_retries=2, max_deliveries=2,
    )  # fmt: skip


def _payload(text: bytes = b"An article.") -> dict[str, object]:
    return job_from_bytes(text, "a.txt", MediaType.TEXT).model_dump(mode="json")


def test_publishes_file_and_stream_entry_once(redis_client: redis.Redis, tmp_path: Path) -> None:
    """A job delivered twice is enriched and announced once; the second delivery is a no-op."""
    pipeline = EchoPipeline()
    runner = _runner(redis_client, tmp_path, pipeline)
    payload = _payload()
    assert runner.run(payload).kind == "published"
    assert runner.run(payload).kind == "duplicate"
    assert pipeline.calls == 1
    job_id = str(payload["job_id"])
    result = EnrichedArticle.model_validate_json(
        (tmp_path / "results" / f"{job_id}.json").read_text(encoding="utf-8")
    )
    assert result.text == "An article."
    assert redis_client.xlen(KEYS.results) == 1
    assert redis_client.hget(KEYS.job(job_id), "state") == b"done"
    assert redis_client.hget(KEYS.stats, "done") == b"1"


def test_bad_input_fails_at_once_with_reason(redis_client: redis.Redis, tmp_path: Path) -> None:
    """Input errors are not retried: one failure record, state failed, file explained."""
    runner = _runner(redis_client, tmp_path, EchoPipeline(EmptyArticleError("nothing left")))
    payload = _payload()
    assert runner.run(payload).kind == "failed"
    (entry,) = redis_client.xrange(KEYS.failures)
    record = FailureRecord.model_validate_json(entry[1][b"failure"])
    assert (record.error, record.reason, record.retryable) == (
        "EmptyArticle",
        "nothing left",
        False,
    )
    assert redis_client.hget(KEYS.job(str(payload["job_id"])), "state") == b"failed"


def test_transient_error_retries_then_fails(redis_client: redis.Redis, tmp_path: Path) -> None:
    """Transient errors ask for a retry until max_retries, then become a retryable failure."""
    errors = [TransientError("disk full")] * 3
    runner = _runner(redis_client, tmp_path, EchoPipeline(*errors))
    payload = _payload()
    for attempt in range(2):
        with pytest.raises(Retry) as caught:
            runner.run(payload, retries=attempt)
        assert 0 <= caught.value.countdown <= 2.0 * 2**attempt
    assert runner.run(payload, retries=2).kind == "failed"
    record = FailureRecord.model_validate_json(redis_client.xrange(KEYS.failures)[0][1][b"failure"])
    assert record.retryable is True
    assert record.attempts == 3


def test_poison_message_is_failed_after_worker_deaths(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Deliveries that never finished (workers killed) are counted; past the cap the job fails."""
    pipeline = EchoPipeline()
    runner = _runner(redis_client, tmp_path, pipeline)
    payload = _payload()
    redis_client.set(KEYS.deliveries(str(payload["job_id"])), 2)  # two earlier deaths
    assert runner.run(payload).kind == "failed"
    assert pipeline.calls == 0
    record = FailureRecord.model_validate_json(redis_client.xrange(KEYS.failures)[0][1][b"failure"])
    assert "died 2 times" in record.reason


def test_invalid_message_is_failed_not_crashed(redis_client: redis.Redis, tmp_path: Path) -> None:
    """A message that is not an ArticleJob becomes a failure record naming the job."""
    runner = _runner(redis_client, tmp_path, EchoPipeline())
    outcome = runner.run({"job_id": "0123456789abcdef", "source": {"filename": "x.txt"}})
    assert outcome.kind == "failed"
    record = FailureRecord.model_validate_json(redis_client.xrange(KEYS.failures)[0][1][b"failure"])
    assert record.filename == "x.txt"
    assert record.error == "InvalidJob"


def test_backoff_is_jittered_and_capped() -> None:
    """Retry delays grow exponentially, are randomised, and never exceed the cap."""
    delays = [backoff(10) for _ in range(200)]
    assert max(delays) <= 120.0
    assert len(set(delays)) > 100
    assert all(0 <= backoff(0) <= 2.0 for _ in range(50))


def test_redis_refusing_writes_is_retried_not_failed(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Redis out of memory while publishing is waited out with a retry; nothing is lost."""
    runner = _runner(redis_client, tmp_path, EchoPipeline())
    payload = _payload(b"Out of memory for now.")
    redis_client.config_set("maxmemory", "1")
    try:
        with pytest.raises(Retry) as raised:
            runner.run(payload)
        assert "maxmemory" in str(raised.value)
    finally:
        redis_client.config_set("maxmemory", "0")
    assert runner.run(payload, retries=1).kind == "published"
    assert redis_client.xlen(KEYS.failures) == 0


def test_redelivered_job_rewrites_a_missing_result_file(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A published job delivered again to a worker whose results folder lacks the file gets
    the file written again, marks the job refreshed, and adds no stream entry."""
    pipeline = EchoPipeline()
    runner = _runner(redis_client, tmp_path, pipeline)
    payload = _payload(b"Published once.")
    assert runner.run(payload).kind == "published"
    [result] = list((tmp_path / "results").iterdir())
    result.unlink()
    assert runner.run(payload).kind == "duplicate"
    assert result.exists()
    assert pipeline.calls == 2
    assert runner.run(payload).kind == "duplicate"
    assert pipeline.calls == 2  # file present: nothing recomputed
    assert redis_client.hget(KEYS.job(result.stem), "refreshed_at")
    assert redis_client.xlen(KEYS.results) == 1
