"""The cleaning rules, in one registry shared by the HTML and the text paths.

Each :class:`Rule` has a unique kebab-case name, one :class:`RemovalReason` and the shapes
it recognises, each defined once (in ``_rules`` for lines of text, ``_html_shapes`` for
HTML blocks and containers):

- ``pattern`` (a regex matching a whole line from its start) or ``line`` (a predicate):
  one line of plain text (the text path asks the rules of :data:`LINE_RULES` in order, see
  :func:`line_rule`; the patterns are compiled into one regex, as spaCy's matchers do);
- ``css``, ``tags``, ``roles``: the class word, tag or ARIA role of an HTML container
  pruned before extraction (see :func:`container_rule`);
- rules without a shape of their own (``story-list``, ``outside-main-text``,
  ``repeated-headline``, ...) name a decision the paths make from the page's structure.

The same kind of residue is removed by the same rule whichever path meets it: an advert
marker line and an ad-slot container are both ``advertisement``, a comment form in text
and a comment section in HTML both ``comment-form``.

Every removal is recorded as a :class:`~newswire_enrich.decisions.Removal` made by
:func:`removal`: the rule's name, its reason and the removed text (cut to
``MAX_REMOVED_CHARS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from newswire_enrich.decisions import MAX_REMOVED_CHARS, Removal

from . import _html_shapes as html
from . import _rules as text
from ._page_residue import is_credit_line, is_newsletter_blurb
from ._reasons import RemovalReason as R


def _no_words(line: str) -> bool:
    return bool(line.strip()) and not text.words(line)


def _is_byline(line: str) -> bool:
    return text.parse_byline(line) is not None


@dataclass(frozen=True, eq=False)
class Rule:
    """One cleaning rule: its name, why what it removes is residue, and its shapes."""

    name: str
    reason: R
    pattern: re.Pattern[str] | None = None
    line: Callable[[str], bool] | None = None
    css: re.Pattern[str] | None = None
    tags: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    #: page furniture (navigation, account, share, comment and reading-time widgets): lines
    #: that only whole pages carry
    widget: bool = False
    #: a widget of the rows that close an article (share rows, comment forms)
    row: bool = False
    #: residue even inside an article that is already clean
    safe: bool = False


# -- rules with a shape of their own, in the order the text path asks them ----------------
EMPTY_LINE = Rule("empty-line", R.EMPTY, line=_no_words, safe=True)
ADVERTISEMENT = Rule("advertisement", R.ADVERTISING, pattern=text.AD_MARKER, css=html.ADVERT_CLASS)
READING_TIME = Rule("reading-time", R.READING_TIME, pattern=text.READ_TIME, widget=True, safe=True)
COMMENT_FORM = Rule(
    "comment-form",
    R.COMMENTS,
    pattern=text.COMMENT_FORM,
    css=html.COMMENTS_CLASS,
    widget=True,
    row=True,
)
SUBSCRIBE_LINK = Rule("subscribe-link", R.PROMO, pattern=text.SUBSCRIBE_LINK, widget=True, row=True)
ACCOUNT_LINK = Rule("account-link", R.PAGE_WIDGET, pattern=text.ACCOUNT_LINK, widget=True, row=True)
SHARE_WIDGET = Rule(
    "share-widget",
    R.SHARE_WIDGET,
    pattern=text.SHARE_LINK,
    css=html.SHARE_CLASS,
    widget=True,
    row=True,
)
NAVIGATION = Rule(
    "navigation",
    R.NAVIGATION,
    pattern=text.NAVIGATION_LINK,
    tags=frozenset({"nav"}),
    roles=frozenset({"navigation", "search"}),
    widget=True,
    row=True,
)
POPUP = Rule(
    "popup",
    R.POPUP,
    pattern=text.CONSENT_PROMPT,
    css=html.POPUP_CLASS,
    tags=frozenset({"dialog"}),
    roles=frozenset({"dialog", "alertdialog"}),
    widget=True,
    row=True,
)
AUDIO_PLAYER = Rule("audio-player", R.PAGE_WIDGET, pattern=text.AUDIO_LINK, widget=True, row=True)
APP_PROMO = Rule("app-promo", R.PROMO, pattern=text.APP_PROMO, widget=True, row=True)
COPYRIGHT = Rule("copyright", R.COPYRIGHT, pattern=text.COPYRIGHT_LINE, widget=True, row=True)
SOURCE_CREDIT = Rule("source-credit", R.CREDIT, pattern=text.SOURCE_CREDIT, safe=True)
GALLERY_LINK = Rule("gallery-link", R.PHOTO_CAPTION, pattern=text.MEDIA_LINK)
RELATED_LINK = Rule("related-link", R.STORY_LIST, pattern=text.RELATED_POINTER)
STORY_LIST_HEADING = Rule("story-list-heading", R.STORY_LIST, line=text.is_block_start)
BYLINE = Rule("byline", R.BYLINE, line=_is_byline)
BREADCRUMB = Rule(
    "breadcrumb", R.NAVIGATION, line=text.is_breadcrumb, css=html.BREADCRUMB_CLASS, widget=True
)
DATE_LINE = Rule("date-line", R.DATE_LINE, line=text.is_date_line)
PHOTO_CAPTION = Rule(
    "photo-caption",
    R.PHOTO_CAPTION,
    line=text.is_photo_caption,
    css=html.CAPTION_CLASS,
    tags=frozenset({"figcaption"}),
)
NEWSLETTER_PROMO = Rule("newsletter-promo", R.PROMO, line=is_newsletter_blurb, css=html.PROMO_CLASS)
PHOTO_CREDIT = Rule("photo-credit", R.CREDIT, line=is_credit_line)

# -- containers only HTML pages have ------------------------------------------------------
STORY_LIST = Rule("story-list", R.STORY_LIST, css=html.RELATED_CLASS)
TAG_LIST = Rule("tag-list", R.NAVIGATION, css=html.TAGS_CLASS)
SIDEBAR = Rule(
    "sidebar",
    R.SIDEBAR,
    css=html.SIDEBAR_CLASS,
    tags=frozenset({"aside"}),
    roles=frozenset({"complementary"}),
)
PAGE_FRAME = Rule(
    "page-frame",
    R.PAGE_FRAME,
    tags=frozenset({"footer"}),
    roles=frozenset({"banner", "contentinfo"}),
)
FORM_CONTROL = Rule("form-control", R.PAGE_WIDGET, tags=frozenset({"form", "button"}))
HIDDEN = Rule("hidden-element", R.HIDDEN, css=html.HIDDEN_CLASS)
LINK_CARD = Rule("link-card", R.LINK_CARD)
AUTHOR_BOX = Rule("author-box", R.AUTHOR_NOTE, css=html.AUTHOR_CLASS)

# -- blocks of an extracted HTML body (shapes in _html_shapes, structure in _html_post) ----
SITE_LINK_LIST = Rule("site-link-list", R.STORY_LIST)
SHORTCODE = Rule("shortcode", R.MARKUP)
CALL_TO_ACTION = Rule("call-to-action", R.PROMO)
CONTACT_LINE = Rule("contact-line", R.CONTACT)
CONTRIBUTOR_CREDIT = Rule("contributor-credit", R.CREDIT)
COMPANY_PROFILE = Rule("company-profile", R.COMPANY_PROFILE)

# -- decisions from the structure of the whole text ---------------------------------------
HEADLINE = Rule("headline", R.HEADLINE)
FIRST_LINE_HEADLINE = Rule("first-line-headline", R.HEADLINE)
REPEATED_HEADLINE = Rule("repeated-headline", R.REPEATED_HEADLINE)
DUPLICATE_LINE = Rule("duplicate-line", R.DUPLICATE_LINE)
PULL_QUOTE = Rule("pull-quote", R.PULL_QUOTE)
OUTSIDE_MAIN_TEXT = Rule("outside-main-text", R.OUTSIDE_MAIN_TEXT)
CAPTION_ABOVE_CREDIT = Rule("caption-above-credit", R.PHOTO_CAPTION)

#: Every rule, each once.
RULES: tuple[Rule, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Rule))
#: The rules a single line of page text is asked, in order (the first that fires names it).
LINE_RULES: tuple[Rule, ...] = (
    ADVERTISEMENT,
    READING_TIME,
    COMMENT_FORM,
    SUBSCRIBE_LINK,
    ACCOUNT_LINK,
    SHARE_WIDGET,
    NAVIGATION,
    POPUP,
    AUDIO_PLAYER,
    APP_PROMO,
    COPYRIGHT,
    SOURCE_CREDIT,
    GALLERY_LINK,
    RELATED_LINK,
    STORY_LIST_HEADING,
    BYLINE,
    BREADCRUMB,
    DATE_LINE,
    PHOTO_CAPTION,
)
_SAFE_RULES = tuple(r for r in LINE_RULES if r.safe)
#: The rule pruning an HTML element by its tag, and by its ARIA role.
TAG_RULES: Mapping[str, Rule] = MappingProxyType({t: r for r in RULES for t in r.tags})
ROLE_RULES: Mapping[str, Rule] = MappingProxyType({x: r for r in RULES for x in r.roles})


def _union(rules: Iterable[Rule], template: str, flags: int = 0) -> re.Pattern[str]:
    """One regex of the rules' patterns (``template`` formats each, by index and pattern),
    tried in the rules' order."""
    return re.compile(
        "|".join(template.format(i, r.pattern.pattern) for i, r in enumerate(rules) if r.pattern),
        flags,
    )


