"""What the story index needs to know about one article, computed before any Redis call.

:func:`article_features` is pure: clean text -> shingles and MinHash signature, salient
entities -> normalised keys with their salience, quotes -> word trigram hashes, publication
date (else time received) -> event time. The NLP stays outside of any Redis step.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from newswire_enrich.lexicon import words
from newswire_shared.schemas import EnrichedArticle

from . import _minhash, _shingles

#: Entity types that identify an event's actors and places; numbers and dates do not.
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "PRODUCT"})
#: Salient entities kept per article (highest salience first) and the least salience kept.
MAX_ENTITIES = 10
MIN_SALIENCE = 0.02
#: Keywords kept per article (frequent longer words), a cheap topic fingerprint.
MAX_KEYWORDS = 30
_QUOTE_GRAM = 3
_COMMON = words("topic_stopwords")
_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_ARTICLE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class QuoteGrams:
    """One quote of an article as the index compares it: its word trigram hashes."""

    grams: frozenset[int]
    words: int


@dataclass(frozen=True)
class ArticleFeatures:
    """An article as the story index sees it."""

    job_id: str
    event_time: float
    received_time: float
    dated: bool
    shingles: frozenset[int]
    sampled: bool
    signature: np.ndarray = field(repr=False, compare=False)
    entities: dict[str, float]
    quotes: tuple[QuoteGrams, ...]
    keywords: frozenset[str]
    title: str | None = None


def entity_key(name: str, label: str) -> str:
    """Return the key of an entity across articles: its type group and normalised name."""
    group = "PLACE" if label in ("GPE", "LOC", "FAC") else label
    norm = " ".join(_PUNCT.sub(" ", _ARTICLE.sub("", name.strip())).casefold().split())
    return f"{group}:{norm}"


def parse_date(value: str | None) -> datetime | None:
    """Return an ISO 8601 date or date-time as an aware datetime (UTC if no zone), or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def quote_grams(text: str) -> QuoteGrams:
    """Return a quote's trigram hashes (the whole text as one gram when shorter)."""
    toks = _shingles.words(text)
    return QuoteGrams(frozenset(_shingles.shingle_hashes(toks, _QUOTE_GRAM)), len(toks))


def salient_entities(article: EnrichedArticle) -> dict[str, float]:
    """Return the article's most salient entities as ``{key: salience}``."""
    best: dict[str, float] = {}
    for ent in article.entities:
        if ent.label not in ENTITY_LABELS or ent.salience < MIN_SALIENCE:
            continue
        key = entity_key(ent.name, ent.label)
        if key.partition(":")[2]:
            best[key] = max(best.get(key, 0.0), ent.salience)
    top = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ENTITIES]
    return dict(top)


def keywords(tokens: list[str]) -> frozenset[str]:
    """Return the most frequent words of five letters or more (not the most common words)."""
    counts = Counter(t for t in tokens if len(t) >= 5 and t.isalpha() and t not in _COMMON)
    return frozenset(w for w, _ in counts.most_common(MAX_KEYWORDS))


def article_features(article: EnrichedArticle) -> ArticleFeatures:
    """Return the features of an enriched article (pure; no Redis)."""
    tokens = _shingles.words(article.text)
    kept, is_sample = _shingles.sampled(_shingles.shingle_hashes(tokens))
    received = article.source.received_at
    published = parse_date(article.published)
    return ArticleFeatures(
        job_id=article.job_id,
        event_time=(published or received).timestamp(),
        received_time=received.timestamp(),
        dated=published is not None,
        shingles=frozenset(kept),
        sampled=is_sample,
        signature=_minhash.signature(kept),
        entities=salient_entities(article),
        quotes=tuple(q for q in (quote_grams(q.text) for q in article.quotes) if q.grams),
        keywords=keywords(tokens),
        title=article.title,
    )
