"""Story index (issue 12): redelivery, forget, listings, bounded postings, concurrent workers."""

from __future__ import annotations

import random
import threading
from dataclasses import replace

import redis

from newswire.redis_server import RedisServer
from newswire_enrich.stories import (
    ArticleFeatures,
    Comparison,
    StoryConfig,
    StoryIndex,
    _codec,
    article_features,
)
from tests.unit.test_stories import BRIDGE, ORCHARD, article, ent, quote

P = "t:stories"


def words(seed: int, n: int = 120) -> str:
    """A text of `n` words of its own (same seed, same text)."""
    rnd = random.Random(seed)
    return " ".join(f"w{rnd.randint(0, 99_999)}" for _ in range(n)) + "."


def feats(job: str, text: str, **kw: object) -> ArticleFeatures:
    """The features of a hand-made article."""
    return article_features(article(job, text, **kw))  # type: ignore[arg-type]


def sizes(client: redis.Redis) -> dict[str, int]:
    """The ``{p}:size`` zset as {story id: articles}."""
    rows: list[tuple[bytes, float]] = client.zrange(f"{P}:size", 0, -1, withscores=True)  # type: ignore[assignment]
    return {k.decode(): int(v) for k, v in rows}


def test_features_survive_the_compact_encoding() -> None:
    """What the index stores of an article decodes to the same features."""
    said = "the closure was unavoidable after inspectors found corroded strands"
    f = feats("a" * 16, BRIDGE, entities=[ent("E1", "Dana Okafor"), ent("E2", "Port Elwin",
              "GPE", 0.6)], quotes=[quote(said, "Dana Okafor", "E1"), quote("no", "X")],
              published="2024-05-01")  # fmt: skip
    back = _codec.decode(f.job_id, _codec.encode(f))
    assert back == replace(f, title=None)
    assert (back.signature == f.signature).all()


def test_redelivery_returns_the_first_assignment(redis_client: redis.Redis) -> None:
    """A second assign of a job (redelivered task) returns exactly what the first returned,
    from what was stored: also after the article it duplicates has left the index."""
    index = StoryIndex(redis_client, prefix=P)
    index.assign(feats("a" * 16, BRIDGE))
    first = index.assign(feats("b" * 16, BRIDGE + "\n\nShare this article"))
    assert first.duplicate_of == "a" * 16 and first.similarity and first.comparisons
    assert index.assign(feats("b" * 16, BRIDGE + "\n\nShare this article")) == first
    index.forget("a" * 16)
    again = index.assign(feats("b" * 16, ORCHARD))  # other features: not recomputed
    assert again == first and index.members("b" * 16) == ["b" * 16]


def test_redelivery_follows_a_merge(redis_client: redis.Redis) -> None:
    """A redelivered job whose story was absorbed since gets the surviving story."""
    index = StoryIndex(redis_client, prefix=P)
    half = BRIDGE.split("\n\n")
    index.assign(feats("a" * 16, half[0] + "\n\n" + half[1]))
    c = index.assign(feats("c" * 16, ORCHARD + "\n\n" + half[2]))
    assert c.story_id == "c" * 16
    index.assign(feats("b" * 16, BRIDGE + "\n\n" + ORCHARD))
    replay = index.assign(feats("c" * 16, ORCHARD + "\n\n" + half[2]))
    assert replay.story_id == "a" * 16 and replay.duplicate_of == c.duplicate_of
    assert sizes(redis_client) == {"a" * 16: 3}


