"""Stories (issue 12): near-duplicates, comparison rules, entity merge, quote clusters, index."""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from newswire_enrich.stories import (
    StoryConfig,
    StoryIndex,
    article_features,
    build_story,
    compare,
    merge_entities,
)
from newswire_shared.schemas import (
    EnrichedArticle,
    Entity,
    MediaType,
    PipelineInfo,
    Quote,
    QuoteKind,
    Source,
    Speaker,
)

WHEN = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)

BRIDGE = (
    "The harbour bridge in Port Elwin will close for six weeks from Monday while engineers "
    "replace its cables, the city transport office announced on Thursday.\n\n"
    "Mayor Dana Okafor said the closure was unavoidable after inspectors found corroded "
    "strands in two of the main cables during a routine survey in March.\n\n"
    "Ferries will run every twenty minutes between the old quay and the market pier, and "
    "buses will take a detour through the northern tunnel during the works."
)
ORCHARD = (
    "A record apple harvest in the Velmar valley has pushed prices to their lowest level "
    "in a decade, growers told a regional farming meeting on Wednesday.\n\n"
    "Cooperative chair Ilse Brandt warned that small farms could not survive another season "
    "of prices below the cost of picking and storing the fruit."
)


def article(
    job_id: str,
    text: str,
    *,
    entities: list[Entity] | None = None,
    quotes: list[Quote] | None = None,
    published: str | None = None,
) -> EnrichedArticle:
    """A result as a worker would publish it, built by hand."""
    return EnrichedArticle(
        job_id=job_id,
        source=Source(
            filename=f"{job_id}.txt", size=len(text), sha256="0" * 64,
            received_at=WHEN, media_type=MediaType.TEXT,
        ),
        text=text, published=published, entities=entities or [], quotes=quotes or [],
        pipeline=PipelineInfo(newswire_version="test"), enriched_at=WHEN,
    )  # fmt: skip


def ent(eid: str, name: str, label: str = "PERSON", salience: float = 0.8) -> Entity:
    """An entity with one mention's worth of count."""
    return Entity(id=eid, name=name, label=label, count=1, salience=salience)


def quote(text: str, speaker: str, entity_id: str | None = None, start: int = 0) -> Quote:
    """A direct quote by `speaker`."""
    return Quote(
        text=text, kind=QuoteKind.DIRECT, speaker=Speaker(name=speaker, entity_id=entity_id),
        start=start, end=start + len(text),
    )  # fmt: skip


def test_slightly_different_texts_are_near_duplicates() -> None:
    """A page dump with a leftover menu line and other line breaks is a near-duplicate."""
    dump = "Home | News | Sport\n" + BRIDGE.replace("\n\n", "\n").replace("Thursday.", "Thursday")
    c = compare(
        article_features(article("b" * 16, dump)),
        article_features(article("a" * 16, BRIDGE)),
        StoryConfig(),
    )
    assert c.duplicate and c.text > 0.8


def test_different_texts_are_not_duplicates_nor_one_story() -> None:
    """Two unrelated articles share no story."""
    c = compare(
        article_features(article("b" * 16, ORCHARD)),
        article_features(article("a" * 16, BRIDGE)),
        StoryConfig(),
    )
    assert not c.duplicate and not c.same_story and c.text < 0.05


def test_shared_quote_and_person_link_two_rewrites() -> None:
    """Two outlets' own texts about one event, sharing a quote and its speaker, are one story."""
    said = "the closure was unavoidable after inspectors found corroded strands"
    okafor = [ent("E1", "Dana Okafor"), ent("E2", "Port Elwin", "GPE", 0.6)]
    a = article("a" * 16, BRIDGE, entities=okafor, quotes=[quote(said, "Dana Okafor", "E1")])
    other = "Commuters face six weeks of detours. " + said.capitalize() + ", Okafor said."
    b = article("b" * 16, other, entities=okafor, quotes=[quote(said, "Okafor", "E1")])
    c = compare(article_features(b), article_features(a), StoryConfig())
    assert c.same_story and c.reason == "quotes"


def test_entities_merge_short_person_names_across_articles() -> None:
    """'Okafor' in one article and 'Dana Okafor' in another are one story entity."""
    a = article("a" * 16, BRIDGE, entities=[ent("E1", "Dana Okafor")])
    b = article("b" * 16, ORCHARD, entities=[ent("E3", "Okafor"), ent("E4", "Ilse Brandt")])
    merged = merge_entities([a, b])
    assert merged.ids[("a" * 16, "E1")] == merged.ids[("b" * 16, "E3")]
    okafor = next(e for e in merged.entities if e.name == "Dana Okafor")
    assert okafor.articles == 2 and okafor.aliases == ["Okafor"]


