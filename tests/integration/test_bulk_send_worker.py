"""Messages sent in one batch by ingest's bulk path, consumed by a real Celery worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from newswire_ingest._bulk_send import BulkSender
from newswire_ingest.settings import IngestSettings
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import RedisKeys
from newswire_shared.queueing import make_celery
from newswire_shared.schemas import MediaType
from tests.conftest import Services, short_article, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()


def test_worker_enriches_a_batch_sent_in_one_pipeline(
    services: Services, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Five jobs sent as one batch (one Redis pipeline) each give a result file and one
    results-stream entry from a real worker, and leave nothing in the queue."""
    services.start_worker(NEWSWIRE_CONCURRENCY="2")
    settings = IngestSettings(inbox=services.inbox, redis_url=services.redis_url)
    sender = BulkSender(make_celery(settings, "newswire-ingest"), settings.queue)
    jobs = [
        job_from_bytes(short_article(n).encode(), f"a{n}.txt", MediaType.TEXT) for n in range(5)
    ]
    with sender.sending():
        for job in jobs:
            sender.enqueue(job)
    results = [services.results / f"{job.job_id}.json" for job in jobs]
    wait_until(
        lambda: all(p.exists() for p in results), 120,
        what="5 results\n" + services.log("worker")[-2000:],
    )  # fmt: skip
    for job, path in zip(jobs, results, strict=True):
        result = json.loads(path.read_text(encoding="utf-8"))
        assert result["job_id"] == job.job_id
        assert result["source"]["filename"] == job.source.filename
        assert "Mayor Ana Ruiz" in result["text"]
    entries = redis_client.xrange(KEYS.results)
    assert sorted(e[1][b"job_id"].decode() for e in entries) == sorted(j.job_id for j in jobs)
    wait_until(lambda: redis_client.llen(settings.queue) == 0, 30, what="queue drained")
