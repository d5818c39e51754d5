"""The shared story index in Redis: two atomic calls per article, bounded work per call.

Keys (prefix ``{p}`` = ``newswire:stories``; ``*``: expire after the retention, refreshed
on each write):

================================  ======  ====================================================
``{p}:ix:{bucket}:{shard}``  *    hash    posting field -> articles posted there (4-byte
                                          sequence numbers, newest last; see ``_lua``)
``{p}:seq``                       string  articles committed so far (the sequence number)
``{p}:sq:{seq // 128}``      *    hash    ``seq % 128`` -> job id
``{p}:art:{job}``            *    hash    ``story`` (the story it joined), ``seq``, ``f``
                                          (compact features), ``title``, ``dup``, ``sim``,
                                          ``linked``, ``absorbed``, ``cmp`` (as first
                                          assigned), ``ix`` and ``b`` (its postings); the
                                          worker adds ``digest``
``{p}:story:{id}``                hash    ``first``, ``last`` (event time, epoch seconds),
                                          ``n`` (articles); ``absorbed_by`` once absorbed
``{p}:story:{id}:articles``       set     job ids of the live story (all of them)
``{p}:story:{id}:absorbed``       set     stories this one absorbed directly
``{p}:absorbed:{id}``             string  the story that absorbed story ``id``
``{p}:recent``                    zset    live story ids by last event time
``{p}:size``                      zset    live story ids by number of articles
================================  ======  ====================================================

Buckets are event-time slices of ``bucket_seconds``; an article is posted in the buckets of
its event and receipt times and looked up in those and the ones next to them. Per article:
one LOOKUP call (the server counts shared fields, ranks, caps and returns the candidates'
features), the comparisons here, one COMMIT call. The COMMIT checks that no article that
could link was posted since the LOOKUP (else both run again: optimistic, no lock), so any
number of workers may assign at once without losing a link. A merge costs the size of the
smaller story; keeping ``n`` costs nothing more. Story ids are the job id of the story's first
article (``{job}-{seq}`` if that id is taken, after :meth:`StoryIndex.forget`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import redis

from . import _codec
from ._features import ArticleFeatures
from ._fields import index_fields, lookup_buckets, own_buckets
from ._lua import COMMIT, FORGET, LOOKUP
from ._scoring import Comparison, StoryConfig, compare

_Arg = str | bytes | int | float

#: Lookup and commit attempts before committing without the conflict check.
_ATTEMPTS = 20


@dataclass(frozen=True)
class Assignment:
    """Where an article went: its story, what it duplicates, which stories merged into it."""

    job_id: str
    story_id: str
    duplicate_of: str | None
    similarity: float | None
    linked: tuple[str, ...]
    absorbed: tuple[str, ...]
    comparisons: dict[str, Comparison]


class StoryRow(NamedTuple):
    """A live story in a listing: id, articles, first and last event time (epoch seconds)."""

    story_id: str
    n: int
    first: float
    last: float


class Forgotten(NamedTuple):
    """The story an article was taken out of and the articles it has left (0: it is gone)."""

    story_id: str
    remaining: int


@dataclass(frozen=True)
class _Seen:
    comparison: Comparison
    received_time: float
    root: str  # the candidate's own duplicate_of, else the candidate


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _dump_comparisons(comps: dict[str, Comparison]) -> str:
    return json.dumps([[job, *dataclasses.astuple(c)] for job, c in sorted(comps.items())])


def _load_comparisons(text: str) -> dict[str, Comparison]:
    return {row[0]: Comparison(*row[1:]) for row in json.loads(text)} if text else {}


class StoryIndex:
    """Story assignment against a Redis server shared by all workers."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "newswire:stories",
        config: StoryConfig | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.config = config or StoryConfig()
        #: Commits refused because an article that could link came in meanwhile.
        self.conflicts = 0
        #: Work done so far: posting entries read by the lookups, candidates compared.
        self.entries_read = 0
        self.compared = 0
        self._lookup = client.register_script(LOOKUP)
        self._commit = client.register_script(COMMIT)
        self._forget = client.register_script(FORGET)

    # ---- the step -------------------------------------------------------------------------
    def assign(self, f: ArticleFeatures) -> Assignment:
        """Find the article's story (or found one), merging stories it links; atomic commit.

        Idempotent: a job already in the index gets what its first assignment stored (its
        story followed through merges since)."""
        cfg = self.config
        fields = b"".join(bytes((len(x),)) + x for x in index_fields(f).all())
        own = own_buckets(f, cfg.bucket_seconds)
        look = " ".join(map(str, lookup_buckets(own)))
        head: list[_Arg] = [
            self.prefix,
            f.job_id,
            cfg.band_read,
            cfg.max_posting,
            cfg.min_shared_entities,
        ]
        head += [look, fields]
        examine = cfg.max_candidates * 4
        seen: dict[str, _Seen] = {}
        for attempt in range(_ATTEMPTS):
            reply = self._lookup(args=[*head, cfg.max_candidates, cfg.per_story, examine])
            if reply[0] == b"done":
                return self._stored(f.job_id, reply)
            since = -1 if attempt == _ATTEMPTS - 1 else int(reply[1])
            self.entries_read += int(reply[2])
            comps = self._compare(f, reply[3:], seen)
            linked = sorted(job for job, c in comps.items() if c.same_story)
            dup, sim = self._duplicate(comps, seen)
            record: list[_Arg] = [
                "f", _codec.encode(f), "title", f.title or "", "dup", dup or "",
                "sim", "" if sim is None else repr(sim), "linked", " ".join(linked),
                "cmp", _dump_comparisons({j: comps[j] for j in linked}),
            ]  # fmt: skip
            tail: list[_Arg] = [
                since,
                repr(f.event_time),
                cfg.retention_seconds,
                " ".join(map(str, own)),
            ]
            tail += [len(linked), *linked, len(record) // 2, *record]
            result = self._commit(args=[*head, *tail])
            if result[0] == b"retry":
                self.conflicts += 1
                continue
            if result[0] == b"done":
                return self._stored(f.job_id, result)
            return Assignment(
                job_id=f.job_id,
                story_id=_text(result[1]),
                duplicate_of=dup,
                similarity=sim,
                linked=tuple(linked),
                absorbed=tuple(_text(result[2]).split()),
                comparisons={j: comps[j] for j in linked},
            )
        raise AssertionError("unreachable: the last attempt commits without the check")

    def _compare(
        self, f: ArticleFeatures, flat: list[bytes], seen: dict[str, _Seen]
    ) -> dict[str, Comparison]:
        """Compare with the candidates of a LOOKUP reply (each at most once per assign)."""
        comps: dict[str, Comparison] = {}
        for at in range(0, len(flat), 3):
            job = _text(flat[at])
            if job not in seen:
                self.compared += 1
                old = _codec.decode(job, flat[at + 2])
                root = _text(flat[at + 1]) or job
                seen[job] = _Seen(compare(f, old, self.config), old.received_time, root)
            comps[job] = seen[job].comparison
        return comps

    @staticmethod
    def _duplicate(
        comps: dict[str, Comparison], seen: dict[str, _Seen]
    ) -> tuple[str | None, float | None]:
        dups = [(c.text, job) for job, c in comps.items() if c.duplicate]
        if not dups:
            return None, None
        sim, job = max(dups, key=lambda d: (d[0], -seen[d[1]].received_time, d[1]))
        return seen[job].root, round(sim, 4)

    def _stored(self, job_id: str, reply: list[bytes]) -> Assignment:
        story, dup, sim, linked, absorbed, cmp = (_text(x) for x in reply[1:7])
        return Assignment(
            job_id=job_id,
            story_id=story,
            duplicate_of=dup or None,
            similarity=float(sim) if sim else None,
            linked=tuple(linked.split()),
            absorbed=tuple(absorbed.split()),
            comparisons=_load_comparisons(cmp),
        )

    def forget(self, job_id: str) -> Forgotten | None:
        """Take an article out of the index (before it is assigned again, reprocessed).

        Atomic: it leaves its postings and its story; the story keeps its id while other
        articles remain (its first and last times are not narrowed) and is removed, with the
        stories it absorbed, when none does. Returns None if the job was not in the index."""
        reply = self._forget(args=[self.prefix, job_id])
        if not reply:
            return None
        return Forgotten(_text(reply[0]), int(reply[1]))

    # ---- reads ----------------------------------------------------------------------------
    def load(self, job_ids: Iterable[str]) -> dict[str, ArticleFeatures]:
        """Return the stored features of articles still in the index."""
        ids = list(job_ids)
        pipe = self.client.pipeline(transaction=False)
        for job in ids:
            pipe.hget(f"{self.prefix}:art:{job}", "f")
        return {
            job: _codec.decode(job, data)
            for job, data in zip(ids, pipe.execute(), strict=True)
            if data
        }

    def live_story(self, story_id: str) -> str:
        """The story that absorbed `story_id` (following merges), or `story_id` itself."""
        current = story_id
        for _ in range(1000):
            nxt = self.client.get(f"{self.prefix}:absorbed:{current}")
            if nxt is None:
                break
            current = _text(nxt)
        return current

    def story_of_job(self, job_id: str) -> str | None:
        """The live story of an article in the index (None if it is not in it)."""
        story = self.client.hget(f"{self.prefix}:art:{job_id}", "story")
        return None if story is None else self.live_story(_text(story))

    def story_of(self, story_or_job: str) -> str | None:
        """Return the live story of a story id (possibly absorbed) or of a job id.

        A live or absorbed story id wins over the same id as a job id: once a revision moved
        a story's first article elsewhere, the story's id names an article of another story.
        """
        if self.client.exists(f"{self.prefix}:story:{story_or_job}") or self.client.exists(
            f"{self.prefix}:absorbed:{story_or_job}"
        ):
            live = self.live_story(story_or_job)
            if self.client.exists(f"{self.prefix}:story:{live}"):
                return live
        return self.story_of_job(story_or_job)

    def members(self, story_id: str) -> list[str]:
        """Return the job ids of a story (following absorbed ids; a job id: its story's), sorted."""
        live = self.story_of(story_id) or story_id
        return sorted(
            _text(m) for m in self.client.smembers(f"{self.prefix}:story:{live}:articles")
        )

    def recent(self, limit: int = 20) -> list[StoryRow]:
        """The `limit` live stories with the latest last event time, latest first."""
        return self._listing(f"{self.prefix}:recent", limit)

    def largest(self, limit: int = 20) -> list[StoryRow]:
        """The `limit` live stories with the most articles, largest first."""
        return self._listing(f"{self.prefix}:size", limit)

    def _listing(self, key: str, limit: int) -> list[StoryRow]:
        if limit <= 0:
            return []
        found: list[bytes] = self.client.zrevrange(key, 0, limit - 1)  # type: ignore[assignment]
        ids = [_text(s) for s in found]
        pipe = self.client.pipeline(transaction=False)
        for story in ids:
            pipe.hmget(f"{self.prefix}:story:{story}", ["n", "first", "last"])
        rows = []
        for story, (n, first, last) in zip(ids, pipe.execute(), strict=True):
            if n is not None:
                rows.append(StoryRow(story, int(n), float(first or 0), float(last or 0)))
        return rows
