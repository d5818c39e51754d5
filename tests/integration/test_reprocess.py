"""``newswire reprocess`` with the real ingest service and a real worker: results replaced as
revisions, announced once each, stories revised, nothing counted twice."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import redis

from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import EnrichedArticle
from tests.conftest import NEWSWIRE, Services, drop_articles, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()


def _results(folder: Path) -> dict[str, EnrichedArticle]:
    return {
        p.stem: EnrichedArticle.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.json"))
    }


def _revisions(client: redis.Redis) -> list[tuple[str, int]]:
    """(job id, revision) of the results-stream entries marked as revisions."""
    return [
        (f[b"job_id"].decode(), int(f[b"revision"]))
        for _, f in client.xrange(KEYS.results)
        if b"revision" in f
    ]


def _reprocess(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWIRE, "reprocess", *args], env=services.env(), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_reprocess_all_replaces_results_as_revisions(
    services: Services, redis_client: redis.Redis
) -> None:
    """Two dropped files, done; `newswire reprocess --all` queues both as revision 1: the
    worker replaces both result files, adds one stream entry each marked revision 1, counts
    them as revised (done stays 2), says 'revised' on the stories stream; ingest leaves done/
    alone. A second run gives revision 2."""
    services.start_worker()
    services.start_ingest()
    drop_articles(services.inbox, 2)
    done = services.inbox / "done"
    wait_until(lambda: done.exists() and len(list(done.iterdir())) == 2, 90, what="2 done")
    wait_until(lambda: len(_results(services.results)) == 2, 30, what="2 result files")
    first = _results(services.results)
    assert {r.revision for r in first.values()} == {0}

    dry = _reprocess(services, "--all", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would queue") == 2
    out = _reprocess(services, "--all")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "reprocess: 2 queued"
    wait_until(lambda: len(_revisions(redis_client)) == 2, 90, what="2 revision entries")
    assert sorted(_revisions(redis_client)) == sorted((job, 1) for job in first)
    wait_until(
        lambda: {r.revision for r in _results(services.results).values()} == {1},
        30,
        what="result files replaced",
    )
    assert sorted(_results(services.results)) == sorted(first)
    stats = {k.decode(): int(v) for k, v in redis_client.hgetall(KEYS.stats).items()}
    assert (stats["done"], stats["revised"]) == (2, 2)
    assert redis_client.xlen(KEYS.results) == 4
    told = [f[b"event"].decode() for _, f in redis_client.xrange(KEYS.stories)]
    assert told.count("revised") == 2
    status = subprocess.run(
        [*NEWSWIRE, "status", "--json"], env=services.env(), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert json.loads(status.stdout)["revised"] == 2, status.stderr
    assert sorted(p.name for p in done.iterdir()) == ["a0000.txt", "a0001.txt"]
    assert not list((services.inbox / "processing").iterdir())

    again = _reprocess(services, "--name", "a0001.txt")
    assert again.returncode == 0, again.stderr
    (job,) = [j for j, r in first.items() if r.source.filename == "a0001.txt"]
    wait_until(lambda: (job, 2) in _revisions(redis_client), 90, what="revision 2")
    wait_until(lambda: _results(services.results)[job].revision == 2, 30, what="revision 2 file")
    assert int(redis_client.hget(KEYS.stats, "done") or 0) == 2