def test_forget_leaves_story_and_postings(redis_client: redis.Redis) -> None:
    """A forgotten article leaves its story (the others stay, the story keeps its id) and is
    no candidate any more; assigned again it rejoins the story."""
    index = StoryIndex(redis_client, prefix=P)
    for job, tail in (("a", ""), ("b", "\n\nShare this"), ("c", "\n\nRead more")):
        index.assign(feats(job * 16, BRIDGE + tail))
    gone = index.forget("b" * 16)
    assert gone is not None and gone.story_id == "a" * 16 and gone.remaining == 2
    assert index.members("a" * 16) == ["a" * 16, "c" * 16]
    assert index.story_of("b" * 16) is None and sizes(redis_client) == {"a" * 16: 2}
    d = index.assign(feats("d" * 16, BRIDGE))
    assert "b" * 16 not in d.linked and set(d.linked) == {"a" * 16, "c" * 16}
    back = index.assign(feats("b" * 16, BRIDGE + "\n\nShare this"))
    assert back.story_id == "a" * 16 and back.duplicate_of == "a" * 16
    assert index.members("a" * 16) == ["a" * 16, "b" * 16, "c" * 16, "d" * 16]
    assert index.forget("e" * 16) is None


def test_forget_the_first_article_keeps_the_story_id(redis_client: redis.Redis) -> None:
    """The first article (whose id names the story) forgotten: the story keeps its id; the
    article re-assigned with another text founds a story under a new id."""
    index = StoryIndex(redis_client, prefix=P)
    index.assign(feats("a" * 16, BRIDGE))
    index.assign(feats("b" * 16, BRIDGE + "\n\nShare this"))
    index.forget("a" * 16)
    assert index.members("a" * 16) == ["b" * 16] and index.story_of("b" * 16) == "a" * 16
    again = index.assign(feats("a" * 16, ORCHARD))
    assert again.story_id not in ("a" * 16, "b" * 16)
    assert again.story_id.startswith("a" * 16 + "-")
    assert index.members(again.story_id) == ["a" * 16]
    assert sizes(redis_client) == {"a" * 16: 1, again.story_id: 1}


def test_last_article_forgotten_removes_the_story(redis_client: redis.Redis) -> None:
    """A story whose last article is forgotten leaves the listings, with the stories it
    absorbed; its id can be founded again."""
    index = StoryIndex(redis_client, prefix=P)
    half = BRIDGE.split("\n\n")
    index.assign(feats("a" * 16, half[0] + "\n\n" + half[1]))
    index.assign(feats("c" * 16, ORCHARD + "\n\n" + half[2]))
    index.assign(feats("b" * 16, BRIDGE + "\n\n" + ORCHARD))  # merges c into a
    index.assign(feats("d" * 16, words(1)))
    for job in ("b", "a", "c"):
        index.forget(job * 16)
    assert [r.story_id for r in index.recent(10)] == ["d" * 16]
    assert sizes(redis_client) == {"d" * 16: 1}
    assert index.story_of("c" * 16) is None and not redis_client.exists(f"{P}:absorbed:" + "c" * 16)
    assert index.assign(feats("c" * 16, ORCHARD)).story_id == "c" * 16


def test_recent_and_largest_rows(redis_client: redis.Redis) -> None:
    """recent() by last event time, largest() by articles: (story_id, n, first, last)."""
    index = StoryIndex(redis_client, prefix=P)
    index.assign(feats("a" * 16, BRIDGE, published="2024-05-01"))
    index.assign(feats("b" * 16, BRIDGE + "\n\nShare", published="2024-05-02"))
    index.assign(feats("c" * 16, ORCHARD, published="2024-05-03"))
    day = 86_400.0
    may1 = 1_714_521_600.0
    assert index.recent(5) == [("c" * 16, 1, may1 + 2 * day, may1 + 2 * day),
                               ("a" * 16, 2, may1, may1 + day)]  # fmt: skip
    assert [(r.story_id, r.n) for r in index.largest(1)] == [("a" * 16, 2)]
    assert index.largest(0) == []


def test_postings_stay_bounded(redis_client: redis.Redis) -> None:
    """An entity in more than max_posting articles is marked hot and no longer grows; a band
    keeps its newest band_read articles; such an entity alone links nothing."""
    cfg = StoryConfig(max_posting=3, band_read=2)
    index = StoryIndex(redis_client, prefix=P, config=cfg)
    hot = [ent("E1", "Hot Country", "GPE", 0.9), ent("E2", "Hot Person", "PERSON", 0.9)]
    for i in range(6):
        index.assign(feats(f"{i:016x}", words(i), entities=hot))
        index.assign(feats(f"{i + 100:016x}", BRIDGE + f" copy {i}."))
    values = [v for key in redis_client.scan_iter(f"{P}:ix:*") for v in redis_client.hvals(key)]
    assert b"H" in values
    assert all(v == b"H" or len(v) <= 4 * 3 for v in values)
    assert len(index.members(f"{0:016x}")) == 1


