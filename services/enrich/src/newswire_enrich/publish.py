"""Publish a result or a failure: file first, then stream, exactly once per job.

Order: the result file is written atomically (``<job id>.json``: temp file, fsync, rename),
then one Lua script sets the job's publication marker and, only if the marker was new, adds
the stream entry and updates the job state and counters. A crash between the two gives a
rewritten file and a single stream entry, never a loss and never a duplicate entry.

Revisions (``newswire reprocess``: a job with ``revision`` N > 0) are published the same way
with a marker of their own, ``{p}:published:{job}:r{N}``: once per (job, revision). The result
file is replaced and the results stream gets a new entry with the extra field ``revision``;
the job hash keeps the newest published revision in ``revision`` (``revision_queued``: the
newest handed out by ``newswire reprocess``) and the stats hash counts ``revised``, not
another ``done``. Between checking that no newer revision is published and announcing its
own, a worker holds the job's revision lock (:meth:`Publisher.revising`), so an older
revision never replaces the file of a newer one. A revision that fails leaves the published
result alone: the job hash gets ``revision_failure``, the stats hash ``revise_failed``, and no
failures-stream entry (no file failed; ingest moves files on those entries).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import redis
from redis.exceptions import LockError

from newswire_enrich.errors import TransientError
from newswire_shared.fileio import write_text_atomic
from newswire_shared.keys import RedisKeys
from newswire_shared.redis_conn import is_redis_away
from newswire_shared.schemas import EnrichedArticle, FailureRecord

_PUBLISH = """
if redis.call('SET', KEYS[1], ARGV[3], 'NX') then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'job_id', ARGV[1], ARGV[5], ARGV[2])
  redis.call('HSET', KEYS[3], 'state', ARGV[6], 'finished_at', ARGV[3])
  if ARGV[6] == 'failed' then redis.call('HSET', KEYS[3], 'failure', ARGV[2]) end
  redis.call('HINCRBY', KEYS[4], ARGV[6], 1)
  redis.call('SREM', KEYS[5], ARGV[1])
  return 1
end
return 0
"""

#: KEYS: revision marker (the failure marker for ``revise_failed``), results stream, job hash,
#: stats. ARGV: job id, body, now, maxlen, revision, outcome (``revised`` or
#: ``revise_failed``). Returns 1 when announced, 0 when announced before (a redelivery), -1
#: when a newer revision was published meanwhile (nothing done).
_REVISE = """
local rev = tonumber(ARGV[5])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if tonumber(redis.call('HGET', KEYS[3], 'revision') or '0') >= rev then return -1 end
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[6] == 'revised' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*',
             'job_id', ARGV[1], 'result', ARGV[2], 'revision', ARGV[5])
  redis.call('HSET', KEYS[3], 'revision', rev, 'revised_at', ARGV[3])
  redis.call('HDEL', KEYS[3], 'revision_failure')
else
  redis.call('HSET', KEYS[3], 'revision_failure', ARGV[2])