def test_quote_cluster_keeps_each_wording_and_the_first_article() -> None:
    """One statement reported by two articles: one cluster, earliest article first, own words."""
    long = "we will reopen the bridge before the summer festival, whatever it costs"
    short = "We will reopen the bridge before the summer festival"
    a = article("a" * 16, BRIDGE, entities=[ent("E1", "Dana Okafor")],
                quotes=[quote(long, "Dana Okafor", "E1", 40)], published="2024-05-01")  # fmt: skip
    b = article("b" * 16, ORCHARD, entities=[ent("E1", "Okafor")],
                quotes=[quote(short, "Okafor", "E1", 7)], published="2024-05-02")  # fmt: skip
    story = build_story("a" * 16, [b, a])
    (cluster,) = [q for q in story.quotes if q.articles == 2]
    assert cluster.first_job_id == "a" * 16 and cluster.speaker == "Dana Okafor"
    assert [i.text for i in cluster.instances] == [long, short]
    assert [i.start for i in cluster.instances] == [40, 7]


def test_different_statements_of_one_speaker_stay_apart() -> None:
    """Two different statements by the same person are two clusters."""
    qs = [quote("the ferries will be free for residents", "Dana Okafor"),
          quote("nobody was ever in danger on the bridge", "Dana Okafor")]  # fmt: skip
    story = build_story("a" * 16, [article("a" * 16, BRIDGE, quotes=qs)])
    assert len(story.quotes) == 2 and all(q.articles == 1 for q in story.quotes)


def test_index_marks_duplicate_and_joins_story(redis_client: redis.Redis) -> None:
    """Against a real Redis: a near-copy gets duplicate_of and the same story; others not."""
    index = StoryIndex(redis_client)
    first = index.assign(article_features(article("a" * 16, BRIDGE)))
    copy = index.assign(article_features(article("b" * 16, BRIDGE + "\n\nShare this article")))
    other = index.assign(article_features(article("c" * 16, ORCHARD)))
    assert first.story_id == "a" * 16 and first.duplicate_of is None
    assert copy.duplicate_of == "a" * 16 and copy.similarity and copy.similarity > 0.8
    assert copy.story_id == "a" * 16
    assert other.story_id == "c" * 16 and other.duplicate_of is None
    assert index.members("a" * 16) == ["a" * 16, "b" * 16]


def test_index_merges_stories_a_later_article_links(redis_client: redis.Redis) -> None:
    """Two stories joined by a third article merge; the absorbed id leads to the survivor."""
    index = StoryIndex(redis_client)
    half = BRIDGE.split("\n\n")
    a = index.assign(article_features(article("a" * 16, half[0] + "\n\n" + half[1])))
    c = index.assign(article_features(article("c" * 16, ORCHARD + "\n\n" + half[2])))
    assert a.story_id != c.story_id
    linker = index.assign(article_features(article("b" * 16, BRIDGE + "\n\n" + ORCHARD)))
    assert set(linker.linked) == {"a" * 16, "c" * 16}
    assert linker.story_id == "a" * 16 and linker.absorbed == ("c" * 16,)
    assert index.story_of("c" * 16) == "a" * 16
    assert index.members("c" * 16) == ["a" * 16, "b" * 16, "c" * 16]


def test_index_step_is_idempotent(redis_client: redis.Redis) -> None:
    """Assigning the same job again (a redelivery) keeps its story and adds nothing."""
    index = StoryIndex(redis_client)
    f = article_features(article("a" * 16, BRIDGE))
    assert index.assign(f).story_id == index.assign(f).story_id == "a" * 16
    assert index.members("a" * 16) == ["a" * 16]


def test_large_story_merges_over_its_first_and_latest_articles() -> None:
    """With a merge limit, every article is listed but entities come from the earliest and
    the latest articles only (the bound that keeps a flood of copies cheap)."""
    arts = [
        article(f"{i:016x}", BRIDGE, entities=[ent("E1", f"Person Number{i}")],
                published=f"2024-05-{i + 1:02d}")
        for i in range(6)
    ]  # fmt: skip
    story = build_story(arts[0].job_id, arts, merge_limit=2)
    assert [a.job_id for a in story.articles] == [a.job_id for a in arts]
    assert sorted(e.name for e in story.entities) == ["Person Number0", "Person Number5"]
    full = build_story(arts[0].job_id, arts)
    assert len(full.entities) == 6
