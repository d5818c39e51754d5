"""An article over spaCy's 1,000,000-character limit through the real services."""

from __future__ import annotations

import json

import pytest
import redis

from newswire_enrich.clean import clean_article
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import EnrichedArticle, MediaType
from tests.conftest import SEEDS, Services, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()
#: spaCy's nlp.max_length: a longer text used to fail with E088.
SPACY_LIMIT = 1_000_000


def _long_article() -> str:
    """The clean bodies of the seed articles, repeated until just over spaCy's limit."""
    bodies = [
        clean_article(p.read_text(encoding="utf-8"), MediaType.TEXT).text
        for p in sorted(SEEDS.glob("*.txt"))
    ]
    text = "\n\n".join(bodies)
    while len(text) <= SPACY_LIMIT:
        text += "\n\n" + bodies[len(text) % len(bodies)]
    return text


def test_article_over_a_million_characters_is_enriched(
    services: Services, redis_client: redis.Redis
) -> None:
    """A 1 MB article is enriched in pieces by a real worker: one result on disk and on the
    stream, its text the whole article, every entity mention and quote at offsets into it,
    quotes found to the very end, and no failure."""
    text = _long_article()
    services.start_worker()
    services.start_ingest()
    (services.inbox / "long.txt").write_text(text + "\n", encoding="utf-8")
    done, failed = services.inbox / "done", services.inbox / "failed"
    wait_until(
        lambda: (done / "long.txt").exists() or (failed / "long.txt").exists(),
        240,
        what="long.txt done or failed\n" + services.log("worker")[-2000:],
    )
    assert not (failed / "long.txt").exists(), (failed / "long.txt.error.json").read_text()
    (path,) = services.results.glob("*.json")
    result = EnrichedArticle.model_validate_json(path.read_text(encoding="utf-8"))
    assert result.text == text
    assert len(result.text) > SPACY_LIMIT
    mentions = [(m, e) for e in result.entities for m in e.mentions if m.source == "text"]
    assert len(mentions) > 10_000
    for m, entity in mentions:
        assert text[m.start : m.end] == m.text, (entity.name, m)
    assert max(m.start for m, _ in mentions) > len(text) - 5000
    names = {e.name for e in result.entities}
    assert {"Sergey Lavrov", "Xi Jinping"} <= names
    ids = {e.id for e in result.entities}
    assert len(result.quotes) > 1000
    for q in result.quotes:
        assert text[q.start : q.end] == q.text
        assert q.speaker.entity_id is None or q.speaker.entity_id in ids
    assert max(q.start for q in result.quotes) > len(text) - 5000
    assert redis_client.xlen(KEYS.results) == 1
    assert redis_client.xlen(KEYS.failures) == 0
    # the summary line comes after the story record, which follows the publication
    wait_until(lambda: '"job_finished"' in services.log("worker"), 60, what="job_finished")
    finished = [
        json.loads(line) for line in services.log("worker").splitlines() if '"job_finished"' in line
    ]
    assert [f["outcome"] for f in finished] == ["published"]
    assert '"long_text"' in services.log("worker")
