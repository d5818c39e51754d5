"""The ingest loop: claim finished files, queue their jobs, settle them when results arrive.

One iteration of :meth:`IngestService.tick`:

1. paths from native events (and, every ``rescan_seconds``, a full rescan) are observed;
2. files unchanged for ``stable_seconds`` (``settle_seconds`` for a file announced complete
   by its events: closed after writing or renamed in) are read, moved to ``processing/`` and
   queued (bad files go to ``failed/`` at once with the reason);
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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import redis

from newswire_ingest import _metrics
from newswire_ingest._broker import BrokerView
from newswire_ingest.inbox import Inbox
from newswire_ingest.settings import IngestSettings
from newswire_ingest.stability import StabilityTracker
from newswire_ingest.watch import InboxWatcher
from newswire_shared.errors import RejectedFileError
from newswire_shared.keys import INGEST_GROUP, RedisKeys
from newswire_shared.logs import get_logger
from newswire_shared.name_index import record_names
from newswire_shared.queueing import time_limits_for
from newswire_shared.redis_conn import auth_error, is_auth_error, is_redis_away, wait_for_redis
from newswire_shared.schemas import ArticleJob, FailureRecord

log = get_logger(__name__)

Enqueue = Callable[[ArticleJob], None]

_BATCH = 500  # messages sent per Redis round trip at most
#: Files claimed per round: read, moved, recorded and sent before the next ones are read, so
#: that the first messages of a burst reach the workers after a tenth of a second, not after
#: thousands of files; a round costs two Redis round trips whatever its size. A round also
#: ends once it has read _CLAIM_BYTES (memory).
_CLAIM_BATCH = 128
_CLAIM_BYTES = 8_000_000
_SEND_CHARS = 8_000_000  # at most this much article text in one batch of messages


#: Records a batch of claimed jobs in one step. KEYS: the in-flight set, the stats hash, then
#: for each job its published marker, job hash, failed marker and delivery counter. ARGV:
#: queued-at (ISO), queued-at (epoch), files joining a job; then each job's id and file
#: name. A job published before is left alone; any other is recorded queued (a failure
#: recorded before is cleared: the file is being retried). Returns, for each job, 1 if it
#: was published before (else 0) and the failure recorded before (or nil).
_RECORD_CLAIMS = """
local fresh = 0
local out = {}
for i = 0, (#KEYS - 2) / 4 - 1 do
    local published, job = KEYS[3 + 4 * i], KEYS[4 + 4 * i]
    if redis.call('EXISTS', published) == 1 then
        out[#out + 1] = 1
        out[#out + 1] = false
    else
        local failure = redis.call('HGET', job, 'failure')
        if failure then
            redis.call('DEL', KEYS[5 + 4 * i], KEYS[6 + 4 * i])
            redis.call('HDEL', job, 'failure')
        end
        redis.call('HSET', job, 'state', 'queued', 'filename', ARGV[5 + 2 * i],
                   'queued_at', ARGV[1], 'queued_ts', ARGV[2])
        redis.call('SADD', KEYS[1], ARGV[4 + 2 * i])
        fresh = fresh + 1
        out[#out + 1] = 0
        out[#out + 1] = failure
    end
end
if fresh > 0 then redis.call('HINCRBY', KEYS[2], 'queued', fresh) end
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[2], 'duplicates', ARGV[3]) end
return out
"""


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
    # a context whose enqueue calls go out together (one Redis round trip) when it exits; it
    # raises if they did not (cli.build_service: newswire_ingest._bulk_send.BulkSender)
    sending: Callable[[], AbstractContextManager[object]] = nullcontext
    clock: _Clock = time.monotonic
    wall_clock: _Clock = time.time
    counters: Counters = field(default_factory=Counters)

    def __post_init__(self) -> None:
        self.inbox = Inbox(
            self.settings.inbox, recursive=self.settings.recursive, ignore=self.settings.ignore
        )
        self.keys = RedisKeys(self.settings.key_prefix)
        self._tracker = StabilityTracker(self.settings.stable_seconds, self.settings.settle_seconds)
        self._in_flight: dict[str, list[Path]] = {}
        self._unsent: dict[str, ArticleJob] = {}
        self._sent_at: dict[str, float] = {}
        self._patience: dict[str, float] = {}
        self._refreshing: dict[str, float] = {}
        self._last_rescan = float("-inf")
        self._last_check = float("-inf")
        self._after_outage = False
        self._backoff = 0.5
        self.broker = BrokerView(self.redis, self.settings.queue)
        self._gauges = _metrics.QueueGauges(self.broker)
        # lost jobs are looked for often enough to be re-sent soon after lost_after_seconds
        self._check_seconds = min(
            self.settings.rescan_seconds, max(1.0, self.settings.lost_after_seconds / 4)
        )

    # -- start-up --------------------------------------------------------------------------

    def startup(self) -> None:
        """Create folders and consumer groups, then take over what processing/ holds.

        A file left in processing/ by an earlier run is settled if its job has an outcome,
        followed if its job still has a live message (waiting in the queue or taken by a
        worker), and sent again only if it has neither: a restart adds no redundant messages.
        """
        self.inbox.create()
        for stream in (self.keys.results, self.keys.failures):
            try:
                self.redis.xgroup_create(stream, INGEST_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        recovered = self.recover_processing()
        if recovered:
            log.info("recovered_processing", files=recovered, requeued=self.counters.requeued)
        self.settle_outcomes(block_ms=None, pending=True)

    def recover_processing(self) -> int:
        """Take over files in processing/ that this process does not follow; return how many.

        Runs at start-up, after every Redis outage (a claim may have stopped between the move
        and the job's record) and at each rescan.
        """
        followed = {path for paths in self._in_flight.values() for path in paths}
        orphans = [p for p in self.inbox.in_processing() if p not in followed]
        if not orphans:
            return 0
        live = self._live_jobs()
        for path in orphans:
            self._recover(path, live)
        return len(orphans)

    def _live_jobs(self) -> set[str]:
        """Job ids with a message waiting in the queue or taken by a worker."""
        return self.broker.waiting_job_ids() | {u.job_id for u in self.broker.unacked()}

    def _recover(self, path: Path, live: set[str]) -> None:
        try:
            job = self.inbox.read(path, self.settings.max_file_bytes)
        except RejectedFileError as exc:
            self._reject(path, exc)
            return
        self._dispatch(job, path, recovered=True, live=job.job_id in live)

    # -- the loop --------------------------------------------------------------------------

    def run(self, stop: threading.Event, watcher: InboxWatcher | None = None) -> None:
        """Run until `stop` is set; Redis outages are waited out, never fatal.

        Raises :class:`~newswire_shared.redis_conn.RedisAuthError` when Redis refuses our
        credentials (retrying cannot help).
        """
        if not self._start(stop):
            return
        if watcher is not None:
            watcher.start()
        log.info("ingest_started", inbox=str(self.inbox.root), polling=self.settings.polling)
        try:
            while not stop.is_set():
                try:
                    if self._after_outage:
                        self.recover_processing()
                        self._after_outage = False
                    self.tick(watcher)
                    self._backoff = 0.5
                except redis.RedisError as exc:
                    if not (is_redis_away(exc) or is_auth_error(exc)):
                        raise
                    self._outage(exc, stop)
                if watcher is not None and not watcher.alive():
                    raise RuntimeError("the inbox watcher stopped (inbox gone, or it failed)")
        finally:
            if watcher is not None:
                watcher.stop()
            log.info("ingest_stopped", **vars(self.counters))

    def _start(self, stop: threading.Event) -> bool:
        """Run :meth:`startup` once Redis answers; False if stopped while waiting."""
        while not stop.is_set():
            if not wait_for_redis(self.redis, stop=stop, what="ingest", log=log):
                return False
            try:
                self.startup()
            except redis.RedisError as exc:
                if not (is_redis_away(exc) or is_auth_error(exc)):
                    raise
                self._outage(exc, stop)
                continue
            return True
        return False

    def _outage(self, exc: Exception, stop: threading.Event) -> None:
        """Log one line for a Redis error, back off and wait for Redis (auth errors are fatal).

        Whatever a claim had moved into processing/ without recording its job is taken over
        by :meth:`recover_processing` on the next round.
        """
        if is_auth_error(exc):
            raise auth_error(self.redis, exc, "ingest") from None
        log.warning(
            "redis_error",
            error=" ".join(str(exc).split()) or type(exc).__name__,
            retry_in=self._backoff,
        )
        self._after_outage = True
        self.redis.connection_pool.disconnect()
        stop.wait(self._backoff)
        self._backoff = min(self._backoff * 2, 30.0)
        wait_for_redis(self.redis, stop=stop, what="ingest", log=log)

    def tick(self, watcher: InboxWatcher | None = None) -> None:
        """Do one round of observing, claiming, settling and heart-beating."""
        now = self.clock()
        events_dropped = False
        if watcher is not None:
            for path, heard in watcher.drain().items():
                self._tracker.observe(path, now, heard.signal, heard=now - heard.age)
            events_dropped = watcher.overflowed()
        if now - self._last_rescan >= self.settings.rescan_seconds or watcher is None:
            self.rescan(now)
        if events_dropped:  # the kernel's event queue overflowed: look at everything now
            log.warning("rescan_after_dropped_events")
            _metrics.events_dropped()
            if now != self._last_rescan:
                self.rescan(now)
        ready = list(self._tracker.ready(now))
        for start in range(0, len(ready), _CLAIM_BATCH):
            batch = ready[start : start + _CLAIM_BATCH]
            for path in batch:
                self._tracker.forget(path)
            self.claim_many(batch)
        self._resend()
        if now - self._last_check >= self._check_seconds:
            self._last_check = now
            self.reconcile()
        self._settle_refreshed()
        block_ms = self._block_ms(now, native=watcher is not None)
        if watcher is None:
            self.settle_outcomes(block_ms=block_ms)
        else:
            # wait here, not in Redis: a new file ends the wait at once and a due one on
            # time (Redis ends a blocking read on its next cron tick, up to 100 ms late)
            watcher.wait(block_ms / 1000)
            self.settle_outcomes(block_ms=None)
        self._gauges.refresh(self.clock(), len(self._in_flight))
        self._heartbeat()

    def _block_ms(self, now: float, *, native: bool) -> int:
        """How long this tick waits (on the watcher, which a new file wakes; without one, in
        Redis for outcomes): a tick, or less when a file is due sooner; with native events
        at most the settle period."""
        wait = self.settings.tick_seconds
        if native and not self.settings.polling:
            wait = min(wait, self._tracker.settle)
        due = self._tracker.next_due()
        if due is not None:
            wait = min(wait, max(due - now, 0.01))
        return max(1, int(wait * 1000))

    def rescan(self, now: float) -> None:
        """Observe every file in the inbox and take over anything left in processing/."""
        self._last_rescan = now
        for path in self.inbox.candidates():
            self._tracker.observe(path, now)
        self.recover_processing()

    # -- claiming --------------------------------------------------------------------------

    def claim(self, path: Path) -> None:
        """Claim one finished file (see :meth:`claim_many`)."""
        self.claim_many([path])

    def claim_many(self, paths: list[Path]) -> None:
        """Read finished files, then queue them or fail them; never raises for a bad file.

        Each file is read and moved to processing/; then one Redis round trip looks up what
        is known of the batch's jobs, one records them, and their messages are sent together.
        A Redis error on the way leaves the unrecorded files in processing/ for
        :meth:`recover_processing`.

        Only regular files are read (never through a link, never blocking): links, FIFOs,
        sockets and devices go to failed/ unread. A folder's files are observed in recursive
        mode; otherwise the folder is left alone with one log line. Junk and ignored names
        are left alone.
        """
        claimed: list[tuple[ArticleJob, Path]] = []
        size = 0
        for path in paths:
            kind = self.inbox.kind(path)
            if kind == "folder":
                now = self.clock()
                for inner in self.inbox.candidates(path):
                    self._tracker.observe(inner, now)
                continue
            if kind != "file":
                continue
            try:
                job = self.inbox.read(path, self.settings.max_file_bytes)
            except RejectedFileError as exc:
                self._reject(path, exc)
                continue
            try:
                claimed.append((job, self.inbox.move(path, self.inbox.processing)))
            except FileNotFoundError:
                continue
            size += job.source.size
            if size >= _CLAIM_BYTES:
                self._dispatch_many(claimed)
                claimed, size = [], 0
        if claimed:
            self._dispatch_many(claimed)

    def _dispatch_many(self, claimed: list[tuple[ArticleJob, Path]]) -> None:
        """Follow newly claimed files under their jobs, as :meth:`_dispatch` does one file:
        join a job in flight (or an earlier file of the batch), refresh content published
        before, retry content failed before, queue the rest.

        One Redis round trip records the batch (:data:`_RECORD_CLAIMS`, atomic with the names
        of its files): what is known of each job is read and the new ones recorded queued in
        the same step. Only then are the files followed and the messages sent; a Redis error
        before leaves the files in processing/ to :meth:`recover_processing`.
        """
        firsts: dict[str, ArticleJob] = {}
        joining: list[tuple[str, Path]] = []  # files joining a job in flight or of the batch
        for job, path in claimed:
            if job.job_id in self._in_flight or job.job_id in firsts:
                joining.append((job.job_id, path))
            else:
                firsts[job.job_id] = job
        paths = {job.job_id: path for job, path in reversed(claimed)}  # each job's first file
        now = self.wall_clock()
        keys = [self.keys.inflight, self.keys.stats]
        args: list[str | int] = [_iso(now), f"{now:.3f}", len(joining)]
        for job_id, job in firsts.items():
            keys += [
                self.keys.published(job_id),
                self.keys.job(job_id),
                self.keys.failed(job_id),
                self.keys.deliveries(job_id),
            ]
            args += [job_id, job.source.filename]
        pipe = self.redis.pipeline()  # names are recorded for every file, published or not
        pipe.eval(_RECORD_CLAIMS, len(keys), *keys, *args)
        record_names(pipe, self.keys, [job for job, _ in claimed], now)
        known = pipe.execute()[0]
        fresh: list[ArticleJob] = []
        for (job_id, job), published, failure in zip(
            firsts.items(), known[0::2], known[1::2], strict=True
        ):
            if published:
                self._refresh(job, paths[job_id])
                continue
            if failure:
                previous = FailureRecord.model_validate_json(failure).reason
                log.info("retrying_failed_job", job_id=job_id, previous=previous)
            fresh.append(job)
            self._in_flight[job_id] = [paths[job_id]]
        for job_id, path in joining:
            self._in_flight[job_id].append(path)
            self.counters.duplicates += 1
            log.info("duplicate_waits", job_id=job_id, filename=self.inbox.display_name(path))
        self.counters.queued += len(fresh)
        self._send_many(fresh)

    def _dispatch(
        self, job: ArticleJob, path: Path, *, recovered: bool = False, live: bool = False
    ) -> None:
        """Follow `path` under its job: settle it at once, join the job in flight, or queue it.

        `recovered`: the file was found in processing/ (a restart, an outage); `live`: its job
        still has a message in the broker, so no other is sent.
        """
        job_id = job.job_id
        if job_id in self._in_flight:
            self._in_flight[job_id].append(path)
            if not recovered:
                self.counters.duplicates += 1
                self.redis.hincrby(self.keys.stats, "duplicates", 1)
            log.info("duplicate_waits", job_id=job_id, filename=self.inbox.display_name(path))
            return
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(self.keys.published(job_id))
        pipe.hget(self.keys.job(job_id), "failure")
        published, raw_failure = pipe.execute()
        if published:
            if recovered:
                self._settle_done(job_id, [path])
            else:
                self._refresh(job, path)
            return
        failure = FailureRecord.model_validate_json(raw_failure) if raw_failure else None
        if failure is not None and recovered:
            # a restart found a file whose failure was recorded but not yet settled
            self._settle_failed(job_id, [path], failure)
            return
        pipe = self.redis.pipeline()
        if failure is not None:
            # dropped again after failing (say, moved back from failed/ after a fix): retry
            pipe.delete(self.keys.failed(job_id), self.keys.deliveries(job_id))
            pipe.hdel(self.keys.job(job_id), "failure")
            log.info("retrying_failed_job", job_id=job_id, previous=failure.reason)
        key = self.keys.job(job_id)
        pipe.hset(key, mapping={"state": "queued", "filename": job.source.filename})
        record_names(pipe, self.keys, [job], self.wall_clock())
        if not live:
            now = self.wall_clock()
            pipe.hset(key, mapping={"queued_at": _iso(now), "queued_ts": f"{now:.3f}"})
        pipe.sadd(self.keys.inflight, job_id)
        if not recovered:
            pipe.hincrby(self.keys.stats, "queued", 1)
        pipe.execute()
        # followed only once recorded: a Redis error before leaves the file to recover_processing
        self._in_flight[job_id] = [path]
        if live:
            return
        if recovered:
            self.counters.requeued += 1
        else:
            self.counters.queued += 1
        self._send(job)

    def _refresh(self, job: ArticleJob, path: Path) -> None:
        """A file whose content was published before: a worker makes sure the results folder
        in use has its result (written again if missing), then the file goes to done/."""
        job_id = job.job_id
        self.redis.hdel(self.keys.job(job_id), "refreshed_at")
        self._in_flight[job_id] = [path]
        self._refreshing[job_id] = self.wall_clock()
        log.info("published_before", job_id=job_id, filename=self.inbox.display_name(path))
        self._send(job)

    def _send(self, job: ArticleJob) -> None:
        self._send_many([job])

    def _send_many(self, jobs: list[ArticleJob]) -> None:
        """Send the messages of `jobs`, a batch at a time in one `sending` context (one Redis
        round trip per batch). A job counts as sent only once its batch went out; the others
        stay in ``_unsent`` and are sent again by :meth:`_resend`."""
        batch: list[ArticleJob] = []
        chars = 0
        for job in jobs:
            if batch and (len(batch) >= _BATCH or chars + len(job.text) > _SEND_CHARS):
                self._send_batch(batch)
                batch, chars = [], 0
            batch.append(job)
            chars += len(job.text)
        if batch:
            self._send_batch(batch)

    def _send_batch(self, jobs: list[ArticleJob]) -> None:
        failed: set[str] = set()
        try:
            with self.sending():
                for job in jobs:
                    self._sent_at[job.job_id] = self.wall_clock()
                    limits = time_limits_for(len(job.text))
                    if limits:  # a long article: its attempt may outlast lost_after_seconds
                        self._patience[job.job_id] = max(
                            self.settings.lost_after_seconds, limits[0] + 60.0
                        )
                    try:
                        self.enqueue(job)
                    except Exception as exc:
                        self._keep_unsent(job, exc)
                        failed.add(job.job_id)
        except Exception as exc:  # the batch did not go out: none of it counts as sent
            for job in jobs:
                if job.job_id not in failed:
                    self._keep_unsent(job, exc)
            return
        for job in jobs:
            if job.job_id in failed:
                continue
            self._unsent.pop(job.job_id, None)
            log.info(
                "queued", job_id=job.job_id, filename=job.source.filename, size=job.source.size
            )

    def _keep_unsent(self, job: ArticleJob, exc: Exception) -> None:
        log.warning("enqueue_failed", job_id=job.job_id, error=str(exc))
        self._unsent[job.job_id] = job

    def _resend(self) -> None:
        if self._unsent:
            self._send_many(list(self._unsent.values()))

    def _reject(self, path: Path, exc: RejectedFileError) -> None:
        name = self.inbox.display_name(path)
        record = FailureRecord(
            filename=name,
            path=self.inbox.relative_path(path),
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
        _metrics.rejected(record.error)
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
        """Settle in-flight jobs whose stream entry was missed (trimmed, or read before), send
        again the jobs whose message is lost, and drop stale broker entries.

        A job is lost when it has no outcome, no message waiting in the queue, no message a
        worker took less than ``lost_after_seconds`` ago, and nothing happened to it (queued,
        sent, started) for that long: its worker was killed outright, or Redis lost the message
        in a restart. Redis would hand a taken message out again only after its one-hour
        visibility timeout; the job is sent again instead and the stale entry dropped.
        Publication is idempotent, so a job wrongly taken for lost costs a second run, never a
        second result.
        """
        ids = list(self._in_flight)
        pipe = self.redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.exists(self.keys.published(job_id))
            pipe.hmget(self.keys.job(job_id), ["failure", "started_at", "queued_ts"])
        replies = pipe.execute() if ids else []
        now = self.wall_clock()
        idle: list[str] = []
        for job_id, published, (failure, started, queued) in zip(
            ids, replies[0::2], replies[1::2], strict=True
        ):
            if job_id not in self._refreshing:
                if published:
                    self._settle_done(job_id, self._in_flight.pop(job_id))
                    continue
                if failure:
                    record = FailureRecord.model_validate_json(failure)
                    self._settle_failed(job_id, self._in_flight.pop(job_id), record)
                    continue
            last = max(float(started or 0), float(queued or 0), self._sent_at.get(job_id, 0.0))
            patience = self._patience.get(job_id, self.settings.lost_after_seconds)
            if now - last >= patience:
                idle.append(job_id)
        self._sweep_broker(idle, now)

    def _sweep_broker(self, idle: list[str], now: float) -> None:
        """Re-send the idle jobs that have no live message; drop unacked entries nobody will
        acknowledge (of lost jobs, and of settled jobs taken long ago)."""
        # the queue is read before the unacked entries: a message moves from the first to the
        # second, so one taken meanwhile is seen in one of them
        waiting = self.broker.waiting_job_ids() if idle else set()
        unacked = self.broker.unacked()
        limit = self.settings.lost_after_seconds
        taken = {
            u.job_id for u in unacked if now - u.taken_at < self._patience.get(u.job_id, limit)
        }
        lost = [job_id for job_id in idle if job_id not in waiting and job_id not in taken]
        if lost:
            # a job may have finished (published, then acknowledged) while the broker was read
            pipe = self.redis.pipeline(transaction=False)
            for job_id in lost:
                pipe.exists(self.keys.published(job_id), self.keys.failed(job_id))
            lost = [job_id for job_id, n in zip(lost, pipe.execute(), strict=True) if not n]
        old = [u for u in unacked if now - u.taken_at >= limit and u.job_id not in self._in_flight]
        pipe = self.redis.pipeline(transaction=False)
        for entry in old:
            pipe.exists(self.keys.published(entry.job_id), self.keys.failed(entry.job_id))
        settled = {e.job_id for e, n in zip(old, pipe.execute() if old else [], strict=True) if n}
        stale = [u.tag for u in unacked if u.job_id in settled or u.job_id in lost]
        if stale:
            self.broker.drop_unacked(stale)
            log.info("unacked_dropped", messages=len(stale))
        for job_id in lost:
            self._send_again(job_id)

    def _send_again(self, job_id: str) -> None:
        paths = [p for p in self._in_flight[job_id] if p.exists()]
        if not paths:
            log.warning("file_vanished", job_id=job_id)
            self._in_flight.pop(job_id)
            self._refreshing.pop(job_id, None)
            return
        try:
            job = self.inbox.read(paths[0], self.settings.max_file_bytes)
        except RejectedFileError as exc:
            log.warning("cannot_send_again", job_id=job_id, reason=str(exc))
            return
        pipe = self.redis.pipeline()
        pipe.hdel(self.keys.job(job_id), "started_at")
        pipe.hset(self.keys.job(job_id), "queued_ts", f"{self.wall_clock():.3f}")
        pipe.execute()
        log.warning("job_lost_requeued", job_id=job_id)
        self.counters.requeued += 1
        self._send(job)

    def _settle_refreshed(self) -> None:
        """Move re-dropped files to done/ once a worker has put their result in place."""
        if not self._refreshing:
            return
        ids = list(self._refreshing)
        pipe = self.redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hget(self.keys.job(job_id), "refreshed_at")
        for job_id, refreshed in zip(ids, pipe.execute(), strict=True):
            if refreshed:
                self._settle_done(job_id, self._in_flight.pop(job_id, []), duplicate=True)

    def _forget(self, job_id: str) -> None:
        self._sent_at.pop(job_id, None)
        self._patience.pop(job_id, None)
        self._refreshing.pop(job_id, None)
        self._unsent.pop(job_id, None)

    def _settle_done(self, job_id: str, paths: list[Path], *, duplicate: bool = False) -> None:
        self._forget(job_id)
        for path in paths:
            if path.exists():
                self.inbox.move(path, self.inbox.done)
        self.counters.done += 1
        _metrics.settled_done(len(paths), duplicate=duplicate)
        if duplicate:
            self.counters.duplicates += 1
            self.redis.hincrby(self.keys.stats, "duplicates", 1)
        log.info(
            "done",
            job_id=job_id,
            files=[self.inbox.display_name(p) for p in paths],
            duplicate=duplicate,
        )

    def _settle_failed(self, job_id: str, paths: list[Path], record: FailureRecord) -> None:
        self._forget(job_id)
        for path in paths:
            if path.exists():
                where = {
                    "filename": self.inbox.display_name(path),
                    "path": self.inbox.relative_path(path),
                }
                self.inbox.fail(path, record.model_copy(update=where))
        self.counters.failed += 1
        _metrics.settled_failed(len(paths))
        log.warning(
            "failed",
            job_id=job_id,
            files=[self.inbox.display_name(p) for p in paths],
            reason=record.reason,
        )

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


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()
