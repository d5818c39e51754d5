"""Revision entries on the results stream as ingest sees them (real Redis, manual clock):
a file already in done/ stays there, nothing is counted, the entry is acknowledged."""

from __future__ import annotations

from pathlib import Path

import redis

from newswire_ingest.service import IngestService
from newswire_shared.keys import INGEST_GROUP, RedisKeys
from newswire_shared.schemas import ArticleJob

KEYS = RedisKeys("newswire")


# the ingest service of tests/unit/conftest.py, driven as in test_ingest_service.py
from tests.unit.test_ingest_service import _advance, _drop  # noqa: E402


def _publish(client: redis.Redis, job: ArticleJob, revision: int = 0) -> None:
    """A worker's announcement: the first one sets the marker; a revision adds its field."""
    client.set(KEYS.published(job.job_id), "1")
    fields = {"job_id": job.job_id, "result": "{}"}
    if revision:
        fields["revision"] = str(revision)
    client.xadd(KEYS.results, fields)  # type: ignore[arg-type]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_revision_of_a_settled_file_changes_nothing(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """A revision entry for a job whose file is already in done/ moves nothing, counts
    nothing and is acknowledged like any entry."""
    _drop(service, "a.txt", "Some article.")
    _publish(redis_client, sent[0])
    _advance(service, 0.1)
    assert _files(service.inbox.done) == ["a.txt"]
    before = (service.counters.done, redis_client.hgetall(KEYS.stats))
    _publish(redis_client, sent[0], revision=1)
    _advance(service, 0.1)
    assert _files(service.inbox.done) == ["a.txt"]
    assert _files(service.inbox.processing) == _files(service.inbox.failed) == []
    assert (service.counters.done, redis_client.hgetall(KEYS.stats)) == before
    assert redis_client.xpending(KEYS.results, INGEST_GROUP)["pending"] == 0
    assert len(sent) == 1


def test_copy_dropped_during_a_revision_still_ends_in_done(
    service: IngestService, sent: list[ArticleJob], redis_client: redis.Redis
) -> None:
    """The same content dropped again while its revision is being published: the copy waits
    for a worker's refresh as usual; the revision entry arriving first settles it into
    done/ as well (its result is published), and nothing is sent twice."""
    _drop(service, "a.txt", "Some article.")
    _publish(redis_client, sent[0])
    _advance(service, 0.1)
    _drop(service, "copy.txt", "Some article.")
    assert len(sent) == 2  # the refresh message of the copy
    _publish(redis_client, sent[0], revision=1)
    _advance(service, 0.1)
    assert _files(service.inbox.done) == ["a.txt", "copy.txt"]
    assert service.in_flight == {}
    _advance(service, 5)
    assert len(sent) == 2
