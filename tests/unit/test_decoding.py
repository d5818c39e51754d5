"""Bytes to text: byte-order marks, UTF-8, UTF-16, single-byte code pages, binary files."""

from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire_shared.decoding import _is_odd, _odd_share, _reject_binary, decode_bytes
from newswire_shared.errors import UndecodableFileError

SAMPLE = "“Café society,” she said — it’s naïve to think otherwise."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (SAMPLE.encode("utf-32"), "utf-32"),
        (SAMPLE.encode("cp1252"), "cp1252"),
    ],
)
def test_decodes_common_encodings(data: bytes, encoding: str) -> None:
    """Each common encoding of the same sentence decodes to the same text."""
    assert decode_bytes(data) == (SAMPLE, encoding)


def test_latin1_text_is_read_as_cp1252() -> None:
    """Western single-byte text comes out right, not as a Baltic or Central European guess."""
    text = "Café au lait, déjà vu, à la carte. Ça va très bien."
    assert decode_bytes(text.encode("latin-1"))[0] == text


def test_cyrillic_code_page_is_detected() -> None:
    """A non-Western code page is still detected when the text says so."""
    text = "Привет, как дела? Всё хорошо, спасибо большое за вашу помощь."
    assert decode_bytes(text.encode("cp1251")) == (text, "cp1251")


def test_binary_data_is_rejected() -> None:
    """Bytes of a binary file are refused with a reason, not turned into garbage text."""
    with pytest.raises(UndecodableFileError):
        decode_bytes(bytes(range(256)) * 20)


def test_utf8_bom_is_not_kept_in_text() -> None:
    """The byte-order mark is not part of the article."""
    text, _ = decode_bytes(codecs.BOM_UTF8 + b"Hello")
    assert text == "Hello"


@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_raise_undecodable(data: bytes) -> None:
    """No input crashes the decoder: it returns text or raises UndecodableFileError."""
    try:
        text, encoding = decode_bytes(data)
    except UndecodableFileError:
        return
    assert isinstance(text, str)
    assert encoding


UTF16_ARTICLES = {
    "english": "Mayor Ana Ruiz said on Monday that the bridge would reopen in May.\n",
    "cyrillic": "Мэр Анна Руис заявила в понедельник, что мост откроют в мае.\n",
    "greek": "Ο δήμαρχος είπε τη Δευτέρα ότι η γέφυρα θα ανοίξει ξανά τον Μάιο.\n",
    "arabic": "قال رئيس البلدية يوم الاثنين إن الجسر سيعاد فتحه في مايو.\n",
    "chinese": "北京市政府周一宣布，新的地铁线路将于明年开通。",
    "japanese": "東京都は月曜日、新しい地下鉄路線が来年開通すると発表した。",
    "korean": "서울시는 월요일 새 지하철 노선이 내년에 개통된다고 밝혔다.",
}


@pytest.mark.parametrize("script", sorted(UTF16_ARTICLES))
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_in_any_script(script: str, encoding: str) -> None:
    """UTF-16 without a byte-order mark is read as the text it is, whether its ASCII range is
    NUL-rich (English), NUL-poor (Cyrillic, Greek, Arabic: valid UTF-8 full of control
    characters) or NUL-free (CJK)."""
    text = UTF16_ARTICLES[script]
    assert decode_bytes(text.encode(encoding)) == (text, encoding)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("“Café society,” she said — it’s naïve to think so.", "cp1252"),
        ("Привет, как дела? Всё хорошо, спасибо большое за помощь.", "cp1251"),
        ("東京都は月曜日、新しい地下鉄路線が来年開通すると発表した。", "shift_jis"),
        ("北京市政府周一宣布，新的地铁线路将于明年开通。", "gb18030"),
        ("서울시는 월요일 새 지하철 노선이 내년에 개통된다고 밝혔다.", "euc-kr"),
    ],
)
def test_even_length_code_page_text_is_not_taken_for_utf16(text: str, encoding: str) -> None:
    """Text in a code page whose byte count is even still decodes right: read as UTF-16 it
    would be implausible (stray symbols, private-use characters, mixed scripts)."""
    data = text.encode(encoding)
    assert len(data) % 2 == 0
    assert decode_bytes(data)[0] == text


def test_utf8_with_nul_bytes_is_still_binary() -> None:
    """Bytes that are neither plausible UTF-8 nor plausible UTF-16 stay refused as binary."""
    with pytest.raises(UndecodableFileError, match="binary"):
        decode_bytes(b"\x00\x01\x02\x03" * 50)


def _odd_by_definition(text: str) -> float:
    """The plausibility measure written out character by character, as documented."""
    sample = text[:16_384]
    if not sample:
        return 0.0
    return sum(1 for ch in sample if _is_odd(ch)) / len(sample)


_MIXED_CHARS = st.characters(codec=None, exclude_categories=()) | st.sampled_from(
    "\x00\x07\t\n\x0b\x0c\r\x1c\x1f\x7f\x85\x9f\u00ad\u200b\u200e\u2028\ue000\ufeff\uffff"
)


@given(st.text(alphabet=_MIXED_CHARS, max_size=300))
def test_odd_share_counts_what_the_definition_counts(text: str) -> None:
    """The counted-per-distinct-character share equals the per-character definition."""
    assert _odd_share(text) == _odd_by_definition(text)


@given(st.text(alphabet=_MIXED_CHARS, min_size=1, max_size=300))
def test_binary_check_counts_every_control_character(text: str) -> None:
    """Text is refused exactly when over 1% of it is non-white-space controls or surrogates."""
    control = sum(
        1 for ch in text if ch not in "\t\n\r\f\v" and unicodedata.category(ch) in {"Cc", "Cs"}
    )
    if control > 0.01 * len(text):
        with pytest.raises(UndecodableFileError, match=f"{control} control characters"):
            _reject_binary(text)
    else:
        _reject_binary(text)
