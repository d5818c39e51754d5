"""Unicode and whitespace normalisation that never changes the article's words."""

from __future__ import annotations

import re
import unicodedata

import ftfy

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HSPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANKS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Fix mojibake, apply NFC, unify line ends and collapse horizontal whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = ftfy.fix_text(
        text,
        unescape_html=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        normalization="NFC",
    )
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    lines = [_HSPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)


def normalize_inline(text: str) -> str:
    """Normalise one metadata value (title, author) to a single clean line."""
    return _HSPACE.sub(" ", normalize_text(text).replace("\n", " ")).strip()


def join_paragraphs(paragraphs: list[str]) -> str:
    """Join paragraphs with exactly one blank line between them."""
    text = "\n\n".join(p.strip() for p in paragraphs if p.strip())
    return _BLANKS.sub("\n\n", text)
