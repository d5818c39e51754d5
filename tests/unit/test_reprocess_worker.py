"""Revisions in the job runner (``newswire reprocess``): enriched again, published once per
revision, never replaced by an older one, counted as ``revised``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from newswire_enrich.errors import EmptyArticleError, TransientError
from newswire_enrich.jobs import JobRunner, Retry
from newswire_enrich.publish import Publisher
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import ArticleJob, EnrichedArticle, MediaType, PipelineInfo

KEYS = RedisKeys("t")


class VersionedPipeline:
    """Enriches by copying the text, titled with the revision it ran for (a new model version
    each time); runs `before` (once) first, then raises the queued errors, one per call."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[int] = []
        self.before: Callable[[], object] | None = None

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        self.calls.append(job.revision)
        if self.before is not None:
            before, self.before = self.before, None
            before()
        if self.errors:
            raise self.errors.pop(0)
        return EnrichedArticle(
            job_id=job.job_id, source=job.source, title=f"model {job.revision}", text=job.text,
            pipeline=PipelineInfo(newswire_version="test"), enriched_at=datetime.now(UTC),
        )  # fmt: skip


class FlakyPublisher(Publisher):
    """A publisher whose first revision announcement finds Redis away (after the file)."""

    failures = 1

    def _announce_revision(
        self, marker: str, job_id: str, revision: int, body: str, outcome: str = "revised"
    ) -> int:
        if self.failures:
            self.failures -= 1
            raise TransientError("Redis went away")
        return super()._announce_revision(marker, job_id, revision, body, outcome)


def _runner(
    client: redis.Redis,
    tmp_path: Path,
    pipeline: VersionedPipeline,
    publisher: type[Publisher] = Publisher,
) -> JobRunner:
    return JobRunner(
        pipeline=pipeline, publisher=publisher(client, KEYS, tmp_path / "results"),
        redis=client, keys=KEYS, max_retries=2,
    )  # fmt: skip


def _payload(revision: int = 0, text: bytes = b"An article.") -> dict[str, object]:
    job = job_from_bytes(text, "a.txt", MediaType.TEXT)
    return job.model_copy(update={"revision": revision}).model_dump(mode="json")


def _result(tmp_path: Path, payload: dict[str, object]) -> EnrichedArticle:
    path = tmp_path / "results" / f"{payload['job_id']}.json"
    return EnrichedArticle.model_validate_json(path.read_text(encoding="utf-8"))


def _entries(client: redis.Redis) -> list[tuple[str, str | None]]:
    """(job id, revision field) of each results-stream entry."""
    return [
        (f[b"job_id"].decode(), f[b"revision"].decode() if b"revision" in f else None)
        for _, f in client.xrange(KEYS.results)
    ]


def _stats(client: redis.Redis) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in client.hgetall(KEYS.stats).items()}


