"""The enrichment workers' Prometheus metrics.

Built on first use, not at import: a worker's main process must switch ``prometheus_client``
to multiprocess mode (:func:`newswire_shared.metrics.use_multiprocess_dir`) before it is
imported, so that the pool processes' values are added up. Outside a worker (``newswire
enrich``, tests) they simply live in the default registry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from newswire_enrich import __version__
from newswire_shared.metrics import (
    failures,
    process_exited,
    start_metrics_server,
    use_multiprocess_dir,
)
from newswire_shared.schemas import StepTiming

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

#: Seconds, from a few milliseconds (a short article's step) to the longest task time limit.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
LATENCY_BUCKETS = (0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


@dataclass(frozen=True)
class WorkerMetrics:
    """The metric objects of a worker process."""

    jobs: Counter
    failures: Counter
    job_seconds: Histogram
    step_seconds: Histogram
    drop_to_result: Histogram
    model_load_seconds: Gauge
    model_loads: Counter


@cache
def worker_metrics() -> WorkerMetrics:
    """Return the worker's metrics, created (and registered) on the first call."""
    from prometheus_client import Counter, Gauge, Histogram

    return WorkerMetrics(
        jobs=Counter(
            "newswire_jobs",
            "Job deliveries handled by workers, by outcome: published, duplicate (published "
            "before), failed, retried (a transient error; tried again later), revised (a new "
            "revision from newswire reprocess published).",
            ["outcome"],
        ),
        failures=failures(),
        job_seconds=Histogram(
            "newswire_job_seconds", "Time a worker spent on one job delivery.", buckets=STEP_BUCKETS
        ),
        step_seconds=Histogram(
            "newswire_step_seconds",
            "Time of each pipeline step (clean, nlp, entities, quotes) per article.",
            ["step"],
            buckets=STEP_BUCKETS,
        ),
        drop_to_result=Histogram(
            "newswire_drop_to_result_seconds",
            "From ingest reading a file (source.received_at) to its result being published.",
            buckets=LATENCY_BUCKETS,
        ),
        model_load_seconds=Gauge(
            "newswire_model_load_seconds",
            "How long the latest spaCy model load of a live worker process took.",
            ["model"],
            multiprocess_mode="livemostrecent",
        ),
        model_loads=Counter(
            "newswire_model_loads", "spaCy model loads (one per pool process).", ["model"]
        ),
    )


def job_done(outcome: str, started: float, timings: Iterable[StepTiming] = ()) -> None:
    """Count one delivery ending with `outcome` (begun at ``perf_counter()`` `started`)."""
    metrics = worker_metrics()
    metrics.jobs.labels(outcome).inc()
    metrics.job_seconds.observe(time.perf_counter() - started)
    for timing in timings:
        metrics.step_seconds.labels(timing.step).observe(timing.seconds)


def published(received_at: datetime, now: float | None = None) -> None:
    """Observe the drop-to-result latency of a result published now."""
    now = time.time() if now is None else now
    worker_metrics().drop_to_result.observe(max(0.0, now - received_at.timestamp()))


def failed(stage: str, error: str) -> None:
    """Count one failure record."""
    worker_metrics().failures.labels(stage, error).inc()


def model_loaded(model: str, seconds: float) -> None:
    """Record one model load."""
    metrics = worker_metrics()
    metrics.model_load_seconds.labels(model).set(seconds)
    metrics.model_loads.labels(model).inc()


def serve(host: str, port: int) -> Any | None:
    """Serve the metrics of this worker and its pool processes, added up; port 0: none.

    Call in the worker's main process first thing: before ``prometheus_client`` is imported
    (multiprocess mode), before the model loads and before the pool forks.
    """
    if port == 0:
        return None
    from celery.signals import worker_process_shutdown

    use_multiprocess_dir()
    worker_process_shutdown.connect(_process_shutdown, weak=False)
    return start_metrics_server(host, port, service="enrich", version=__version__)


def _process_shutdown(pid: int | None = None, **_: Any) -> None:
    """A pool process exits: its live gauges go with it."""
    process_exited(pid or os.getpid())
