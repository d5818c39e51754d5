"""The label map (model labels -> newswire types), the lexicon loader and model loading."""

from __future__ import annotations

import pytest

from newswire_enrich import lexicon
from newswire_enrich.labels import Label, is_identity, label_map, parse_label_map
from newswire_enrich.nlp import MODEL_DEFAULT, ModelNotAvailableError, load_model


def test_ontonotes_labels_map_to_themselves() -> None:
    """An OntoNotes model needs no mapping: every label is its own type."""
    mapping = label_map(["PERSON", "ORG", "GPE", "DATE"])
    assert mapping == {"PERSON": Label.PERSON, "ORG": Label.ORG, "GPE": Label.GPE,
                       "DATE": Label.DATE}  # fmt: skip
    assert is_identity(mapping)


def test_other_schemes_are_mapped_and_unknown_labels_dropped() -> None:
    """CoNLL-style PER/LOC/ORG/MISC map onto newswire's types; unknown labels map to None."""
    mapping = label_map(["PER", "LOC", "ORG", "MISC", "SPORTS_TEAM"])
    assert mapping["PER"] is Label.PERSON
    assert mapping["LOC"] is Label.LOC
    assert mapping["MISC"] is None
    assert mapping["SPORTS_TEAM"] is None
    assert not is_identity(mapping)


def test_overrides_win_and_an_empty_target_drops() -> None:
    """Pairs from NEWSWIRE_LABEL_MAP replace the defaults; ``X=`` drops label X."""
    overrides = parse_label_map("SPORTS_TEAM=ORG, NORP=")
    mapping = label_map(["SPORTS_TEAM", "NORP"], overrides)
    assert mapping == {"SPORTS_TEAM": Label.ORG, "NORP": None}


@pytest.mark.parametrize("text", ["PERSON", "=ORG", "PER=HUMAN"])
def test_a_malformed_label_map_is_refused(text: str) -> None:
    """A pair without '=' or with a target that is not a newswire type is a ValueError."""
    with pytest.raises(ValueError, match="label map entry"):
        parse_label_map(text)


def test_a_missing_lexicon_is_an_error_not_an_empty_set() -> None:
    """Asking for a concept that has no file fails loudly."""
    with pytest.raises(lexicon.LexiconError, match="no lexicon"):
        lexicon.words("no_such_concept")


def test_every_lexicon_file_loads_without_duplicates_or_blank_entries() -> None:
    """Each concept file parses; an entry listed twice in one file is an editing mistake."""
    for concept in lexicon.concepts():
        folder = lexicon.resources.files("newswire_enrich") / "data" / "lexicon" / "en"
        if (folder / f"{concept}.txt").is_file():
            lines = lexicon._lines(concept, "en", "txt")
            assert len(lines) == len(set(lines)), f"{concept}.txt lists an entry twice"
            assert all(lines), concept
            assert lexicon.words(concept)
        else:
            assert lexicon.pairs(concept)


def test_the_model_keeps_its_own_components() -> None:
    """Nothing the model package enables is switched off unless asked."""
    nlp = load_model(MODEL_DEFAULT)
    assert {"tok2vec", "tagger", "parser", "ner"} <= set(nlp.pipe_names)


def test_a_model_without_entities_is_refused() -> None:
    """Disabling the NER leaves no entities for the steps: a clear error, not empty results."""
    with pytest.raises(ModelNotAvailableError, match=r"doc\.ents"):
        load_model(MODEL_DEFAULT, ("ner",))