end
redis.call('HINCRBY', KEYS[4], ARGV[6], 1)
return 1
"""

#: How long a worker may hold a job's revision lock (seconds): the check, the story step and
#: the file write take milliseconds; a worker that died holding it delays the next revision
#: of that job by this much.
REVISION_LOCK_SECONDS = 60
#: How long a worker waits for another worker's revision lock on the same job.
REVISION_LOCK_WAIT = 30

RevisionOutcome = Literal["revised", "duplicate", "superseded"]


def revision_marker(keys: RedisKeys, job_id: str, revision: int) -> str:
    """Publication marker of revision `revision` of `job_id` (the job's own for 0)."""
    base = keys.published(job_id)
    return f"{base}:r{revision}" if revision else base


class RevisionLockError(TransientError):
    """Another worker kept the job's revision lock too long; the job is retried."""


@dataclass
class Publisher:
    """Writes results to the results folder and the Redis streams."""

    redis: redis.Redis
    keys: RedisKeys
    results_dir: Path
    maxlen: int = 100_000

    def __post_init__(self) -> None:
        self._script = self.redis.register_script(_PUBLISH)
        self._revise = self.redis.register_script(_REVISE)

    def already_published(self, job_id: str, revision: int = 0) -> bool:
        """Return True if the job's result (of `revision`) was published before."""
        return bool(self.redis.exists(revision_marker(self.keys, job_id, revision)))

    def published_revision(self, job_id: str) -> int:
        """The newest revision of `job_id` published (0: the first enrichment, or none)."""
        raw = self.redis.hget(self.keys.job(job_id), "revision")
        return int(raw) if raw else 0

    @contextmanager
    def revising(self, job_id: str) -> Iterator[None]:
        """Hold the revision lock of `job_id` (one worker at a time checks, writes and
        announces a revision of it); raise :class:`RevisionLockError` if it stays taken."""
        lock = self.redis.lock(
            f"{self.keys.prefix}:revising:{job_id}",
            timeout=REVISION_LOCK_SECONDS,
            blocking_timeout=REVISION_LOCK_WAIT,
        )
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise TransientError(f"cannot reach Redis to take the revision lock: {exc}") from exc
        if not acquired:
            raise RevisionLockError(f"the revision lock of {job_id} stayed taken")
        try:
            yield
        finally:
            try:
                lock.release()
            except LockError:
                pass  # expired meanwhile: nothing to release
            except redis.RedisError as exc:
                if not is_redis_away(exc):
                    raise

    def publish_revision(self, result: EnrichedArticle) -> RevisionOutcome:
        """Replace the result file with revision ``result.revision`` and announce it once;
        call it holding :meth:`revising`. ``superseded``: a newer revision was published
        (nothing written); ``duplicate``: this revision was announced before."""
        job_id, revision = result.job_id, result.revision
        if self.published_revision(job_id) < revision:
            self.write_result_file(result)
            marker = revision_marker(self.keys, job_id, revision)
            added = self._announce_revision(marker, job_id, revision, result.model_dump_json())
            if added >= 0:
                return "revised" if added else "duplicate"
        return "duplicate" if self.already_published(job_id, revision) else "superseded"

    def publish_revision_failure(self, job_id: str, revision: int, record: FailureRecord) -> bool:
        """Record that revision `revision` of `job_id` failed (the published result stays);
        return False if that revision had an outcome already."""
        marker = f"{self.keys.failed(job_id)}:r{revision}"
        body = record.model_dump_json()
        return self._announce_revision(marker, job_id, revision, body, "revise_failed") == 1

    def _announce_revision(
        self, marker: str, job_id: str, revision: int, body: str, outcome: str = "revised"
    ) -> int:
        keys = [marker, self.keys.results, self.keys.job(job_id), self.keys.stats]
        now = datetime.now(UTC).isoformat()
        try:
            return int(
                self._revise(keys=keys, args=[job_id, body, now, self.maxlen, revision, outcome])
            )
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise TransientError(f"cannot reach Redis to publish the revision: {exc}") from exc

    def publish(self, result: EnrichedArticle) -> bool:
        """Write and announce `result`; return False if it had been published already."""
        self.write_result_file(result)
        body = result.model_dump_json()
        return self._announce(result.job_id, self.keys.published(result.job_id), body, "done")

    def result_file(self, job_id: str) -> Path:
        """Where the result of `job_id` is written."""
        return self.results_dir / f"{job_id}.json"

    def has_result_file(self, job_id: str) -> bool:
        """Return True if the results folder holds the result of `job_id`."""
        return self.result_file(job_id).is_file()

    def write_result_file(self, result: EnrichedArticle) -> None:
        """Write `result` to the results folder atomically (no announcement)."""
        try:
            self.results_dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.result_file(result.job_id), pretty_json(result))
        except OSError as exc:
            raise TransientError(f"cannot write the result file: {exc}") from exc

    def mark_refreshed(self, job_id: str) -> None:
        """Tell ingest that the result of an earlier-published job is in the results folder."""
        try:
            self.redis.hset(self.keys.job(job_id), "refreshed_at", datetime.now(UTC).isoformat())
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise TransientError(f"cannot reach Redis: {exc}") from exc

    def publish_failure(self, job_id: str, record: FailureRecord) -> bool:
        """Record a final failure; return False if the job had finished already."""
        marker = self.keys.failed(job_id)
        return self._announce(job_id, marker, record.model_dump_json(), "failed")

    def _announce(self, job_id: str, marker: str, body: str, state: str) -> bool:
        field = "result" if state == "done" else "failure"
        stream = self.keys.results if state == "done" else self.keys.failures
        now = datetime.now(UTC).isoformat()
        try:
            added = self._script(
                keys=[marker, stream, self.keys.job(job_id), self.keys.stats, self.keys.inflight],
                args=[job_id, body, now, self.maxlen, field, state],
            )
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise TransientError(f"cannot reach Redis to publish: {exc}") from exc
        return bool(added)


def pretty_json(result: EnrichedArticle) -> str:
    """Return `result` as indented JSON text, as written to the results folder."""
    return result.model_dump_json(indent=2) + "\n"
