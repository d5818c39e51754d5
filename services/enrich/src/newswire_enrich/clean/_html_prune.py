"""Prune well-known boilerplate containers from a parsed HTML page before extraction.

The rules name *shapes* every news site shares (navigation and complementary landmarks,
related-story and "read next" rails, comment sections, newsletter and cookie prompts,
share bars, captions and credits), never the markup of one particular site. A container is
only pruned when it does not hold a large share of the page's paragraph text, so a wrapper
whose class happens to say "sidebar" or "comments" around the article itself survives.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml.html import HtmlElement

from ._registry import HIDDEN, LINK_CARD, ROLE_RULES, TAG_RULES, Rule, class_rule, removal
from ._types import Removal

#: Taxonomy classes CMSs put on the article itself (``tag-deals``, ``category-news``).
_TAXONOMY = re.compile(
    r"^(?:tag|category|channel|topic|section|term|postid|type|status|format|has|single)-", re.I
)
#: Class/id words of embedded posts that are part of the article (quoted tweets).
_EMBED_POST = re.compile(r"(?:^|[^a-z])(twitter-tweet|instagram-media)(?![a-z])", re.I)
#: A container holding more than this share of the page's paragraph text is the article.
_MAX_SHARE = 0.35
#: ...or more than this many characters of paragraph text.
_MAX_CHARS = 1500
_PROTECTED = frozenset({"html", "body", "article", "main", "head", "h1"})
_WS = re.compile(r"\s+")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_NO_TEXT = frozenset({"a", "script", "style", "noscript", "template", "svg"})


def _text_sizes(root: HtmlElement) -> dict[HtmlElement, int]:
    """Characters of running text (not links, scripts or styles) under each element."""
    sizes: dict[HtmlElement, int] = {}
    for el in reversed(list(root.iter())):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _NO_TEXT or not tag:
            sizes[el] = 0
            continue
        n = len(el.text.strip()) if el.text else 0
        for child in el:
            n += sizes.get(child, 0)
            if child.tail:
                n += len(child.tail.strip())
        sizes[el] = n
    return sizes


def _rule(el: HtmlElement) -> Rule | None:
    """The registry rule that prunes `el`: by tag, hidden, by ARIA role, by class word."""
    tag = el.tag if isinstance(el.tag, str) else ""
    return _rule_for(
        tag,
        el.get("hidden") is not None,
        el.get("style") or "",
        el.get("role") or "",
        el.get("class") or "",
        el.get("id") or "",
    )


@lru_cache(maxsize=4096)
def _rule_for(
    tag: str, hidden: bool, style: str, role: str, classes: str, ident: str
) -> Rule | None:
    """:func:`_rule` of an element with these attributes (pages repeat the same few
    combinations hundreds of times: each is looked at once)."""
    if tag in _PROTECTED:
        return None
    by_tag = TAG_RULES.get(tag)
    if by_tag:
        return by_tag
    if hidden or _DISPLAY_NONE.search(style):
        return HIDDEN
    by_role = ROLE_RULES.get(role.lower())
    if by_role:
        return by_role
    attrs = f"{classes} {ident}".strip()
    if not attrs or _EMBED_POST.search(attrs):
        return None
    for token in attrs.split():
        rule = None if _TAXONOMY.match(token) else class_rule(token)
        if rule:
            return rule
    return None


def keep_embedded_posts(tree: HtmlElement) -> None:
    """Let quoted tweets and Instagram posts through: clear the classes that hide them.

    Extractors drop ``social``/``embed`` wrappers wholesale; a quoted post is article text,
    so its blockquote and the wrappers that hold nothing else lose their classes.
    """
    for bq in tree.iter("blockquote"):
        if not _EMBED_POST.search(bq.get("class") or ""):
            continue
        text = _WS.sub(" ", bq.text_content()).strip()
        bq.attrib.pop("class", None)
        for anc in bq.iterancestors():
            if anc.tag in _PROTECTED or _WS.sub(" ", anc.text_content()).strip() != text:
                break
            anc.attrib.pop("class", None)
            anc.attrib.pop("id", None)


def prune_tree(tree: HtmlElement) -> list[Removal]:
    """Remove boilerplate containers from ``tree`` (owned by the caller); return what went."""
    body = tree.find("body")
    root = body if body is not None else tree
    sizes = _text_sizes(root)
    limit = min(_MAX_CHARS, _MAX_SHARE * sizes.get(root, 0))
    removals: list[Removal] = []
    doomed: list[tuple[HtmlElement, Rule]] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        rule = _rule(el)
        if rule is None:
            continue
        if any(el is d or d in el.iterancestors() for d, _ in doomed[-1:]):
            continue
        if sizes.get(el, 0) > limit:
            continue
        doomed.append((el, rule))
    for el, rule in doomed:
        text = _WS.sub(" ", el.text_content()).strip()
        if text:
            removals.append(removal(rule, text))
        el.drop_tree()  # keeps the element's tail text in place
    return removals


#: A chunk of a split article body: at least this many direct paragraphs...
_CHUNK_PARAS = 2
#: ...of at least this many characters each...
_CHUNK_PARA_CHARS = 50
#: ...and at least this many characters of such paragraphs together.
_CHUNK_CHARS = 200
#: Chunks must share an ancestor at most this many levels above each of them.
_CHUNK_REACH = 4
_CONTAINERS = frozenset({"div", "section", "article", "main"})


def _chunk_chars(el: HtmlElement) -> int:
    """Characters of the substantial paragraphs that are direct children of ``el``."""
    sizes = [len(_WS.sub(" ", c.text_content()).strip()) for c in el if c.tag == "p"]
    long = [n for n in sizes if n >= _CHUNK_PARA_CHARS]
    return sum(long) if len(long) >= _CHUNK_PARAS else 0


def _near(a: HtmlElement, b: HtmlElement) -> bool:
    up_a = list(a.iterancestors())[:_CHUNK_REACH]
    up_b = set(list(b.iterancestors())[:_CHUNK_REACH])
    return any(x in up_b for x in up_a)


def _story(el: HtmlElement) -> HtmlElement | None:
    """The nearest ``<article>`` around ``el``: chunks of two different stories stay apart."""
    return next(el.iterancestors("article"), None)


def merge_split_bodies(tree: HtmlElement) -> int:
    """Join an article body that the page splits into repeated sibling chunks; return moves.

    Long-form layouts cut the body into several containers with the same class (an ad slot or
    a pull quote between them); extractors take the first container and lose the rest. Later
    chunks with the same tag and class as an earlier one, near it in the tree, each holding
    several real paragraphs, are moved into the first. Teaser cards do not qualify (one short
    summary each), nor do nested containers or chunks in two different ``<article>``s.
    """
    groups: dict[tuple[str, str], list[HtmlElement]] = {}
    for el in tree.iter(*_CONTAINERS):
        cls = (el.get("class") or "").strip()
        if cls and _chunk_chars(el) >= _CHUNK_CHARS:
            groups.setdefault((el.tag, cls), []).append(el)
    moved = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        first = members[0]
        for other in members[1:]:
            if first in other.iterancestors() or other in first.iterancestors():
                continue
            if not _near(first, other) or _story(first) is not _story(other):
                continue
            if other.text and other.text.strip():
                if len(first):
                    first[-1].tail = (first[-1].tail or "") + " " + other.text
                else:
                    first.text = (first.text or "") + " " + other.text
                other.text = None
            for child in list(other):
                first.append(child)  # moves it, tail and all
            moved += 1
    return moved


#: An inline cluster of this many links, with no text of its own, is not prose.
_CLUSTER_LINKS = 3
_INLINE_HOSTS = ("p", "li", "td", "blockquote")


def drop_inline_link_clusters(tree: HtmlElement) -> list[Removal]:
    """Remove hover cards and inline teaser clusters nested in a paragraph.

    Some sites put a hidden card (photo, name, the person's latest headlines) right after a
    linked name inside the sentence; without the stylesheet it reads as text glued into the
    paragraph. The innermost non-link element inside a paragraph that holds at least three
    links and no words outside them is dropped; a sentence listing links with words between
    them (``<a>A</a>, <a>B</a> and <a>C</a>``) is kept.
    """
    removals: list[Removal] = []
    doomed: list[HtmlElement] = []
    for host in tree.iter(*_INLINE_HOSTS):
        for el in host.iterdescendants("span", "div"):
            links = list(el.iter("a"))
            if len(links) < _CLUSTER_LINKS:
                continue
            if any(
                len(list(c.iter("a"))) >= _CLUSTER_LINKS for c in el if c.tag in ("span", "div")
            ):
                continue  # a smaller cluster inside is the card
            if _own_words(el):
                continue
            doomed.append(el)
    seen: set[HtmlElement] = set()
    for el in doomed:
        if el in seen or el.getparent() is None:
            continue
        seen.add(el)
        removals.append(removal(LINK_CARD, _WS.sub(" ", el.text_content()).strip()))
        el.drop_tree()
    return removals


def _own_words(el: HtmlElement) -> bool:
    """Whether ``el`` has word characters outside its links (scripts and styles aside)."""
    return bool(re.search(r"\w", _text_outside_links(el)))


def _text_outside_links(el: HtmlElement) -> str:
    out = [el.text or ""]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in _NO_TEXT:
            out.append(_text_outside_links(child))
        out.append(child.tail or "")
    return "".join(out)
