"""Accept the common JSON shapes of a news article."""

from __future__ import annotations

import json
import re
from typing import Any

from newswire_enrich.errors import UnsupportedJSONError

from ._normalize import normalize_inline
from ._rules import parse_date

_BODY_KEYS = ("articleBody", "text", "body", "content", "article_body", "full_text", "story")
_HTML_KEYS = ("html", "body_html", "content_html", "raw_html", "html_content")
_TITLE_KEYS = ("title", "headline", "name")
_AUTHOR_KEYS = ("authors", "author", "byline", "creator", "creators")
_DATE_KEYS = (
    "datePublished",
    "published",
    "date",
    "published_at",
    "publishedAt",
    "pubDate",
    "publish_date",
    "date_published",
    "created_at",
)
_URL_KEYS = ("url", "link", "canonical_url", "source_url")
_PUBLISHER_KEYS = ("publisher", "source", "site_name", "sitename", "outlet")
_LANG_KEYS = ("language", "lang", "inLanguage")
_WRAPPERS = ("article", "data", "item", "result", "document", "doc")
_TAG = re.compile(r"<(p|div|br|article|section|span|h[1-6])\b[^>]*>", re.I)
_TAG_ANY = re.compile(r"<[^>]{1,200}>")


class JSONArticle:
    """The fields found in a JSON article, before its body is cleaned."""

    def __init__(self, body: str, is_html: bool, obj: dict[str, Any]) -> None:
        self.body = body
        self.is_html = is_html
        self.title = _first_str(obj, _TITLE_KEYS)
        self.authors = _authors(obj)
        raw_date = _first_str(obj, _DATE_KEYS)
        self.published = parse_date(raw_date) if raw_date else None
        self.url = _first_str(obj, _URL_KEYS)
        self.publisher = _first_str(obj, _PUBLISHER_KEYS)
        lang = _first_str(obj, _LANG_KEYS)
        self.language = lang.lower()[:2] if lang else None


def _name_of(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return normalize_inline(_TAG_ANY.sub("", value))
    if isinstance(value, dict):
        return _name_of(value.get("name") or value.get("rendered"))
    return None


def _first_str(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        name = _name_of(obj.get(key))
        if name:
            return name
    return None


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    for key in _AUTHOR_KEYS:
        value = obj.get(key)
        items = value if isinstance(value, list) else [value]
        names = [n for n in (_name_of(v) for v in items) if n]
        if names:
            return tuple(dict.fromkeys(names))
    return ()


def _body_text(value: Any) -> str | None:
    if isinstance(value, dict):  # WordPress REST: {"rendered": "<p>...</p>"}
        value = value.get("rendered")
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        text = "\n\n".join(v for v in value if v.strip())
        return text or None
    return None


def _find_article(obj: Any, depth: int = 0) -> tuple[dict[str, Any], str, bool] | None:
    if depth > 3:
        return None
    if isinstance(obj, list):
        dicts = [o for o in obj if isinstance(o, dict)]
        if len(dicts) == 1 or (dicts and any("@type" in d for d in dicts)):
            for d in dicts:
                found = _find_article(d, depth + 1)
                if found:
                    return found
        return None
    if not isinstance(obj, dict):
        return None
    for key in _BODY_KEYS:
        body = _body_text(obj.get(key))
        if body:
            return obj, body, bool(_TAG.search(body))
    for key in _HTML_KEYS:
        body = _body_text(obj.get(key))
        if body:
            return obj, body, True
    for key in (*_WRAPPERS, "@graph"):
        if key in obj:
            found = _find_article(obj[key], depth + 1)
            if found:
                return found
    return None


def parse_json_article(text: str) -> JSONArticle:
    """Parse JSON text and find the article in it, or raise UnsupportedJSONError."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UnsupportedJSONError(f"not valid JSON: {exc}") from exc
    found = _find_article(obj)
    if found is None and isinstance(obj, list):
        articles = sum(1 for o in obj if isinstance(o, dict) and _find_article(o))
        if articles > 1:
            raise UnsupportedJSONError(
                f"JSON array of {articles} articles: drop one article per file "
                "(split the export, e.g. with jq -c '.[]')"
            )
    if found is None:
        keys = sorted(obj)[:10] if isinstance(obj, dict) else type(obj).__name__
        raise UnsupportedJSONError(
            "JSON has no article text: expected an object with one of "
            f"{', '.join(_BODY_KEYS + _HTML_KEYS)} (found: {keys})"
        )
    art, body, is_html = found
    return JSONArticle(body, is_html, art)