def test_article_committed_between_lookup_and_commit_is_linked(
    redis_client: redis.Redis,
) -> None:
    """Two workers: B is compared while A (a copy) is committed; B's commit sees A came in
    and B is looked up again, so the two are one story (no lost link)."""
    index_b = StoryIndex(redis_client, prefix=P)
    index_a = StoryIndex(redis_client, prefix=P)
    compare_once = index_b._compare

    def meanwhile(*args: object) -> dict[str, Comparison]:
        if not index_a.story_of("a" * 16):
            index_a.assign(feats("a" * 16, BRIDGE))
        return compare_once(*args)  # type: ignore[arg-type]

    index_b._compare = meanwhile  # type: ignore[method-assign,assignment]
    b = index_b.assign(feats("b" * 16, BRIDGE + "\n\nShare this"))
    assert index_b.conflicts == 1
    assert b.story_id == "a" * 16 and b.duplicate_of == "a" * 16


def test_concurrent_workers_keep_stories_whole(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Eight threads, each with its own client, assign copies of three texts at once: three
    stories, each holding all its copies; n and the size set agree with the members (the
    interleaving itself is forced in the test above)."""
    texts = [words(10 + i, 200) for i in range(3)]
    jobs = [(f"{i:016x}", texts[i % 3] + f" Update {i}.") for i in range(48)]
    errors: list[BaseException] = []

    def work(part: list[tuple[str, str]]) -> None:
        try:
            index = StoryIndex(redis.Redis.from_url(redis_server.url), prefix=P)
            for job, text in part:
                index.assign(feats(job, text))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(jobs[k::8],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    index = StoryIndex(redis_client, prefix=P)
    stories = {index.story_of(job) for job, _ in jobs}
    assert len(stories) == 3
    for story in stories:
        assert story is not None and len(index.members(story)) == 16
    assert sorted(sizes(redis_client).values()) == [16, 16, 16]


def test_only_articles_that_could_link_are_compared(redis_client: redis.Redis) -> None:
    """An earlier article sharing one entity and no text is not even compared (no rule could
    link them); one sharing two entities is; a near-copy is, alone, and joins the story."""
    index = StoryIndex(redis_client, prefix=P)
    okafor, port = ent("E1", "Dana Okafor"), ent("E2", "Port Elwin", "GPE", 0.6)
    index.assign(feats("a" * 16, words(1), entities=[okafor, port]))
    index.assign(feats("b" * 16, words(2), entities=[okafor]))
    assert index.compared == 0
    index.assign(feats("c" * 16, words(3), entities=[okafor, port]))
    assert index.compared == 1
    copy = index.assign(feats("d" * 16, words(1) + " More.", entities=[okafor]))
    assert copy.story_id == "a" * 16 and index.compared == 2


def test_story_id_wins_over_the_same_job_id(redis_client: redis.Redis) -> None:
    """Once a story's first article moved to another story (reprocessed), the old story's id
    still names the old story; the article's story is asked for with story_of_job."""
    index = StoryIndex(redis_client, prefix=P)
    a, b, c = "a" * 16, "b" * 16, "c" * 16
    index.assign(feats(a, BRIDGE))
    index.assign(feats(b, BRIDGE + "\n\nShare this article"))
    index.assign(feats(c, ORCHARD))
    index.forget(a)
    moved = index.assign(feats(a, ORCHARD + "\n\nCorrected."))
    assert moved.story_id == c
    assert index.story_of_job(a) == c
    assert index.story_of(a) == a and index.members(a) == [b]
    assert index.members(c) == [a, c]
