"""Synthetic robustness check of plain-text cleaning: wrap clean articles in page residue.

Each clean article of a corpus folder (its text is its gold body, e.g. ``ggt-dev/articles``)
is wrapped, at run time, in page residue built from this file's own templates of common
news-site shapes (menus, breadcrumbs, adverts, bylines, datelines, share rows, captions,
teasers, story lists, newsletter prompts, comment forms, tags, footers, markdown emphasis,
hard-wrapped paragraphs), randomised with a seed. The cleaner's output is scored with the
quality scorer's clean scoring (bag-of-words F1, imported from ``--score``), and every residue
line is tracked by type to see which types survive. No corpus text is stored anywhere::

    .venv/bin/python bench/residue_check.py ../shared/corpus/ggt-dev/articles \\
        --score ../shared/eval/score.py --variants tune --reps 3

Template variants come in two sets: ``tune`` (for developing rules) and ``held`` (held out:
only look at their totals, never tune rules on their wording).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import textwrap
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from newswire_enrich.clean import clean_article
from newswire_shared.schemas import MediaType

# ----------------------------------------------------------------------------- vocabulary
FIRST = (
    "Jane John Maria Ahmed Li Olga Pedro Aisha Tom Sarah David Priya Kenji Fatima Lucas Emma "
    "Noah Chloe Omar Ines Mateo Hannah Ravi Sofia"
).split()
LAST = (
    "Doe Smith Garcia Khan Wei Petrova Silva Okafor Brown Miller Nakamura Haddad Rossi Novak "
    "Fischer Dubois Kowalski Hughes Mendes Larsen Osei Tanaka Byrne Costa"
).split()
SITES = (
    "The Daily Courier|Metro Gazette|Northern Star|The Evening Ledger|Coastal Tribune|"
    "Capital Dispatch|Riverside Post|The National Wire|Valley Herald|Harbor Times"
).split("|")
AGENCIES = ("Reuters", "AFP", "AP", "Bloomberg", "EPA", "Getty Images", "Shutterstock")
SECTIONS = (
    "World Politics Business Tech Science Health Sport Opinion Culture Climate Travel Money "
    "Markets Europe Asia Americas Africa Local Video Podcasts Lifestyle Entertainment"
).split()
PLACES = (
    "Ottawa Lagos Lisbon Manila Denver Krakow Osaka Nairobi Quito Hobart Leeds Tulsa Porto"
).split()
SUBJECTS = (
    "City council|Lawmakers|Police|Scientists|Regulators|Teachers' union|Central bank|Farmers|"
    "Fire crews|Airline|Hospital staff|Tech giant|Court|Voters|Energy firm|Startup|Museum"
).split("|")
VERBS = (
    "approve|reject|delay|unveil|probe|slash|back|halt|defend|expand|weigh|warn over|"
    "push for|settle|scrap"
).split("|")
OBJECTS = (
    "new housing plan|budget cuts|rail link|tax overhaul|water rules|school closures|"
    "stadium deal|drone ban|merger|heat warning|pension reform|bridge repairs|data law|"
    "vaccine drive|wage deal|port expansion|coal plant"
).split("|")
TAGS = (
    "politics|elections|economy|crime|courts|climate|health care|education|transport|housing|"
    "technology|immigration|energy|sports|culture"
).split("|")
CAPTION_SUBJ = (
    "A police officer|Protesters|Firefighters|Residents|Supporters|Workers|A woman|Delegates|"
    "Commuters|Volunteers|Students|Officials"
).split("|")
CAPTION_ACT = (
    "stand outside the courthouse|gather near the parliament building|walk past a damaged shop|"
    "wait in line at a polling station|inspect the flooded road|listen to a speech|"
    "carry boxes of supplies|hold signs during a rally|look at the wreckage"
).split("|")


def _name(r: random.Random) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def _gen_headline(r: random.Random) -> str:
    h = f"{r.choice(SUBJECTS)} {r.choice(VERBS)} {r.choice(OBJECTS)}"
    if r.random() < 0.4:
        h += f" in {r.choice(PLACES)}"
    if r.random() < 0.2:
        h = h.title()
    return h


def _date(r: random.Random) -> tuple[str, str, str, int]:
    months = "January February March April May June July August September October November"
    m = r.choice((months + " December").split())
    return m, m[:3], str(r.randint(1, 28)), r.randint(2016, 2025)


# ----------------------------------------------------------------------------- templates
#: A template builds residue lines; ``ctx`` gives the article's headline, body, other titles.
Template = Callable[[random.Random, "Ctx"], list[str]]


@dataclass
class Ctx:
    headline: str
    site: str
    body: list[str]
    others: list[str]  # headlines of other stories
    deks: list[str]  # summaries of other stories


def _other(r: random.Random, c: Ctx) -> str:
    return r.choice(c.others) if c.others and r.random() < 0.6 else _gen_headline(r)


# Each residue type: (tune templates, held-out templates).
def _t(*fs: Template) -> list[Template]:
    return list(fs)


BREADCRUMB_GLUED = (
    _t(
        lambda r, c: ["Home" + "".join(r.sample(SECTIONS, r.randint(1, 3)))],
        lambda r, c: ["Home" + r.choice(SECTIONS) + c.headline[: r.randint(12, 30)] + "..."],
    ),
    _t(
        lambda r, c: ["News" + "".join(r.sample(SECTIONS, r.randint(2, 3)))],
        lambda r, c: ["Home" + r.choice(SECTIONS) + r.choice(PLACES)],
    ),
)
BREADCRUMB_SEP = (
    _t(
        lambda r, c: [" > ".join(["Home", *r.sample(SECTIONS, r.randint(1, 3))])],
        lambda r, c: [" / ".join(["News", *r.sample(SECTIONS, r.randint(2, 3))])],
    ),
    _t(
        lambda r, c: [" » ".join(["Home", *r.sample(SECTIONS, r.randint(1, 2))])],
        lambda r, c: [" › ".join(r.sample(SECTIONS, 3))],
    ),
)
MENU = (
    _t(
        lambda r, c: r.sample(SECTIONS, r.randint(4, 8)),
        lambda r, c: ["Menu", *r.sample(SECTIONS, r.randint(3, 6)), "Search"],
        lambda r, c: [" ".join(r.sample(SECTIONS, r.randint(5, 8)))],
    ),
    _t(
        lambda r, c: [" | ".join(r.sample(SECTIONS, r.randint(4, 7)))],
        lambda r, c: ["Sections", *r.sample(SECTIONS, r.randint(4, 6))],
    ),
)
AD = (
    _t(
        lambda r, c: ["- Advertisement -"],
        lambda r, c: ["ADVERTISEMENT"],
        lambda r, c: ["Story continues below advertisement"],
        lambda r, c: ["Advertisement"],
    ),
    _t(
        lambda r, c: ["Article continues below this ad"],
        lambda r, c: ["— ADVERTISEMENT —"],
        lambda r, c: ["Advertisement · Scroll to continue"],
        lambda r, c: ["SPONSORED"],
    ),
)


def _byline_lines(r: random.Random, c: Ctx, held: bool) -> list[str]:
    n = _name(r)
    if not held:
        return r.choice(
            [
                [f"By {n} | {r.choice(AGENCIES[:4])}"],
                [f"{n}, The Associated Press"],
                [n, "Staff Writer"],
                [f"By {n} and {_name(r)}"],
                [f"By {n.upper()}"],
            ]
        )
    return r.choice(
        [
            [f"Written by {n}"],
            [f"{n}, Reuters"],
            [n, "Senior Correspondent"],
            [f"By {n}, {c.site}"],
            [f"{n} | {c.site}"],
        ]
    )


BYLINE = (
    _t(lambda r, c: _byline_lines(r, c, False)),
    _t(lambda r, c: _byline_lines(r, c, True)),
)


def _dates(r: random.Random, held: bool) -> list[str]:
    m, mm, d, y = _date(r)
    hh, mi = r.randint(1, 12), r.randint(10, 59)
    if not held:
        return r.choice(
            [
                [f"Published {m} {d}, {y}"],
                [f"Updated: {hh}:{mi} PM EST, {m} {d}, {y}"],
                [f"Published {mm} {d}, {y} · Updated {hh}:{mi} a.m."],
                [f"{m} {d}, {y}"],
                [f"{d} {m} {y}"],
            ]
        )
    return r.choice(
        [
            [f"Posted on {m} {d}, {y} at {hh}:{mi} am"],
            [f"Last updated {d} {mm} {y}, {hh}:{mi} GMT"],
            [f"{y}-{r.randint(10, 12)}-{int(d):02d}"],
            [f"First published: {m} {d}, {y}"],
            [f"{mm}. {d}, {y} {hh}:{mi} p.m. ET"],
        ]
    )


DATE = (_t(lambda r, c: _dates(r, False)), _t(lambda r, c: _dates(r, True)))
READ_TIME = (
    _t(
        lambda r, c: [f"{r.randint(2, 9)} min read"],
        lambda r, c: [f"Reading time: {r.randint(2, 9)} minutes"],
    ),
    _t(
        lambda r, c: [f"{r.randint(2, 9)}-minute read"],
        lambda r, c: [f"{r.randint(2, 9)} mins read"],
    ),
)
SHARE = (
    _t(
        lambda r, c: ["Share", "Tweet", "Email"],
        lambda r, c: ["Share this article"],
        lambda r, c: ["Share on Facebook", "Share on Twitter", "Copy link"],
        lambda r, c: ["Follow us on Google News"],
    ),
    _t(
        lambda r, c: ["Facebook", "Twitter", "LinkedIn", "WhatsApp"],
        lambda r, c: ["Share this story"],
        lambda r, c: ["Print", "Email", "Share"],
        lambda r, c: [f"Follow {c.site} on Twitter"],
    ),
)


def _caption(r: random.Random, held: bool) -> list[str]:
    cap = f"{r.choice(CAPTION_SUBJ)} {r.choice(CAPTION_ACT)} in {r.choice(PLACES)}"
    day = r.choice(("on Monday", "on Friday", "last week", "in March"))
    n = _name(r)
    if not held:
        return r.choice(
            [
                [f"{cap} {day}. (Photo: {n}/Getty Images)"],
                [f"{cap} {day}. {n} / Reuters"],
                [f"{cap}. (AP Photo/{n})"],
                [f"{cap} {day}.", f"(Photo: {n}/AFP)"],
            ]
        )
    return r.choice(
        [
            [f"{cap} {day}. Photograph: {n}/EPA"],
            [f"{cap} {day}. Credit: {n} for {r.choice(SITES)}"],
            [f"{cap}. {n}/Bloomberg"],
            [f"{cap} {day}.", "Image: Shutterstock"],
        ]
    )


CAPTION = (_t(lambda r, c: _caption(r, False)), _t(lambda r, c: _caption(r, True)))
HEADLINE = (
    _t(
        lambda r, c: [c.headline],
        lambda r, c: [f"{c.headline} | {c.site}"],
    ),
    _t(
        lambda r, c: [f"{c.headline} - {c.site}"],
        lambda r, c: [c.headline.upper()],
    ),
)


def _pull(r: random.Random, c: Ctx) -> str:
    sents = [s for p in c.body for s in re.split(r"(?<=[.!?])\s+", p) if 8 <= len(s.split()) <= 30]
    return r.choice(sents) if sents else c.body[0]


PULL = (
    _t(
        lambda r, c: [_pull(r, c)],
        lambda r, c: [f"“{_pull(r, c).rstrip('.')}”"],
    ),
    _t(
        lambda r, c: [_pull(r, c).rstrip(".")],
        lambda r, c: [f'"{_pull(r, c)}"'],
    ),
)
TEASER = (
    _t(
        lambda r, c: [f"Related: {_other(r, c)}"],
        lambda r, c: [f"READ MORE: {_other(r, c)}"],
        lambda r, c: [f"Read more: {_other(r, c)}"],
    ),
    _t(
        lambda r, c: [f"ALSO READ | {_other(r, c)}"],
        lambda r, c: [f"SEE ALSO: {_other(r, c)}"],
        lambda r, c: [f"Related Story: {_other(r, c)}"],
    ),
)


def _block(r: random.Random, c: Ctx, heads: list[str]) -> list[str]:
    out = [r.choice(heads)]
    dek = r.random() < 0.35
    for _ in range(r.randint(3, 7)):
        out.append(_other(r, c))
        if dek and c.deks:
            out.append(r.choice(c.deks))
    return out


BLOCK = (
    _t(
        lambda r, c: _block(
            r, c, ["RECOMMENDED", "Most Read", "Popular News", "Explore", "More from World"]
        )
    ),
    _t(
        lambda r, c: _block(
            r, c, ["Trending Now", "MOST POPULAR", "You may also like", "Top Stories", "Read Next"]
        )
    ),
)
NEWSLETTER = (
    _t(
        lambda r, c: ["Sign up for our daily newsletter"],
        lambda r, c: ["Get the latest headlines delivered straight to your inbox."],
        lambda r, c: ["Subscribe to our newsletter", "Enter your email address", "Sign up"],
    ),
    _t(
        lambda r, c: ["Want more stories like this? Subscribe to The Briefing."],
        lambda r, c: ["Never miss a story: get our free morning email."],
        lambda r, c: ["Newsletter", "Thanks for signing up!"],
    ),
)
COMMENTS = (
    _t(
        lambda r, c: [
            "Leave a Reply",
            "Your email address will not be published. Required fields are marked *",
            "Comment *",
            "Name *",
            "Email *",
            "Website",
            "Save my name, email, and website in this browser for the next time I comment.",
            "Post Comment",
        ],
        lambda r, c: [f"{r.randint(2, 90)} Comments", "Please enter your comment!"],
    ),
    _t(
        lambda r, c: ["Leave a comment", "You must be logged in to post a comment."],
        lambda r, c: ["Join the conversation", "Comments are closed."],
    ),
)
TAGS_T = (
    _t(
        lambda r, c: ["Tags: " + ", ".join(r.sample(TAGS, r.randint(2, 5)))],
        lambda r, c: ["Topics", *[t.title() for t in r.sample(TAGS, r.randint(2, 4))]],
    ),
    _t(
        lambda r, c: ["Filed under: " + ", ".join(r.sample(TAGS, r.randint(2, 4)))],
        lambda r, c: [" #".join(["", *r.sample(TAGS, 3)]).strip().replace(" ", "")],
    ),
)


def _footer(r: random.Random, c: Ctx, held: bool) -> list[str]:
    y = r.randint(2018, 2025)
    if not held:
        return r.choice(
            [
                [f"© {y} {c.site}. All rights reserved."],
                [f"Copyright {y} {c.site}", "Privacy Policy", "Terms of Use", "Contact Us"],
            ]
        )
    return r.choice(
        [
            [f"{c.site} © {y}", "About us | Careers | Advertise"],
            [f"(c) {y} {c.site} Media Group. Reproduction without permission is prohibited."],
        ]
    )


FOOTER = (_t(lambda r, c: _footer(r, c, False)), _t(lambda r, c: _footer(r, c, True)))

RESIDUE: dict[str, tuple[list[Template], list[Template]]] = {
    "breadcrumb_glued": BREADCRUMB_GLUED,
    "breadcrumb": BREADCRUMB_SEP,
    "menu": MENU,
    "advert": AD,
    "byline": BYLINE,
    "date": DATE,
    "read_time": READ_TIME,
    "share": SHARE,
    "caption": CAPTION,
    "headline": HEADLINE,
    "pull_quote": PULL,
    "teaser": TEASER,
    "story_list": BLOCK,
    "newsletter": NEWSLETTER,
    "comments": COMMENTS,
    "tags": TAGS_T,
    "footer": FOOTER,
}


# ----------------------------------------------------------------------------- assembly
@dataclass
class Page:
    text: str
    title: str
    body: list[str]
    optional: list[str]
    junk: list[tuple[str, str]] = field(default_factory=list)  # (type, line)
    markdown: bool = False
    features: list[str] = field(default_factory=list)


def _headline_of(body: list[str]) -> str:
    """A headline-like line made from the lede's first words (not a substring of it)."""
    ws = [w for w in re.findall(r"[\w'’-]+", body[0]) if w.lower() not in {"the", "a", "an"}]
    h = " ".join(ws[: min(len(ws), 9)])
    return (h[:1].upper() + h[1:]) or "Untitled"


