"""Pairing quotation marks in running text: every kind, apostrophes left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOUBLE_OPEN = {"“": "”", "«": "»", "„": "“"}
_OPEN_CONTEXT = " \t\n([{—–-/:;,"
#: The only characters that open or close a passage: the scan skips everything else.
_MARK = re.compile("[“”«»„\"‘’']")


@dataclass(frozen=True)
class QuoteMarks:
    """A quoted passage: `open` and `close` are the mark offsets (close may be a paragraph end)."""

    open: int
    close: int
    closed: bool = True

    @property
    def content(self) -> tuple[int, int]:
        """Offsets of the words between the marks."""
        return self.open + 1, self.close


def _is_opening_context(text: str, i: int) -> bool:
    return i == 0 or text[i - 1] in _OPEN_CONTEXT or text[i - 1] in "“\"‘'«"


def _is_letter(ch: str) -> bool:
    return ch.isalnum()


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        if end > start:
            out.append((start, end))
        start = end + 1
    return out


def _starts_with_open(text: str, start: int, end: int) -> bool:
    return start < end and text[start] in '“"«'


def find_quote_marks(text: str) -> list[QuoteMarks]:
    """Find quoted passages in `text`, paragraph by paragraph."""
    found: list[QuoteMarks] = []
    paras = _paragraphs(text)
    for n, (pstart, pend) in enumerate(paras):
        double_open: int | None = None
        double_close = ""
        single_open: int | None = None
        single_close = ""
        for mark in _MARK.finditer(text, pstart, pend):
            i = mark.start()
            ch = text[i]
            nxt = text[i + 1] if i + 1 < pend else " "
            if double_open is None:
                if ch in _DOUBLE_OPEN and not nxt.isspace():
                    double_open, double_close = i, _DOUBLE_OPEN[ch]
                    single_open = None
                elif ch == '"' and _is_opening_context(text, i) and not nxt.isspace():
                    double_open, double_close = i, '"'
                    single_open = None
                elif single_open is None:
                    if (
                        (ch == "‘" or ch == "'")
                        and _is_opening_context(text, i)
                        and _is_letter(nxt)
                    ):
                        single_open, single_close = i, "’" if ch == "‘" else "'"
                elif ch in (single_close, "’") and i > single_open + 1:
                    prev = text[i - 1]
                    if not prev.isspace() and not _is_letter(nxt):
                        found.append(QuoteMarks(single_open, i))
                        single_open = None
            elif ch == double_close or (double_close == '"' and ch == "”"):
                if i > double_open + 1:
                    found.append(QuoteMarks(double_open, i))
                double_open = None
        if double_open is not None and n + 1 < len(paras):
            nstart, nend = paras[n + 1]
            if _starts_with_open(text, nstart, nend):
                found.append(QuoteMarks(double_open, pend, closed=False))
    return found
