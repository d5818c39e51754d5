"""Quote provenance: the same statement by the same speaker across a story's articles (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from newswire_shared.schemas import EnrichedArticle, QuoteCluster, QuoteInstance

from ._entities import MergedEntities
from ._features import entity_key, parse_date, quote_grams
from ._scoring import quotes_match


def article_time(article: EnrichedArticle) -> datetime:
    """Return when an article appeared: its publication date if known, else time received."""
    return parse_date(article.published) or article.source.received_at


def _speaker(article: EnrichedArticle, quote_index: int, merged: MergedEntities) -> str | None:
    """Return the story entity id of a quote's speaker (else a name key, else None)."""
    speaker = article.quotes[quote_index].speaker
    if speaker.entity_id and (article.job_id, speaker.entity_id) in merged.ids:
        return merged.ids[(article.job_id, speaker.entity_id)]
    if speaker.name:
        key = entity_key(speaker.name, "PERSON")
        return merged.by_key.get(key, key)
    return None


class _Sets:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def quote_clusters(
    articles: Sequence[EnrichedArticle], merged: MergedEntities
) -> list[QuoteCluster]:
    """Cluster the quotes of a story's articles: same statement, same (or unknown) speaker.

    Articles are taken in order of appearance (date, then job id), so the first instance of
    a cluster is the article that had it first; clusters carried by more articles come first.
    """
    ordered = sorted(articles, key=lambda a: (article_time(a), a.job_id))
    items = [(a, i) for a in ordered for i in range(len(a.quotes))]
    grams = [quote_grams(a.quotes[i].text) for a, i in items]
    speakers = [_speaker(a, i, merged) for a, i in items]
    sets = _Sets(len(items))
    for x in range(len(items)):
        for y in range(x + 1, len(items)):
            same_speaker = speakers[x] == speakers[y] or None in (speakers[x], speakers[y])
            if same_speaker and grams[x].grams and quotes_match(grams[x], grams[y]):
                sets.union(x, y)
    members: dict[int, list[int]] = {}
    for x in range(len(items)):
        members.setdefault(sets.find(x), []).append(x)
    names = {e.id: e.name for e in merged.entities}
    clusters: list[tuple[int, int, QuoteCluster]] = []
    for root, xs in members.items():
        sid = next((speakers[x] for x in xs if speakers[x]), None)
        instances = [_instance(*items[x]) for x in xs]
        jobs = {inst.job_id for inst in instances}
        first_name = next((i.speaker_name for i in instances if i.speaker_name), None)
        cluster = QuoteCluster(
            id="",
            speaker=names.get(sid, first_name) if sid else first_name,
            speaker_entity_id=sid if sid in names else None,
            first_job_id=instances[0].job_id,
            articles=len(jobs),
            instances=instances,
        )
        clusters.append((-len(jobs), root, cluster))
    clusters.sort(key=lambda c: (c[0], c[1]))
    return [c.model_copy(update={"id": f"Q{n}"}) for n, (_, _, c) in enumerate(clusters, 1)]


def _instance(article: EnrichedArticle, index: int) -> QuoteInstance:
    q = article.quotes[index]
    return QuoteInstance(
        job_id=article.job_id,
        text=q.text,
        kind=q.kind,
        start=q.start,
        end=q.end,
        speaker_name=q.speaker.name,
    )
