"""The shortcuts taken for speed give exactly what the plain computation gives."""

from __future__ import annotations

import random

import ftfy

from newswire_enrich._quotemarks import find_quote_marks
from newswire_enrich.clean._normalize import _fix_text

_PIECES = [
    "Plain words. ",
    "\n",
    "\n\n",
    "\t",
    "\x1b[31mred\x1b[0m",
    "\x00",
    "\x7f",
    "\x0c",
    "\x85",
    "Ã©tÃ©",
    "donâ€™t",
    "’",
    "ﬁne",
    "ＬＯＵＤ",
    "é",
    "e\u0301",
    "Â\xa0",
    "&amp;",
    "“Quoted,” ",
    "— ",
    "…",
    "\xa0",
    "•",
    "â€",
    "Ã",
]


def _ftfy(text: str) -> str:
    return ftfy.fix_text(
        text, unescape_html=False, uncurl_quotes=False, fix_line_breaks=False, normalization="NFC"
    )


def test_fix_text_matches_ftfy_line_by_line() -> None:
    """Random mixes of plain, inert and fixable pieces come out as ftfy makes them."""
    rnd = random.Random(7)
    for _ in range(2000):
        text = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 12)))
        assert _fix_text(text) == _ftfy(text), repr(text)


def test_fix_text_keeps_plain_ascii() -> None:
    """A plain ASCII text is returned as it is, not rebuilt."""
    text = "Nothing to fix here.\n\nNor here."
    assert _fix_text(text) is text


#: The non-ASCII characters _fix_text leaves without asking ftfy.
_INERT = ["\xa0", *(chr(c) for c in range(0x2010, 0x2028))]


def test_inert_characters_are_left_alone_by_ftfy() -> None:
    """Every pair and triple of the characters skipped (with letters around) is a text ftfy
    does not change: skipping it is exact."""
    for a in _INERT:
        for b in _INERT:
            for c in ["", *_INERT]:
                text = f"A{a}b {b}C{c}d"
                assert _ftfy(text) == text, repr(text)
                assert _fix_text(text) is text


def test_lead_byte_letters_still_go_to_ftfy() -> None:
    """Mojibake needs a lead-byte letter (U+00C2-U+00F4): with one, the line is fixed."""
    assert _fix_text("don\u00e2\u20ac\u2122t") == "don\u2019t"
    assert _fix_text("ok\n\u00c3\u00a9t\u00c3\u00a9\n") == "ok\nété\n"


def _scan(text: str) -> list[tuple[int, int, bool]]:
    return [(q.open, q.close, q.closed) for q in find_quote_marks(text)]


def test_quote_marks_only_marks_matter() -> None:
    """Letters between the marks change nothing but the offsets: the scan may skip them."""
    text = "“Yes,” he said. 'Fine' and \"so\" — ‘quite’.\n«Non» „ja“\n“Open\n“Next”"
    assert _scan(text) == [
        (0, 5, True),
        (16, 21, True),
        (27, 30, True),
        (34, 40, True),
        (43, 47, True),
        (49, 52, True),
        (54, 59, False),
        (60, 65, True),
    ]
