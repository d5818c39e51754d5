"""Decide whether plain text is a whole web page or an article that is already clean.

Aggressive page rules (main-text span, story lists, pull quotes, inline teasers) only pay off
on text that still carries its page; on an article that is already clean they delete body text
(``READ MORE: ...`` lines, a duplicated caption, a list of award winners). The decision rests on
*structural* evidence that only whole pages show: navigation, account, share and footer
widgets, comment forms, breadcrumbs, lists of other stories under a list heading, and runs of
menu-like lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._reasons import RemovalReason
from ._registry import is_widget_line, line_rule
from ._rules import ends_sentence, is_block_start, is_teaser, words

#: Lines up to this many words without final punctuation look like menu items.
_MENU_WORDS = 4
#: This many menu-like lines in a row make a menu.
_MENU_RUN = 3
#: Widget lines that alone show a page.
_WIDGETS_FOR_PAGE = 2

#: Text where at least this share of the lines (and this many) are residue is page residue.
_RESIDUE_SHARE = 0.5
_RESIDUE_FOR_PAGE = 2

_FOOTER = re.compile(
    r"^(privacy( policy| notice| statement)?|terms( of (use|service))?|terms (and|&) conditions|"
    r"cookie (policy|settings|preferences)|contact( us)?|about( us)?|careers|jobs|"
    r"advertise( with us)?|site ?map|help( center| centre)?|faq|rss( feeds?)?|newsletters?|"
    r"accessibility( help| links)?|do not sell my (personal )?info\w*)\b[^.!?]{0,40}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PageEvidence:
    """Counts of page structure found in a text."""

    widgets: int = 0
    story_lists: int = 0
    menu_runs: int = 0
    repeated: int = 0
    residue: int = 0
    lines: int = 0

    @property
    def is_page(self) -> bool:
        """Whole-page text: enough structure that only pages have."""
        if self.widgets >= _WIDGETS_FOR_PAGE or self.story_lists >= 1:
            return True
        if self.residue >= _RESIDUE_FOR_PAGE and self.residue >= _RESIDUE_SHARE * self.lines:
            return True  # mostly markers and widgets, hardly any article text
        return self.widgets >= 1 and (self.menu_runs >= 1 or self.repeated >= 1)


#: Header metadata is not page residue: clean articles carry it too.
_NOT_RESIDUE = frozenset({RemovalReason.BYLINE, RemovalReason.DATE_LINE})


def _is_residue(line: str) -> bool:
    rule = line_rule(line)
    return rule is not None and rule.reason not in _NOT_RESIDUE


def _is_menu_like(line: str) -> bool:
    return len(words(line)) <= _MENU_WORDS and not ends_sentence(line)


def _story_list_follows(lines: Sequence[str], i: int) -> bool:
    """A list heading at ``i`` followed by a headline or teaser (not by a paragraph)."""
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if not nxt:
        return False
    return is_teaser(nxt) or (not ends_sentence(nxt) and 2 <= len(words(nxt)) <= 30)


def page_evidence(lines: Sequence[str]) -> PageEvidence:
    """Count page structure in the non-empty lines of a text."""
    lines = [ln for ln in lines if words(ln)]
    widgets = sum(1 for ln in lines if is_widget_line(ln) or _FOOTER.match(ln))
    story_lists = sum(
        1 for i, ln in enumerate(lines) if is_block_start(ln) and _story_list_follows(lines, i)
    )
    menu_runs = run = 0
    for ln in [*lines, ""]:
        if ln and _is_menu_like(ln):
            run += 1
            continue
        menu_runs += run >= _MENU_RUN
        run = 0
    seen: set[str] = set()
    repeated = 0
    for ln in lines:
        if ends_sentence(ln) or len(words(ln)) < 2:
            continue
        key = ln.casefold()
        repeated += key in seen
        seen.add(key)
    residue = sum(1 for ln in lines if _is_residue(ln))
    return PageEvidence(widgets, story_lists, menu_runs, repeated, residue, len(lines))


def looks_like_page(lines: Sequence[str]) -> bool:
    """Whether the text still carries its web page (see ``PageEvidence.is_page``)."""
    return page_evidence(lines).is_page
