"""Unicode and whitespace normalisation that never changes the article's words."""

from __future__ import annotations

import re
import unicodedata

import ftfy

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HSPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANKS = re.compile(r"\n{3,}")
#: A character ftfy (with :data:`_FTFY`) may change, or that may be part of mojibake: anything
#: but tab, line feed, printable ASCII, the no-break space and the punctuation of U+2010-U+2027
#: (dashes, curly quotes, bullet, ellipsis). Those few are NFC-stable, not C1 controls,
#: ligatures or wide forms, and cannot make mojibake alone: every UTF-8 sequence misread as
#: Latin-1/cp1252 starts with a lead byte shown as a letter of U+00C2-U+00F4 (tested against
#: ftfy in test_normalize.py).
_FTFY_MAY_CHANGE = re.compile(r"[^\t\n\x20-\x7e\u00a0\u2010-\u2027]")
#: ftfy's settings: no HTML unescaping, quotes and line breaks left as they are, NFC.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization="NFC",
    explain=False,
)


def normalize_text(text: str) -> str:
    """Fix mojibake, apply NFC, unify line ends and collapse horizontal whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _fix_text(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    # (no run of horizontal space spans a line break: one pass over the whole text)
    return "\n".join([line.strip() for line in _HSPACE.sub(" ", text).split("\n")])


def _fix_text(text: str) -> str:
    """``ftfy.fix_text`` with :data:`_FTFY`, without running it on the lines it would leave
    as they are.

    ftfy fixes a text line by line (each segment up to and including its ``"\n"``, alone),
    and with these settings a line without a character of :data:`_FTFY_MAY_CHANGE` comes out
    unchanged. Such lines are kept as they are, the others go through ftfy (most lines of an
    article are plain ASCII with curly quotes and dashes).
    """
    if not _FTFY_MAY_CHANGE.search(text):
        return text
    if len(text) > _FTFY.max_decode_length:  # ftfy would cut a line this long itself
        return ftfy.fix_text(text, _FTFY)
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        brk = text.find("\n", pos) + 1 or end
        line = text[pos:brk]
        inert = not _FTFY_MAY_CHANGE.search(line)
        out.append(line if inert else ftfy.fix_text(line, _FTFY))
        pos = brk
    return "".join(out)


def normalize_inline(text: str) -> str:
    """Normalise one metadata value (title, author) to a single clean line."""
    return _HSPACE.sub(" ", normalize_text(text).replace("\n", " ")).strip()


def join_paragraphs(paragraphs: list[str]) -> str:
    """Join paragraphs with exactly one blank line between them."""
    text = "\n\n".join(p.strip() for p in paragraphs if p.strip())
    return _BLANKS.sub("\n\n", text)


#: Hard-wrapped text is wrapped at most this wide (terminal and e-mail widths).
_WRAP_MAX = 160
#: ... and at least this wide.
_WRAP_MIN = 30
#: Share of the lines followed by another line of their block that must look wrapped.
_WRAP_SHARE = 0.5
#: Wrapped lines reach at most this much beyond the 90th percentile of line widths.
_WRAP_SLACK = 1.1
#: A text needs this many wrapped-looking lines to be taken for hard-wrapped.
_WRAP_LINES = 4


def _first_word(line: str) -> str:
    return line.split(" ", 1)[0]


def _wrap_width(lines: list[str]) -> int | None:
    """The width a text was hard-wrapped at (paragraphs broken into lines of at most that
    many characters, each break where the next word would not fit), else None."""
    inner = [i for i in range(len(lines) - 1) if lines[i] and lines[i + 1]]
    if len(inner) < _WRAP_LINES:
        return None
    widths = sorted(len(lines[i]) for i in inner)
    high = widths[int(0.9 * (len(widths) - 1))]
    # the widest line near the top of the range; far longer lines were never wrapped
    width = max(w for w in widths if w <= high * _WRAP_SLACK)
    if not _WRAP_MIN <= width <= _WRAP_MAX:
        return None
    wrapped = [i for i in inner if _breaks_at(lines[i], lines[i + 1], width)]
    if len(wrapped) < max(_WRAP_LINES, _WRAP_SHARE * len(inner)):
        return None
    return width


_BLOCK_MARK = re.compile(r"^(?:#{1,6}\s|>|[-*+•]\s|\d{1,3}[.)]\s)")


def _breaks_at(line: str, nxt: str, width: int) -> bool:
    """Whether `line` was broken at `width`: the next line's first word would not fit on it
    (and the next line does not open a heading, quote or list item of its own)."""
    return (
        0.6 * width <= len(line) <= width
        and len(line) + 1 + len(_first_word(nxt)) > width
        and not _BLOCK_MARK.match(nxt)
    )


def unwrap_lines(lines: list[str]) -> list[str]:
    """Join the lines of hard-wrapped paragraphs (text saved at a fixed width, every line
    broken where the next word would not fit). Lines that end short (paragraph ends, menu
    items, list entries) and blank lines stay where they are; text that is not hard-wrapped
    is returned as it is."""
    width = _wrap_width(lines)
    if width is None:
        return lines
    out: list[str] = []
    joining = False
    for i, line in enumerate(lines):
        if joining and line:
            out[-1] = out[-1] + " " + line
        else:
            out.append(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        joining = bool(line and nxt) and _breaks_at(line, nxt, width)
    return out
