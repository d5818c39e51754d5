"""Clean plain text or markdown that still carries the residue of its web page."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._markdown import is_setext_underline, strip_markdown_line
from ._normalize import join_paragraphs, normalize_inline, normalize_text, unwrap_lines
from ._page_residue import CAPTION_WORDS, is_author_bio, is_credit_line, is_newsletter_blurb
from ._page_signals import looks_like_page
from ._plain_headline import headline_text, is_plain_headline
from ._reasons import RemovalReason
from ._registry import (
    BREADCRUMB,
    BYLINE,
    CAPTION_ABOVE_CREDIT,
    DATE_LINE,
    DUPLICATE_LINE,
    FIRST_LINE_HEADLINE,
    HEADLINE,
    NEWSLETTER_PROMO,
    OUTSIDE_MAIN_TEXT,
    PHOTO_CAPTION,
    PHOTO_CREDIT,
    PULL_QUOTE,
    REPEATED_HEADLINE,
    STORY_LIST,
    STORY_LIST_HEADING,
    Rule,
    is_widget_line,
    line_rule,
    removal,
    safe_rule,
)
from ._rules import (
    ends_sentence,
    is_agency_byline,
    is_block_start,
    is_breadcrumb,
    is_date_line,
    is_date_stamp,
    is_footer_start,
    is_menu_line,
    is_photo_caption,
    is_teaser,
    is_title_case,
    line_key,
    parse_byline,
    parse_date,
    words,
)
from ._types import CleanedArticle, Removal

#: A page's headline needs at least this score (see ``_headline_score``).
_HEADLINE_MIN = 0.0
#: ... and this much to be taken over the page's <title> line (the page dump's first line).
_HEADLINE_OVER_TITLE = 2.0
#: ... and at least this many words (shorter lines are menu entries, names, labels).
_HEADLINE_MIN_WORDS = 4
#: A writer's name (or role: 'Staff Writer') on a line of its own has at most this many words.
_NAME_WORDS = 3
#: A line this long is article text even without final punctuation.
_LONG_LINE = 16
#: Lines up to this many words without final punctuation look like menu items.
_SHORT_LINE = 4
#: In page text, sentences shorter than this are more likely widgets than article text.
_SHORT_SENTENCE = 8
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
#: In page text, these headings end the article (comment sections, post navigation).
_END_MARKER = re.compile(
    r"^(\d+\s+)?(comments?|responses?|replies|discussion|leave a (comment|reply)|"
    r"comments are closed\.?|join the (conversation|discussion)|post navigation|"
    r"(previous|next) (post|article|story)\b.*|about the author|tags?:.*|share this:?|"
    r"(related )?(tags|topics)(:|\s)[^.!?]{0,150}|(related )?(tags|topics):?|"
    r"(タグ|标签|標籤|태그)\s*[:：].*|about this (article|story)|sources?:|"
    r"\d+ (thoughts|comments|responses|replies) (on|to) .+)$",
    re.IGNORECASE,
)

_SITE_SUFFIX = re.compile(r"^(?P<title>.{8,}?)\s+[|–—-]\s+(?P<site>[^|–—]{2,60})$")


@dataclass
class Line:
    text: str
    heading: bool = False
    removed: Rule | None = None
    #: a footer (copyright notice, closing stamp) was cut away right above this line
    after_footer: bool = False
    #: an end-of-article marker (comment heading, share row, tag list) was cut away above it
    after_end: bool = False
    #: the line's index among the non-empty lines of a page
    pos: int = -1


@dataclass
class Meta:
    authors: tuple[str, ...] = ()
    published: str | None = None
    publisher: str | None = None


def _read_lines(text: str, markdown: bool) -> list[Line]:
    out: list[Line] = []
    for raw in unwrap_lines(normalize_text(text).split("\n")):
        if is_setext_underline(raw) and out and out[-1].text:
            out[-1].heading = True
            continue
        line, heading = strip_markdown_line(raw) if raw else ("", False)
        if raw and not line:
            continue
        out.append(Line(line, heading=heading and markdown))
    return out


def _line_rule(text: str) -> Rule | None:
    """The rule that makes a line of page text residue. A sign-up box ('Subscribe', 'Your
    email', 'Sign up') is told apart from share and comment widgets: it often sits inside
    the article, while a row of those widgets ends it."""
    rule = line_rule(text)
    if (rule is None or rule.row) and is_newsletter_blurb(text):
        return NEWSLETTER_PROMO
    return rule


#: The summary under a listed headline is one or two sentences.
_DEK_WORDS = 60
#: A listed headline may be a short question ('What made the film so popular?').
_QUESTION_HEADLINE = 12


def _is_list_item(text: str) -> bool:
    """A line of a story list: a headline, a label, an author's name or a teaser."""
    n = len(words(text))
    short = not ends_sentence(text) and n <= 30
    question = text.endswith("?") and n <= _QUESTION_HEADLINE
    return short or question or is_title_case(text) or is_teaser(text)


def _is_dek(texts: Sequence[str], i: int) -> bool:
    """Whether ``texts[i]``, right under a listed headline, is that headline's summary: a
    short paragraph followed by another list item (or a list heading), not by more
    paragraphs of text nor by the end of the text."""
    if not ends_sentence(texts[i]) or len(words(texts[i])) > _DEK_WORDS:
        return False
    if i + 1 >= len(texts):
        return False
    nxt = texts[i + 1]
    return _is_list_item(nxt) or is_block_start(nxt)


#: A menu entry has at most this many words, each capitalised ('Politics & Society').
_MENU_ENTRY_WORDS = 3
#: A menu bar has fewer entries than this; a longer run is a site's navigation tree.
_MENU_BAR = 16


def _is_menu_entry(text: str) -> bool:
    ws = words(text)
    return (
        1 <= len(ws) <= _MENU_ENTRY_WORDS
        and not ends_sentence(text)
        and all(w[0].isupper() for w in ws)
    )


def _in_menu(texts: Sequence[str], i: int) -> bool:
    """Whether ``texts[i]``, a short label such as 'Video' or 'Latest', is an entry of a menu
    (a menu entry or the top of the page above it, a menu entry or breadcrumb below it)
    rather than the heading of a story list."""
    if len(words(texts[i])) > 2 or i + 1 >= len(texts) or not _is_menu_entry(texts[i]):
        return False
    above = i == 0 or (_is_menu_entry(texts[i - 1]) and not is_block_start(texts[i - 1]))
    below = texts[i + 1]
    if not above or is_block_start(below):
        return False
    if not (_is_menu_entry(below) or is_breadcrumb(below)):
        return False
    # a menu bar, not the long navigation tree of a site (whose labels do head lists)
    lo = i
    while lo > 0 and _is_menu_entry(texts[lo - 1]):
        lo -= 1
    hi = i
    while hi + 1 < len(texts) and _is_menu_entry(texts[hi + 1]):
        hi += 1
    return hi - lo < _MENU_BAR


@dataclass
class _StoryList:
    """Where ``mark_junk`` is: inside a story list, right after one of its items."""

    open: bool = False
    after_item: bool = False


def mark_junk(lines: list[Line], meta: Meta, top: Sequence[Line] = ()) -> None:
    """Mark single junk lines, and lists of headlines under a list heading. A list ends
    where the page's <title> (one of the `top` lines) recurs: the article's headline."""
    state = _StoryList()
    headline_keys = _title_keys(top)
    texts = [ln.text for ln in lines if ln.text]
    for i, ln in enumerate(ln for ln in lines if ln.text):
        if state.open and line_key(ln.text) in headline_keys and all(ln is not t for t in top):
            state.open = False
            continue
        rule = _line_rule(ln.text)
        heading = rule is STORY_LIST_HEADING or is_block_start(ln.text)
        if heading and _in_menu(texts, i):
            rule = None  # a menu entry ('Video', 'Latest') between other menu entries
        elif heading:
            state.open, state.after_item, ln.removed = True, False, STORY_LIST_HEADING
            continue
        if state.open and _list_member(ln, rule, texts, i, state):
            continue
        if rule:
            ln.removed = rule
            _note_meta(ln.text, rule, meta)


def _list_member(
    ln: Line, rule: Rule | None, texts: Sequence[str], i: int, state: _StoryList
) -> bool:
    """Whether `ln` (``texts[i]``) belongs to the open story list: then it is marked, else
    the list is closed."""
    if rule or _is_list_item(ln.text):
        ln.removed, state.after_item = rule or STORY_LIST, True
        return True
    if state.after_item and _is_dek(texts, i):
        ln.removed, state.after_item = STORY_LIST, False
        return True
    state.open = False
    return False


def _note_meta(text: str, rule: Rule, meta: Meta) -> None:
    """Record the authors of the first byline and the date of the first date line."""
    if rule is BYLINE and not meta.authors:
        meta.authors = parse_byline(text) or ()
    elif rule is DATE_LINE and meta.published is None:
        meta.published = parse_date(text)


#: Paragraphs are blank-line separated when at least this share of the lines is blank.
_BLANK_SHARE = 0.25


def mark_captions(lines: list[Line]) -> None:
    """Mark photo captions: a short paragraph with its photo credit on the very next line
    ('An artist's view of the lander.' + '(Image credit: NASA)'). Only in text whose
    paragraphs are separated by blank lines, where a line break inside a block is a figure's."""
    blank = sum(1 for ln in lines if not ln.text)
    if blank < _BLANK_SHARE * (len(lines) - blank):
        return
    for ln, nxt in itertools.pairwise(lines):
        if not ln.text or ln.removed or not nxt.text or not is_credit_line(nxt.text):
            continue
        if len(words(ln.text)) <= CAPTION_WORDS:
            ln.removed = CAPTION_ABOVE_CREDIT
            nxt.removed = nxt.removed or PHOTO_CREDIT


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
            and not _is_menu_entry(prev.text)
            and ln.text[:1].islower()
        ):
            out[-1] = dataclasses.replace(prev, text=prev.text + " " + ln.text)
            continue
        out.append(ln)
    return out


