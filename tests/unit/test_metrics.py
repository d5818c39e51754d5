"""Prometheus metrics: what the job runner and ingest count, the queue gauges, the endpoint,
and the multiprocess mode that adds up forked pool processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from prometheus_client import REGISTRY

from newswire_enrich import _metrics as worker_metrics
from newswire_enrich.errors import EmptyArticleError, TransientError
from newswire_enrich.jobs import JobRunner, Retry
from newswire_enrich.publish import Publisher
from newswire_ingest import _metrics as ingest_metrics
from newswire_ingest._broker import BrokerView
from newswire_shared import metrics
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import (
    ArticleJob,
    EnrichedArticle,
    MediaType,
    PipelineInfo,
    StepTiming,
)

KEYS = RedisKeys("m")
STEPS = ("clean", "nlp", "entities", "quotes")


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TimedPipeline:
    """Enriches by copying the text, reporting a time for each step; raises queued errors."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        if self.errors:
            raise self.errors.pop(0)
        timings = [StepTiming(step=step, seconds=0.02) for step in STEPS]
        return EnrichedArticle(
            job_id=job.job_id, source=job.source, title=None, text=job.text,
            pipeline=PipelineInfo(newswire_version="test", timings=timings),
            enriched_at=datetime.now(UTC),
        )  # fmt: skip


def _runner(client: redis.Redis, tmp_path: Path, pipeline: TimedPipeline) -> JobRunner:
    return JobRunner(
        pipeline=pipeline, publisher=Publisher(client, KEYS, tmp_path / "results"),
        redis=client, keys=KEYS, max_retries=1, max_deliveries=3,
    )  # fmt: skip


def _payload(text: bytes) -> dict[str, object]:
    return job_from_bytes(text, "a.txt", MediaType.TEXT).model_dump(mode="json")


