"""The headline of a plain-text article that ends it with a full stop.

Some outlets print the headline as a sentence: ``Council votes to close harbour bridge.``
alone in its paragraph, then the story. The header rules of ``_text`` only take a line
without final punctuation as a headline; this rule takes such a first line when the layout
and its wording show it is one: a short single sentence standing alone as its own paragraph,
followed by body paragraphs, written in Title Case or in headline style (none of the
articles, auxiliaries and pronouns a first sentence uses, see ``lede_words``), and not a
dateline or a byline. A one-line lede (``The council has voted to close the bridge.``) or a
first paragraph that is a sentence of the story stays in the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newswire_enrich.lexicon import words as lexicon_words

from ._rules import (
    ends_sentence,
    is_agency_byline,
    is_date_line,
    is_title_case,
    parse_byline,
    words,
)

#: A headline has at least this many words...
_MIN_WORDS = 3
#: ...and at most this many.
_MAX_WORDS = 14
#: The story under it: at least this many paragraphs...
_BODY_PARAGRAPHS = 2
#: ...the first of them a sentence of at least this many words.
_LEDE_WORDS = 8
_LEDE_WORDS_SET = lexicon_words("lede_words")
#: A sentence break inside the line: it is more than one sentence.
_INNER_BREAK = re.compile(r"[.!?]\s+\S")
#: A dateline opening a story: 'HARBOURTON —', 'PARIS (Wire) -', 'OSLO, March 3'.
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]+(?:,|\s[-–—(])")


def _headline_style(line: str) -> bool:
    """Title Case, or none of the words a first sentence uses and a headline drops."""
    if is_title_case(line):
        return True
    return not any(w.casefold() in _LEDE_WORDS_SET for w in words(line))


def _shaped(line: str) -> bool:
    """One short sentence ending in a single full stop, not a dateline, byline or date."""
    n = len(words(line))
    if not _MIN_WORDS <= n <= _MAX_WORDS or not line.endswith(".") or line.endswith(".."):
        return False
    if _INNER_BREAK.search(line) or _DATELINE.match(line):
        return False
    bare = line[:-1]
    return not (parse_byline(bare) or is_agency_byline(bare) or is_date_line(bare))


def _body_follows(following: Sequence[str]) -> bool:
    """Body paragraphs under the line: enough of them, the first a real sentence."""
    if len(following) < _BODY_PARAGRAPHS:
        return False
    lede = following[0]
    return ends_sentence(lede) and len(words(lede)) >= _LEDE_WORDS


def is_plain_headline(line: str, alone: bool, following: Sequence[str]) -> bool:
    """Whether the first line of a plain-text article is its headline ending in a full stop.

    `alone`: the line is a paragraph of its own (a blank line follows it); `following`: the
    paragraphs after it.
    """
    return alone and _shaped(line) and _headline_style(line) and _body_follows(following)


def headline_text(line: str) -> str:
    """The headline without its final full stop."""
    return line[:-1].rstrip()
