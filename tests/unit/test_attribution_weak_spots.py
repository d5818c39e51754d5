"""Quote attribution on the weak spots of issue 11, with sentences written for these tests."""

from __future__ import annotations

import pytest
from spacy.language import Language

from newswire_enrich._speakers import plain_words_of, speaker_name
from newswire_enrich.entities import extract_entities
from newswire_enrich.nlp import MODEL_DEFAULT, load_model
from newswire_enrich.quotes import extract_quotes
from newswire_shared.schemas import QuoteKind
from tests.unit.test_quotes import _quotes


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The spaCy pipeline (load_model caches it)."""
    return load_model(MODEL_DEFAULT)


@pytest.mark.parametrize(
    ("text", "speaker", "cue", "statement"),
    [
        (
            "The minister asserted that the pipeline would be finished by spring.",
            "The minister",
            "asserted",
            "the pipeline would be finished by spring",
        ),
        (
            "The chief executive suggested that the company could cut prices next year.",
            "The chief executive",
            "suggested",
            "the company could cut prices next year",
        ),
        (
            "Opposition leader Mark Fell asked why the report had been delayed for so long.",
            "Mark Fell",
            "asked",
            "why the report had been delayed for so long",
        ),
        (
            "The health agency warned that the outbreak could spread to neighbouring districts.",
            "The health agency",
            "warned",
            "the outbreak could spread to neighbouring districts",
        ),
        (
            "Coach Dana Price insisted the team had done nothing wrong in the final.",
            "Dana Price",
            "insisted",
            "the team had done nothing wrong in the final",
        ),
        (
            "The ministry acknowledged that several files had been lost during the move.",
            "The ministry",
            "acknowledged",
            "several files had been lost during the move",
        ),
        (
            "The company denied that it had misled investors about the losses.",
            "The company",
            "denied",
            "it had misled investors about the losses",
        ),
        (
            "Lena Ortiz described the new stadium as a waste of public money.",
            "Lena Ortiz",
            "described",
            "the new stadium as a waste of public money",
        ),
    ],
)
def test_indirect_statement_with_other_cues(
    nlp: Language, text: str, speaker: str, cue: str, statement: str
) -> None:
    """Indirect statements reported by verbs other than 'say' are found, with their speaker."""
    (q,) = _quotes(nlp, text)
    assert (q.kind, q.speaker.name, q.cue, q.text) == (QuoteKind.INDIRECT, speaker, cue, statement)
    assert q.found_by == "reporting-clause"


@pytest.mark.parametrize(
    "text",
    [
        "Analysts suggest the market will recover by the summer.",
        "The mayor asked the council for more money to repair the roads.",
        "The board did not deny that profits had fallen sharply.",
    ],
)
def test_stance_request_or_negated_cue_is_no_statement(nlp: Language, text: str) -> None:
    """A stance without 'that', a request and a negated denial report no statement."""
    assert _quotes(nlp, text) == []


@pytest.mark.parametrize(
    ("text", "speaker", "statement"),
    [
        (
            'Senator Ruth Calder accused him of being a "very weak leader".',
            "Ruth Calder",
            'him of being a "very weak leader"',
        ),
        (
            'Critics have called the new tower "an ugly glass needle" since it opened.',
            "Critics",
            'the new tower "an ugly glass needle"',
        ),
        (
            'Ruth Calder said the report was "deeply flawed" and should be withdrawn.',
            "Ruth Calder",
            'the report was "deeply flawed" and should be withdrawn',
        ),
        (
            'The governor described the plan as "a gift to polluters" on Monday.',
            "The governor",
            'the plan as "a gift to polluters"',
        ),
    ],
)
def test_mixed_quote_is_the_reported_clause(
    nlp: Language, text: str, speaker: str, statement: str
) -> None:
    """Quoted words inside a reported phrase come back as the whole phrase, whatever the verb."""
    (q,) = _quotes(nlp, text)
    assert (q.kind, q.speaker.name, q.text) == (QuoteKind.MIXED, speaker, statement)


def test_long_phrase_around_a_quoted_label_keeps_the_label(nlp: Language) -> None:
    """A label far from its verb stays the quoted words alone ('that', a long phrase)."""
    text = 'Ruth Calder told the committee on Tuesday that the plan was "a disaster".'
    (q,) = _quotes(nlp, text)
    assert q.text in ("a disaster", 'the plan was "a disaster"')


@pytest.mark.parametrize(
    ("text", "speaker", "resolved_by"),
    [
        (
            '"We will fight this in court," a spokeswoman for the hotels said. The '
            "spokeswoman, Maria Chen, said the chain had not been consulted.",
            "Maria Chen",
            "description->named",
        ),
        (
            '"The figures are wrong," a spokesman for the ministry said on Tuesday. Karl '
            "Weber, the ministry spokesman, later said the report would be corrected.",
            "Karl Weber",
            "description->named",
        ),
        (
            '"The figures are wrong," a spokesman for the ministry said on Tuesday. The '
            "report will be corrected next week.",
            "a spokesman for the ministry",
            "description",
        ),
    ],
)
def test_description_goes_to_the_person_named_with_that_role(
    nlp: Language, text: str, speaker: str, resolved_by: str
) -> None:
    """A description ('a spokeswoman for ...') is the person the same or the next sentence
    names with that role; with nobody named it stays as written."""
    q = _quotes(nlp, text)[0]
    assert (q.speaker.name, q.resolved_by) == (speaker, resolved_by)


def test_time_phrase_is_not_part_of_a_description(nlp: Language) -> None:
    """'The president in recent days argued ...': the speaker is 'The president'."""
    (q,) = _quotes(nlp, "The president in recent days has argued that the wall would be built.")
    assert q.speaker.name == "The president"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('It was a long night.\n\n"Truly great," Amazing added.', None),
        ('Reviewers were split.\n\nIncredible said the cast was "the best in years".', None),
        ('It was a long night.\n\n"Truly great," Yuni added.', "Yuni"),
        ('It was a long night.\n\n"Truly great," Okafor added.', "Okafor"),
    ],
)
def test_a_lone_adjective_is_no_speakers_name(
    nlp: Language, text: str, speaker: str | None
) -> None:
    """A lone word the model knows only as an adjective or adverb ("Amazing") is no name;
    a lone given name or surname still is."""
    doc = nlp(text)
    (q,) = extract_quotes(doc, extract_entities(doc), plain_words=plain_words_of(nlp))
    assert q.speaker.name == speaker


def test_plain_words_are_modifiers_only(nlp: Language) -> None:
    """Words that are also nouns or verbs ("young", "brown") are not plain words: they may
    be surnames."""
    words = plain_words_of(nlp)
    assert {"amazing", "incredible", "truly"} <= words
    assert not {"young", "brown", "smith"} & words


@pytest.mark.parametrize(
    ("entity_name", "speaker"),
    [
        ("Star-Spangled Banner, Brewer", "Brewer"),
        ("Sammy Davis, Jr.", "Sammy Davis, Jr."),
        ("Mayor Helen Carter", "Helen Carter"),
        ("Helen Carter", "Helen Carter"),
    ],
)
def test_speaker_name_drops_words_glued_on_before_a_comma(entity_name: str, speaker: str) -> None:
    """The speaker of an entity goes by its name without titles or words glued on before it."""
    assert speaker_name(entity_name) == speaker


@pytest.mark.parametrize(
    ("text", "outer", "inner"),
    [
        (
            'Mayor Tom Briggs said Councillor Ana Ruiz told him "the money is already gone."',
            "Tom Briggs",
            "Ana Ruiz",
        ),
        (
            'Mayor Tom Briggs said Ana Ruiz had told him the money was "already gone."',
            "Tom Briggs",
            "Ana Ruiz",
        ),
        (
            'Briggs said that Ruiz told him: "The money is gone and nobody knows where."',
            "Briggs",
            "Ruiz",
        ),
        (
            'The senator said the general told her "there is no plan for the withdrawal."',
            "The senator",
            "the general",
        ),
    ],
)
def test_nested_attribution_inner_words_are_the_inner_speakers(
    nlp: Language, text: str, outer: str, inner: str
) -> None:
    """'X said Y told him "..."': the quoted words are Y's, the report holding them X's."""
    quotes = _quotes(nlp, text)
    told = [q for q in quotes if q.cue == "told"]
    said = [q for q in quotes if q.found_by == "nested-report"]
    assert [q.speaker.name for q in told] == [inner]
    assert [(q.speaker.name, q.kind, q.cue) for q in said] == [(outer, QuoteKind.INDIRECT, "said")]
    assert said[0].start <= told[0].start and told[0].end <= said[0].end + 1


def test_report_of_a_report_without_quotation_marks_keeps_the_innermost(nlp: Language) -> None:
    """'The broadcaster said the minister said ...' without quoted words: the inner report."""
    text = "The broadcaster said the minister said the border would reopen on Monday."
    assert [q.speaker.name for q in _quotes(nlp, text)] == ["the minister"]
