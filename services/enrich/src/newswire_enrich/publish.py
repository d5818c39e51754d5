"""Publish a result or a failure: file first, then stream, exactly once per job.

Order: the result file is written atomically (``<job id>.json``: temp file, fsync, rename),
then one Lua script sets the job's publication marker and, only if the marker was new, adds
the stream entry and updates the job state and counters. A crash between the two gives a
rewritten file and a single stream entry, never a loss and never a duplicate entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis

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


@dataclass
class Publisher:
    """Writes results to the results folder and the Redis streams."""

    redis: redis.Redis
    keys: RedisKeys
    results_dir: Path
    maxlen: int = 100_000

    def __post_init__(self) -> None:
        self._script = self.redis.register_script(_PUBLISH)

    def already_published(self, job_id: str) -> bool:
        """Return True if the job's result was published before (a redelivery)."""
        return bool(self.redis.exists(self.keys.published(job_id)))

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
