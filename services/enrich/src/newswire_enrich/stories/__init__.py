"""Stories across outlets: near-duplicates, story assignment, quote provenance.

Pure parts: :func:`article_features` (text shingles and MinHash, salient entities, quote
grams, event time), :func:`compare` (near-duplicate / same story, and why),
:func:`merge_entities`, :func:`quote_clusters` and :func:`build_story` (the
:class:`~newswire_shared.schemas.Story` record). Shared state: :class:`StoryIndex`, a
Redis-backed index with one atomic step per article (:meth:`StoryIndex.assign`).

Typical use in a worker, after enrichment::

    index = StoryIndex(redis_client)
    assignment = index.assign(article_features(article))
    # assignment.story_id, .duplicate_of, .similarity, .absorbed
    index.forget(job_id)          # before a reprocessed article is assigned again
    index.recent(20), index.largest(20)   # StoryRow(story_id, n, first, last)
"""

from __future__ import annotations

from ._entities import MergedEntities, merge_entities
from ._features import ArticleFeatures, article_features, entity_key
from ._index import Assignment, Forgotten, StoryIndex, StoryRow
from ._quotes import article_time, quote_clusters
from ._record import build_story
from ._scoring import Comparison, StoryConfig, compare, text_similarity

__all__ = [
    "ArticleFeatures",
    "Assignment",
    "Comparison",
    "Forgotten",
    "MergedEntities",
    "StoryConfig",
    "StoryIndex",
    "StoryRow",
    "article_features",
    "article_time",
    "build_story",
    "compare",
    "entity_key",
    "merge_entities",
    "quote_clusters",
    "text_similarity",
]
