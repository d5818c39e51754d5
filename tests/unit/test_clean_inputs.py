"""Cleaning across input shapes: JSON article shapes, encodings end to end, hostile input."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswire_enrich.clean import clean_article
from newswire_enrich.errors import BadInputError, EmptyArticleError, UnsupportedJSONError
from newswire_shared.errors import RejectedFileError
from newswire_shared.jobs import job_from_bytes
from newswire_shared.schemas import MediaType

BODY = "The council voted on Monday to approve the budget.\n\nIt passed 7-2."


@pytest.mark.parametrize(
    "article",
    [
        {"title": "Budget passes", "text": BODY},
        {"headline": "Budget passes", "body": BODY},
        {"title": "Budget passes", "content": BODY},
        {"@type": "NewsArticle", "headline": "Budget passes", "articleBody": BODY},
        {"title": "Budget passes", "body": BODY.split("\n\n")},
        {"data": {"article": {"title": "Budget passes", "text": BODY}}},
        {"@graph": [{"@type": "WebPage"}, {"@type": "NewsArticle", "headline": "Budget passes",
                                           "articleBody": BODY}]},
        {"title": {"rendered": "Budget <em>passes</em>"},
         "content": {"rendered": "<p>" + BODY.replace("\n\n", "</p><p>") + "</p>"}},
        {"title": "Budget passes", "html": "<html><body><article><p>"
         + BODY.replace("\n\n", "</p><p>") + "</p></article></body></html>"},
    ],
)  # fmt: skip
def test_common_json_article_shapes(article: dict[str, object]) -> None:
    """Every common JSON article shape yields the same title and body."""
    cleaned = clean_article(json.dumps(article), MediaType.JSON, "a.json")
    assert cleaned.title == "Budget passes"
    assert cleaned.text == BODY


def test_json_metadata_is_read() -> None:
    """Authors (strings or objects), date, url and publisher come from their usual keys."""
    article = {
        "headline": "Budget passes",
        "articleBody": BODY,
        "author": [{"@type": "Person", "name": "Jo Bloggs"}, "Sam Lee"],
        "datePublished": "2024-03-05T10:00:00Z",
        "url": "https://news.example/budget",
        "publisher": {"@type": "Organization", "name": "The Example Times"},
        "inLanguage": "en-GB",
    }
    cleaned = clean_article(json.dumps(article), MediaType.JSON)
    assert cleaned.authors == ("Jo Bloggs", "Sam Lee")
    assert cleaned.published == "2024-03-05"
    assert cleaned.url == "https://news.example/budget"
    assert cleaned.publisher == "The Example Times"
    assert cleaned.language == "en"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"numbers": [1, 2, 3]}', "no article text"),
        ("42", "no article text"),
        ('[{"title": "A", "text": "One."}, {"title": "B", "text": "Two."}]', "array of 2"),
        ("[" * 50_000 + "]" * 50_000, "not valid JSON"),
    ],
)
def test_unusable_json_gives_clear_error(text: str, message: str) -> None:
    """JSON without an article raises UnsupportedJSONError saying what was expected."""
    with pytest.raises(UnsupportedJSONError, match=message):
        clean_article(text, MediaType.JSON, "x.json")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_encodings_decode_to_the_same_clean_text(encoding: str) -> None:
    """Bytes in any common encoding give the same article, curly quotes and accents intact."""
    text = "“Café prices rose,” said Zoë Martín.\n\nThe rise was 5 per cent — the most since 2019."
    job = job_from_bytes(text.encode(encoding), "a.txt", MediaType.TEXT)
    assert clean_article(job.text, MediaType.TEXT).text == text


def test_mojibake_is_repaired() -> None:
    """UTF-8 read as cp1252 upstream (CafÃ©, â€œ) is repaired to the intended characters."""
    broken = "The cafÃ© owner said â€œwe are openâ€\x9d on Monday."
    assert (
        clean_article(broken, MediaType.TEXT).text == "The café owner said “we are open” on Monday."
    )


def test_unicode_is_nfc_and_whitespace_normalised() -> None:
    """Decomposed accents are composed; odd spaces and zero-width characters go; words stay."""
    text = "Cafe\u0301\u00a0owners   met\u200b on Monday.\r\n\r\n\r\n\r\nThey agreed."
    assert clean_article(text, MediaType.TEXT).text == "Café owners met on Monday.\n\nThey agreed."


def test_deeply_nested_html_does_not_crash() -> None:
    """Pathological nesting returns text or a clear BadInputError, never a crash."""
    html = "<html><body>" + "<div>" * 5000 + "<p>Deep words here.</p>" + "</div>" * 5000
    try:
        cleaned = clean_article(html, MediaType.HTML)
    except BadInputError:
        return
    assert "Deep words" in cleaned.text


def test_huge_single_line_is_kept() -> None:
    """A very long line of text (no breaks) comes through whole."""
    text = "word " * 50_000 + "end."
    assert clean_article(text, MediaType.TEXT).text.endswith("word end.")


def test_markup_only_html_is_empty_article() -> None:
    """A page with no text at all is an EmptyArticleError naming the file."""
    with pytest.raises(EmptyArticleError, match=r"page\.html"):
        clean_article("<html><body><script>x()</script></body></html>", MediaType.HTML, "page.html")


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["title", "text", "body", "html", "author", "data", "x", "@graph"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON_VALUES)
def test_any_json_value_cleans_or_raises_bad_input(value: object) -> None:
    """Arbitrary JSON documents never crash the cleaner."""
    try:
        cleaned = clean_article(json.dumps(value), MediaType.JSON, "fuzz.json")
    except BadInputError:
        return
    assert cleaned.text.strip()


_TAGS = ["<p>", "</p>", "<div class='related'>", "</div>", "<li>", "<ul>", "<table>", "<td>",
         "<article>", "</article>", "<nav>", "<script>", "</script>", "<!--", "-->", "<br>",
         "&nbsp;", "&#x201C;", "<h1>", "</h1>", "<figure><figcaption>"]  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_TAGS), st.text(max_size=40)), max_size=60))
def test_any_tag_soup_cleans_or_raises_bad_input(parts: list[str]) -> None:
    """Random tag soup returns an article or a BadInputError, never another exception."""
    try:
        cleaned = clean_article("".join(parts), MediaType.HTML, "fuzz.html")
    except BadInputError:
        return
    assert cleaned.text.strip()
    assert "\n\n\n" not in cleaned.text


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_through_ingest_decoding_and_cleaning(data: bytes) -> None:
    """Random bytes are refused by decoding or cleaning with a reason, or come out as text."""
    for media in (MediaType.TEXT, MediaType.HTML, MediaType.MARKDOWN):
        try:
            job = job_from_bytes(data, "fuzz", media)
            cleaned = clean_article(job.text, media, "fuzz")
        except (RejectedFileError, BadInputError):
            continue
        assert cleaned.text.strip()
