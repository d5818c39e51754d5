"""Turn a file's bytes into text: byte-order marks, UTF-8, UTF-16, then detection.

The order matters. A byte-order mark is authoritative; strict UTF-8 is tried next (almost no
text in another encoding decodes as UTF-8 by accident); UTF-16 without a mark is recognised by
its NUL bytes; then charset-normalizer guesses, with windows-1252 preferred when it fits about
as well (news text in a single-byte encoding is nearly always cp1252, and latin-1 labels lie:
curly quotes live in 0x80-0x9F). Text that decodes but is mostly control characters is a
binary file, not an article.
"""

from __future__ import annotations

import codecs
import unicodedata

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
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
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
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    half = len(data) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le" if _decodes(data, "utf-16-le") else None
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be" if _decodes(data, "utf-16-be") else None
    return None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _reject_binary(text: str) -> None:
    if not text:
        return
    control = sum(
        1 for ch in text if ch not in "\t\n\r\f\v" and unicodedata.category(ch) in {"Cc", "Cs"}
    )
    if control > _MAX_CONTROL_SHARE * len(text):
        raise UndecodableFileError(
            f"looks like a binary file, not text ({control} control characters in {len(text)})"
        )