def _n_words(text: str) -> int:
    return len(words(text)) + len(_CJK.findall(text)) // 2


def _is_short(ln: Line) -> bool:
    return _n_words(ln.text) <= _SHORT_LINE and not ends_sentence(ln.text)


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


#: A span scoring this much is an article, so an end marker after it ends the search.
_ARTICLE_FOUND = 30.0


def _main_span(lines: list[Line], page: bool) -> tuple[float, tuple[int, int]]:
    """The contiguous run of lines with the most article-like text (max-sum subarray), and
    its score."""
    best, best_span = 0.0, (0, len(lines))
    cur, start = 0.0, 0
    for i, ln in enumerate(lines):
        if cur <= 0:
            cur, start = 0.0, i
        if page and ln.after_end:
            cur, start = 0.0, i  # a share row or comment heading: a new span starts here
        if page and (ln.after_footer or _END_MARKER.match(ln.text)):
            if best >= _ARTICLE_FOUND:
                break  # comments or post navigation after the article
            cur = 0.0  # post navigation above the article: start afresh
            continue
        cur += _score(ln, page)
        if cur > best:
            best, best_span = cur, (start, i + 1)
    return best, best_span


def _headline_like(text: str) -> bool:
    n = len(words(text))
    return 2 <= n <= 30 and not text.endswith((".", ",", ";", ":")) and not is_teaser(text)


