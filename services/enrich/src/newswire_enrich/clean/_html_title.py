"""The headline of an HTML page: its title without the site name pages add to it.

``<title>`` and ``og:title`` often read "Headline | Site", "Headline - Site" or
"Site: Headline". The site's part goes when it is the page's site name, or when what is left
is exactly one of the page's ``<h1>`` headings (the headline as printed on the page). A
title without such a part, or whose other part is not confirmed either way, stays whole:
"Column: The merger ..." keeps its label, a headline with a dash in it keeps both halves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from ._rules import line_key

_WORD = re.compile(r"\w+")
_WS = re.compile(r"\s+")
#: Separators between a headline and a site name.
_SEP = re.compile(r"\s+[|\-–—·»•/]\s+|\s*[|»•]\s*|:\s+")
#: Separators that may also split a headline (checked against an <h1> only).
_STRONG_SEP = re.compile(r"\s+[|\-–—·»•]\s+|\s*[|»•]\s*")


def page_headings(tree: HtmlElement) -> list[str]:
    """The texts of the page's ``<h1>`` elements (call before extraction changes the tree)."""
    out: list[str] = []
    for h in tree.iter("h1"):
        text = _WS.sub(" ", h.text_content()).strip()
        if text and text not in out:
            out.append(text)
    return out


def social_title(tree: HtmlElement) -> str | None:
    """The page's ``og:title`` (or ``twitter:title``), if any."""
    for prop in ("og:title", "twitter:title"):
        for meta in tree.iter("meta"):
            if prop in (meta.get("property"), meta.get("name")):
                text = _WS.sub(" ", meta.get("content") or "").strip()
                if text:
                    return text
    return None


def headline(
    title: str, headings: Iterable[str], site: str | None, social: str | None = None
) -> str:
    """``title`` without a leading or trailing site name, confirmed by ``site`` or an <h1>.

    When the social title (``og:title``) is one of the <h1> headings and ``title`` is not
    (an SEO ``<title>`` worded differently), the social title is the headline.
    """
    keys = {line_key(h) for h in headings} - {""}
    site_key = line_key(site or "")
    if line_key(title) in keys:
        return title
    if social and line_key(social) in keys and line_key(title) not in keys:
        return social
    splits = [(title[: m.start()].strip(), title[m.end() :].strip()) for m in _SEP.finditer(title)]
    if site_key:
        for left, right in reversed(splits):  # "Headline | Site": the last separator
            if _WORD.search(left) and line_key(right) == site_key:
                return left
        for left, right in splits:  # "Site: Headline": the first separator
            if _WORD.search(right) and line_key(left) == site_key:
                return right
    for m in _STRONG_SEP.finditer(title):
        left, right = title[: m.start()].strip(), title[m.end() :].strip()
        for part in (left, right):
            k = line_key(part)
            if k in keys and k != site_key and len(k.split()) >= 2:
                return part
    return title
