"""Clean an HTML page with trafilatura, then apply the safe line rules to its output."""

from __future__ import annotations

import re
from typing import Any

import trafilatura

from newswire_enrich.errors import BadInputError

from ._normalize import join_paragraphs, normalize_inline, normalize_text
from ._rules import parse_date
from ._text import Line, Meta, line_key, mark_junk
from ._types import CleanedArticle, Removal

_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)
_AUTHOR_SPLIT = re.compile(r";|\s+and\s+|\s*&\s*")
_NOT_AUTHOR = re.compile(r"https?://|@|\bwww\.|\.com\b", re.I)


def _authors(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    out: list[str] = []
    for part in _AUTHOR_SPLIT.split(raw):
        name = normalize_inline(re.sub(r"^\s*by\s*:?\s+", "", part, flags=re.I))
        if name and not _NOT_AUTHOR.search(name) and len(name.split()) <= 6 and name not in out:
            out.append(name)
    return tuple(out)


def _iso_date(raw: str | None) -> str | None:
    if not raw:
        return None
    return parse_date(raw)


def _extract(html: str) -> Any:
    try:
        return trafilatura.bare_extraction(
            html,
            with_metadata=True,
            fast=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            deduplicate=False,
        )
    except (ValueError, TypeError, AttributeError, LookupError) as exc:
        raise BadInputError(f"HTML could not be parsed: {exc}") from exc


def clean_html(html: str) -> tuple[CleanedArticle, list[Removal]]:
    """Extract the article body and metadata of an HTML page."""
    doc = _extract(html)
    if doc is None:
        return CleanedArticle(title=None, text=""), []
    data: dict[str, Any] = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    title_raw = data.get("title")
    title = normalize_inline(title_raw) if isinstance(title_raw, str) and title_raw else None
    lines = [Line(t) for t in normalize_text(str(data.get("text") or "")).split("\n") if t]
    meta = Meta()
    mark_junk(lines, meta)
    removals = [Removal(ln.text, ln.removed) for ln in lines if ln.removed]
    body: list[str] = []
    for i, ln in enumerate(lines):
        if ln.removed:
            continue
        if title and i < 3 and line_key(ln.text) == line_key(title):
            removals.append(Removal(ln.text, "repeated headline"))
            continue
        body.append(ln.text)
    lang = data.get("language")
    if not lang:
        m = _LANG.search(html[:5000])
        lang = m.group(1).lower() if m else None
    sitename = data.get("sitename")
    url = data.get("url")
    article = CleanedArticle(
        title=title or None,
        text=join_paragraphs(body),
        authors=_authors(data.get("author")) or meta.authors,
        publisher=normalize_inline(sitename) if isinstance(sitename, str) and sitename else None,
        published=_iso_date(data.get("date")) or meta.published,
        language=lang if isinstance(lang, str) else None,
        url=url if isinstance(url, str) and url else None,
    )
    return article, removals
