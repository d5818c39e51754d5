"""The shared story index in Redis: candidates, comparison, then one atomic step per article.

Keys (prefix ``{p}`` = ``newswire:stories``; index keys expire after the retention):

=================================  ======  ==================================================
``{p}:band:{bucket}:{band}:{h}``   set     job ids whose MinHash band ``band`` hashes to ``h``
``{p}:ent:{bucket}:{h}``           set     job ids with salient entity ``h``
``{p}:qg:{bucket}:{h}``            set     job ids with a quote containing word trigram ``h``
``{p}:art:{job}``                  hash    story, times, signature, shingles, entities, quotes
``{p}:story:{id}``                 hash    first, last (event time), n (articles)
``{p}:story:{id}:articles``        set     job ids of the story
``{p}:absorbed:{id}``              string  the story that absorbed story ``id``
``{p}:recent``                     zset    live story ids by last event time
=================================  ======  ==================================================

Buckets are event-time slices of ``bucket_seconds``; an article is looked up in its own
bucket and the two next to it, so a lookup reads a bounded number of keys whatever the size
of the index. Concurrency: the keys read are WATCHed; if another worker adds an article to
one of them before this one commits, the lookup is done again (optimistic, no lock).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from . import _minhash, _shingles
from ._features import ArticleFeatures, QuoteGrams
from ._lua import ASSIGN
from ._scoring import Comparison, StoryConfig, compare

#: Word trigrams of a quote put in the index (the smallest hashes: a consistent sample).
QUOTE_GRAMS_INDEXED = 6
_MAX_QUOTES = 30
_RETRIES = 5


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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _dump_quotes(quotes: tuple[QuoteGrams, ...]) -> str:
    return json.dumps([[q.words, sorted(q.grams)] for q in quotes[:_MAX_QUOTES]])


def _load_quotes(text: bytes) -> tuple[QuoteGrams, ...]:
    return tuple(QuoteGrams(frozenset(g), int(w)) for w, g in json.loads(text))


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
        self._assign = client.register_script(ASSIGN)

    # ---- keys -----------------------------------------------------------------------------
    def _bucket(self, t: float) -> int:
        return int(t // self.config.bucket_seconds)

    def index_keys(self, f: ArticleFeatures) -> list[str]:
        """The index keys an article is added to: its event and received-time buckets."""
        return self._keys(f, sorted({self._bucket(f.event_time), self._bucket(f.received_time)}))

    def _keys(self, f: ArticleFeatures, buckets: list[int]) -> list[str]:
        p = self.prefix
        bands = _minhash.band_keys(f.signature) if f.shingles else []
        ents = [_shingles.hash32(e) for e in f.entities]
        quotes = sorted(self._quote_keys(f))
        keys = [f"{p}:band:{b}:{band}" for b in buckets for band in bands]
        keys += [f"{p}:ent:{b}:{e}" for b in buckets for e in ents]
        keys += [f"{p}:qg:{b}:{g}" for b in buckets for g in quotes]
        return keys

    @staticmethod
    def _quote_keys(f: ArticleFeatures) -> set[int]:
        return {g for q in f.quotes for g in sorted(q.grams)[:QUOTE_GRAMS_INDEXED]}

    def lookup_keys(self, f: ArticleFeatures) -> list[str]:
        """The index keys read to find candidates: those buckets and their neighbours."""
        own = {self._bucket(f.event_time), self._bucket(f.received_time)}
        return self._keys(f, sorted({b + d for b in own for d in (-1, 0, 1)}))

    # ---- reads ----------------------------------------------------------------------------
    def _candidates(self, f: ArticleFeatures, keys: list[str]) -> list[str]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.scard(key)
        sizes = pipe.execute()
        readable = [k for k, n in zip(keys, sizes, strict=True) if 0 < n <= self.config.max_posting]
        for key in readable:
            pipe.smembers(key)
        hits: Counter[str] = Counter()
        for members in pipe.execute():
            hits.update(m.decode() for m in members)
        hits.pop(f.job_id, None)
        return [job for job, _ in hits.most_common(self.config.max_candidates)]

    def load(self, job_ids: Iterable[str]) -> dict[str, ArticleFeatures]:
        """Return the stored features of articles still in the index."""
        ids = list(job_ids)
        pipe = self.client.pipeline(transaction=False)
        fields = ("t", "r", "sig", "sh", "sampled", "ents", "quotes", "kw", "dated")
        for job in ids:
            pipe.hmget(f"{self.prefix}:art:{job}", fields)
        out: dict[str, ArticleFeatures] = {}
        for job, row in zip(ids, pipe.execute(), strict=True):
            if row[0] is None:
                continue
            t, r, sig, sh, sampled, ents, quotes, kw, dated = row
            out[job] = ArticleFeatures(
                job_id=job,
                event_time=float(t),
                received_time=float(r),
                dated=dated == b"1",
                shingles=frozenset(_shingles.unpack(sh)),
                sampled=sampled == b"1",
                signature=_minhash.from_bytes(sig),
                entities={str(k): float(v) for k, v in json.loads(ents).items()},
                quotes=_load_quotes(quotes),
                keywords=frozenset(json.loads(kw)),
            )
        return out

    def story_of(self, story_or_job: str) -> str | None:
        """Return the live story of a job id or of a (possibly absorbed) story id."""
        story = self.client.hget(f"{self.prefix}:art:{story_or_job}", "story")
        current = story.decode() if isinstance(story, bytes) else story_or_job
        for _ in range(1000):
            nxt = self.client.get(f"{self.prefix}:absorbed:{current}")
            if nxt is None:
                break
            current = nxt.decode() if isinstance(nxt, bytes) else str(nxt)
        if isinstance(story, bytes) or self.client.exists(f"{self.prefix}:story:{current}"):
            return current
        return None

    def members(self, story_id: str) -> list[str]:
        """Return the job ids of a story (following absorbed ids), sorted."""
        live = self.story_of(story_id) or story_id
        return sorted(
            _text(m) for m in self.client.smembers(f"{self.prefix}:story:{live}:articles")
        )

    # ---- the step -------------------------------------------------------------------------
    def _record(self, f: ArticleFeatures, duplicate_of: str | None) -> list[str | bytes]:
        record: dict[str, str | bytes] = {
            "t": repr(f.event_time),
            "r": repr(f.received_time),
            "sig": _minhash.to_bytes(f.signature),
            "sh": _shingles.pack(f.shingles),
            "sampled": "1" if f.sampled else "0",
            "dated": "1" if f.dated else "0",
            "ents": json.dumps(f.entities, sort_keys=True),
            "quotes": _dump_quotes(f.quotes),
            "kw": json.dumps(sorted(f.keywords)),
            "title": f.title or "",
            "dup": duplicate_of or "",
        }
        flat: list[str | bytes] = []
        for k, v in record.items():
            flat += [k, v]
        return flat

    def assign(self, f: ArticleFeatures) -> Assignment:
        """Find the article's story (or found one), merging stories it links; atomic commit."""
        lookup = self.lookup_keys(f)
        for attempt in range(_RETRIES + 1):
            with self.client.pipeline(transaction=True) as pipe:
                if attempt < _RETRIES:
                    pipe.watch(*lookup)  # type: ignore[no-untyped-call]
                cands = self.load(self._candidates(f, lookup))
                comps = {job: compare(f, old, self.config) for job, old in cands.items()}
                linked = sorted(job for job, c in comps.items() if c.same_story)
                dup, sim = self._duplicate(comps, cands)
                pipe.multi()
                args: list[str | bytes | int] = [
                    self.prefix,
                    f.job_id,
                    repr(f.event_time),
                    self.config.retention_seconds,
                ]
                fields = self._record(f, dup)
                keys = self.index_keys(f)
                args += [len(fields) // 2, len(keys), len(linked), *fields, *keys, *linked]
                self._assign(keys=[], args=args, client=pipe)
                try:
                    (result,) = pipe.execute()
                except redis.WatchError:
                    continue
            story, absorbed = result
            return Assignment(
                job_id=f.job_id,
                story_id=story.decode(),
                duplicate_of=dup,
                similarity=sim,
                linked=tuple(linked),
                absorbed=tuple(a.decode() for a in absorbed),
                comparisons={j: c for j, c in comps.items() if c.same_story},
            )
        raise AssertionError("unreachable: the last attempt runs without WATCH")

    def _duplicate(
        self, comps: dict[str, Comparison], cands: dict[str, ArticleFeatures]
    ) -> tuple[str | None, float | None]:
        dups = [(c.text, job) for job, c in comps.items() if c.duplicate]
        if not dups:
            return None, None
        sim, job = max(dups, key=lambda d: (d[0], -cands[d[1]].received_time, d[1]))
        root = self.client.hget(f"{self.prefix}:art:{job}", "dup")
        return (_text(root) if root else job), round(sim, 4)
