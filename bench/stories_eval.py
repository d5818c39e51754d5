"""Stories across outlets (issue 12): near-duplicates, story assignment, quote clusters, cost.

Reads ../shared/corpus at run time (no corpus text is copied), enriches each file with the
real pipeline, and runs :class:`newswire_enrich.stories.StoryIndex` against a private Redis.

    .venv/bin/python bench/stories_eval.py            # all parts, figures on stdout
    .venv/bin/python bench/stories_eval.py --synthetic 2000   # smaller cost run

Parts: (a) the five seeds; (b) the 70 html-dev pages as HTML and as _page.txt; (c) ggt-dev
and html-dev as distinct stories (false merges, B-cubed); (d) a generated harder set
(truncated copies, sentence-dropped/reordered copies, same-entity different-event pairs);
(e) cost per article and index throughput over a synthetic run.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

from newswire.redis_server import RedisServer
from newswire_enrich.pipeline import Pipeline
from newswire_enrich.stories import StoryIndex, article_features, build_story
from newswire_shared.jobs import job_from_bytes, read_job
from newswire_shared.schemas import EnrichedArticle, Entity, MediaType

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SEED_QUOTES = ("precious", "old friend", "stand higher, walk more steadily and go further")


def enrich_files(pipeline: Pipeline, paths: Iterable[Path]) -> dict[str, EnrichedArticle]:
    """Enrich files; return {file name: result}."""
    return {p.name: pipeline.enrich(read_job(p, max_bytes=20_000_000)) for p in paths}


def enrich_text(pipeline: Pipeline, text: str, name: str) -> EnrichedArticle:
    """Enrich a generated plain text."""
    return pipeline.enrich(job_from_bytes(text.encode("utf-8"), name, MediaType.TEXT))


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float]:
    """B-cubed precision and recall of a clustering `pred` against `gold` (item -> cluster)."""
    by_pred, by_gold = defaultdict(set), defaultdict(set)
    for item, c in pred.items():
        by_pred[c].add(item)
    for item, c in gold.items():
        by_gold[c].add(item)
    p = r = 0.0
    for item in pred:
        same_p, same_g = by_pred[pred[item]], by_gold[gold[item]]
        inter = len(same_p & same_g)
        p += inter / len(same_p)
        r += inter / len(same_g)
    return p / len(pred), r / len(pred)


def assign_all(index: StoryIndex, articles: dict[str, EnrichedArticle]) -> dict[str, object]:
    """Assign every article; return {key: Assignment} in input order."""
    return {k: index.assign(article_features(a)) for k, a in articles.items()}


def part_a(client: redis.Redis, pipeline: Pipeline) -> None:
    """The five seed articles: one story, and its quote clusters."""
    arts = enrich_files(pipeline, sorted((CORPUS / "seeds" / "articles").iterdir()))
    index = StoryIndex(client, prefix="eval:a")
    got = {k: index.assign(article_features(a)) for k, a in arts.items()}
    stories = {index.story_of(a.job_id) for a in arts.values()}
    print(f"(a) seeds: {len(arts)} articles -> {len(stories)} stories")
    for name, a in got.items():
        reasons = sorted({c.reason for c in a.comparisons.values()})
        print(f"    {name}: story {index.story_of(a.job_id)} linked {len(a.linked)} by {reasons}")
    story = build_story(next(iter(stories)) or "", list(arts.values()))
    multi = [q for q in story.quotes if q.articles > 1]
    print(f"    quote clusters: {len(story.quotes)}, multi-article: {len(multi)}")
    for q in multi:
        print(f"      {q.articles} articles, {q.speaker}: {q.instances[0].text[:70]!r}")
    for phrase in SEED_QUOTES:
        carriers = {
            i.job_id for q in story.quotes for i in q.instances if phrase in i.text.casefold()
        }
        in_text = sum(phrase in a.text.casefold() for a in arts.values())
        print(f"    {phrase!r}: in {in_text} article texts, in quotes of {len(carriers)}")
    top = ", ".join(f"{e.name} ({e.articles})" for e in story.entities[:6])
    print(f"    merged entities: {len(story.entities)}; top: {top}")


def part_b(client: redis.Redis, html: dict[str, EnrichedArticle]) -> None:
    """HTML page and its _page.txt: near-duplicates; different pages never."""
    index = StoryIndex(client, prefix="eval:b")
    page_of = {n: n.removesuffix(".html").removesuffix("_page.txt") for n in html}
    job_page = {a.job_id: page_of[n] for n, a in html.items()}
    got = assign_all(index, html)
    pairs_ok = cross = 0
    sims: list[float] = []
    for name, a in got.items():
        if a.duplicate_of is not None:  # type: ignore[attr-defined]
            if job_page[a.duplicate_of] == page_of[name]:  # type: ignore[attr-defined]
                pairs_ok += 1
                sims.append(a.similarity)  # type: ignore[attr-defined]
            else:
                cross += 1
    pages = len(set(page_of.values()))
    print(
        f"(b) html-dev: {pages} pages as HTML and _page.txt: {pairs_ok}/{pages} pairs marked "
        f"near-duplicate (similarity min {min(sims, default=0):.3f}, median "
        f"{statistics.median(sims) if sims else 0:.3f}); different pages marked: {cross}"
    )
    stories = defaultdict(set)
    for a in html.values():
        stories[index.story_of(a.job_id)].add(job_page[a.job_id])
    print(f"    stories holding more than one page: {sum(len(v) > 1 for v in stories.values())}")


def clustering_report(
    label: str, index: StoryIndex, arts: dict[str, EnrichedArticle], gold: dict[str, str]
) -> None:
    """Assign, then print false merges and B-cubed against `gold` (key -> gold cluster)."""
    for a in arts.values():
        index.assign(article_features(a))
    pred = {k: index.story_of(a.job_id) or "" for k, a in arts.items()}
    members = defaultdict(set)
    for k, s in pred.items():
        members[s].add(gold[k])
    merges = sum(len(g) - 1 for g in members.values())
    p, r = bcubed(pred, gold)
    print(
        f"    {label}: {len(arts)} articles, {len(set(pred.values()))} stories, "
        f"{len(set(gold.values()))} gold; false merges {merges}; B-cubed P {p:.3f} R {r:.3f}"
    )


def part_c(
    client: redis.Redis, ggt: dict[str, EnrichedArticle], html_only: dict[str, EnrichedArticle]
) -> None:
    """ggt-dev and html-dev articles: every page its own story."""
    print("(c) distinct articles (each its own story):")
    arts = {**ggt, **html_only}
    clustering_report(
        "ggt-dev + html-dev", StoryIndex(client, prefix="eval:c"), arts, {k: k for k in arts}
    )


_SENT = re.compile(r"(?<=[.!?])\s+")


def _drop_and_reorder(text: str, rng: random.Random) -> str:
    paras = [p for p in text.split("\n\n") if p.strip()]
    out = []
    for p in paras:
        sents = _SENT.split(p)
        kept = [s for s in sents if rng.random() > 0.3] or sents[:1]
        out.append(" ".join(kept))
    head, tail = out[:1], out[1:]
    rng.shuffle(tail)
    return "\n\n".join(head + tail)


def part_d(client: redis.Redis, pipeline: Pipeline, ggt: dict[str, EnrichedArticle]) -> None:
    """Generated harder set: copies that should join, same-entity pairs that should not."""
    rng = random.Random(12)
    print("(d) generated set from ggt-dev:")
    arts: dict[str, EnrichedArticle] = {}
    gold: dict[str, str] = {}
    for n, (name, a) in enumerate(sorted(ggt.items())):
        arts[name], gold[name] = a, name
        paras = a.text.split("\n\n")
        trunc = "\n\n".join(paras[: max(1, len(paras) * 2 // 5)])
        arts[name + "#trunc"] = enrich_text(pipeline, trunc, f"t{n}.txt")
        arts[name + "#para"] = enrich_text(pipeline, _drop_and_reorder(a.text, rng), f"p{n}.txt")
        gold[name + "#trunc"] = gold[name + "#para"] = name
    clustering_report(
        "originals + truncated (40%) + dropped/reordered",
        StoryIndex(client, prefix="eval:d1"),
        arts,
        gold,
    )
    for kind in ("#trunc", "#para"):
        sub = {k: v for k, v in arts.items() if "#" not in k or k.endswith(kind)}
        clustering_report(
            f"originals + {kind[1:]} only",
            StoryIndex(client, prefix=f"eval:d{kind}"),
            sub,
            {k: gold[k] for k in sub},
        )
    # Same entities, different event: B's text and quotes with A's salient entities.
    names = sorted(ggt)
    same: dict[str, EnrichedArticle] = {}
    for i in range(0, len(names) - 1, 2):  # disjoint pairs: A, and B's text with A's entities
        a, b = ggt[names[i]], ggt[names[i + 1]]
        ents = [
            Entity(id=f"X{j}", name=e.name, label=e.label, count=e.count, salience=e.salience)
            for j, e in enumerate(a.entities)
        ]
        twin = b.model_copy(update={"job_id": f"{i:04d}5a3e000000"[:16], "entities": ents})
        same[names[i]], same[names[i] + "#twin"] = a, twin
    gold2 = {k: k for k in same}
    clustering_report(
        "same-entity different-event pairs", StoryIndex(client, prefix="eval:d2"), same, gold2
    )


def _synthetic(n: int, base: EnrichedArticle, rng: random.Random) -> list[EnrichedArticle]:
    vocab = [f"w{i}" for i in range(20_000)]
    people = [f"Person{i} Surname{i}" for i in range(3_000)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        text = " ".join(rng.choice(vocab) for _ in range(400))
        ents = [
            Entity(
                id=f"E{j}",
                name=rng.choice(people),
                label="PERSON",
                count=2,
                salience=round(rng.random(), 3),
            )
            for j in range(8)
        ]
        when = start + timedelta(minutes=5 * i)
        src = base.source.model_copy(update={"received_at": when})
        out.append(
            base.model_copy(
                update={
                    "job_id": f"{i:016x}",
                    "text": text,
                    "entities": ents,
                    "quotes": [],
                    "published": None,
                    "source": src,
                }
            )
        )
    return out


def part_e(client: redis.Redis, corpus: Sequence[EnrichedArticle], n: int) -> None:
    """Cost: ms per article on corpus articles; throughput first vs last 1,000 of `n`."""
    index = StoryIndex(client, prefix="eval:e")
    feat_ms, assign_ms = [], []
    for a in corpus:
        t0 = time.perf_counter()
        f = article_features(a)
        t1 = time.perf_counter()
        index.assign(f)
        t2 = time.perf_counter()
        feat_ms.append((t1 - t0) * 1000)
        assign_ms.append((t2 - t1) * 1000)
    print(
        f"(e) cost on {len(corpus)} corpus articles: features median "
        f"{statistics.median(feat_ms):.2f} ms, "
        f"index step median {statistics.median(assign_ms):.2f} ms (p90 "
        f"{sorted(assign_ms)[int(len(assign_ms) * 0.9)]:.2f})"
    )
    arts = _synthetic(n, corpus[0], random.Random(5))
    index = StoryIndex(client, prefix="eval:e2")
    block = min(1000, n // 2)
    stamps = []
    t_start = time.perf_counter()
    for a in arts:
        index.assign(article_features(a))
        stamps.append(time.perf_counter())
    first = block / (stamps[block - 1] - t_start)
    last = block / (stamps[-1] - stamps[-block - 1])
    used = client.info("memory")["used_memory"] / 1e6
    print(
        f"    synthetic {n} articles (400 words, 8 entities, 5 min apart): first {block} "
        f"{first:.0f}/s, last {block} {last:.0f}/s; Redis memory {used:.0f} MB"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run all parts against a private Redis."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=10_000)
    args = ap.parse_args(argv)
    pipeline = Pipeline()
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp) / "redis") as server:
        client = redis.Redis.from_url(server.url)
        part_a(client, pipeline)
        html = enrich_files(pipeline, sorted((CORPUS / "html-dev" / "articles").iterdir()))
        part_b(client, html)
        ggt = enrich_files(pipeline, sorted((CORPUS / "ggt-dev" / "articles").iterdir()))
        part_c(client, ggt, {k: v for k, v in html.items() if k.endswith(".html")})
        part_d(client, pipeline, ggt)
        part_e(client, [*ggt.values(), *html.values()], args.synthetic)
    return 0


if __name__ == "__main__":
    sys.exit(main())
