"""The ingest loop: claim finished files, queue their jobs, settle them when results arrive.

One iteration of :meth:`IngestService.tick`:

1. paths from native events (and, every ``rescan_seconds``, a full rescan) are observed;
2. files unchanged for ``stable_seconds`` are read, moved to ``processing/`` and queued
   (bad files go to ``failed/`` at once with the reason);
3. new entries of the results and failures streams, read through a consumer group, move their
   files from ``processing/`` to ``done/`` or ``failed/``;
4. the heartbeat file is touched.

Same content twice is one job: a second file with an in-flight job id waits beside the first
and settles with it; one whose result is already published goes straight to ``done/``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import redis

from newswire_ingest.inbox import Inbox
from newswire_ingest.settings import IngestSettings
from newswire_ingest.stability import StabilityTracker
from newswire_ingest.watch import InboxWatcher
from newswire_shared.errors import RejectedFileError
from newswire_shared.jobs import read_job
from newswire_shared.keys import INGEST_GROUP, RedisKeys
from newswire_shared.logs import get_logger
from newswire_shared.schemas import ArticleJob, FailureRecord

log = get_logger(__name__)

Enqueue = Callable[[ArticleJob], None]


class _Clock(Protocol):
    def __call__(self) -> float: ...


@dataclass
class Counters:
    """What this process has done since it started (for logs and tests)."""

    queued: int = 0
    done: int = 0
    failed: int = 0
    duplicates: int = 0
    requeued: int = 0


@dataclass
class IngestService:
    """Owns the inbox: the only process that moves files in it."""

    settings: IngestSettings
    redis: redis.Redis
    enqueue: Enqueue
    clock: _Clock = time.monotonic
    counters: Counters = field(default_factory=Counters)

    def __post_init__(self) -> None:
        self.inbox = Inbox(
            self.settings.inbox, recursive=self.settings.recursive, ignore=self.settings.ignore
        )
        self.keys = RedisKeys(self.settings.key_prefix)
        self._tracker = StabilityTracker(self.settings.stable_seconds)
        self._in_flight: dict[str, list[Path]] = {}
        self._unsent: dict[str, ArticleJob] = {}
        self._last_rescan = float("-inf")

    # -- start-up --------------------------------------------------------------------------

    def startup(self) -> None:
        """Create folders and consumer groups, then requeue what a crash left in processing/."""
        self.inbox.create()
        for stream in (self.keys.results, self.keys.failures):
            try:
                self.redis.xgroup_create(stream, INGEST_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        leftovers = self.inbox.in_processing()
        for path in leftovers:
            self._recover(path)
        if leftovers:
            log.info("recovered_processing", files=len(leftovers), requeued=self.counters.requeued)
        self.settle_outcomes(block_ms=None, pending=True)

    def _recover(self, path: Path) -> None:
        try:
            job = read_job(path, max_bytes=self.settings.max_file_bytes)
        except RejectedFileError as exc:
            self._reject(path, exc)
            return
        self.counters.requeued += 1
        self._dispatch(job, path, force=True)

    # -- the loop --------------------------------------------------------------------------

    def run(self, stop: threading.Event, watcher: InboxWatcher | None = None) -> None:
        """Run until `stop` is set; Redis outages are waited out, never fatal."""
        self.startup()
        if watcher is not None:
            watcher.start()
        log.info("ingest_started", inbox=str(self.inbox.root), polling=self.settings.polling)
        backoff = 1.0
        try:
            while not stop.is_set():
                try:
                    self.tick(watcher)
                    backoff = 1.0
                except redis.ConnectionError as exc:
                    log.warning("redis_unavailable", error=str(exc), retry_in=backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                if watcher is not None and not watcher.alive():
                    raise RuntimeError("the inbox watcher thread died")
        finally:
            if watcher is not None:
                watcher.stop()
            log.info("ingest_stopped", **vars(self.counters))

    def tick(self, watcher: InboxWatcher | None = None) -> None:
        """Do one round of observing, claiming, settling and heart-beating."""
        now = self.clock()
        if watcher is not None:
            for path in watcher.drain():
                self._tracker.observe(path, now)
        if now - self._last_rescan >= self.settings.rescan_seconds or watcher is None:
            self.rescan(now)
        for path in self._tracker.ready(now):
            self._tracker.forget(path)
            self.claim(path)
        self._resend()
        self.settle_outcomes(block_ms=int(self.settings.tick_seconds * 1000))
        self._heartbeat()

    def rescan(self, now: float) -> None:
        """Observe every file in the inbox and check in-flight jobs against Redis."""
        self._last_rescan = now
        for path in self.inbox.candidates():
            self._tracker.observe(path, now)
        self.reconcile()

    # -- claiming --------------------------------------------------------------------------

    def claim(self, path: Path) -> None:
        """Read a finished file, then queue it or fail it; never raises for a bad file.

        Only regular files are read (never through a link, never blocking): links, FIFOs,
        sockets and devices go to failed/ unread. A folder's files are observed in recursive
        mode; otherwise the folder is left alone with one log line. Junk and ignored names
        are left alone.
        """
        kind = self.inbox.kind(path)
        if kind == "folder":
            now = self.clock()
            for inner in self.inbox.candidates(path):
                self._tracker.observe(inner, now)
            return
        if kind != "file":
            return
        try:
            job = self.inbox.read(path, self.settings.max_file_bytes)
        except RejectedFileError as exc:
            self._reject(path, exc)
            return
        try:
            claimed = self.inbox.move(path, self.inbox.processing)
        except FileNotFoundError:
            return
        self._dispatch(job, claimed)

    def _dispatch(self, job: ArticleJob, path: Path, *, force: bool = False) -> None:
        job_id = job.job_id
        if job_id in self._in_flight:
            self._in_flight[job_id].append(path)
            self.counters.duplicates += 1
            self.redis.hincrby(self.keys.stats, "duplicates", 1)
            log.info("duplicate_waits", job_id=job_id, filename=path.name)
            return
        if self.redis.exists(self.keys.published(job_id)):
            self._settle_done(job_id, [path], duplicate=not force)
            return
        failure = self._stored_failure(job_id)
        if failure is not None and force:
            # a restart found a file whose failure was recorded but not yet settled
            self._settle_failed(job_id, [path], failure)
            return
        self._in_flight[job_id] = [path]
        pipe = self.redis.pipeline()
        if failure is not None:
            # dropped again after failing (say, moved back from failed/ after a fix): retry
            pipe.delete(self.keys.failed(job_id), self.keys.deliveries(job_id))
            pipe.hdel(self.keys.job(job_id), "failure")
            log.info("retrying_failed_job", job_id=job_id, previous=failure.reason)
        pipe.hset(
            self.keys.job(job_id),
            mapping={
                "state": "queued",
                "filename": job.source.filename,
                "queued_at": datetime.now(UTC).isoformat(),
                "queued_ts": f"{time.time():.3f}",
            },
        )
        pipe.sadd(self.keys.inflight, job_id)
        if not force:
            pipe.hincrby(self.keys.stats, "queued", 1)
        pipe.execute()
        self.counters.queued += 1
        self._send(job)

    def _send(self, job: ArticleJob) -> None:
        try:
            self.enqueue(job)
        except Exception as exc:
            log.warning("enqueue_failed", job_id=job.job_id, error=str(exc))
            self._unsent[job.job_id] = job
            return
        self._unsent.pop(job.job_id, None)
        log.info("queued", job_id=job.job_id, filename=job.source.filename, size=job.source.size)

    def _resend(self) -> None:
        for job in list(self._unsent.values()):
            self._send(job)

    def _reject(self, path: Path, exc: RejectedFileError) -> None:
        name = self.inbox.display_name(path)
        record = FailureRecord(
            filename=name,
            stage="ingest",
            error=type(exc).__name__.removesuffix("Error") or "Rejected",
            reason=str(exc),
            failed_at=datetime.now(UTC),
        )
        try:
            self.inbox.fail(path, record)
        except FileNotFoundError:
            return
        self.counters.failed += 1
        pipe = self.redis.pipeline()
        pipe.hincrby(self.keys.stats, "failed", 1)
        pipe.xadd(
            self.keys.failures,
            {"job_id": "", "failure": record.model_dump_json()},
            maxlen=self.settings.results_stream_maxlen,
            approximate=True,
        )
        pipe.execute()
        log.warning("rejected", filename=name, path=self.inbox.relative_path(path), reason=str(exc))

    # -- settling --------------------------------------------------------------------------

    def settle_outcomes(self, *, block_ms: int | None, pending: bool = False) -> None:
        """Read result and failure entries and move their files out of processing/."""
        start = "0" if pending else ">"
        streams = {self.keys.results: start, self.keys.failures: start}
        replies: Any = self.redis.xreadgroup(
            INGEST_GROUP,
            self.settings.consumer_name,
            streams,  # type: ignore[arg-type]
            count=500,
            block=block_ms,
        )
        for raw_stream, entries in replies or []:
            stream = raw_stream.decode() if isinstance(raw_stream, bytes) else raw_stream
            for entry_id, fields in entries:
                self._settle_entry(stream, fields)
                self.redis.xack(stream, INGEST_GROUP, entry_id)

    def _settle_entry(self, stream: str, fields: dict[bytes, bytes]) -> None:
        job_id = fields.get(b"job_id", b"").decode()
        paths = self._in_flight.pop(job_id, None)
        if not paths:
            return
        if stream == self.keys.results:
            self._settle_done(job_id, paths)
        else:
            record = FailureRecord.model_validate_json(fields[b"failure"])
            self._settle_failed(job_id, paths, record)

    def reconcile(self) -> None:
        """Settle in-flight jobs whose stream entry was missed (trimmed, or read before), and
        send again jobs whose attempt started too long ago to still be running."""
        for job_id in list(self._in_flight):
            if self.redis.exists(self.keys.published(job_id)):
                self._settle_done(job_id, self._in_flight.pop(job_id))
                continue
            failure = self._stored_failure(job_id)
            if failure is not None:
                self._settle_failed(job_id, self._in_flight.pop(job_id), failure)
                continue
            self._requeue_if_lost(job_id)

    def _requeue_if_lost(self, job_id: str) -> None:
        """A job whose attempt started more than ``lost_after_seconds`` ago without a result
        or failure lost its message (a worker killed outright, Redis restarted mid-job):
        Redis would only hand it out again after its visibility timeout, so send it again.
        Publication is idempotent, so a slow job that was not lost costs a duplicate run,
        never a duplicate result."""
        started, queued = self.redis.hmget(self.keys.job(job_id), ["started_at", "queued_ts"])
        if started:
            since = float(started)
        elif queued and self.redis.llen(self.settings.queue) == 0:
            since = float(queued)  # never started, yet nothing is waiting: the message is gone
        else:
            return
        if time.time() - since < self.settings.lost_after_seconds:
            return
        paths = [p for p in self._in_flight[job_id] if p.exists()]
        if not paths:
            return
        try:
            job = read_job(paths[0], max_bytes=self.settings.max_file_bytes)
        except RejectedFileError:
            return
        self.redis.hdel(self.keys.job(job_id), "started_at")
        self.redis.hset(self.keys.job(job_id), "queued_ts", f"{time.time():.3f}")
        log.warning("job_lost_requeued", job_id=job_id, since=since)
        self.counters.requeued += 1
        self._send(job)

    def _stored_failure(self, job_id: str) -> FailureRecord | None:
        raw = self.redis.hget(self.keys.job(job_id), "failure")
        return FailureRecord.model_validate_json(raw) if raw else None

    def _settle_done(self, job_id: str, paths: list[Path], *, duplicate: bool = False) -> None:
        for path in paths:
            if path.exists():
                self.inbox.move(path, self.inbox.done)
        self.counters.done += 1
        if duplicate:
            self.counters.duplicates += 1
            self.redis.hincrby(self.keys.stats, "duplicates", 1)
        log.info("done", job_id=job_id, files=[p.name for p in paths], duplicate=duplicate)

    def _settle_failed(self, job_id: str, paths: list[Path], record: FailureRecord) -> None:
        for path in paths:
            if path.exists():
                self.inbox.fail(path, record.model_copy(update={"filename": path.name}))
        self.counters.failed += 1
        log.warning("failed", job_id=job_id, files=[p.name for p in paths], reason=record.reason)

    # -- liveness --------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        beat = self.settings.heartbeat_file
        try:
            beat.parent.mkdir(parents=True, exist_ok=True)
            beat.touch()
        except OSError as exc:
            log.warning("heartbeat_failed", path=str(beat), error=str(exc))
        self.redis.set(self.keys.ingest_alive, json.dumps({"at": time.time()}), ex=60)

    @property
    def in_flight(self) -> dict[str, list[Path]]:
        """Job ids queued by this process and the files waiting on each."""
        return self._in_flight
