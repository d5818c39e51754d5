"""What a worker does with one queue message, independent of Celery.

:meth:`JobRunner.run` validates the payload, skips jobs already published (redeliveries),
fails poison messages whose workers keep dying, runs the pipeline, and publishes the result or
a failure record. It returns an :class:`Outcome`; the only exception it lets out is
:class:`Retry`, which asks the caller (the Celery task) to try again later.

A job with ``revision`` N > 0 (``newswire reprocess``) is enriched again although its job was
published: under the job's revision lock, unless revision N or a newer one is published, its
story is assigned again (:meth:`~newswire_enrich.story_tracker.StoryTracker.reassign`), the
story records rebuilt, then the result file replaced and the revision announced once
(``revised``, see :mod:`newswire_enrich.publish`). An older revision than
the one published is skipped (outcome ``duplicate``); one that fails leaves the published
result in place.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import redis
import structlog
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import ValidationError

from newswire_enrich import _metrics
from newswire_enrich.errors import BadInputError, InvalidJobError, TransientError
from newswire_enrich.publish import Publisher
from newswire_enrich.story_tracker import StoryTracker
from newswire_shared.keys import RedisKeys
from newswire_shared.logs import get_logger
from newswire_shared.redis_conn import is_redis_away
from newswire_shared.schemas import ArticleJob, EnrichedArticle, FailureRecord, StepTiming

log = get_logger(__name__)

OutcomeKind = Literal["published", "revised", "duplicate", "failed"]
Superseded = Literal["superseded"]
_DELIVERY_TTL = 7 * 24 * 3600


class Enricher(Protocol):
    """What the runner needs of a pipeline (tests inject simpler ones)."""

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        """Return the enriched article of `job`."""
        ...


@dataclass(frozen=True)
class Outcome:
    """How one delivery of a job ended."""

    kind: OutcomeKind
    job_id: str | None


class Retry(Exception):  # noqa: N818 - it is an instruction, not an error
    """Try the job again after `countdown` seconds."""

    def __init__(self, cause: Exception, countdown: float) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.countdown = countdown


def backoff(attempt: int, *, base: float = 2.0, cap: float = 120.0) -> float:
    """Return a full-jitter exponential backoff delay for retry number `attempt` (0-based)."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - not cryptographic


