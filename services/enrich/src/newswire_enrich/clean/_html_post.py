"""Turn trafilatura's body tree into paragraphs and drop the boilerplate blocks it kept.

Works on the extracted XML (``p``, ``head``, ``list/item``, ``table/row/cell``, ``quote``,
``ref`` for links), so the rules can use structure: a "related stories" heading followed by
a run of link-only items goes as one block, a newsletter prompt is a short paragraph whose
call to action is a link, a reporter's contact line is a short paragraph made of addresses.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml.etree import Element, _Element

from ._html_shapes import CONTACT, CREDIT, LIST_HEADING, PROMO, SHORTCODE, STRONG_PROMO
from ._registry import (
    CALL_TO_ACTION,
    COMPANY_PROFILE,
    CONTACT_LINE,
    CONTRIBUTOR_CREDIT,
    DATE_LINE,
    RELATED_LINK,
    SITE_LINK_LIST,
    STORY_LIST,
    STORY_LIST_HEADING,
    Rule,
    removal,
)
from ._registry import SHORTCODE as SHORTCODE_RULE
from ._rules import RELATED_POINTER, line_key
from ._types import Removal

_WORD = re.compile(r"\w+")
_WS = re.compile(r"[ \t\u00a0]+")
_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//([^/:?#]+)", re.I)
#: Block elements of the extracted XML; a table cell holding them is a layout frame.
_BLOCK_TAGS = frozenset({"p", "head", "list", "quote", "table", "code"})

#: The opening of a press release's company profile: "Acme (SIX: ACM) is a global ...".
_PROFILE_OPEN = re.compile(
    r"^(?P<name>[A-Z][\w&.'’-]*(?:\s+[A-Z&][\w&.'’-]*){0,4})(?:\s*\([^)]{1,40}\))?,?"
    r"\s+(?:is|are)\s+(?:a|an|the)\s"
)
#: ...and what only a company profile says.
_PROFILE_FACTS = re.compile(
    r"\b(?:headquartered|head office|employs|employees|subsidiaries|operating businesses|"
    r"(?:shares|stock) (?:are|is) (?:listed|traded)|listed on|stock exchange|"
    r"(?:nyse|nasdaq|lse|six|tsx)\s*:|for more information,? (?:visit|see|go to))\b",
    re.IGNORECASE,
)
_ABOUT_HEADING = re.compile(r"^about\s+\S.{0,60}$", re.IGNORECASE)
#: A company profile closes the body within this many blocks.
_PROFILE_TAIL = 4
_PROFILE_WORDS = 150
_CONTACT_WORDS = re.compile(
    r"\b(?:reach(?:ed)?|write to|contact(?:ed)?|e-?mail|follow (?:him|her|them|me|us)|"
    r"twitter|tips?\b)",
    re.IGNORECASE,
)
_YEAR_OR_TIME = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[:h]\d\d\b")
_SENTENCE_END = '.!?"”’»)…'

#: Blocks shorter than this many words (and not sentences) can be list-item headlines.
_HEADLINE_WORDS = 20
#: Short paragraphs up to this many words are checked for calls to action.
_PROMO_WORDS = 30
#: ...and for unmistakable calls to action.
_STRONG_PROMO_WORDS = 80
#: Contact lines are short.
_CONTACT_WORDS_MAX = 30
#: A block whose text is at least this share of link text is a link.
_LINKY = 0.6
#: Teasers under a story-list heading that runs to the end of the body are this short.
_TEASER_WORDS = 35
#: ...there are at most this many of them, and they are at most this share of the words above.
_TEASER_BLOCKS = 12
_TEASER_SHARE = 0.5
#: Items of a list of links to the same site at the end of the body are this short...
_RECIRC_ITEM_WORDS = 25
#: ...and at most a short sign-off follows the list, unless every item is wholly a link.
_RECIRC_AFTER_BLOCKS = 3
_RECIRC_AFTER_WORDS = 60
_ALL_LINK = 0.9
#: Linked headlines average at least this many words; linked names are shorter.
_HEADLINE_MIN_WORDS = 4


@dataclass
class Block:
    """One paragraph-like unit of the extracted body."""

    text: str
    kind: str  # p, head, item, row, quote
    link_chars: int = 0
    #: Items of one list share a group number (0: not a list item).
    group: int = 0
    #: Links of the block that point to another page of the same site.
    internal_links: int = 0

    @property
    def link_ratio(self) -> float:
        return self.link_chars / max(len(self.text), 1)

    @property
    def n_words(self) -> int:
        return len(_WORD.findall(self.text))


def _collect(el: _Element, out: list[str], links: list[int], in_ref: bool) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "lb":
        out.append("\n")
    elif tag == "list":
        pass  # a nested list: rendered item by item after its parent item
    else:
        is_ref = in_ref or tag == "ref"
        if el.text:
            out.append(el.text)
            if is_ref:
                links[0] += len(el.text.strip())
        for child in el:
            _collect(child, out, links, is_ref)
        if tag == "cell":
            out.append(" ")
    if el.tail:
        out.append(el.tail)
        if in_ref:
            links[0] += len(el.tail.strip())


def _text_of(el: _Element) -> tuple[list[str], int]:
    out: list[str] = []
    links = [0]
    inner = el.text or ""
    if el.tag == "ref":
        links[0] += len(inner.strip())
    out.append(inner)
    for child in el:
        _collect(child, out, links, el.tag == "ref")
    lines = [_WS.sub(" ", ln).strip() for ln in "".join(out).split("\n")]
    return [ln for ln in lines if ln], links[0]


def _host(url: str) -> str:
    m = _HOST.match(url)
    return m.group(1).lower().removeprefix("www.") if m else ""


def _internal(target: str, site: str) -> bool:
    """Whether a link goes to another page of the site (not an anchor on this page)."""
    if not target or target.startswith(("#", "mailto:", "javascript:")):
        return False
    if target.startswith("/") and not target.startswith("//"):
        return True
    host = _host(target)
    return bool(site and host) and (host == site or host.endswith("." + site))


def _add(blocks: list[Block], el: _Element, kind: str, group: int = 0, site: str = "") -> None:
    lines, link_chars = _text_of(el)
    total = sum(len(ln) for ln in lines) or 1
    internal = sum(_internal(r.get("target") or "", site) for r in el.iter("ref"))
    for ln in lines:
        blocks.append(Block(ln, kind, round(link_chars * len(ln) / total), group, internal))


def body_blocks(body: _Element, url: str | None = None) -> list[Block]:
    """The body's paragraphs, headings, list items, table rows and quotes, in order.

    ``url`` (the page's own address) tells links to other pages of the same site apart.
    A table cell that holds paragraphs is a layout frame, not data: its blocks come out one
    by one instead of as one row.
    """
    walker = _BlockWalker(_host(url or ""))
    for child in body:
        walker.walk(child)
        walker.loose_text(child.tail)
    return walker.blocks


#: The block kind of each block tag.
_KINDS = {"p": "p", "head": "head", "quote": "quote", "code": "p"}


class _BlockWalker:
    """Collects the blocks of an extracted body, element by element."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.blocks: list[Block] = []
        self.groups = 0

    def loose_text(self, text: str | None) -> None:
        """Text between block elements: a paragraph of its own."""
        if text and text.strip():
            self.blocks.append(Block(_WS.sub(" ", text).strip(), "p"))

    def walk(self, el: _Element) -> None:
        """Add the blocks of `el` and everything under it."""
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "list":
            self._list(el)
        elif tag == "table":
            self._table(el)
        elif tag in _KINDS:
            self._block(el, tag)
        elif tag != "graphic":
            self.loose_text(el.text)
            for c in el:
                self.walk(c)
                self.loose_text(c.tail)

    def _block(self, el: _Element, tag: str) -> None:
        if tag == "quote" and any(c.tag in ("p", "list", "head") for c in el):
            for c in el:
                self.walk(c)
            return
        _add(self.blocks, el, _KINDS[tag], site=self.site)

    def _list(self, el: _Element) -> None:
        self.groups += 1
        group = self.groups
        for item in el:
            if not (isinstance(item.tag, str) and item.tag == "item"):
                self.walk(item)
                continue
            _add(self.blocks, item, "item", group, self.site)
            for c in item:
                if c.tag == "list":
                    self.walk(c)

    def _table(self, el: _Element) -> None:
        for row in el.iter("row"):
            if next(row.iterancestors("table"), None) is not el:
                continue  # a nested table: part of its cell's text or frame
            if any(c.tag in _BLOCK_TAGS for cell in row for c in cell):
                for cell in row:
                    self._frame(cell)
            else:
                _add(self.blocks, row, "row", site=self.site)

    def _frame(self, el: _Element) -> None:
        """A container mixing text and block elements."""
        run: list[_Element | str] = [el.text] if el.text else []
        for c in el:
            if isinstance(c.tag, str) and c.tag in _BLOCK_TAGS | {"cell", "row"}:
                self._inline_run(run)
                run = []
                self.walk(c)
                if c.tail:
                    run.append(c.tail)
            else:
                tail = c.tail
                c_copy = copy.copy(c)
                c_copy.tail = None
                run.append(c_copy)
                if tail:
                    run.append(tail)
        self._inline_run(run)

    def _inline_run(self, parts: list[_Element | str]) -> None:
        """Inline elements and text of a frame between its blocks: one paragraph."""
        if not parts:
            return
        p = Element("p")
        for part in parts:
            if isinstance(part, str):
                if len(p):
                    p[-1].tail = (p[-1].tail or "") + part
                else:
                    p.text = (p.text or "") + part
            else:
                p.append(copy.copy(part))
        if "".join(p.itertext()).strip():
            _add(self.blocks, p, "p", site=self.site)


def _ends_sentence(text: str) -> bool:
    return bool(text) and text[-1] in _SENTENCE_END


def _is_list_heading(b: Block) -> bool:
    return b.n_words <= 10 and bool(LIST_HEADING.match(b.text))


def _is_listed_story(b: Block) -> bool:
    """A link to another story: mostly link text, or a short headline without a full stop."""
    if b.link_ratio >= _LINKY:
        return True
    return (
        b.kind in ("item", "p", "head")
        and b.n_words <= _HEADLINE_WORDS
        and (not _ends_sentence(b.text) or b.text.endswith(("...", "…")))
    )


def _teasers_to_end(blocks: list[Block], heading: int, start: int) -> bool:
    """Whether the body ends in a list of teasers under the story-list heading at ``heading``.

    Every block from ``start`` on is short, there are few of them, and together they are
    much shorter than the story above the heading; a story that goes on after a stray
    heading (even in short wire paragraphs) is longer than that.
    """
    tail = blocks[start:]
    if len(tail) > _TEASER_BLOCKS:
        return False
    if any(x.n_words > _TEASER_WORDS or x.kind == "quote" for x in tail):
        return False
    before = sum(x.n_words for x in blocks[:heading])
    return sum(x.n_words for x in tail) <= _TEASER_SHARE * before


def _recirculation_list(blocks: list[Block], i: int) -> int:
    """End of a list of links to other pages of the site starting at ``i``, or 0.

    Only a list at the end of the body counts: every item short and linking inside the site,
    at least two items, and at most a short sign-off after it (or items that are wholly
    linked headlines). Lists inside the story (the companies selected, the steps of a
    procedure) hold few links and are followed by the rest of the story.
    """
    b = blocks[i]
    if b.kind != "item" or not b.group or (i > 0 and blocks[i - 1].group == b.group):
        return 0
    j = i
    while j < len(blocks) and blocks[j].group == b.group:
        x = blocks[j]
        if x.n_words > _RECIRC_ITEM_WORDS or not x.internal_links or x.link_ratio < 0.3:
            return 0
        j += 1
    if j - i < 2:
        return 0
    items = blocks[i:j]
    if all(x.link_ratio >= _ALL_LINK for x in items) and (
        sum(x.n_words for x in items) >= _HEADLINE_MIN_WORDS * len(items)
    ):
        return j  # nothing but headlines linking inside the site (not a list of names)
    after = [x for x in blocks[j:] if x.kind != "item"]
    if len(after) > _RECIRC_AFTER_BLOCKS or sum(x.n_words for x in after) > _RECIRC_AFTER_WORDS:
        return 0
    return j


def _pointer(b: Block) -> bool:
    """ "Related: <headline link>" between paragraphs."""
    m = RELATED_POINTER.match(b.text)
    if not m or b.n_words > _HEADLINE_WORDS:
        return False
    rest = len(b.text) - m.end()
    return b.link_chars >= 0.6 * rest


def _promo(b: Block) -> bool:
    if b.n_words <= _STRONG_PROMO_WORDS and STRONG_PROMO.search(b.text):
        return True
    return b.n_words <= _PROMO_WORDS and bool(PROMO.search(b.text))


def _contact(b: Block) -> bool:
    """A reporter's contact line or a bare address."""
    if b.n_words > _CONTACT_WORDS_MAX:
        return False
    found = CONTACT.findall(b.text)
    if not found:
        return False
    rest = CONTACT.sub(" ", b.text)
    if not _WORD.search(rest):
        return True
    return bool(_CONTACT_WORDS.search(rest)) and b.n_words <= 25


def _date_line(b: Block) -> bool:
    return b.n_words <= 10 and not _ends_sentence(b.text) and bool(_YEAR_OR_TIME.search(b.text))


def _block_rule(b: Block, i: int, n: int) -> Rule | None:
    """The rule that makes block `b` (the `i`-th of `n`) residue: a pointer to another story,
    a call to action, a contact line, a contributor credit or a stray date stamp."""
    if _pointer(b):
        return RELATED_LINK
    if _promo(b):
        return CALL_TO_ACTION
    if _contact(b):
        return CONTACT_LINE
    if b.n_words <= _CONTACT_WORDS_MAX and CREDIT.match(b.text):
        return CONTRIBUTOR_CREDIT
    if (i < 2 or i >= n - 2) and _date_line(b):
        return DATE_LINE
    return None


def filter_blocks(blocks: list[Block]) -> tuple[list[Block], list[Removal]]:
    """Drop related-story lists, calls to action, contact lines and stray date stamps."""
    kept: list[Block] = []
    removals: list[Removal] = []
    n = len(blocks)
    i = 0
    while i < n:
        b = blocks[i]
        if _is_list_heading(b):
            j = i + 1
            while j < n and _is_listed_story(blocks[j]) and not _is_list_heading(blocks[j]):
                j += 1
            if j > i + 1 or b.kind == "head" or j == n or not _ends_sentence(b.text):
                if j < n and _teasers_to_end(blocks, i, j):
                    j = n
                removals.append(removal(STORY_LIST_HEADING, b.text))
                removals.extend(removal(STORY_LIST, x.text) for x in blocks[i + 1 : j])
                i = j
                continue
        end = _recirculation_list(blocks, i)
        if end:
            removals.extend(removal(SITE_LINK_LIST, x.text) for x in blocks[i:end])
            i = end
            continue
        text = SHORTCODE.sub("", b.text).strip()
        if text != b.text:
            removals.append(removal(SHORTCODE_RULE, b.text))
            if not _WORD.search(text):
                i += 1
                continue
            b = Block(text, b.kind, b.link_chars)
        rule = _block_rule(b, i, n)
        if rule:
            removals.append(removal(rule, b.text))
        else:
            kept.append(b)
        i += 1
    return kept, removals


def render(blocks: list[Block]) -> list[str]:
    """Paragraph texts of the kept blocks."""
    return [b.text for b in blocks]


def is_repeated_title(text: str, title: str) -> bool:
    """The headline again at the top of the body, maybe without the site name of <title>."""
    k, t = line_key(text), line_key(title)
    if not k or not t:
        return False
    if k == t:
        return True
    return not _ends_sentence(text) and len(k.split()) >= 4 and k in t and len(k) >= 0.5 * len(t)


def drop_company_profile(
    blocks: list[Block], title: str | None
) -> tuple[list[Block], list[Removal]]:
    """Drop the company profile ("About Acme") that closes a press release.

    It is the standard wire boilerplate: among the last few blocks, a paragraph opening with
    "<Name> is a/an/the ..." where the name is in the headline, and a run to the end of the
    body that states company facts (headquarters, staff, stock listing). A paragraph
    describing someone in the middle of a story, or one without such facts, stays.
    """
    if not title or not blocks:
        return blocks, []
    title_words = set(_WORD.findall(title.casefold()))
    n = len(blocks)
    for k in range(max(0, n - _PROFILE_TAIL), n):
        m = _PROFILE_OPEN.match(blocks[k].text)
        if not m:
            continue
        name_words = _WORD.findall(m.group("name").casefold())
        if not name_words or name_words[0] not in title_words:
            continue
        tail = blocks[k:]
        if any(b.kind in ("head", "quote") or b.n_words > _PROFILE_WORDS for b in tail):
            continue
        if not any(_PROFILE_FACTS.search(b.text) for b in tail):
            continue
        start = k - 1 if k > 0 and _ABOUT_HEADING.match(blocks[k - 1].text) else k
        return blocks[:start], [removal(COMPANY_PROFILE, b.text) for b in blocks[start:]]
    return blocks, []


#: The headline repeated further down the body must be at least this many words.
_TITLE_AGAIN_WORDS = 4


def is_title_again(text: str, title: str) -> bool:
    """The whole headline again, as a block of its own, anywhere in the body (share bars,
    post footers); a shorter or longer block that only contains the headline stays."""
    k = line_key(text)
    return len(k.split()) >= _TITLE_AGAIN_WORDS and k == line_key(title)