def _emphasise(r: random.Random, para: str, held: bool) -> str:
    ws = para.split(" ")
    if len(ws) < 6:
        return para
    i = r.randrange(0, len(ws) - 3)
    k = r.randint(1, 3)
    span = " ".join(ws[i : i + k])
    if not re.match(r"^\w.*\w$", span):
        return para
    if not held:
        wrap = r.choice(
            (f"**{span}**", f"_{span}_", f"[{span}](https://example.com/{r.randint(1, 999)})")
        )
    else:
        wrap = r.choice((f"__{span}__", f"*{span}*", f"[{span}][{r.randint(1, 9)}]"))
    return " ".join([*ws[:i], wrap, *ws[i + k :]])


def _hard_wrap(para: str, width: int) -> str:
    return textwrap.fill(para, width, break_long_words=False, break_on_hyphens=False)


def _split_para(r: random.Random, para: str) -> str:
    """Break a paragraph mid-sentence with a blank line (a lost <br> or a figure)."""
    ws = para.split(" ")
    if len(ws) < 14:
        return para
    i = r.randint(5, len(ws) - 5)
    return " ".join(ws[:i]) + "\n\n" + " ".join(ws[i:])


def build_page(
    r: random.Random, body: list[str], others: list[str], deks: list[str], held: bool, p: float
) -> Page:
    """Wrap a clean article (its paragraphs) in residue of each type with probability `p`."""
    site = r.choice(SITES)
    c = Ctx(_headline_of(body), site, body, others, deks)
    pick = {k: v[1 if held else 0] for k, v in RESIDUE.items()}
    on = {k for k in RESIDUE if r.random() < p}
    on.add("headline")
    page = Page("", c.headline, list(body), [])
    out: list[str] = []

    def add(kind: str, blank: bool = True) -> None:
        lines = r.choice(pick[kind])(r, c)
        for ln in lines:
            if kind == "caption" and ln[:1] != "(" and len(ln.split()) > 4:
                page.optional.append(ln)  # the scorer counts captions as optional
            page.junk.append((kind, ln))
        sep = "\n\n" if blank else "\n"
        out.append(sep.join(lines))

    # page top
    for kind in ("menu", "breadcrumb_glued", "breadcrumb"):
        if kind in on:
            add(kind, blank=r.random() < 0.5)
    if "headline" in on and r.random() < 0.5:
        page.junk.append(("headline", f"{c.headline} | {site}"))
        out.append(f"{c.headline} | {site}")
    md = r.random() < 0.3
    page.markdown = md
    out.append(("# " if md else "") + c.headline)
    if r.random() < 0.4:
        add("headline")
    for kind in ("byline", "date", "read_time", "share", "caption"):
        if kind in on and r.random() < 0.8:
            add(kind, blank=r.random() < 0.6)
    # body
    wrap = r.random() < 0.25
    split = r.random() < 0.3
    emph = r.random() < 0.4
    page.features = [f for f, b in (("wrap", wrap), ("split", split), ("emph", emph)) if b]
    mids = [k for k in ("advert", "pull_quote", "teaser", "newsletter", "caption") if k in on]
    slots = {r.randrange(1, max(2, len(body))): k for k in mids for _ in range(r.randint(1, 2))}
    width = r.randint(60, 80)
    for i, para in enumerate(body):
        if i in slots:
            add(slots[i])
        txt = _emphasise(r, para, held) if emph and r.random() < 0.5 else para
        if split and r.random() < 0.15:
            txt = _split_para(r, txt)
        if wrap:
            txt = _hard_wrap(txt, width)
        out.append(txt)
    # page foot
    for kind in ("tags", "share", "story_list", "newsletter", "comments", "story_list", "footer"):
        if kind in on and r.random() < 0.7:
            add(kind, blank=r.random() < 0.7)
    page.text = "\n\n".join(out) + "\n"
    return page


