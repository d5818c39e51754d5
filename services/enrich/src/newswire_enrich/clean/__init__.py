"""Cleaning step: turn an article as dropped into the inbox into a clean body and metadata.

``clean_article`` is a pure function of its input: HTML goes through trafilatura, plain text and
markdown through line rules that remove the page residue around the article, and JSON is read
in the common article shapes.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from trafilatura import html2txt

from newswire_enrich.errors import EmptyArticleError
from newswire_shared.logs import get_logger
from newswire_shared.schemas import MediaType

from ._html import clean_html
from ._json import parse_json_article
from ._normalize import normalize_inline
from ._reasons import RemovalReason
from ._registry import RULES, Rule
from ._text import clean_text
from ._types import CleanedArticle, Removal

__all__ = ["RULES", "CleanedArticle", "Removal", "RemovalReason", "Rule", "clean_article"]

log = get_logger(__name__)

_LOOKS_HTML = re.compile(r"^\s*(<!doctype html|<html\b|<head\b|<body\b)", re.I)


def _clean_any(text: str, media_type: MediaType) -> tuple[CleanedArticle, list[Removal]]:
    if media_type == MediaType.HTML or _LOOKS_HTML.match(text[:1000]):
        article, removals = clean_html(text)
        if not article.text and text.strip():
            # tiny or odd pages trafilatura gives up on: fall back to their text
            fallback, more = clean_text(html2txt(text) or "", markdown=False)
            article = _with_meta(fallback, article)
            removals += more
        return article, removals
    if media_type == MediaType.JSON:
        found = parse_json_article(text)
        if found.is_html:
            article, removals = clean_html(found.body)
            if not article.text:
                article, removals = clean_text(found.body, markdown=True)
        else:
            article, removals = clean_text(found.body, markdown=True)
        return dataclasses.replace(
            article,
            title=normalize_inline(found.title) if found.title else article.title,
            authors=found.authors or article.authors,
            published=found.published or article.published,
            url=found.url or article.url,
            publisher=found.publisher or article.publisher,
            language=found.language or article.language,
        ), removals
    return clean_text(text, markdown=media_type == MediaType.MARKDOWN)


def _with_meta(article: CleanedArticle, meta: CleanedArticle) -> CleanedArticle:
    """`article` with the metadata `meta` has, where `meta` has any."""
    return dataclasses.replace(
        article,
        title=meta.title or article.title,
        authors=meta.authors or article.authors,
        publisher=meta.publisher or article.publisher,
        published=meta.published or article.published,
        language=meta.language or article.language,
        url=meta.url or article.url,
    )


def clean_article(text: str, media_type: MediaType, filename: str = "") -> CleanedArticle:
    """Clean one article; raise a BadInputError subclass when nothing usable is left."""
    article, removals = _clean_any(text, media_type)
    for r in removals if log.isEnabledFor(logging.DEBUG) else ():
        log.debug(
            "line removed", rule=r.rule, reason=r.reason, line=r.text[:200], filename=filename
        )
    if not article.text.strip():
        name = filename or "article"
        raise EmptyArticleError(f"{name}: no article text left after cleaning")
    return dataclasses.replace(article, removed=tuple(removals))
