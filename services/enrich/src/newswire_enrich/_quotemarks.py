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
        scan = _Scan(text, pend, found)
        for mark in _MARK.finditer(text, pstart, pend):
            scan.mark(mark.start())
        if scan.double_open is not None and n + 1 < len(paras):
            nstart, nend = paras[n + 1]
            if _starts_with_open(text, nstart, nend):
                found.append(QuoteMarks(scan.double_open, pend, closed=False))
    return found


@dataclass
class _Scan:
    """The open marks of one paragraph while it is scanned; closed passages go to `found`."""

    text: str
    pend: int
    found: list[QuoteMarks]
    double_open: int | None = None
    double_close: str = ""
    single_open: int | None = None
    single_close: str = ""

    def mark(self, i: int) -> None:
        """Take the quotation mark (or apostrophe) at `i`."""
        ch = self.text[i]
        nxt = self.text[i + 1] if i + 1 < self.pend else " "
        if self.double_open is None:
            self._outside_double(i, ch, nxt)
        elif ch == self.double_close or (self.double_close == '"' and ch == "”"):
            if i > self.double_open + 1:
                self.found.append(QuoteMarks(self.double_open, i))
            self.double_open = None

    def _outside_double(self, i: int, ch: str, nxt: str) -> None:
        close = _double_close(self.text, i, ch, nxt)
        if close is not None:
            self.double_open, self.double_close = i, close
            self.single_open = None
        elif self.single_open is None:
            if ch in "‘'" and _is_opening_context(self.text, i) and _is_letter(nxt):
                self.single_open, self.single_close = i, "’" if ch == "‘" else "'"
        elif self._closes_single(i, ch, nxt):
            self.found.append(QuoteMarks(self.single_open, i))
            self.single_open = None

    def _closes_single(self, i: int, ch: str, nxt: str) -> bool:
        """Whether the mark at `i` closes the open single quotation (not an apostrophe)."""
        opened = self.single_open
        if opened is None or ch not in (self.single_close, "’") or i <= opened + 1:
            return False
        return not self.text[i - 1].isspace() and not _is_letter(nxt)


def _double_close(text: str, i: int, ch: str, nxt: str) -> str | None:
    """The mark that closes a double quotation opened by `ch` at `i`, or None when `ch`
    opens none there (a mark before a space, a straight mark after a letter)."""
    if nxt.isspace():
        return None
    if ch in _DOUBLE_OPEN:
        return _DOUBLE_OPEN[ch]
    return '"' if ch == '"' and _is_opening_context(text, i) else None