#: Removal reasons that are not metadata printed between a page's headline and its lede
#: (every other line rule's are: byline, date, widgets, captions, credits, adverts, ...).
_NOT_META_REASONS = frozenset({RemovalReason.EMPTY, RemovalReason.STORY_LIST})
#: Rules a headline may have been removed by: a story list swallows it when a menu entry
#: ('Video', 'Latest') above it looks like a list heading.
_HEADLINE_RULES = frozenset({None, STORY_LIST})
#: A glued breadcrumb ends with the headline's first words cut off: 'HomeWorldStorm hits...'.
_CRUMB_TAIL = re.compile(r"^\S*[a-z]([A-Z][^.…]{5,}?)\s*(?:\.\.\.|…)$")


def _is_meta_line(ln: Line) -> bool:
    """A header line between headline and lede: byline, role ('Staff Writer'), date, credit,
    share row, caption; or a name of up to three words left without final punctuation."""
    if ln.removed is not None and ln.removed.reason not in _NOT_META_REASONS:
        return True
    text = ln.text
    return bool(
        is_agency_byline(text)
        or is_date_line(text)
        or parse_byline(text)
        or (_n_words(text) <= _NAME_WORDS and not ends_sentence(text))
    )


def _crumb_prefixes(head: Sequence[Line]) -> list[str]:
    """The cut-off headline starts at the end of glued breadcrumbs ('HomeWorldStorm hi...')."""
    out = []
    for ln in head:
        m = _CRUMB_TAIL.search(ln.text) if ln.removed is BREADCRUMB else None
        if m:
            out.append(line_key(m.group(1)))
    return out


