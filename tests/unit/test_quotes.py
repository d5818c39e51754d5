"""Unit tests of quote extraction and speaker attribution."""

from __future__ import annotations

import pytest
from spacy.language import Language

from newswire_enrich.entities import extract_entities
from newswire_enrich.nlp import MODEL_DEFAULT, load_model
from newswire_enrich.quotes import extract_quotes
from newswire_shared.schemas import Quote, QuoteKind


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The spaCy pipeline, loaded once per module (load_model also caches it)."""
    return load_model(MODEL_DEFAULT)


def _quotes(nlp: Language, text: str) -> list[Quote]:
    doc = nlp(text)
    quotes = extract_quotes(doc, extract_entities(doc))
    for q in quotes:
        assert doc.text[q.start : q.end] == q.text
    return quotes


def test_direct_quote_with_speaker_after(nlp: Language) -> None:
    """'"...," Name said.' is a direct quote by Name, cue 'said'."""
    qs = _quotes(nlp, '"We will rebuild the bridge before winter," Maria Lopez said on Monday.')
    assert len(qs) == 1
    q = qs[0]
    assert q.kind == QuoteKind.DIRECT
    assert q.text == "We will rebuild the bridge before winter"
    assert q.speaker.name == "Maria Lopez"
    assert q.cue == "said"


def test_curly_quotes_and_inversion(nlp: Language) -> None:
    """Curly marks with 'said Name' inversion."""
    qs = _quotes(nlp, "“The harvest was the best in a decade,” said farmer Tom Okafor.")
    assert len(qs) == 1
    assert qs[0].kind == QuoteKind.DIRECT
    assert qs[0].speaker.name == "Tom Okafor"


def test_pronoun_resolved_to_last_person(nlp: Language) -> None:
    """'she said' resolves to the person named before."""
    text = (
        "Mayor Helen Carter visited the flooded district on Sunday. "
        '"Nobody will be left without a home," she said.'
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].speaker.name == "Helen Carter"
    assert qs[0].speaker.entity_id is not None


def test_colon_introduction(nlp: Language) -> None:
    """'Name said: "..."' is a direct quote by Name."""
    qs = _quotes(nlp, 'Chief engineer Paul Mensah said: "The tunnel is safe and it will reopen."')
    assert len(qs) == 1
    assert qs[0].kind == QuoteKind.DIRECT
    assert qs[0].speaker.name == "Paul Mensah"


def test_mixed_quote_gives_reported_clause(nlp: Language) -> None:
    """A quoted fragment inside a reported clause is mixed and covers the clause."""
    text = 'Governor Lisa Brandt said the new budget was "a promise kept to every family."'
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    q = qs[0]
    assert q.kind == QuoteKind.MIXED
    assert "the new budget was" in q.text
    assert "a promise kept to every family" in q.text
    assert q.speaker.name == "Lisa Brandt"


def test_indirect_quote(nlp: Language) -> None:
    """'Name said that ...' without quote marks is an indirect quote of the clause."""
    text = "Finance Minister Rahul Mehta said that inflation would fall below three percent."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    q = qs[0]
    assert q.kind == QuoteKind.INDIRECT
    assert q.text == "inflation would fall below three percent"
    assert q.speaker.name == "Rahul Mehta"
    assert q.rule == "reporting-clause"


def test_according_to(nlp: Language) -> None:
    """'..., according to Name.' attributes the statement to Name."""
    text = "The factory will close in March, according to union leader Sara Kim."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].kind == QuoteKind.INDIRECT
    assert qs[0].speaker.name == "Sara Kim"
    assert qs[0].text.startswith("The factory will close in March")


def test_apostrophes_are_not_quotes(nlp: Language) -> None:
    """Apostrophes in don't/farmers' do not open or close quotes."""
    text = "The farmers' union doesn't expect prices to rise, and it's not worried about rain."
    assert [q for q in _quotes(nlp, text) if q.kind != QuoteKind.INDIRECT] == []


def test_single_curly_quotes(nlp: Language) -> None:
    """Single curly quotation marks delimit a quote as well."""
    text = "‘We are ready for the match on Saturday,’ coach Dina Petrova told reporters."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "We are ready for the match on Saturday"
    assert qs[0].speaker.name == "Dina Petrova"


def test_scare_quotes_excluded(nlp: Language) -> None:
    """A one- or two-word scare quote with no speech verb is not a quote."""
    text = 'The so-called "smart" meters were installed in every flat last year.'
    assert _quotes(nlp, text) == []


def test_follow_on_quote_keeps_speaker(nlp: Language) -> None:
    """A split quote: the second part without a verb keeps the first part's speaker."""
    text = (
        '"The water is clean," Omar Haddad said. '
        '"We tested it three times and the results were the same."'
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 2
    assert all(q.speaker.name == "Omar Haddad" for q in qs)


def test_no_speaker_is_null(nlp: Language) -> None:
    """A long quote with a verb but no named speaker has speaker name None."""
    qs = _quotes(nlp, '"This winter will be harder than the last one for everyone," it said.')
    assert len(qs) == 1
    assert qs[0].speaker.name is None
