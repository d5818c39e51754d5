"""Clean plain text or markdown that still carries the residue of its web page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._markdown import is_setext_underline, strip_markdown_line
from ._normalize import join_paragraphs, normalize_inline, normalize_text
from ._rules import (
    ends_sentence,
    is_block_start,
    is_teaser,
    junk_reason,
    parse_byline,
    parse_date,
    words,
)
from ._types import CleanedArticle, Removal

#: A line this long is article text even without final punctuation.
_LONG_LINE = 16
#: A text whose article starts after this many lines is a whole page, not an article.
_PAGE_HEADER_LINES = 4

#: Lines up to this many words without final punctuation look like menu items.
_SHORT_LINE = 4
#: In page text, sentences shorter than this are more likely widgets than article text.
_SHORT_SENTENCE = 8
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_FURNITURE = frozenset(
    {"page widget", "comment form", "list heading", "advertisement", "breadcrumb", "reading time"}
)
#: In page text, these headings end the article (comment sections, post navigation).
_END_MARKER = re.compile(
    r"^(\d+\s+)?(comments?|responses?|replies|discussion|leave a (comment|reply)|"
    r"comments are closed\.?|join the (conversation|discussion)|post navigation|"
    r"(previous|next) (post|article|story)\b.*|about the author|tags?:.*|share this:?)$",
    re.IGNORECASE,
)

_SITE_SUFFIX = re.compile(r"^(?P<title>.{8,}?)\s+[|–—-]\s+(?P<site>[^|–—]{2,60})$")


@dataclass
class Line:
    text: str
    heading: bool = False
    removed: str | None = None


@dataclass
class Meta:
    authors: tuple[str, ...] = ()
    published: str | None = None
    publisher: str | None = None


def line_key(text: str) -> str:
    return " ".join(words(text.casefold()))


def _read_lines(text: str, markdown: bool) -> list[Line]:
    out: list[Line] = []
    for raw in normalize_text(text).split("\n"):
        if is_setext_underline(raw) and out and out[-1].text:
            out[-1].heading = True
            continue
        line, heading = strip_markdown_line(raw) if raw else ("", False)
        if raw and not line:
            continue
        out.append(Line(line, heading=heading and markdown))
    return out


def mark_junk(lines: list[Line], meta: Meta) -> None:
    """Mark single junk lines, and lists of headlines under a list heading."""
    in_list = False
    for ln in lines:
        if not ln.text:
            continue
        reason = junk_reason(ln.text)
        if reason == "list heading" or is_block_start(ln.text):
            in_list, ln.removed = True, "list heading"
            continue
        if in_list:
            headline = not ends_sentence(ln.text) and len(words(ln.text)) <= 30
            if reason or headline or is_teaser(ln.text):
                ln.removed = reason or "story list"
                continue
            in_list = False
        if reason:
            ln.removed = reason
            if reason == "byline" and not meta.authors:
                meta.authors = parse_byline(ln.text) or ()
            elif reason == "date line" and meta.published is None:
                meta.published = parse_date(ln.text)


def _rejoin(kept: list[Line]) -> list[Line]:
    """Join paragraphs broken mid-sentence: no end punctuation, next starts lower-case."""
    out: list[Line] = []
    for ln in kept:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.heading
            and not ln.heading
            and not ends_sentence(prev.text)
            and not prev.text.endswith(("-", "—", "–"))
            and ln.text[:1].islower()
        ):
            out[-1] = Line(prev.text + " " + ln.text)
            continue
        out.append(ln)
    return out


def _n_words(text: str) -> int:
    return len(words(text)) + len(_CJK.findall(text)) // 2


def _is_short(ln: Line) -> bool:
    return _n_words(ln.text) <= _SHORT_LINE and not ends_sentence(ln.text)


def _looks_like_page(lines: list[Line], kept: list[Line]) -> bool:
    """Whole-page text (menus, widgets) rather than an article with a little residue."""
    head = 0
    for ln in kept:
        if _n_words(ln.text) >= _LONG_LINE:
            break
        head += _is_short(ln)
    if head >= _PAGE_HEADER_LINES + 1:
        return True
    furniture = sum(1 for ln in lines if ln.removed in _FURNITURE)
    short = sum(1 for ln in kept if _is_short(ln))
    return furniture >= 3 and short >= 0.4 * max(len(kept), 1)


def _score(ln: Line, page: bool) -> float:
    n = _n_words(ln.text)
    if is_teaser(ln.text):
        return -3.0
    if ends_sentence(ln.text) and not ln.heading:
        if page and n < _SHORT_SENTENCE:
            return n - _SHORT_SENTENCE + 2.0
        return float(min(n, 60))
    if n >= _LONG_LINE and not ln.heading:
        return 0.5 * min(n, 60)
    return -(2.0 + 0.3 * n)


def _main_span(lines: list[Line], page: bool) -> tuple[int, int]:
    """The contiguous run of lines with the most article-like text (max-sum subarray)."""
    best, best_span = float("-inf"), (0, len(lines))
    cur, start = 0.0, 0
    for i, ln in enumerate(lines):
        if cur <= 0:
            cur, start = 0.0, i
        if page and cur > 0 and _END_MARKER.match(ln.text):
            break
        cur += _score(ln, page)
        if cur > best:
            best, best_span = cur, (start, i + 1)
    return best_span


def _headline_like(text: str) -> bool:
    n = len(words(text))
    return 2 <= n <= 30 and not text.endswith((".", ",", ";", ":")) and not is_teaser(text)


def _find_title(
    head: list[Line], all_lines: list[Line], meta: Meta
) -> tuple[str | None, Line | None]:
    counts: dict[str, int] = {}
    for ln in all_lines:
        counts[line_key(ln.text)] = counts.get(line_key(ln.text), 0) + 1
    cands = [ln for ln in head if _headline_like(ln.text)]
    for ln in cands:
        m = _SITE_SUFFIX.match(ln.text)
        if m and any(
            line_key(o.text) == line_key(m.group("title")) for o in all_lines if o is not ln
        ):
            meta.publisher = meta.publisher or m.group("site").strip()
            title = m.group("title").strip()
            same = [o for o in head if line_key(o.text) == line_key(title)]
            return title, same[-1] if same else ln
    repeated = [ln for ln in cands if counts[line_key(ln.text)] >= 2 and len(words(ln.text)) >= 3]
    if repeated:
        return repeated[0].text, repeated[0]
    if cands and len(words(cands[-1].text)) >= 3:
        return cands[-1].text, cands[-1]
    return None, None


def clean_text(text: str, markdown: bool) -> tuple[CleanedArticle, list[Removal]]:
    """Clean page-residue text; return the article and the removals (in reading order)."""
    meta = Meta()
    lines = _read_lines(text, markdown)
    mark_junk(lines, meta)
    removals = [Removal(ln.text, ln.removed) for ln in lines if ln.removed]
    kept = _rejoin([ln for ln in lines if ln.text and not ln.removed])
    page = _looks_like_page(lines, kept)
    start, end = _main_span(kept, page) if kept else (0, 0)
    title, title_line = _find_title(kept[:start], kept, meta)
    if not page:
        end = len(kept)  # an article, not a page dump: keep everything after its start
    for ln in kept[:start] + kept[end:]:
        if ln is not title_line:
            removals.append(Removal(ln.text, "outside main text"))
    body: list[str] = []
    seen: set[str] = set()
    span = kept[start:end]
    keys = [line_key(ln.text) for ln in span]
    for i, ln in enumerate(span):
        k = keys[i]
        if title and k == line_key(title):
            removals.append(Removal(ln.text, "repeated headline"))
            continue
        if len(k.split()) >= 5 and k in seen:
            removals.append(Removal(ln.text, "duplicate line"))
            continue
        if (
            len(k.split()) >= 5
            and not ends_sentence(ln.text)
            and any(k in o and o != k for j, o in enumerate(keys) if j != i)
        ):
            removals.append(Removal(ln.text, "pull quote"))
            continue
        seen.add(k)
        body.append(ln.text)
    article = CleanedArticle(
        title=normalize_inline(title) if title else None,
        text=join_paragraphs(body),
        authors=meta.authors,
        publisher=meta.publisher,
        published=meta.published,
    )
    return article, removals