def _can_be_headline(ln: Line) -> bool:
    """A line shaped like a headline, not removed as anything but a story-list item, and not
    a byline or date line."""
    text = ln.text
    if ln.removed not in _HEADLINE_RULES or not _headline_like(text):
        return False
    if len(words(text)) < _HEADLINE_MIN_WORDS:
        return False
    return not (parse_byline(text) or is_agency_byline(text) or is_date_line(text))


def _headline_score(
    head: Sequence[Line], i: int, counts: dict[str, int], crumbs: Sequence[str]
) -> float | None:
    """How well ``head[i]`` fits as the page's headline, None when it cannot be one. Evidence:
    markdown heading, printed twice, a byline or date right under it, the start of a glued
    breadcrumb; lines of text (not metadata) between it and the lede count against it."""
    ln = head[i]
    if not _can_be_headline(ln):
        return None
    key = line_key(ln.text)
    below = [o for o in head[i + 1 :] if line_key(o.text) != key]
    evidence = (
        (ln.heading, 2.0),
        (counts.get(key, 0) >= 2, 2.0),
        (bool(below) and _is_meta_line(below[0]), 1.5),
        (any(c and key.startswith(c) for c in crumbs), 2.0),
        # swallowed by a story list: needs evidence of its own
        (ln.removed is not None, -1.0),
    )
    gap = sum(1 for o in below if not _is_meta_line(o))
    return sum(points for seen, points in evidence if seen) - gap


#: A headline variant shares at least this share of the words of the page's <title>.
_TITLE_OVERLAP = 0.6


def _shares_words(title_key: str, key: str) -> bool:
    """Whether a line (key) repeats most words of the page's <title> (key): its h1 variant."""
    tw = set(title_key.split())
    return bool(tw) and len(tw & set(key.split())) >= _TITLE_OVERLAP * len(tw)


#: Rules a page's <title> line may be removed by: "Headline | Site" reads like a photo credit.
_TITLE_LINE_RULES = frozenset({None, STORY_LIST})


def _title_line_removed(first: Line) -> bool:
    """Whether a line rule removed the page's first line as something else than a <title>."""
    removed = first.removed
    return removed not in _TITLE_LINE_RULES and (
        removed is None or removed.reason is not RemovalReason.PHOTO_CAPTION
    )


def _page_title(first: Line) -> str:
    """The headline part of a page's first line when that line looks like its <title>
    ('Headline | Site', or a headline), else ''."""
    text = first.text
    shaped = _headline_like(text) and not ends_sentence(text.rstrip("?"))
    if _title_line_removed(first) or not shaped or is_menu_line(text):
        return ""
    parts = [p for p in _TITLE_PARTS.split(text) if len(words(p)) >= _HEADLINE_MIN_WORDS]
    title = parts[0] if parts else text
    if len(words(title)) < _HEADLINE_MIN_WORDS or is_breadcrumb(text) or is_widget_line(text):
        return ""
    return title


_Found = tuple[str | None, Line | None]