@dataclass
class JobRunner:
    """Runs jobs through a pipeline and publishes what comes out."""

    pipeline: Enricher
    publisher: Publisher
    redis: redis.Redis
    keys: RedisKeys
    max_retries: int = 5
    max_deliveries: int = 3
    #: story assignment and records; None with ``NEWSWIRE_STORIES=false``
    stories: StoryTracker | None = None

    def run(self, payload: Any, *, retries: int = 0) -> Outcome:
        """Process one delivery of `payload`; raise :class:`Retry` for transient errors."""
        started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        try:
            job = _parse(payload)
        except InvalidJobError as exc:
            job_id = payload.get("job_id") if isinstance(payload, dict) else None
            filename = _filename_of(payload)
            structlog.contextvars.bind_contextvars(job_id=job_id, filename=filename)
            return self._fail(job_id, filename, exc, started, retries)
        structlog.contextvars.bind_contextvars(job_id=job.job_id, filename=job.source.filename)
        if job.revision:
            structlog.contextvars.bind_contextvars(revision=job.revision)
        try:
            return self._run(job, started, retries)
        except Exception as exc:
            if not _transient(exc):
                raise
            if retries >= self.max_retries:
                return self._fail_job(job, exc, started, retries)
            delay = backoff(retries)
            log.warning("job_retry", error=str(exc), retries=retries, countdown=round(delay, 1))
            _metrics.job_done("retried", started)
            raise Retry(exc, delay) from exc

    def _run(self, job: ArticleJob, started: float, retries: int) -> Outcome:
        """Process `job`; transient errors (Redis away, disk) propagate to :meth:`run`."""
        if self.publisher.already_published(job.job_id, job.revision):
            return self._refresh(job, started, retries)
        if job.revision and self.publisher.published_revision(job.job_id) >= job.revision:
            return self._superseded(job, started)
        deaths = self._count_delivery(job.job_id, retries, job.revision)
        if deaths >= self.max_deliveries:
            reason = f"a worker died {deaths} times while processing this file"
            return self._fail_job(job, _PoisonError(reason), started, retries)
        try:
            result, kind = self._revise(job) if job.revision else self._publish(job)
        except BadInputError as exc:
            return self._fail_job(job, exc, started, retries)
        except SoftTimeLimitExceeded as exc:
            return self._fail_job(job, _TooSlowError(), started, retries, exc)
        except Exception as exc:
            if _transient(exc):
                raise
            log.exception("job_crashed")
            return self._fail_job(job, exc, started, retries)
        if kind == "superseded":
            return self._superseded(job, started)
        log.info(
            "job_finished",
            outcome=kind,
            seconds=_since(started),
            steps={t.step: t.seconds for t in result.pipeline.timings},
            chars=len(result.text),
            entities=len(result.entities),
            quotes=len(result.quotes),
        )
        if kind == "published":
            _metrics.published(job.source.received_at)
        _metrics.job_done(kind, started, result.pipeline.timings)
        return Outcome(kind, job.job_id)

    def _publish(self, job: ArticleJob) -> tuple[EnrichedArticle, OutcomeKind]:
        """Enrich a dropped file's job, assign and record its story, then publish it.

        The story record comes first: once a job is published, nothing redelivers it (ingest
        drops the message of a published job), so a crash between the two must leave the
        job unpublished; the redelivery then finds the story step done (idempotent) and
        publishes."""
        result, merged = self._with_story(self.pipeline.enrich(job))
        if self.stories is not None:
            self.stories.record(job.job_id, merged=merged)
        fresh = self.publisher.publish(result)
        return result, "published" if fresh else "duplicate"

    def _revise(self, job: ArticleJob) -> tuple[EnrichedArticle, OutcomeKind | Superseded]:
        """Enrich a revision again; under the job's revision lock, unless this revision or a
        newer one is published meanwhile, assign its story again, rebuild the story records
        it changed and replace the result (stories first, as in :meth:`_publish`)."""
        result = self.pipeline.enrich(job).model_copy(update={"revision": job.revision})
        with self.publisher.revising(job.job_id):
            if self.publisher.published_revision(job.job_id) >= job.revision:
                published = self.publisher.already_published(job.job_id, job.revision)
                return result, "duplicate" if published else "superseded"
            result, _ = self._with_story(result, again=True)
            if self.stories is not None:
                self.stories.record_revision(job.job_id, job.revision)
            outcome = self.publisher.publish_revision(result)
        return result, outcome

    def _superseded(self, job: ArticleJob, started: float) -> Outcome:
        """A revision older than the one published (two reprocess runs raced): skipped."""
        log.info(
            "job_finished",
            outcome="duplicate",
            reason="a newer revision is published",
            published_revision=self.publisher.published_revision(job.job_id),
            seconds=_since(started),
        )
        _metrics.job_done("duplicate", started)
        return Outcome("duplicate", job.job_id)

    def _refresh(self, job: ArticleJob, started: float, retries: int) -> Outcome:
        """A job published before (a redelivery, or the same content dropped again): make sure
        the results folder in use holds its result, enriching again only if it does not (as
        the newest revision published)."""
        try:
            if not self.publisher.has_result_file(job.job_id):
                revision = self.publisher.published_revision(job.job_id)
                enriched = self.pipeline.enrich(job).model_copy(update={"revision": revision})
                result, _ = self._with_story(enriched)
                self.publisher.write_result_file(result)
                log.info("result_rewritten", results_dir=str(self.publisher.results_dir))
            if self.stories is not None:  # a crash may have come before the story record
                if job.revision:
                    self.stories.record_revision(job.job_id, job.revision)
                else:
                    self.stories.record(job.job_id)
        except BadInputError as exc:
            return self._fail_job(job, exc, started, retries)
        self.publisher.mark_refreshed(job.job_id)
        log.info("job_finished", outcome="duplicate", seconds=_since(started))
        _metrics.job_done("duplicate", started)
        return Outcome("duplicate", job.job_id)

    def _with_story(
        self, result: EnrichedArticle, *, again: bool = False
    ) -> tuple[EnrichedArticle, bool]:
        """`result` with its story (when stories are on), timed as the step ``stories``,
        and whether its assignment merged stories. Idempotent: a redelivery gets the same.
        `again`: a revision, whose article leaves its story and is assigned anew."""
        if self.stories is None:
            return result, False
        started = time.perf_counter()
        if again:
            result, assignment = self.stories.reassign(result)
        else:
            result, assignment = self.stories.assign(result)
        timing = StepTiming(step="stories", seconds=round(time.perf_counter() - started, 6))
        info = result.pipeline.model_copy(update={"timings": [*result.pipeline.timings, timing]})
        return result.model_copy(update={"pipeline": info}), bool(assignment.absorbed)

    def _count_delivery(self, job_id: str, retries: int, revision: int = 0) -> int:
        key = self.keys.deliveries(job_id)
        if revision:  # each revision is its own run: deaths of earlier ones do not count
            key = f"{key}:r{revision}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, _DELIVERY_TTL)
        # when this attempt started: ingest re-sends a job started long ago without a result
        pipe.hset(self.keys.job(job_id), "started_at", f"{time.time():.3f}")
        deliveries = int(pipe.execute()[0])
        return max(0, deliveries - 1 - retries)

    def _fail_job(
        self,
        job: ArticleJob,
        exc: Exception,
        started: float,
        retries: int,
        cause: BaseException | None = None,
    ) -> Outcome:
        return self._fail(
            job.job_id, job.source.filename, exc, started, retries, cause, revision=job.revision
        )

    def _fail(
        self,
        job_id: str | None,
        filename: str,
        exc: Exception,
        started: float,
        retries: int,
        cause: BaseException | None = None,
        *,
        revision: int = 0,
    ) -> Outcome:
        retryable = not isinstance(exc, BadInputError | _PoisonError)
        record = FailureRecord(
            job_id=job_id,
            filename=filename,
            stage="enrich",
            error=type(exc).__name__.removesuffix("Error") or "Error",
            reason=str(exc) or type(exc).__name__,
            retryable=retryable,
            attempts=retries + 1,
            failed_at=datetime.now(UTC),
        )
        if job_id is not None and revision:  # the published result stays
            self.publisher.publish_revision_failure(job_id, revision, record)
        elif job_id is not None:
            self.publisher.publish_failure(job_id, record)
        log.warning(
            "job_finished",
            outcome="failed",
            error=record.error,
            reason=record.reason,
            retryable=retryable,
            seconds=_since(started),
        )
        _metrics.failed(record.stage, record.error)
        _metrics.job_done("failed", started)
        return Outcome("failed", job_id)


class _PoisonError(Exception):
    """The job keeps killing its worker."""


class _TooSlowError(TransientError):
    def __init__(self) -> None:
        super().__init__("the article took longer than the task time limit")


def _transient(exc: BaseException) -> bool:
    """Whether `exc` is worth retrying: our transient errors, or Redis away for now."""
    return isinstance(exc, TransientError) or (
        isinstance(exc, redis.RedisError) and is_redis_away(exc)
    )


def _parse(payload: Any) -> ArticleJob:
    try:
        return ArticleJob.model_validate(payload)
    except ValidationError as exc:
        raise InvalidJobError(
            f"not a valid ArticleJob message: {exc.error_count()} errors"
        ) from exc


def _filename_of(payload: Any) -> str:
    if isinstance(payload, dict):
        source = payload.get("source")
        if isinstance(source, dict) and isinstance(source.get("filename"), str):
            return str(source["filename"])
    return "(unknown)"


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)