def test_published_and_duplicate_jobs_are_counted_with_step_times(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A published job counts once as published, observes each step's time and its
    drop-to-result latency; its redelivery counts as a duplicate without step times."""
    before = {s: _sample("newswire_step_seconds_count", step=s) for s in STEPS}
    published = _sample("newswire_jobs_total", outcome="published")
    duplicate = _sample("newswire_jobs_total", outcome="duplicate")
    latency = _sample("newswire_drop_to_result_seconds_count")
    runner = _runner(redis_client, tmp_path, TimedPipeline())
    payload = _payload(b"A counted article.")
    assert runner.run(payload).kind == "published"
    assert runner.run(payload).kind == "duplicate"
    assert _sample("newswire_jobs_total", outcome="published") == published + 1
    assert _sample("newswire_jobs_total", outcome="duplicate") == duplicate + 1
    assert _sample("newswire_drop_to_result_seconds_count") == latency + 1
    for step in STEPS:
        assert _sample("newswire_step_seconds_count", step=step) == before[step] + 1
    assert _sample("newswire_step_seconds_bucket", step="clean", le="0.025") >= 1


def test_failures_are_counted_by_stage_and_error(redis_client: redis.Redis, tmp_path: Path) -> None:
    """A bad-input job counts as failed and as an enrich failure named by its error; a
    transient error counts as retried, then as failed once retries are used up."""
    failed = _sample("newswire_jobs_total", outcome="failed")
    empty = _sample("newswire_failures_total", stage="enrich", error="EmptyArticle")
    retried = _sample("newswire_jobs_total", outcome="retried")
    runner = _runner(redis_client, tmp_path, TimedPipeline(EmptyArticleError("nothing")))
    assert runner.run(_payload(b"Bad input.")).kind == "failed"
    assert _sample("newswire_failures_total", stage="enrich", error="EmptyArticle") == empty + 1
    errors = TimedPipeline(TransientError("disk"), TransientError("disk"))
    runner = _runner(redis_client, tmp_path, errors)
    payload = _payload(b"Transient trouble.")
    with pytest.raises(Retry):
        runner.run(payload, retries=0)
    assert runner.run(payload, retries=1).kind == "failed"
    assert _sample("newswire_jobs_total", outcome="retried") == retried + 1
    assert _sample("newswire_jobs_total", outcome="failed") == failed + 2


def test_drop_to_result_latency_is_measured_from_received_at() -> None:
    """The latency observed is publication time minus the file's received_at."""
    total = _sample("newswire_drop_to_result_seconds_sum")
    received = datetime(2026, 1, 1, tzinfo=UTC)
    worker_metrics.published(received, now=(received + timedelta(seconds=42)).timestamp())
    assert _sample("newswire_drop_to_result_seconds_sum") == pytest.approx(total + 42)


def test_model_load_is_recorded() -> None:
    """A model load sets the load-time gauge of that model and counts the load."""
    loads = _sample("newswire_model_loads_total", model="m_test")
    worker_metrics.model_loaded("m_test", 3.5)
    assert _sample("newswire_model_load_seconds", model="m_test") == 3.5
    assert _sample("newswire_model_loads_total", model="m_test") == loads + 1


def test_ingest_counts_files_by_outcome() -> None:
    """Files settled together count one done and the rest as duplicates (all duplicates if
    published before); failed and rejected files count as failed, rejects by error."""
    done = _sample("newswire_files_total", outcome="done")
    dup = _sample("newswire_files_total", outcome="duplicate")
    failed = _sample("newswire_files_total", outcome="failed")
    rejects = _sample("newswire_failures_total", stage="ingest", error="FileTooLarge")
    ingest_metrics.settled_done(3, duplicate=False)
    ingest_metrics.settled_done(1, duplicate=True)
    ingest_metrics.settled_done(0, duplicate=False)
    ingest_metrics.settled_failed(2)
    ingest_metrics.rejected("FileTooLarge")
    assert _sample("newswire_files_total", outcome="done") == done + 1
    assert _sample("newswire_files_total", outcome="duplicate") == dup + 3
    assert _sample("newswire_files_total", outcome="failed") == failed + 3
    assert _sample("newswire_failures_total", stage="ingest", error="FileTooLarge") == rejects + 1


def test_queue_gauges_read_the_broker_at_most_every_few_seconds(
    redis_client: redis.Redis,
) -> None:
    """The gauges show waiting and unacknowledged messages and jobs in flight, and are not
    read again before `every` seconds have passed."""
    gauges = ingest_metrics.QueueGauges(BrokerView(redis_client, "q"), every=2.0)
    redis_client.rpush("q", "m1", "m2", "m3")
    redis_client.hset("unacked", mapping={"t1": "[]"})
    assert gauges.refresh(100.0, in_flight=4)
    assert _sample("newswire_queue_depth") == 3
    assert _sample("newswire_jobs_running") == 1
    assert _sample("newswire_jobs_in_flight") == 4
    redis_client.lpop("q")
    assert not gauges.refresh(101.0, in_flight=0)
    assert _sample("newswire_queue_depth") == 3
    assert gauges.refresh(102.0, in_flight=0)
    assert _sample("newswire_queue_depth") == 2
    assert _sample("newswire_jobs_in_flight") == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_metrics_server_serves_build_info_and_is_off_on_port_zero() -> None:
    """Port 0 starts nothing; a free port serves /metrics with build info; a busy port is
    a warning, not an exception."""
    assert metrics.start_metrics_server("127.0.0.1", 0, service="t", version="1") is None
    port = _free_port()
    server = metrics.start_metrics_server("127.0.0.1", port, service="t", version="1.2")
    assert server is not None
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as reply:
            text = reply.read().decode()
        assert 'newswire_build_info{python="' in text
        assert 'service="t",version="1.2"} 1.0' in text
        busy = metrics.start_metrics_server("127.0.0.1", port, service="t", version="1.2")
        assert busy is None
    finally:
        server.shutdown()
        server.server_close()


def test_multiprocess_mode_must_come_before_prometheus_client() -> None:
    """Switching to multiprocess mode after prometheus_client was imported is refused."""
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        metrics.use_multiprocess_dir()


_FORKED = textwrap.dedent(
    """
    import multiprocessing, os, sys
    from pathlib import Path
    from newswire_shared import metrics
    folder = metrics.use_multiprocess_dir()
    from newswire_enrich import _metrics
    _metrics.model_loaded("m", 2.0)  # in the parent, before the fork, like a worker
    def job(n):
        _metrics.job_done("published", 0.0)
        return os.getpid()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        pids = set(pool.map(job, range(6), chunksize=1))
    for pid in pids:
        metrics.process_exited(pid)
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    sys.stdout.write(generate_latest(registry).decode())
    children = [p for p in pids if (folder / f"counter_{p}.db").exists()]
    sys.stdout.write(f"CHILDREN {len(children)} {len(pids)}\\n")
    """
)


def test_forked_processes_are_added_up(tmp_path: Path) -> None:
    """In multiprocess mode, counts made in forked pool processes are added up by the
    collector the main process serves, and gauges set before the fork survive."""
    env_dir = tmp_path / "mp"
    proc = subprocess.run(
        [sys.executable, "-c", _FORKED],
        env={"PROMETHEUS_MULTIPROC_DIR": str(env_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert 'newswire_jobs_total{outcome="published"} 6.0' in proc.stdout
    assert "newswire_job_seconds_count 6.0" in proc.stdout
    assert 'newswire_model_load_seconds{model="m"} 2.0' in proc.stdout
    counted, pids = proc.stdout.rsplit("CHILDREN ", 1)[1].split()
    assert counted == pids != "0"  # each pool process counted in its own file