def _find_title(head: list[Line], all_lines: list[Line], meta: Meta) -> _Found:
    """The headline among the page lines above the article span (`head`, removed ones too)."""
    counts: dict[str, int] = {}
    for ln in all_lines:
        counts[line_key(ln.text)] = counts.get(line_key(ln.text), 0) + 1
    found = _title_with_site(head, all_lines, meta)
    if found is not None:
        return found
    page_title = _page_title(head[0]) if head else ""
    best, variant = _best_headlines(head, counts, line_key(page_title))
    if variant is not None:
        return head[variant].text, head[variant]
    # with the page's <title> to fall back on, a line needs evidence of its own to beat it
    need = _HEADLINE_OVER_TITLE if page_title else _HEADLINE_MIN
    if best is not None and best[0] >= need:
        return head[best[1]].text, head[best[1]]
    if page_title:
        return page_title, head[0]
    return None, None


def _title_with_site(head: list[Line], all_lines: list[Line], meta: Meta) -> _Found | None:
    """A 'Headline | Site' line whose headline part is printed on a line of its own: that
    headline (and the site as publisher, in `meta`)."""
    for ln in head:
        m = _SITE_SUFFIX.match(ln.text)
        if not m or not _headline_like(ln.text):
            continue
        key = line_key(m.group("title"))
        if any(line_key(o.text) == key for o in all_lines if o is not ln):
            meta.publisher = meta.publisher or m.group("site").strip()
            title = m.group("title").strip()
            same = [o for o in head if line_key(o.text) == line_key(title)]
            return title, same[-1] if same else ln
    return None


def _best_headlines(
    head: list[Line], counts: dict[str, int], title_key: str
) -> tuple[tuple[float, int] | None, int | None]:
    """The best-scoring headline line (score, index), and the index of the best line that
    repeats the page's <title> (key `title_key`), if any."""
    crumbs = _crumb_prefixes(head)
    best: tuple[float, int] | None = None
    variant: tuple[float, int] | None = None
    for i in range(len(head)):
        score = _headline_score(head, i, counts, crumbs)
        if score is None:
            continue
        if i > 0 and title_key and _shares_words(title_key, line_key(head[i].text)):
            variant = (score, i) if variant is None or score >= variant[0] else variant
        if best is None or score >= best[0]:
            best = (score, i)
    return best, variant[1] if variant is not None else None


#: The header ends at the first sentence this long (the lede).
_LEDE_WORDS = 8


def _header_end(kept: list[Line]) -> int:
    for i, ln in enumerate(kept):
        n = _n_words(ln.text)
        if (ends_sentence(ln.text) and n >= _LEDE_WORDS) or n >= _LONG_LINE:
            return i
    return 0


def _header_meta_rule(text: str, meta: Meta) -> Rule | None:
    """Byline, date or captioned photo credit in an article's header, recorded in `meta`."""
    names = parse_byline(text) or is_agency_byline(text)
    if names:
        meta.authors = meta.authors or names
        return BYLINE
    if is_date_line(text):
        meta.published = meta.published or parse_date(text)
        return DATE_LINE
    if is_photo_caption(text):
        return PHOTO_CAPTION
    return None


def read_header(kept: list[Line], meta: Meta) -> tuple[str | None, dict[int, Rule]]:
    """Metadata lines before the lede of a clean article: title, byline, date, captions.

    Returns the title and the header lines to drop (index -> rule). A headline is only
    taken when the layout shows it: repeated, next to a byline or date line, a markdown heading
    opening the text, or the one short line above the lede. Other short lines there
    (subheadings, summary bullets) stay.
    """
    end = _header_end(kept)
    dropped: dict[int, Rule] = {}
    for i in range(end):
        rule = _header_meta_rule(kept[i].text, meta)
        if rule:
            dropped[i] = rule
    rest = [i for i in range(end) if i not in dropped]
    cands = [i for i in rest if _headline_like(kept[i].text) and len(words(kept[i].text)) >= 3]
    title_at = _repeated_title(kept, cands)
    if title_at is not None:
        dropped[title_at + 1] = REPEATED_HEADLINE
    else:
        title_at = _title_by_layout(kept, cands, rest, dropped)
    if title_at is None:
        return None, dropped
    dropped[title_at] = HEADLINE
    return kept[title_at].text, dropped


