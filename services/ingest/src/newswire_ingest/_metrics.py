"""The ingest service's Prometheus metrics (one process: the default registry).

Files are counted as ingest moves them out of the inbox; the queue gauges are read from the
broker at most every :data:`REFRESH_SECONDS` (one cheap Redis round trip).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Gauge

from newswire_ingest._broker import BrokerView
from newswire_shared.metrics import failures

REFRESH_SECONDS = 2.0

FILES = Counter(
    "newswire_files",
    "Files moved out of the inbox, by outcome: done (a new result), duplicate (to done/ with "
    "the result of the same content), failed (to failed/).",
    ["outcome"],
)
QUEUE_DEPTH = Gauge(
    "newswire_queue_depth", "Messages waiting in the enrichment queue (jobs not yet taken)."
)
JOBS_RUNNING = Gauge(
    "newswire_jobs_running",
    "Messages taken by workers and not acknowledged yet (running, or held for a retry).",
)
JOBS_IN_FLIGHT = Gauge("newswire_jobs_in_flight", "Jobs queued by this ingest and not settled yet.")
EVENTS_DROPPED = Counter(
    "newswire_inbox_events_dropped",
    "Times the kernel dropped the inbox's file events (its queue overflowed); each time ingest "
    "rescans the whole inbox.",
)


def events_dropped() -> None:
    """Count one overflow of the kernel's event queue (ingest rescans)."""
    EVENTS_DROPPED.inc()


def settled_done(files: int, *, duplicate: bool) -> None:
    """Count `files` moved to done/ together: the first is the job's own file, the others (or
    all, if the content was published before) are duplicates."""
    if files <= 0:
        return
    first = 0 if duplicate else 1
    if first:
        FILES.labels("done").inc()
    if files - first:
        FILES.labels("duplicate").inc(files - first)


def settled_failed(files: int) -> None:
    """Count `files` moved to failed/ because their job failed (the worker counted why)."""
    if files > 0:
        FILES.labels("failed").inc(files)


def rejected(error: str) -> None:
    """Count one file failed by ingest itself (empty, binary, too large, a link, ...)."""
    FILES.labels("failed").inc()
    failures().labels("ingest", error).inc()


@dataclass
class QueueGauges:
    """Refreshes the queue gauges, at most every `every` seconds."""

    broker: BrokerView
    every: float = REFRESH_SECONDS
    _last: float = float("-inf")

    def refresh(self, now: float, in_flight: int) -> bool:
        """Read the broker if `every` seconds passed since the last read; True if it did."""
        if now - self._last < self.every:
            return False
        self._last = now
        QUEUE_DEPTH.set(self.broker.waiting())
        JOBS_RUNNING.set(self.broker.unacked_count())
        JOBS_IN_FLIGHT.set(in_flight)
        return True
