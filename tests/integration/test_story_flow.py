"""Stories through the real services: a flood of copies of one report, real workers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import redis

from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import EnrichedArticle, Story
from tests.conftest import Services, drop_articles, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()
COPIES = 60


def _recorded(folder: Path) -> Counter[str]:
    """How often each job id is listed across the story record files."""
    listed: Counter[str] = Counter()
    for path in folder.glob("*.json") if folder.is_dir() else []:
        listed.update(a.job_id for a in Story.model_validate_json(path.read_text()).articles)
    return listed


def test_flood_of_copies_forms_stories_recorded_by_the_sweeper(
    services: Services, redis_client: redis.Redis
) -> None:
    """Sixty versions of one council report: every result carries a story, each article is
    told once on the stories stream, and the record files (a story past 50 articles is
    rebuilt by the worker's sweeper thread) list every article exactly once."""
    services.start_worker(NEWSWIRE_CONCURRENCY="2")
    services.start_ingest()
    drop_articles(services.inbox, COPIES)
    done = services.inbox / "done"
    wait_until(
        lambda: done.exists() and len(list(done.iterdir())) == COPIES,
        180,
        what=f"{COPIES} files in done/\n" + services.log("worker")[-2000:],
    )
    results = [
        EnrichedArticle.model_validate_json(p.read_text()) for p in services.results.glob("*.json")
    ]
    assert len(results) == COPIES and all(r.story_id for r in results)
    sizes = Counter(r.story_id for r in results)
    assert max(sizes.values()) > 50, sizes  # the sweeper's share, not the in-step rebuild
    told = Counter(f[b"job_id"].decode() for _, f in redis_client.xrange(KEYS.stories))
    assert told == Counter({r.job_id: 1 for r in results})
    wait_until(
        lambda: _recorded(services.results / "stories") == Counter(r.job_id for r in results),
        30,
        what="story records listing every article once",
    )
    big = max(sizes, key=lambda s: sizes[s])
    record = json.loads((services.results / "stories" / f"{big}.json").read_text())
    assert len(record["articles"]) == sizes[big]