def _repeated_title(kept: list[Line], cands: list[int]) -> int | None:
    """The first headline candidate printed twice in a row, if any."""
    for i, j in itertools.pairwise(cands):
        if j == i + 1 and line_key(kept[i].text) == line_key(kept[j].text):
            return i
    return None


def _title_by_layout(
    kept: list[Line], cands: list[int], rest: list[int], dropped: dict[int, Rule]
) -> int | None:
    """The headline candidate next to a byline or date line, a markdown heading opening the
    text, or the one short line above the lede."""
    near_meta = [i for i in cands if i - 1 in dropped or i + 1 in dropped]
    if dropped and near_meta:
        return near_meta[0]
    headings = [i for i in cands if kept[i].heading]
    if headings and headings[0] == rest[0]:
        return headings[0]  # a markdown '# Headline' opening the text
    if len(rest) == 1 and cands == rest:
        return rest[0]
    return None


def _first_alone(lines: list[Line], first: Line) -> bool:
    """Whether `first` opens the text as a paragraph of its own (a blank line under it)."""
    at = next((i for i, ln in enumerate(lines) if ln.text), None)
    return at is not None and lines[at] is first and at + 1 < len(lines) and not lines[at + 1].text


def _plain_headline(lines: list[Line], kept: list[Line]) -> str | None:
    """The headline of a plain-text article printed as a sentence (see ``_plain_headline``)."""
    if not kept:
        return None
    alone = _first_alone(lines, kept[0])
    following = [ln.text for ln in kept[1:3]]
    if is_plain_headline(kept[0].text, alone, following):
        return headline_text(kept[0].text)
    return None


def _clean_article(lines: list[Line]) -> tuple[CleanedArticle, list[Removal]]:
    """An article that is already clean: only safe removals and the header's metadata."""
    meta = Meta()
    removals: list[Removal] = []
    kept: list[Line] = []
    for ln in lines:
        if not ln.text:
            continue
        rule = safe_rule(ln.text)
        if rule:
            removals.append(removal(rule, ln.text))
            continue
        kept.append(ln)
    kept = _rejoin(kept)
    title, dropped = read_header(kept, meta)
    if title is None and 0 not in dropped:
        title = _plain_headline(lines, kept)
        if title is not None:
            dropped[0] = FIRST_LINE_HEADLINE
    body: list[str] = []
    for i, ln in enumerate(kept):
        if i in dropped:
            removals.append(removal(dropped[i], ln.text))
        else:
            body.append(ln.text)
    return _article(title, body, meta), removals


def clean_text(text: str, markdown: bool) -> tuple[CleanedArticle, list[Removal]]:
    """Clean page-residue text; return the article and the removals (in reading order)."""
    lines = _read_lines(text, markdown)
    if looks_like_page([ln.text for ln in lines if ln.text]):
        return _clean_page(lines)
    return _clean_article(lines)


_TITLE_PARTS = re.compile(r"\s+(?:[|–—:-]|::)\s+")
#: The article under the headline starts within this many lines (byline, date, captions) ...
_HEADLINE_GAP = 6
#: ... and scores at least this much (a few sentences).
_ARTICLE_UNDER_HEADLINE = 30.0
#: The page's <title> comes within this many lines of the top of a page dump.
_TITLE_LINES = 3


def _title_parts(text: str) -> set[str]:
    """The keys of a <title> line and of its parts ('Headline | Site')."""
    keys = {line_key(text)}
    keys.update(line_key(p) for p in _TITLE_PARTS.split(text) if len(words(p)) >= 3)
    return keys


def _title_keys(top: Sequence[Line]) -> frozenset[str]:
    """Keys of the lines that may be the page's headline (the top lines and their parts)."""
    return frozenset(k for ln in top for k in _title_parts(ln.text) if len(k.split()) >= 3)