# ----------------------------------------------------------------------------- scoring
def _load_score(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("newswire_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _count(sc: ModuleType, line: str, flat: str, lines: list[str]) -> int:
    """How often a residue line appears in a text (as a line when short, else anywhere)."""
    j = sc.norm_line(line)
    if not j:
        return 0
    if len(sc.tokens(j)) >= 4:
        return flat.count(j)
    return sum(1 for x in lines if x == j)


def _paragraphs(text: str) -> list[str]:
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [re.sub(r"\s*\n\s*", " ", p) for p in paras]


def run(a: argparse.Namespace) -> dict[str, Any]:
    sc = _load_score(a.score)
    files = sorted(p for p in a.corpus.iterdir() if p.suffix in {".txt", ".md"})
    bodies = [_paragraphs(p.read_text(encoding="utf-8")) for p in files]
    ledes = [b[0] for b in bodies if b]
    others_all = [_headline_of([x]) for x in ledes]
    deks = [x if len(x) < 200 else x[:150].rsplit(" ", 1)[0] + "..." for x in ledes]
    held = a.variants == "held"
    r = random.Random(a.seed)
    f1s: list[float] = []
    titles = 0
    inserted: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    kept_lines: Counter[tuple[str, str]] = Counter()
    lost: Counter[str] = Counter()
    by_feature: dict[str, list[float]] = defaultdict(list)
    ms = 0.0
    n = 0
    for _rep in range(a.reps):
        for k, body in enumerate(bodies):
            if not body:
                continue
            others = [h for i, h in enumerate(others_all) if i != k]
            od = [d for i, d in enumerate(deks) if i != k]
            page = build_page(r, body, others, od, held, a.p)
            media = MediaType.MARKDOWN if page.markdown else MediaType.TEXT
            t0 = time.perf_counter()
            art = clean_article(page.text, media, files[k].name)
            ms += time.perf_counter() - t0
            n += 1
            gold = {"body": page.body, "optional": page.optional, "title": page.title}
            res = sc.score_clean(gold, {"text": art.text, "title": art.title})
            f1s.append(res["f1"])
            if a.dump is not None:
                a.dump.mkdir(parents=True, exist_ok=True)
                stem = f"{res['f1']:.3f}_{_rep}_{files[k].stem}"
                (a.dump / f"{stem}.in.txt").write_text(page.text, encoding="utf-8")
                (a.dump / f"{stem}.out.txt").write_text(
                    f"TITLE: {art.title}\n\n{art.text}\n", encoding="utf-8"
                )
            for feat in page.features or ["plain"]:
                by_feature[feat].append(res["f1"])
            titles += bool(res["title_ok"])
            flat = sc.norm_line(art.text)
            out_lines = [sc.norm_line(x) for x in art.text.splitlines()]
            body_flat = sc.norm_line("\n".join(page.body))
            body_lines = [sc.norm_line(x) for x in page.body]
            for kind, line in page.junk:
                inserted[kind] += 1
                extra = _count(sc, line, flat, out_lines) - _count(sc, line, body_flat, body_lines)
                if extra > 0:
                    kept[kind] += 1
                    kept_lines[(kind, line[:90])] += 1
            for b in page.body:
                if sc.norm_line(b) not in flat:
                    lost[f"{files[k].name}: {b[:100]}"] += 1
    types = {
        t: {
            "inserted_per_article": round(inserted[t] / n, 3),
            "kept_per_article": round(kept[t] / n, 3),
            "kept_share": round(kept[t] / inserted[t], 3) if inserted[t] else 0.0,
        }
        for t in RESIDUE
    }
    return {
        "variants": a.variants,
        "pages": n,
        "clean_f1": round(sum(f1s) / n, 4),
        "titles_ok": round(titles / n, 3),
        "junk_kept_per_article": round(sum(kept.values()) / n, 3),
        "junk_per_article": round(sum(inserted.values()) / n, 3),
        "ms_per_article": round(1000 * ms / n, 2),
        "f1_by_feature": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_feature.items())},
        "types": types,
        "most_kept": [f"{c}x {k}: {ln}" for (k, ln), c in kept_lines.most_common(a.top)],
        "most_lost": [f"{c}x {b}" for b, c in lost.most_common(a.top)],
    }


