"""Entities merged across a story's articles: one id per real entity (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from newswire_shared.schemas import EnrichedArticle, EntityRef, StoryEntity

from ._features import entity_key


@dataclass
class _Group:
    label: str
    names: dict[str, int] = field(default_factory=dict)
    saliences: dict[str, float] = field(default_factory=dict)
    refs: list[EntityRef] = field(default_factory=list)


@dataclass(frozen=True)
class MergedEntities:
    """The story's entities and where each article's entity went."""

    entities: list[StoryEntity]
    ids: dict[tuple[str, str], str]  # (job id, article entity id) -> story entity id
    by_key: dict[str, str]  # entity key -> story entity id


def _short_to_long(keys: Sequence[str]) -> dict[str, str]:
    """Map a one-word PERSON key to the only multi-word PERSON key ending (or starting) in it."""
    longs = [k for k in keys if k.startswith("PERSON:") and " " in k]
    out: dict[str, str] = {}
    for key in keys:
        if not key.startswith("PERSON:") or " " in key:
            continue
        word = key.partition(":")[2]
        owners = [k for k in longs if word in k.partition(":")[2].split()]
        if len(owners) == 1:
            out[key] = owners[0]
    return out


def merge_entities(articles: Sequence[EnrichedArticle]) -> MergedEntities:
    """Merge the articles' entities by type and normalised name (short person names too)."""
    groups: dict[str, _Group] = {}
    local: list[tuple[str, str, str]] = []  # job, entity id, key
    for art in articles:
        for ent in art.entities:
            key = entity_key(ent.name, ent.label)
            if not key.partition(":")[2]:
                continue
            group = groups.setdefault(key, _Group(ent.label))
            group.names[ent.name] = group.names.get(ent.name, 0) + ent.count
            group.saliences[art.job_id] = max(group.saliences.get(art.job_id, 0.0), ent.salience)
            group.refs.append(EntityRef(job_id=art.job_id, entity_id=ent.id))
            local.append((art.job_id, ent.id, key))
    alias = _short_to_long(sorted(groups))
    for short, long in alias.items():
        g, into = groups.pop(short), groups[long]
        for name, n in g.names.items():
            into.names[name] = into.names.get(name, 0) + n
        for job, sal in g.saliences.items():
            into.saliences[job] = max(into.saliences.get(job, 0.0), sal)
        into.refs += g.refs
    n_articles = max(len(articles), 1)
    ranked = sorted(
        groups.items(),
        key=lambda kv: (-len(kv[1].saliences), -sum(kv[1].saliences.values()), kv[0]),
    )
    entities: list[StoryEntity] = []
    by_key: dict[str, str] = {}
    for n, (key, g) in enumerate(ranked, start=1):
        sid = f"S{n}"
        by_key[key] = sid
        name = max(g.names, key=lambda s: (len(s), g.names[s], s))
        entities.append(
            StoryEntity(
                id=sid,
                name=name,
                label=g.label,
                aliases=sorted(set(g.names) - {name}),
                salience=round(min(1.0, sum(g.saliences.values()) / n_articles), 4),
                articles=len(g.saliences),
                refs=g.refs,
            )
        )
    for short, long in alias.items():
        by_key[short] = by_key[long]
    ids = {(job, eid): by_key[key] for job, eid, key in local}
    return MergedEntities(entities, ids, dict(by_key))


def group_refs_by_article(merged: MergedEntities) -> dict[str, list[str]]:
    """Return, per job id, the story entity ids its entities became."""
    out: defaultdict[str, list[str]] = defaultdict(list)
    for (job, _), sid in merged.ids.items():
        out[job].append(sid)
    return dict(out)