def _headline_anchors(top: list[Line], kept: list[Line]) -> list[int]:
    """Where the page's <title> (one of the `top` lines, maybe with the site name and maybe
    taken for residue) recurs among the `kept` lines."""
    for ln in top:
        keys = _title_parts(ln.text)
        found = [
            i
            for i, k in enumerate(kept)
            if k is not ln and len(words(k.text)) >= 3 and line_key(k.text) in keys
        ]
        if found:
            return found
    return []


def _page_span(top: list[Line], kept: list[Line]) -> tuple[int, int, int | None]:
    """The article's lines in a page: the best span right under the recurring headline (the
    h1 under the page's <title>), else the best span of the whole page. Also returns the index of
    that headline, if used."""
    for anchor in _headline_anchors(top, kept):
        first = anchor + 1
        score, (start, end) = _main_span(kept[first:], page=True)
        if score >= _ARTICLE_UNDER_HEADLINE and start <= _HEADLINE_GAP:
            return start + first, end + first, anchor
    return (*_main_span(kept, page=True)[1], None)


#: This many widget lines cut away in a row are a share row (or a comment form).
_SHARE_ROW = 3


def _mark_footers(lines: list[Line]) -> list[Line]:
    """The lines not removed; each one right under a footer line is marked `after_footer`,
    each one right under an end-of-article marker or a share row `after_end`."""
    out: list[Line] = []
    footer = end = False
    widgets = 0
    for ln in lines:
        if ln.removed:
            footer = footer or is_footer_start(ln.text)
            end = end or bool(_END_MARKER.match(ln.text)) or is_date_stamp(ln.text)
            widgets += ln.removed.row
            continue
        if footer or is_footer_start(ln.text):
            ln.after_footer = True
        ln.after_end = end or widgets >= _SHARE_ROW
        footer = end = False
        widgets = 0
        out.append(ln)
    return out


#: An author's note sits among the last lines of the article span.
_NOTE_TAIL = 4


def _without_author_note(kept: list[Line], start: int, end: int) -> int:
    """The end of the article span without the author's note at its foot (a bio or contact
    paragraph, and the short name or role lines right above it)."""
    notes = [j for j in range(max(start + 1, end - _NOTE_TAIL), end) if is_author_bio(kept[j].text)]
    if not notes:
        return end
    end = notes[0]
    while end > start + 1 and _is_short(kept[end - 1]):
        end -= 1
    return end


def _clean_page(lines: list[Line]) -> tuple[CleanedArticle, list[Removal]]:
    """Whole-page text: line rules, then the main text span without the page around it."""
    meta = Meta()
    nonempty = [ln for ln in lines if ln.text]
    for i, ln in enumerate(nonempty):
        ln.pos = i
    top = nonempty[:_TITLE_LINES]
    mark_junk(lines, meta, top)
    mark_captions(lines)
    removals = [removal(ln.removed, ln.text) for ln in lines if ln.removed]
    kept = _rejoin(_mark_footers([ln for ln in lines if ln.text]))
    start, end, headline = _page_span(top, kept)
    end = _without_author_note(kept, start, end)
    title: str | None
    title_line: Line | None
    if headline is not None:
        title, title_line = kept[headline].text, kept[headline]
    else:
        first = kept[start].pos if start < len(kept) else len(nonempty)
        title, title_line = _find_title(nonempty[:first], nonempty, meta)
    for ln in kept[:start] + kept[end:]:
        if ln is not title_line:
            removals.append(removal(OUTSIDE_MAIN_TEXT, ln.text))
    body: list[str] = []
    span = kept[start:end]
    keep = _repeat_keepers(span)
    for i, ln in enumerate(span):
        if title and line_key(ln.text) == line_key(title):
            removals.append(removal(REPEATED_HEADLINE, ln.text))
            continue
        if i not in keep:
            removals.append(removal(_REPEAT_RULES[keep.get(-1 - i, "")], ln.text))
            continue
        body.append(ln.text)
    return _article(title, body, meta), removals


