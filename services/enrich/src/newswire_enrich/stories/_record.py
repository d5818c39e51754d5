"""The story record: articles, merged entities, quote clusters, first and last seen (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from newswire_shared.schemas import EnrichedArticle, Story, StoryArticle

from ._entities import merge_entities
from ._quotes import article_time, quote_clusters


def build_story(
    story_id: str,
    articles: Sequence[EnrichedArticle],
    *,
    absorbed: Sequence[str] = (),
    duplicates: Mapping[str, tuple[str, float | None]] | None = None,
    merge_limit: int | None = None,
) -> Story:
    """Build the record of a story from its articles' results (any order).

    `duplicates` maps a job id to (``duplicate_of``, similarity) as the index assigned them.
    `merge_limit` bounds the work on a very large story: entities and quote clusters are
    merged over the earliest and the latest articles only (half each; the earliest carry
    the first reports of each quote); every article is still listed.
    """
    if not articles:
        raise ValueError("a story has at least one article")
    dups = duplicates or {}
    ordered = sorted(articles, key=lambda a: (article_time(a), a.job_id))
    merged_over = ordered
    if merge_limit is not None and len(ordered) > merge_limit:
        half = max(1, merge_limit // 2)
        merged_over = [*ordered[:half], *ordered[-(merge_limit - half) :]]
    merged = merge_entities(merged_over)
    times = [article_time(a) for a in ordered]
    return Story(
        story_id=story_id,
        absorbed=sorted(absorbed),
        articles=[
            StoryArticle(
                job_id=a.job_id,
                title=a.title,
                publisher=a.publisher,
                published=a.published,
                received_at=a.source.received_at,
                url=a.url,
                duplicate_of=dups.get(a.job_id, (None, None))[0],
                similarity=dups.get(a.job_id, (None, None))[1],
            )
            for a in ordered
        ],
        entities=merged.entities,
        quotes=quote_clusters(merged_over, merged),
        first_seen=min(times),
        last_seen=max(times),
    )