#: The line rules with a pattern, in order, as one regex: a named group per rule.
_PATTERN_RULES = tuple(r for r in LINE_RULES if r.pattern is not None)
_LINE_PATTERN = _union(_PATTERN_RULES, "(?P<r{0}>{1})", re.IGNORECASE)
#: The line rules with a predicate, asked when no pattern fires.
_PREDICATE_RULES = tuple(r for r in LINE_RULES if r.pattern is None)
#: The widget rules with a pattern, as one regex, and those with a predicate.
_WIDGET_PATTERN = _union((r for r in LINE_RULES if r.widget), "(?:{1})", re.IGNORECASE)
_WIDGET_PREDICATES = tuple(r for r in LINE_RULES if r.widget and r.pattern is None)
#: The container rules with a class word, as one regex: a named group per rule.
_CSS_RULES = tuple(r for r in RULES if r.css is not None)
_CSS_PATTERN = re.compile(
    html.CSS_START
    + "(?:"
    + "|".join(
        f"(?P<c{i}>{r.css.pattern.removeprefix(html.CSS_START)})"
        for i, r in enumerate(_CSS_RULES)
        if r.css
    )
    + ")",
    re.IGNORECASE,
)


def _fires(rule: Rule, line: str) -> bool:
    if rule.pattern is not None:
        return bool(rule.pattern.match(line))
    return rule.line is not None and rule.line(line)


