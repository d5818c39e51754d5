"""Unit tests of entity grouping over spaCy's NER spans."""

from __future__ import annotations

import pytest
from spacy.language import Language

from newswire_enrich.entities import extract_entities
from newswire_enrich.nlp import MODEL_DEFAULT, ModelNotAvailableError, load_model
from newswire_shared.schemas import Entity

TEXT = (
    "President Joe Biden met Chancellor Olaf Scholz in Berlin on Friday. "
    "Biden said the United States would keep supporting its allies. "
    "Scholz's government welcomed the visit, and Biden later flew to Paris. "
    "Officials in the U.S. said the talks went well."
)


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The spaCy pipeline, loaded once per module (load_model also caches it)."""
    return load_model(MODEL_DEFAULT)


def _by_name(entities: list[Entity]) -> dict[str, Entity]:
    return {e.name: e for e in entities}


def test_surname_linked_to_full_name(nlp: Language) -> None:
    """'Biden' and 'President Joe Biden' are one PERSON named 'Joe Biden'."""
    ents = _by_name(extract_entities(nlp(TEXT)))
    assert "Joe Biden" in ents
    assert "Biden" not in ents
    biden = ents["Joe Biden"]
    assert biden.label == "PERSON"
    assert biden.count == 3
    assert [m.text for m in biden.mentions] == ["Joe Biden", "Biden", "Biden"]


def test_titles_and_possessives_stripped(nlp: Language) -> None:
    """Titles stay out of names and "Scholz's" counts as a mention of Olaf Scholz."""
    ents = _by_name(extract_entities(nlp(TEXT)))
    assert "Olaf Scholz" in ents
    assert ents["Olaf Scholz"].count == 2
    assert all("'s" not in m.text for m in ents["Olaf Scholz"].mentions)


def test_us_spellings_are_one_place(nlp: Language) -> None:
    """'the United States' and 'the U.S.' are the same place."""
    ents = extract_entities(nlp(TEXT))
    us = [e for e in ents if e.name == "United States"]
    assert len(us) == 1
    assert us[0].count == 2
    assert us[0].label == "GPE"


def test_offsets_ids_order_and_salience(nlp: Language) -> None:
    """Mentions point into doc.text, ids follow first mention, salience is in 0-1."""
    doc = nlp(TEXT)
    ents = extract_entities(doc)
    assert [e.id for e in ents] == [f"E{i}" for i in range(1, len(ents) + 1)]
    firsts = [e.mentions[0].start for e in ents]
    assert firsts == sorted(firsts)
    for e in ents:
        assert 0.0 <= e.salience <= 1.0
        for m in e.mentions:
            assert doc.text[m.start : m.end] == m.text
    top = max(ents, key=lambda e: e.salience)
    assert top.name == "Joe Biden"


def test_numeric_labels_left_out(nlp: Language) -> None:
    """Dates, money and counts are not entities."""
    doc = nlp("Acme Corp paid $5 million for 300 trucks on Monday, January 4, 2021.")
    labels = {e.label for e in extract_entities(doc)}
    assert labels.isdisjoint({"DATE", "MONEY", "CARDINAL", "TIME", "PERCENT"})


def test_leading_the_removed(nlp: Language) -> None:
    """'the United Nations' is named without the article."""
    ents = extract_entities(nlp("Diplomats at the United Nations debated the plan for hours."))
    assert any(e.name == "United Nations" for e in ents)


def test_missing_model_error_names_package() -> None:
    """A missing model raises a clear error naming the pip package."""
    with pytest.raises(ModelNotAvailableError, match="pip install no-such-model-xyz"):
        load_model("no_such_model_xyz")


def test_empty_doc(nlp: Language) -> None:
    """A text without names gives no entities."""
    assert extract_entities(nlp("it rained all day and nobody went out.")) == []