#: The rule of each reason `_repeat_keepers` gives ("": a repeat it does not keep).
_REPEAT_RULES = {
    RemovalReason.DUPLICATE_LINE: DUPLICATE_LINE,
    RemovalReason.PULL_QUOTE: PULL_QUOTE,
    "": DUPLICATE_LINE,
}
#: Lines this short may repeat in an article ('He said no.'); longer repeats are page residue.
_REPEAT_WORDS = 5
#: A pull quote is a sentence or two of the body, set apart.
_PULL_QUOTE_WORDS = 60
_QUOTE_MARKS = "\"“”„«»‘’'"


def _quoted(text: str) -> bool:
    """A line set in quote marks as a whole ('“... ”'), or left without final punctuation."""
    return text[:1] in _QUOTE_MARKS or not ends_sentence(text)


def _repeat_keepers(span: Sequence[Line]) -> dict[int, str]:
    """The lines of an article span to keep (index -> "") and, under key ``-1 - index``, why
    the others go: a line repeated word for word keeps one copy (the one that reads like body
    text: not set in quote marks), and a pull quote, one or two sentences of a longer
    paragraph repeated on a line of its own, goes."""
    keys = [line_key(ln.text) for ln in span]
    groups: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    keeper: dict[str, int] = {}  # the copy of a repeated line that stays
    for k, same in groups.items():
        if len(same) > 1:
            plain = [j for j in same if not _quoted(span[j].text)]
            keeper[k] = (plain or same)[0]
    candidates = {
        k
        for i, k in enumerate(keys)
        if _REPEAT_WORDS <= len(k.split()) <= _PULL_QUOTE_WORDS and keeper.get(k, i) == i
    }
    inside = _contained_keys(candidates, groups)
    out: dict[int, str] = {}
    for i, k in enumerate(keys):
        n = len(k.split())
        if n < _REPEAT_WORDS:
            out[i] = ""
            continue
        if keeper.get(k, i) != i:
            out[-1 - i] = RemovalReason.DUPLICATE_LINE
            continue
        if n <= _PULL_QUOTE_WORDS and k in inside:
            out[-1 - i] = RemovalReason.PULL_QUOTE
            continue
        out[i] = ""
    return out


#: Words of a key used to look up the keys that may contain it (see ``_contained_keys``).
_GRAM = 3


def _contained_keys(candidates: set[str], keys: Iterable[str]) -> set[str]:
    """The `candidates` that occur inside another of the `keys` (lines as ``line_key``).

    Linear in the text rather than candidates x keys: when a key ``k`` occurs inside ``o``,
    the words of ``k`` but its first and last (which may be cut) are whole words of ``o``, in
    order. So ``k`` is only compared with the keys holding the rarest run of three of those
    inner words.
    """
    grams_of: dict[str, set[str]] = {}
    short: list[str] = []
    for k in candidates:
        inner = k.split(" ")[1:-1]
        if len(inner) < _GRAM:
            short.append(k)
        else:
            grams_of[k] = _grams(inner)
    needed = set().union(*grams_of.values())
    distinct = set(keys)
    holders: dict[str, list[str]] = {}
    for o in distinct:
        for gram in _grams(o.split(" ")) & needed:
            holders.setdefault(gram, []).append(o)
    found = {k for k in short if any(k in o and o != k for o in distinct)}
    for k, grams in grams_of.items():
        rarest = min((holders.get(g, []) for g in grams), key=len)
        if any(k in o and o != k for o in rarest):
            found.add(k)
    return found


def _grams(ws: list[str]) -> set[str]:
    return {" ".join(ws[j : j + _GRAM]) for j in range(len(ws) - _GRAM + 1)}


def _article(title: str | None, body: list[str], meta: Meta) -> CleanedArticle:
    """The cleaned article from a headline, body paragraphs and the metadata found."""
    return CleanedArticle(
        title=normalize_inline(title) if title else None,
        text=join_paragraphs(body),
        authors=meta.authors,
        publisher=meta.publisher,
        published=meta.published,
    )
