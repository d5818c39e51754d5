"""Turn trafilatura's body tree into paragraphs and drop the boilerplate blocks it kept.

Works on the extracted XML (``p``, ``head``, ``list/item``, ``table/row/cell``, ``quote``,
``ref`` for links), so the rules can use structure: a "related stories" heading followed by
a run of link-only items goes as one block, a newsletter prompt is a short paragraph whose
call to action is a link, a reporter's contact line is a short paragraph made of addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.etree import _Element

from ._types import Removal

_WORD = re.compile(r"\w+")
_WS = re.compile(r"[ \t\u00a0]+")

#: Headings that open a list of other stories.
_LIST_HEADING = re.compile(
    r"^(?:(?:you (?:may|might|will) (?:also )?(?:like|love|enjoy|be interested in)|"
    r"(?:also|further|recommended|suggested) reading|read (?:more|next|also)|also read|"
    r"see also|(?:more|other|related|recommended|latest|top|popular|trending|recent|similar)"
    r"(?: \w+){0,3} (?:stories|articles|news|posts|headlines|reads|videos|coverage|content)|"
    r"related(?: \w+)?|recommended(?: for you)?|most (?:read|popular|viewed|shared|commented)"
    r"(?: \w+){0,4}|more (?:from|on|in|about) [\w .'’&-]{1,40}|what to read next|"
    r"trending now|don'?t miss|editor'?s'? picks?|around the web|from (?:around )?the web|"
    r"in (?:other|case you missed|related) \w+|tags|topics|filed under|categories|"
    r"more (?:on|about) (?:this|these) (?:story|stories|topics?))"
    r")\s*[.…:»›>!]*\s*$",
    re.IGNORECASE,
)
#: Calls to action opening a paragraph, or unmistakable anywhere in it.
_STRONG_PROMO = re.compile(
    r"^(?:sign up|subscribe|click here|follow us|get (?:access|the latest|unlimited)|"
    r"(?:download|get) (?:our|the) (?:free )?app|don'?t miss out|never miss)\b|"
    r"\b(?:right (?:in|to) your inbox|delivered (?:to|straight to) your inbox|"
    r"subscri\w+\b.{0,80}\bfor as little as|"
    r"subscribe to (?:our|the) [\w ’'.-]{0,30}newsletters?)\b",
    re.IGNORECASE,
)
#: Calls to action: newsletters, subscriptions, apps, comment prompts.
_PROMO = re.compile(
    r"\b(?:sign up (?:for|to)|subscribe (?:to|for|now|today)|"
    r"delivered (?:to|right to|straight to|through) your|right in your inbox|"
    r"(?:download|get) (?:our|the) app|click here|follow us on|"
    r"tell us what you think|leave a (?:comment|reply)|join the (?:conversation|discussion)|"
    r"order reprints|print article|this copy is for your personal)",
    re.IGNORECASE,
)
_SHORTCODE = re.compile(r"\[/?[a-z_]+(?:\s[^\]]*)?\]")
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|https?://\S+|\bwww\.\S+|(?<!\w)@\w{2,}|twitter\.com/\w+", re.I
)
_CONTACT_WORDS = re.compile(
    r"\b(?:reach(?:ed)?|write to|contact(?:ed)?|e-?mail|follow (?:him|her|them|me|us)|"
    r"twitter|tips?\b)",
    re.IGNORECASE,
)
#: Agency and contributor credits closing a story.
_CREDIT = re.compile(
    r"^\(?(?:(?:additional )?reporting|writing|editing|compiled|produced) by\b.{0,300}\)?$|"
    r"^.{0,80}\bcontributed (?:reporting )?to this (?:report|story|article)\.?$",
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


@dataclass
class Block:
    """One paragraph-like unit of the extracted body."""

    text: str
    kind: str  # p, head, item, row, quote
    link_chars: int = 0

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


def _add(blocks: list[Block], el: _Element, kind: str) -> None:
    lines, link_chars = _text_of(el)
    total = sum(len(ln) for ln in lines) or 1
    for ln in lines:
        blocks.append(Block(ln, kind, round(link_chars * len(ln) / total)))


def body_blocks(body: _Element) -> list[Block]:
    """The body's paragraphs, headings, list items, table rows and quotes, in order."""
    blocks: list[Block] = []

    def walk(el: _Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("list",):
            for item in el:
                if isinstance(item.tag, str) and item.tag == "item":
                    _add(blocks, item, "item")
                    for c in item:
                        if c.tag == "list":
                            walk(c)
                else:
                    walk(item)
        elif tag == "table":
            for row in el.iter("row"):
                _add(blocks, row, "row")
        elif tag in ("p", "head", "quote", "code"):
            if tag == "quote" and any(c.tag in ("p", "list", "head") for c in el):
                for c in el:
                    walk(c)
                return
            _add(blocks, el, {"head": "head", "quote": "quote"}.get(tag, "p"))
        elif tag == "graphic":
            return
        else:
            if el.text and el.text.strip():
                blocks.append(Block(_WS.sub(" ", el.text).strip(), "p"))
            for c in el:
                walk(c)
                if c.tail and c.tail.strip():
                    blocks.append(Block(_WS.sub(" ", c.tail).strip(), "p"))

    for child in body:
        walk(child)
        if child.tail and child.tail.strip():
            blocks.append(Block(_WS.sub(" ", child.tail).strip(), "p"))
    return blocks


def _ends_sentence(text: str) -> bool:
    return bool(text) and text[-1] in _SENTENCE_END


def _is_list_heading(b: Block) -> bool:
    return b.n_words <= 10 and bool(_LIST_HEADING.match(b.text))


def _is_listed_story(b: Block) -> bool:
    """A link to another story: mostly link text, or a short headline without a full stop."""
    if b.link_ratio >= _LINKY:
        return True
    return (
        b.kind in ("item", "p", "head")
        and b.n_words <= _HEADLINE_WORDS
        and (not _ends_sentence(b.text) or b.text.endswith(("...", "…")))
    )


def _promo(b: Block) -> bool:
    if b.n_words <= _STRONG_PROMO_WORDS and _STRONG_PROMO.search(b.text):
        return True
    return b.n_words <= _PROMO_WORDS and bool(_PROMO.search(b.text))


def _contact(b: Block) -> bool:
    """A reporter's contact line or a bare address."""
    if b.n_words > _CONTACT_WORDS_MAX:
        return False
    found = _CONTACT.findall(b.text)
    if not found:
        return False
    rest = _CONTACT.sub(" ", b.text)
    if not _WORD.search(rest):
        return True
    return bool(_CONTACT_WORDS.search(rest)) and b.n_words <= 25


def _date_line(b: Block) -> bool:
    return b.n_words <= 10 and not _ends_sentence(b.text) and bool(_YEAR_OR_TIME.search(b.text))


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
                removals.append(Removal(b.text, "html: list heading"))
                removals.extend(Removal(x.text, "html: story list") for x in blocks[i + 1 : j])
                i = j
                continue
        text = _SHORTCODE.sub("", b.text).strip()
        if text != b.text:
            removals.append(Removal(b.text, "html: shortcode"))
            if not _WORD.search(text):
                i += 1
                continue
            b = Block(text, b.kind, b.link_chars)
        reason = None
        if _promo(b):
            reason = "call to action"
        elif _contact(b):
            reason = "contact line"
        elif b.n_words <= _CONTACT_WORDS_MAX and _CREDIT.match(b.text):
            reason = "credit line"
        elif (i < 2 or i >= n - 2) and _date_line(b):
            reason = "date line"
        if reason:
            removals.append(Removal(b.text, f"html: {reason}"))
        else:
            kept.append(b)
        i += 1
    return kept, removals


def render(blocks: list[Block]) -> list[str]:
    """Paragraph texts of the kept blocks."""
    return [b.text for b in blocks]


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def is_repeated_title(text: str, title: str) -> bool:
    """The headline again at the top of the body, maybe without the site name of <title>."""
    k, t = _key(text), _key(title)
    if not k or not t:
        return False
    if k == t:
        return True
    return not _ends_sentence(text) and len(k.split()) >= 4 and k in t and len(k) >= 0.5 * len(t)
