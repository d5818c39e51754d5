"""Clean an HTML page: prune boilerplate containers, extract with trafilatura, filter blocks.

The page is parsed once with lxml; well-known boilerplate containers (navigation, related
stories, comments, newsletter prompts, captions) are pruned from that tree, a body split into
repeated chunks is joined and hover cards inside paragraphs are dropped, trafilatura extracts
the article and its metadata from it, and the structure-aware block rules of ``_html_post``
drop what trafilatura still keeps (story lists, calls to action, contact lines, a press
release's company profile). The title loses the site name (``_html_title``).
"""

from __future__ import annotations

import re
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from newswire_enrich.errors import BadInputError

from ._html_post import (
    body_blocks,
    drop_company_profile,
    filter_blocks,
    is_repeated_title,
    is_title_again,
)
from ._html_prune import (
    drop_inline_link_clusters,
    keep_embedded_posts,
    merge_split_bodies,
    prune_tree,
)
from ._html_title import headline, page_headings, social_title
from ._normalize import join_paragraphs, normalize_inline, normalize_text
from ._registry import REPEATED_HEADLINE, removal
from ._rules import parse_date
from ._types import CleanedArticle, Removal

_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)
_DOCUMENT = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype|<html\b|<head\b|<body\b)", re.I | re.S
)
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


def _parse(html: str) -> HtmlElement | None:
    if not _DOCUMENT.match(html[:2000]):
        html = f"<html><body><div>{html}</div></body></html>"  # a fragment (HTML in JSON)
    try:
        return load_html(html)
    except (ValueError, TypeError, LookupError) as exc:
        raise BadInputError(f"HTML could not be parsed: {exc}") from exc


def _extract(tree: HtmlElement) -> Any:
    try:
        return trafilatura.bare_extraction(
            tree,
            with_metadata=True,
            fast=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=True,
            deduplicate=False,
        )
    except (ValueError, TypeError, AttributeError, LookupError) as exc:
        raise BadInputError(f"HTML could not be parsed: {exc}") from exc


def _title(data: dict[str, Any], headings: list[str], social: str | None) -> str | None:
    """The page's headline: trafilatura's title without the site name (see ``headline``)."""
    raw = data.get("title")
    title = normalize_inline(raw) if isinstance(raw, str) and raw else None
    if not title:
        return None
    sitename = data.get("sitename")
    return headline(
        title,
        [normalize_inline(h) for h in headings],
        sitename if isinstance(sitename, str) else None,
        normalize_inline(social) if social else None,
    )


def _body(doc: Any, data: dict[str, Any], title: str | None) -> tuple[list[str], list[Removal]]:
    """The body paragraphs of the extracted document, without the residue the block rules
    find and without the headline printed again."""
    body_el = getattr(doc, "body", None)
    url_raw = data.get("url")
    page_url = url_raw if isinstance(url_raw, str) else None
    blocks = body_blocks(body_el, page_url) if body_el is not None else []
    kept, removals = filter_blocks(blocks)
    kept, more = drop_company_profile(kept, title)
    removals += more
    body: list[str] = []
    for i, b in enumerate(kept):
        if title and (is_repeated_title(b.text, title) if i < 3 else is_title_again(b.text, title)):
            removals.append(removal(REPEATED_HEADLINE, b.text))
            continue
        body.append(b.text)
    return body, removals


def _language(data: dict[str, Any], html: str) -> str | None:
    """The language trafilatura found, else the ``<html lang>`` attribute."""
    lang = data.get("language")
    if not lang:
        m = _LANG.search(html[:5000])
        lang = m.group(1).lower() if m else None
    return lang if isinstance(lang, str) else None


def _str(data: dict[str, Any], key: str) -> str | None:
    """A non-empty string field of the extracted metadata, else None."""
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def clean_html(html: str) -> tuple[CleanedArticle, list[Removal]]:
    """Extract the article body and metadata of an HTML page."""
    tree = _parse(html)
    if tree is None:
        return CleanedArticle(title=None, text=""), []
    headings = page_headings(tree)  # before pruning: the headline may sit in a header
    social = social_title(tree)
    keep_embedded_posts(tree)
    removals = prune_tree(tree)
    merge_split_bodies(tree)
    removals += drop_inline_link_clusters(tree)
    doc = _extract(tree)
    if doc is None:
        return CleanedArticle(title=None, text=""), removals
    data: dict[str, Any] = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    title = _title(data, headings, social)
    body, more = _body(doc, data, title)
    removals += more
    sitename = _str(data, "sitename")
    article = CleanedArticle(
        title=title or None,
        text=normalize_text(join_paragraphs(body)),
        authors=_authors(data.get("author")),
        publisher=normalize_inline(sitename) if sitename else None,
        published=_iso_date(data.get("date")),
        language=_language(data, html),
        url=_str(data, "url"),
    )
    return article, removals