def main(argv: list[str] | None = None) -> int:
    """Wrap every article of a folder in synthetic residue, clean it and report."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("corpus", type=Path, help="folder of clean articles (text = gold body)")
    ap.add_argument("--score", type=Path, required=True, help="path of the scorer's score.py")
    ap.add_argument("--variants", choices=("tune", "held"), default="tune")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3, help="pages built per article")
    ap.add_argument("--p", type=float, default=0.6, help="chance of each residue type")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--dump", type=Path, help="write each page and its cleaned text here (outside the repo)"
    )
    a = ap.parse_args(argv)
    rep = run(a)
    if a.json:
        print(json.dumps(rep, ensure_ascii=False, indent=1))
        return 0
    print(
        f"{rep['variants']}: {rep['pages']} pages  clean F1 {rep['clean_f1']:.4f}  "
        f"titles {rep['titles_ok']:.3f}  junk kept {rep['junk_kept_per_article']:.2f}"
        f"/{rep['junk_per_article']:.2f} per article  {rep['ms_per_article']:.1f} ms/article"
    )
    print("F1 by body feature:", rep["f1_by_feature"])
    print(f"{'residue type':18} {'inserted':>9} {'kept':>7} {'kept %':>7}")
    order = sorted(rep["types"].items(), key=lambda kv: -kv[1]["kept_share"])
    for t, v in order:
        print(
            f"{t:18} {v['inserted_per_article']:9.2f} {v['kept_per_article']:7.2f} "
            f"{100 * v['kept_share']:6.1f}%"
        )
    print("\nresidue lines kept most often:")
    for x in rep["most_kept"]:
        print("  ", x)
    print("\nbody paragraphs lost most often:")
    for x in rep["most_lost"]:
        print("  ", x)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