def _named(m: re.Match[str], rules: tuple[Rule, ...]) -> Rule:
    """The rule whose named group (``r<i>``/``c<i>``) matched."""
    name = next(k for k, v in m.groupdict().items() if v is not None)
    return rules[int(name[1:])]


#: Lines checked more than once per article (page evidence, then line by line) are looked up
#: once; bounded, so a long article's lines do not stay in memory.
_LINE_CACHE = 4096


@lru_cache(maxsize=_LINE_CACHE)
def line_rule(line: str) -> Rule | None:
    """The rule that makes a single line of page text residue, or None when it may be text."""
    if not text.words(line):
        return EMPTY_LINE if line.strip() else None
    m = _LINE_PATTERN.match(line)
    if m:
        return _named(m, _PATTERN_RULES)
    return next((r for r in _PREDICATE_RULES if _fires(r, line)), None)


def safe_rule(line: str) -> Rule | None:
    """The rule that makes a line residue even inside an article that is already clean:
    only shapes that can never be article text (reading-time badges, labelled credits)."""
    if not text.words(line):
        return EMPTY_LINE if line.strip() else None
    return next((r for r in _SAFE_RULES if _fires(r, line)), None)


@lru_cache(maxsize=_LINE_CACHE)
def is_widget_line(line: str) -> bool:
    """Navigation, account, share or comment-form furniture that only whole pages carry."""
    return bool(_WIDGET_PATTERN.match(line)) or any(_fires(r, line) for r in _WIDGET_PREDICATES)


@lru_cache(maxsize=_LINE_CACHE)
def class_rule(token: str) -> Rule | None:
    """The rule that prunes a container with this class or id word."""
    m = _CSS_PATTERN.search(token)
    return _named(m, _CSS_RULES) if m else None


def by_name(name: str) -> Rule:
    """The registered rule called `name` (KeyError when there is none)."""
    return _BY_NAME[name]


_BY_NAME = {r.name: r for r in RULES}


def removal(rule: Rule, removed: str) -> Removal:
    """The record of `rule` removing `removed` (cut to ``MAX_REMOVED_CHARS``)."""
    return Removal(rule.name, rule.reason.value, removed[:MAX_REMOVED_CHARS])
