"""Turn a file's bytes into text: byte-order marks, UTF-8, UTF-16, then detection.

The order matters. A byte-order mark is authoritative; strict UTF-8 is taken next when it
gives plausible text (almost no text in another encoding decodes as UTF-8 by accident). UTF-16
without a mark is the exception: its ASCII range is valid UTF-8 full of NULs, and Cyrillic,
Greek, Arabic or Hebrew are valid UTF-8 full of other control characters. So when UTF-8 fails
or gives implausible text, both UTF-16 byte orders are tried and the one that gives plausible
text wins (no control, unassigned, private-use or stray format characters; and either some
ASCII, such as spaces, digits and newlines, or CJK text with CJK punctuation, all in one
script). Then charset-normalizer guesses, with windows-1252 preferred when it fits about as
well (news text in a single-byte encoding is nearly always cp1252, and latin-1 labels lie:
curly quotes live in 0x80-0x9F). Text that decodes but is mostly control characters is a
binary file, not an article.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter

import charset_normalizer

from newswire_shared.errors import UndecodableFileError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LATIN1_NAMES = frozenset({"latin_1", "iso8859_1", "latin-1", "iso-8859-1"})
_MAX_CONTROL_SHARE = 0.01
#: Characters judged for plausibility (the start of the text says enough).
_SAMPLE_CHARS = 16_384
_WHITESPACE_CONTROLS = frozenset("\t\n\r\f\v")
#: Control characters (Cc) other than the white-space ones, and surrogates (Cs): what makes
#: decoded bytes a binary file. Both categories are fixed code point ranges.
_BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ODD_CATEGORIES = frozenset({"Cs", "Co", "Cn"})
#: Format characters real text carries: soft hyphen, zero-width (non-)joiners and space,
#: left-to-right and right-to-left marks, word joiner, byte-order mark.
_TEXT_FORMAT_CHARS = frozenset("\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff")
_CJK_WORDS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "BOPOMOFO", "HALFWIDTH", "IDEOGRAPHIC"})
_CJK_SCRIPTS = frozenset({"CJK", "HANGUL"})
_MIN_CJK_CHARS = 8
_MIN_SCRIPT_SHARE = 0.95
#: How much more "chaos" a Western guess may show and still beat a rarer code page.
_WESTERN_SLACK = 0.15


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` for `data`, or raise :class:`UndecodableFileError`."""
    encoding = _detect(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UndecodableFileError(f"cannot decode the file as {encoding}: {exc}") from exc
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    _reject_binary(text)
    return text, encoding


def _detect(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    utf8 = _decode(data, "utf-8")
    if utf8 is not None and _odd_share(utf8) <= _MAX_CONTROL_SHARE:
        return "utf-8"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    if utf8 is not None:
        return "utf-8"  # mostly control characters: refused as binary, with the count
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise UndecodableFileError("the bytes are not text in any encoding we can detect")
    best = matches[0]
    for match in matches:
        name = codecs.lookup(match.encoding).name
        western = name == "cp1252" or name.replace("-", "_") in _LATIN1_NAMES
        if western and match.chaos <= best.chaos + _WESTERN_SLACK:
            return "cp1252" if _decodes(data, "cp1252") else "latin-1"
    return codecs.lookup(best.encoding).name


def _utf16_without_bom(data: bytes) -> str | None:
    """Return the UTF-16 byte order that reads `data` as plausible text, or None.

    The right byte order shows ASCII (spaces, newlines, digits, punctuation: a NUL byte beside
    each) where the wrong one shows ideographs and stray symbols; text with no ASCII at all
    must be CJK with CJK punctuation, in one script.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    ranked: list[tuple[float, float, str]] = []
    for encoding in ("utf-16-le", "utf-16-be"):
        text = _decode(data, encoding)
        if text is None:
            continue
        sample = text[:_SAMPLE_CHARS]
        odd = _odd_share(sample)
        if odd > _MAX_CONTROL_SHARE:
            continue
        ascii_share = sum(1 for ch in sample if ch < "\x80") / len(sample)
        if ascii_share or _plain_cjk(sample):
            ranked.append((ascii_share, -odd, encoding))
    return max(ranked)[2] if ranked else None


def _plain_cjk(sample: str) -> bool:
    """True for CJK text (no ASCII at all) that uses CJK punctuation, all in one script."""
    if len(sample) < _MIN_CJK_CHARS or not any(_is_cjk_punctuation(ch) for ch in sample):
        return False
    scripts = Counter(_script(ch) for ch in sample if ch.isalpha())
    if not scripts:
        return False
    ((top, count),) = scripts.most_common(1)
    return top in _CJK_SCRIPTS and count >= _MIN_SCRIPT_SHARE * sum(scripts.values())


def _is_cjk_punctuation(ch: str) -> bool:
    return "\u3000" <= ch <= "\u303f" or "\uff01" <= ch <= "\uff65"


def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name (Han, kana and bopomofo are one)."""
    word = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
    return "CJK" if word in _CJK_WORDS else word


def _odd_share(text: str) -> float:
    """Share of characters that plausible text does not contain: control characters other
    than white space, stray format characters, surrogates, private-use and unassigned.

    Each distinct character is judged once and its occurrences counted in C: the sample is
    up to ``_SAMPLE_CHARS`` long but holds a few hundred distinct characters at most.
    """
    sample = text[:_SAMPLE_CHARS]
    if not sample:
        return 0.0
    if sample.isascii():
        odd = len(_BINARY_CHARS.findall(sample))
    else:
        odd = sum(sample.count(ch) for ch in set(sample) if _is_odd(ch))
    return odd / len(sample)


def _is_odd(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cc":
        return ch not in _WHITESPACE_CONTROLS
    if category == "Cf":
        return ch not in _TEXT_FORMAT_CHARS
    return category in _ODD_CATEGORIES


def _decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _decodes(data: bytes, encoding: str) -> bool:
    return _decode(data, encoding) is not None


def _reject_binary(text: str) -> None:
    """Raise :class:`UndecodableFileError` when over 1% of `text` is control characters."""
    if not text or _BINARY_CHARS.search(text) is None:
        return
    control = len(_BINARY_CHARS.findall(text))
    if control > _MAX_CONTROL_SHARE * len(text):
        raise UndecodableFileError(
            f"looks like a binary file, not text ({control} control characters in {len(text)})"
        )