def test_revision_replaces_the_result_and_is_announced_once(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A published job sent again as revision 1 is enriched again: the file holds revision 1,
    the stream gets one more entry marked revision 1, the stats count it as revised (done
    stays 1); its redelivery changes nothing."""
    pipeline = VersionedPipeline()
    runner = _runner(redis_client, tmp_path, pipeline)
    assert runner.run(_payload()).kind == "published"
    assert "revision" not in (tmp_path / "results" / f"{_payload()['job_id']}.json").read_text()
    assert runner.run(_payload(1)).kind == "revised"
    result = _result(tmp_path, _payload())
    assert (result.revision, result.title) == (1, "model 1")
    job = str(_payload()["job_id"])
    assert _entries(redis_client) == [(job, None), (job, "1")]
    streamed = EnrichedArticle.model_validate_json(
        redis_client.xrange(KEYS.results)[-1][1][b"result"]
    )
    assert streamed.revision == 1
    assert _stats(redis_client) == {"done": 1, "revised": 1}
    assert redis_client.hget(KEYS.job(job), "revision") == b"1"
    assert redis_client.hget(KEYS.job(job), "state") == b"done"
    assert runner.run(_payload(1), retries=1).kind == "duplicate"
    assert pipeline.calls == [0, 1]
    assert len(_entries(redis_client)) == 2
    assert runner.run(_payload(2)).kind == "revised"
    assert _result(tmp_path, _payload()).revision == 2
    assert _stats(redis_client) == {"done": 1, "revised": 2}


def test_older_revision_never_replaces_a_newer_one(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Revision 1 arriving after revision 2 is published is skipped without enriching."""
    pipeline = VersionedPipeline()
    runner = _runner(redis_client, tmp_path, pipeline)
    runner.run(_payload())
    assert runner.run(_payload(2)).kind == "revised"
    assert runner.run(_payload(1)).kind == "duplicate"
    assert pipeline.calls == [0, 2]
    assert _result(tmp_path, _payload()).revision == 2
    assert [r for _, r in _entries(redis_client)] == [None, "2"]


def test_revision_overtaken_while_enriching_is_dropped(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Two reprocess runs racing: revision 2 is published while revision 1 is being enriched;
    revision 1 then finds it under the job's lock and neither writes nor announces."""
    pipeline = VersionedPipeline()
    runner = _runner(redis_client, tmp_path, pipeline)
    other = _runner(redis_client, tmp_path, VersionedPipeline())
    runner.run(_payload())
    pipeline.before = lambda: other.run(_payload(2))
    assert runner.run(_payload(1)).kind == "duplicate"
    result = _result(tmp_path, _payload())
    assert (result.revision, result.title) == (2, "model 2")
    assert [r for _, r in _entries(redis_client)] == [None, "2"]
    assert _stats(redis_client) == {"done": 1, "revised": 1}


def test_failed_revision_leaves_the_published_result(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A revision the new pipeline cannot enrich keeps the earlier result and the job's state
    done; no failures-stream entry (no file failed), the stats count revise_failed."""
    pipeline = VersionedPipeline()
    runner = _runner(redis_client, tmp_path, pipeline)
    runner.run(_payload())
    pipeline.errors.append(EmptyArticleError("nothing left"))
    assert runner.run(_payload(1)).kind == "failed"
    job = str(_payload()["job_id"])
    assert _result(tmp_path, _payload()).revision == 0
    assert redis_client.hget(KEYS.job(job), "state") == b"done"
    assert b"nothing left" in (redis_client.hget(KEYS.job(job), "revision_failure") or b"")
    assert redis_client.xlen(KEYS.failures) == 0
    assert _stats(redis_client) == {"done": 1, "revise_failed": 1}
    assert runner.run(_payload(2)).kind == "revised"
    assert redis_client.hget(KEYS.job(job), "revision_failure") is None


def test_fault_after_the_file_is_retried_into_one_entry(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Redis away between writing the revision's file and announcing it asks for a retry;
    the retry announces it once."""
    runner = _runner(redis_client, tmp_path, VersionedPipeline(), FlakyPublisher)
    runner.run(_payload())
    with pytest.raises(Retry):
        runner.run(_payload(1))
    assert _result(tmp_path, _payload()).revision == 1
    assert len(_entries(redis_client)) == 1
    assert runner.run(_payload(1), retries=1).kind == "revised"
    assert runner.run(_payload(1), retries=2).kind == "duplicate"
    assert [r for _, r in _entries(redis_client)] == [None, "1"]


def test_deaths_of_the_first_run_do_not_count_against_a_revision(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The delivery counter is per revision: a job delivered twice before is revised."""
    runner = JobRunner(
        pipeline=VersionedPipeline(), publisher=Publisher(redis_client, KEYS, tmp_path / "r"),
        redis=redis_client, keys=KEYS, max_deliveries=2,
    )  # fmt: skip
    runner.run(_payload())
    redis_client.set(KEYS.deliveries(str(_payload()["job_id"])), 2)
    assert runner.run(_payload(1)).kind == "revised"


def test_missing_file_of_a_revised_job_is_written_as_the_newest_revision(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The same content dropped again after a revision, to a worker whose results folder
    lacks the file: the file is written again with the revision published."""
    runner = _runner(redis_client, tmp_path, VersionedPipeline())
    runner.run(_payload())
    runner.run(_payload(1))
    (tmp_path / "results" / f"{_payload()['job_id']}.json").unlink()
    assert runner.run(_payload()).kind == "duplicate"
    assert _result(tmp_path, _payload()).revision == 1
    assert len(_entries(redis_client)) == 2
