"""Stories across outlets (issue 12): near-duplicates, story assignment, quote clusters, cost.

Reads ../shared/corpus at run time (no corpus text is copied), enriches each file with the
real pipeline, and runs :class:`newswire_enrich.stories.StoryIndex` against a private Redis.

    .venv/bin/python bench/stories_eval.py                  # all parts, figures on stdout
    .venv/bin/python bench/stories_eval.py --scale 2000     # a smaller scale run
    .venv/bin/python bench/stories_eval.py --only-scale     # (f) and (g), no model loaded

Parts: (a) the five seeds; (b) the 70 html-dev pages as HTML and as _page.txt; (c) ggt-dev
and html-dev as distinct stories (false merges, B-cubed); (d) a generated harder set
(truncated copies, sentence-dropped/reordered copies, same-entity different-event pairs);
(e) cost per corpus article (features, index step, share of the enrichment time); (f) a
generated stream of ``--scale`` articles about events (bench/_story_stream.py): articles/s
and ms per step for each thousand, memory, and B-cubed against the events; (g) the same
stream assigned by ``--workers`` processes at once (commits refused, B-cubed).
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
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import redis

from _story_stream import story_stream
from newswire.redis_server import RedisServer
from newswire_enrich.pipeline import Pipeline
from newswire_enrich.stories import StoryIndex, article_features, build_story
from newswire_shared.jobs import job_from_bytes, read_job
from newswire_shared.schemas import EnrichedArticle, Entity, MediaType

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SEED_QUOTES = ("precious", "old friend", "stand higher, walk more steadily and go further")


#: Milliseconds of ``Pipeline.enrich`` per corpus file (the per-article time stories add to).
ENRICH_MS: list[float] = []


def enrich_files(pipeline: Pipeline, paths: Iterable[Path]) -> dict[str, EnrichedArticle]:
    """Enrich files; return {file name: result}."""
    out = {}
    for p in paths:
        job = read_job(p, max_bytes=20_000_000)
        t0 = time.perf_counter()
        out[p.name] = pipeline.enrich(job)
        ENRICH_MS.append((time.perf_counter() - t0) * 1000)
    return out


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


def _pct(values: Sequence[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))]


def timed_assign(index: StoryIndex, article: EnrichedArticle) -> tuple[float, float]:
    """Assign `article`; return the seconds its features and its index step took."""
    t0 = time.perf_counter()
    features = article_features(article)
    t1 = time.perf_counter()
    index.assign(features)
    return t1 - t0, time.perf_counter() - t1


def part_e(client: redis.Redis, corpus: Sequence[EnrichedArticle]) -> None:
    """Cost per corpus article: features and index step, against the enrichment time."""
    index = StoryIndex(client, prefix="eval:e")
    feat_ms, assign_ms = [], []
    for a in corpus:
        feat_s, assign_s = timed_assign(index, a)
        feat_ms.append(feat_s * 1000)
        assign_ms.append(assign_s * 1000)
    both = [x + y for x, y in zip(feat_ms, assign_ms, strict=True)]
    enrich = statistics.median(ENRICH_MS)
    print(
        f"(e) cost on {len(corpus)} corpus articles (ms, median / p90): features "
        f"{statistics.median(feat_ms):.2f} / {_pct(feat_ms, 0.9):.2f}, index step "
        f"{statistics.median(assign_ms):.2f} / {_pct(assign_ms, 0.9):.2f}, both "
        f"{statistics.median(both):.2f} / {_pct(both, 0.9):.2f}; enrichment median "
        f"{enrich:.0f} ms here -> stories add {100 * statistics.median(both) / enrich:.1f}%"
    )


def part_f(client: redis.Redis, n: int) -> None:
    """Scale: a generated stream of `n` articles; per thousand articles/s and ms per step."""
    arts, gold = story_stream(n)
    index = StoryIndex(client, prefix="eval:f")
    print(
        f"(f) scale: {n} generated articles about events, 2 minutes apart (bench/_story_stream"
        ".py), against the bench's redis-server (AOF every second, as newswire runs it)"
    )
    print(
        "    articles      index/s  stories/s  index ms mean  p99  Lua ms  features ms  read"
        "  compared  stories  largest  Redis MB"
    )
    step = 1000 if n >= 2000 else max(1, n // 2)
    feat_ms: list[float] = []
    index_ms: list[float] = []
    rates: list[float] = []
    for start in range(0, n, step):
        block = arts[start : start + step]
        fb, ib = [], []
        client.config_resetstat()
        read, compared = index.entries_read, index.compared
        for a in block:
            feat_s, assign_s = timed_assign(index, a)
            fb.append(feat_s)
            ib.append(assign_s)
        feat_ms += [x * 1000 for x in fb]
        index_ms += [x * 1000 for x in ib]
        rates.append(len(block) / sum(ib))
        lua = client.info("commandstats").get("cmdstat_evalsha", {}).get("usec", 0) / len(block)
        live = client.zcard("eval:f:recent")
        largest = index.largest(1)[0].n
        mem = client.info("memory")["used_memory"] / 1e6
        print(
            f"    {start + 1:>5}-{start + len(block):<6} {rates[-1]:>8.0f}  "
            f"{len(block) / (sum(ib) + sum(fb)):>9.0f}  {1000 * statistics.mean(ib):>13.2f}  "
            f"{1000 * _pct(ib, 0.99):>4.1f}  {lua / 1000:>6.2f}  "
            f"{1000 * statistics.mean(fb):>11.2f}  {(index.entries_read - read) / len(block):>4.0f}"
            f"  {(index.compared - compared) / len(block):>8.1f}  {live:>7}  {largest:>7}  "
            f"{mem:>8.0f}"
        )
    pred = {job: index.story_of(job) or "" for job in gold}
    members = defaultdict(set)
    for job, story in pred.items():
        members[story].add(gold[job])
    merges = sum(len(g) - 1 for g in members.values())
    p, r = bcubed(pred, {k: str(v) for k, v in gold.items()})
    print(
        f"    index step mean {statistics.mean(index_ms):.2f} ms (features "
        f"{statistics.mean(feat_ms):.2f} ms); index/s last/first thousand "
        f"{rates[-1] / rates[0]:.2f} (the first fills the first 2-day window), from the second"
        f" on {min(rates[1:], default=0):.0f}-{max(rates[1:], default=0):.0f}/s, last/second "
        f"{rates[-1] / rates[min(1, len(rates) - 1)]:.2f}; Redis {mem * 1000 / n:.1f} KB/article"
    )
    print(
        f"    {len(set(gold.values()))} events -> {len(members)} stories; events merged into "
        f"another's story: {merges}; B-cubed P {p:.3f} R {r:.3f}"
    )


def _worker(url: str, n: int, workers: int, k: int) -> tuple[int, float]:
    """One of `workers` processes: assign every `workers`-th article of the stream."""
    arts, _ = story_stream(n)
    index = StoryIndex(redis.Redis.from_url(url), prefix="eval:g")
    t0 = time.perf_counter()
    for a in arts[k::workers]:
        index.assign(article_features(a))
    return index.conflicts, time.perf_counter() - t0


def part_g(client: redis.Redis, url: str, n: int, workers: int) -> None:
    """The same stream assigned by `workers` processes at once: conflicts, B-cubed."""
    _, gold = story_stream(n)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        many = [url] * workers, [n] * workers, [workers] * workers, range(workers)
        done = list(pool.map(_worker, *many))
    wall = time.perf_counter() - t0
    index = StoryIndex(client, prefix="eval:g")
    pred = {job: index.story_of(job) or "" for job in gold}
    p, r = bcubed(pred, {k: str(v) for k, v in gold.items()})
    sizes = sum(row.n for row in index.largest(1_000_000))
    print(
        f"(g) the same {n} articles by {workers} processes at once: {n / wall:.0f} articles/s "
        f"in all (features included); commits refused and looked up again: "
        f"{sum(c for c, _ in done)}; {len(set(pred.values()))} stories, articles in "
        f"{{p}}:size {sizes}; B-cubed P {p:.3f} R {r:.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run all parts against a private Redis."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", "--synthetic", type=int, default=10_000, dest="scale")
    ap.add_argument("--workers", type=int, default=4, help="processes of part (g); 0: none")
    ap.add_argument("--only-scale", action="store_true", help="run parts (f) and (g) only")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp) / "redis") as server:
        client = redis.Redis.from_url(server.url)
        if not args.only_scale:
            pipeline = Pipeline()
            part_a(client, pipeline)
            html = enrich_files(pipeline, sorted((CORPUS / "html-dev" / "articles").iterdir()))
            part_b(client, html)
            ggt = enrich_files(pipeline, sorted((CORPUS / "ggt-dev" / "articles").iterdir()))
            part_c(client, ggt, {k: v for k, v in html.items() if k.endswith(".html")})
            part_d(client, pipeline, ggt)
            part_e(client, [*ggt.values(), *html.values()])
        part_f(client, args.scale)
        if args.workers:
            part_g(client, server.url, args.scale, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
