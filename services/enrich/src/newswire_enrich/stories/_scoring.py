"""Whether two articles are near-duplicates or tell the same story (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass

from . import _minhash, _shingles
from ._features import ArticleFeatures, QuoteGrams

DAY = 86_400.0
#: Quotes of this many words or fewer match only when equal.
SHORT_QUOTE_WORDS = 3


@dataclass(frozen=True)
class StoryConfig:
    """Thresholds of the story index (see bench/stories_eval.py for how they were chosen)."""

    #: Shingle Jaccard from which a text is a near-duplicate of an earlier one.
    duplicate_jaccard: float = 0.3
    #: Shingle Jaccard from which two texts are the same story (wire copy, rewrites).
    story_jaccard: float = 0.15
    #: Articles further apart than this (event time) join only through their text.
    window_days: float = 3.0
    #: Entity-only link: weighted Jaccard of salient entities, shared entities, keywords.
    entity_jaccard: float = 0.45
    min_shared_entities: int = 2
    keyword_jaccard: float = 0.25
    #: Index buckets (seconds of event time) and the candidates compared per article: the
    #: earlier articles sharing the most index fields, at most ``per_story`` of one story.
    bucket_seconds: int = 2 * 86_400
    max_candidates: int = 32
    per_story: int = 4
    #: An entity or quote posting longer than this (an entity in every story that day) is
    #: not read (nor kept); a band posting keeps its newest ``band_read`` articles.
    max_posting: int = 500
    band_read: int = 64
    #: Index keys expire after this many seconds (articles older than that are not matched).
    retention_seconds: int = 120 * 86_400


@dataclass(frozen=True)
class Comparison:
    """How an article relates to an earlier one."""

    text: float
    entities: float
    shared_entities: int
    quotes: int
    keywords: float
    days: float
    duplicate: bool
    same_story: bool
    reason: str


def text_similarity(a: ArticleFeatures, b: ArticleFeatures) -> float:
    """Exact shingle Jaccard when both sets are complete (or both sampled), else estimated."""
    if a.sampled == b.sampled:
        return _shingles.jaccard(a.shingles, b.shingles)
    return _minhash.estimate(a.signature, b.signature)


def entity_similarity(a: dict[str, float], b: dict[str, float]) -> tuple[float, int]:
    """Return the salience-weighted Jaccard of two entity maps and how many they share."""
    keys = a.keys() | b.keys()
    if not keys:
        return 0.0, 0
    low = sum(min(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    high = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    return (low / high if high else 0.0), len(a.keys() & b.keys())


def quotes_match(a: QuoteGrams, b: QuoteGrams) -> bool:
    """Same statement: equal short quotes, or half the shorter one's trigrams (3 or more)."""
    if min(a.words, b.words) <= SHORT_QUOTE_WORDS:
        return a.grams == b.grams
    shared = len(a.grams & b.grams)
    return shared >= 3 and shared >= 0.5 * min(len(a.grams), len(b.grams))


def shared_quotes(a: tuple[QuoteGrams, ...], b: tuple[QuoteGrams, ...]) -> int:
    """Return how many of `a`'s quotes are also in `b`."""
    return sum(1 for qa in a if any(quotes_match(qa, qb) for qb in b))


def _set_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def gap_days(a: ArticleFeatures, b: ArticleFeatures) -> float:
    """Days between two articles: publication dates when both are dated, else times received."""
    if a.dated and b.dated:
        return abs(a.event_time - b.event_time) / DAY
    return abs(a.received_time - b.received_time) / DAY


def compare(new: ArticleFeatures, old: ArticleFeatures, config: StoryConfig) -> Comparison:
    """Compare two articles; the rule that links them is named in ``reason``."""
    text = text_similarity(new, old)
    ents, shared = entity_similarity(new.entities, old.entities)
    quotes = shared_quotes(new.quotes, old.quotes)
    kw = _set_jaccard(new.keywords, old.keywords)
    days = gap_days(new, old)
    near = days <= config.window_days
    people = any(k.startswith(("PERSON:", "ORG:")) for k in new.entities.keys() & old.entities)
    reason = ""
    if text >= config.duplicate_jaccard:
        reason = "duplicate"
    elif text >= config.story_jaccard:
        reason = "text"
    elif near and quotes >= 1 and shared >= 1 and people:
        reason = "quotes"
    elif (
        near
        and ents >= config.entity_jaccard
        and shared >= config.min_shared_entities
        and people
        and kw >= config.keyword_jaccard
    ):
        reason = "entities"
    return Comparison(
        text=text,
        entities=ents,
        shared_entities=shared,
        quotes=quotes,
        keywords=kw,
        days=days,
        duplicate=reason == "duplicate",
        same_story=bool(reason),
        reason=reason,
    )
