"""Bytes to text: byte-order marks, UTF-8, UTF-16, single-byte code pages, binary files."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire_shared.decoding import decode_bytes
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
