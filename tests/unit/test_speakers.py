"""Unit tests of speaker resolution: from the word naming a speaker to a name and entity."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc, Token

from newswire_enrich._speakers import Resolution, SpeakerResolver
from newswire_enrich.entities import extract_entities
from newswire_enrich.nlp import MODEL_DEFAULT, load_model
from newswire_shared.schemas import Entity


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The spaCy pipeline, loaded once per module (load_model also caches it)."""
    return load_model(MODEL_DEFAULT)


def _setup(nlp: Language, text: str) -> tuple[Doc, list[Entity], SpeakerResolver]:
    doc = nlp(text)
    entities = extract_entities(doc)
    return doc, entities, SpeakerResolver(doc, entities)


def _subject_of_last(doc: Doc, verb: str) -> Token:
    """The subject of the last occurrence of `verb` (the speaker word the quote step finds)."""
    verbs = [t for t in doc if t.lower_ == verb]
    assert verbs, verb
    for child in verbs[-1].children:
        if child.dep_.startswith("nsubj"):
            return child
    raise AssertionError(f"no subject for {verb!r}")


def _token(doc: Doc, word: str, nth: int = -1) -> Token:
    return [t for t in doc if t.text == word][nth]


def _resolve(nlp: Language, text: str, verb: str = "said") -> tuple[Resolution, list[Entity]]:
    doc, entities, resolver = _setup(nlp, text)
    res = resolver.resolve(_subject_of_last(doc, verb))
    assert resolver.resolve(_subject_of_last(doc, verb)) == res  # no state between calls
    return res, entities


def _id_of(entities: list[Entity], name: str) -> str:
    return next(e.id for e in entities if e.name == name)


def test_full_name_mention(nlp: Language) -> None:
    """A subject inside an entity mention resolves to that entity: rule 'mention'."""
    res, ents = _resolve(nlp, "Maria Lopez said the bridge would reopen in May.")
    assert res.speaker.name == "Maria Lopez"
    assert res.speaker.entity_id == _id_of(ents, "Maria Lopez")
    assert res.rule == "mention"


def test_partial_name_resolves_to_full_name(nlp: Language) -> None:
    """A surname alone ("Okafor") resolves to the full name given earlier."""
    text = (
        "Farmer Thomas Okafor has grown maize near the river for thirty years. "
        "Okafor said the harvest was the best in a decade."
    )
    res, ents = _resolve(nlp, text)
    assert res.speaker.name == "Thomas Okafor"
    assert res.speaker.entity_id == _id_of(ents, "Thomas Okafor")


def test_possessive_statement_resolves_to_its_author(nlp: Language) -> None:
    """A possessive author of a statement ("Okafor's statement said") is the speaker."""
    text = (
        "Thomas Okafor runs the largest farm in the valley. "
        "Okafor's statement said the drought had cost him half of his crop."
    )
    res, ents = _resolve(nlp, text)
    assert res.speaker.name == "Thomas Okafor"
    assert res.speaker.entity_id == _id_of(ents, "Thomas Okafor")
    assert res.rule == "document"


def test_possessive_name_token_resolves(nlp: Language) -> None:
    """The name in "Okafor's" (possessive inside the mention) resolves to the person."""
    doc, _, resolver = _setup(
        nlp, "Thomas Okafor spoke on Monday. Okafor's farm lost half of its crop."
    )
    res = resolver.resolve(_token(doc, "Okafor"))
    assert res.speaker.name == "Thomas Okafor"


def test_title_and_name(nlp: Language) -> None:
    """A title before the name ("Mayor Helen Carter") is not part of the speaker's name."""
    res, _ = _resolve(nlp, "Mayor Helen Carter said the budget would be balanced.")
    assert res.speaker.name == "Helen Carter"


def test_pronoun_gender_agreement_skips_wrong_gender(nlp: Language) -> None:
    """'he' skips a more recent woman and goes to the man; 'she' goes to the woman."""
    text = (
        "Robert Chen founded the company in 1998. "
        "Sarah Miller joined it as finance director last year. "
        '"We have never been stronger," he said. '
        '"The numbers prove it," she said.'
    )
    doc, ents, resolver = _setup(nlp, text)
    he = resolver.resolve(_token(doc, "he"))
    she = resolver.resolve(_token(doc, "she"))
    assert he.speaker.name == "Robert Chen"
    assert he.rule == "pronoun"
    assert she.speaker.name == "Sarah Miller"
    assert she.speaker.entity_id == _id_of(ents, "Sarah Miller")


def test_pronoun_ignores_names_inside_quotes(nlp: Language) -> None:
    """A person named as a subject inside quotation marks is not the pronoun's antecedent."""
    text = 'Karen Doyle chairs the school board. "Peter Wong will lead the review," she said.'
    res, _ = _resolve(nlp, text)
    assert res.speaker.name == "Karen Doyle"


def test_they_resolves_to_group_subject(nlp: Language) -> None:
    """'They' refers back to a plural group named as a subject ("Some economists")."""
    text = (
        "Some economists expect the central bank to cut rates in March. "
        "They say inflation has already fallen below the target."
    )
    res, _ = _resolve(nlp, text, "say")
    assert res.speaker.name == "Some economists"
    assert res.rule == "pronoun"


def test_description_to_entity_by_title(nlp: Language) -> None:
    """'the mayor' resolves to the person seen earlier with the title Mayor."""
    text = (
        "Riverton Mayor Doug Hanley opened the new arena on Saturday. "
        "The arena cost $40 million to build. "
        "The mayor said the city would recover the cost within ten years."
    )
    res, ents = _resolve(nlp, text)
    assert res.speaker.name == "Doug Hanley"
    assert res.speaker.entity_id == _id_of(ents, "Doug Hanley")
    assert res.rule == "description->entity"


def test_description_as_name_when_no_entity_fits(nlp: Language) -> None:
    """With nobody to stand for, the description as written is the speaker."""
    text = (
        "The arena will close for repairs next month. "
        "A spokesperson for the city said the work would take six weeks."
    )
    res, _ = _resolve(nlp, text)
    assert res.speaker.name == "A spokesperson for the city"
    assert res.speaker.entity_id is None
    assert res.rule == "description"


def test_description_with_entity_modifier_is_not_that_entity(nlp: Language) -> None:
    """'Riverton staff' are not Riverton: the description is kept."""
    text = "Riverton staff said the rink would stay open through the winter."
    res, _ = _resolve(nlp, text)
    assert res.speaker.name == "Riverton staff"


def test_organisation_speaker(nlp: Language) -> None:
    """An organisation named as the subject is the speaker."""
    text = "The World Health Organization said the outbreak was under control."
    res, ents = _resolve(nlp, text)
    assert res.speaker.name == "World Health Organization"
    assert res.speaker.entity_id == _id_of(ents, "World Health Organization")


def test_it_resolves_to_organisation(nlp: Language) -> None:
    """'it' refers back to the organisation named as a subject."""
    text = (
        "Northwind Airlines cancelled forty flights on Friday. "
        "It said the storm had closed two of its hubs."
    )
    res, ents = _resolve(nlp, text)
    assert res.speaker.name == "Northwind Airlines"
    assert res.speaker.entity_id == _id_of(ents, "Northwind Airlines")


def test_none_token(nlp: Language) -> None:
    """No speaker token: an empty speaker, rule 'none'."""
    _, _, resolver = _setup(nlp, "The bridge reopened.")
    res = resolver.resolve(None)
    assert res.speaker.name is None
    assert res.rule == "none"


def test_pronoun_follows_a_chain_of_pronoun_subjects(nlp: Language) -> None:
    """'He' after 'He told ... X ...' stays with the person the first 'he' meant, not X who
    is only mentioned in between."""
    text = (
        "Alexandre Bissonnette had a history of mental illness. "
        "He told psychologists that killers such as Dylann Roof were his idols. "
        "He also told investigators he was upset with the plan."
    )
    doc, _, resolver = _setup(nlp, text)
    res = resolver.resolve(_token(doc, "He", -1))
    assert res.speaker.name == "Alexandre Bissonnette"
    assert res.rule == "pronoun"


def test_pronoun_still_goes_to_a_newly_named_person(nlp: Language) -> None:
    """Must not: a person named after the chain as subject takes over ("Megan Hill ...
    she said") even when an earlier pronoun chain exists."""
    text = (
        "Robert Chen opened the plant. He thanked the workers. "
        "Megan Hill runs the union. She said pay would rise."
    )
    doc, _, resolver = _setup(nlp, text)
    assert resolver.resolve(_token(doc, "She", -1)).speaker.name == "Megan Hill"
    assert resolver.resolve(_token(doc, "He", -1)).speaker.name == "Robert Chen"


def test_paragraph_break_ends_a_sentence_for_pronouns(nlp: Language) -> None:
    """A name after a heading glued on by the parser is in its own sentence."""
    text = (
        "Judge Francois Huot said he is leaning that way.\n\n"
        "READ MORE: Remembering the victims\n\n"
        "Alexandre Bissonnette had a history of illness. He told psychologists so."
    )
    doc, _, resolver = _setup(nlp, text)
    res = resolver.resolve(_token(doc, "He", -1))
    assert res.speaker.name == "Alexandre Bissonnette"


def test_hyphenated_description_is_kept_whole(nlp: Language) -> None:
    """'Vice-president says' is the vice-president, not 'Vice'."""
    res, _ = _resolve(nlp, "The Vice-president says the death toll is likely to rise.", "says")
    assert res.speaker.name is not None
    assert "Vice-president" in res.speaker.name
    must_not, _ = _resolve(nlp, "Mr. Smith - a teacher - says the school will reopen.", "says")
    assert must_not.speaker.name is not None
    assert "-" not in must_not.speaker.name


def test_description_drops_a_but_clause(nlp: Language) -> None:
    """'a person familiar with the talks but unauthorized to discuss them' is described as
    'a person familiar with the talks'; must not: an 'and' inside the description is kept."""
    text = (
        "The plan was dropped, according to a person familiar with the talks "
        "but unauthorized to discuss them."
    )
    doc, _, resolver = _setup(nlp, text)
    res = resolver.resolve(_token(doc, "person"))
    assert res.speaker.name == "a person familiar with the talks"
    text2 = "The plan was dropped, according to a person familiar with the talks and the budget."
    doc2, _, resolver2 = _setup(nlp, text2)
    res2 = resolver2.resolve(_token(doc2, "person"))
    assert res2.speaker.name == "a person familiar with the talks and the budget"


def test_leader_and_party_speak_apart(nlp: Language) -> None:
    """ "The Liberals say" is the party, not Justin Trudeau, after "Justin Trudeau's Liberals"."""
    text = (
        "Justin Trudeau's Liberals defended the carbon tax on Monday. "
        "The Liberals say the tax will help families."
    )
    res, _ = _resolve(nlp, text, "say")
    assert res.speaker.name is not None
    assert "Trudeau" not in res.speaker.name
    assert "Liberals" in res.speaker.name


def test_they_goes_to_people_named_in_the_sentence_before(nlp: Language) -> None:
    """'..., and several student leaders have warned ... They say': the people named last,
    though the parse makes them no subject of their own."""
    text = (
        "Tuition remains the main worry and several student leaders have warned the board "
        "about the costs. They say the fees could double within five years."
    )
    res, _ = _resolve(nlp, text, "say")
    assert res.speaker.name == "several student leaders"
    assert res.rule == "pronoun"


def test_they_keeps_the_subject_of_the_sentence_naming_other_people(nlp: Language) -> None:
    """People named after the subject in the same sentence do not take its place."""
    text = (
        "Several student leaders met the teachers on Monday. "
        "They say the fees could double within five years."
    )
    res, _ = _resolve(nlp, text, "say")
    assert res.speaker.name == "Several student leaders"


def test_topic_person_is_cleaned_like_other_resolutions(nlp: Language) -> None:
    """The person last named as subject, as a Resolution with its entity."""
    text = "Mayor Helen Carter visited the flooded district on Sunday. The water kept rising."
    _, entities, resolver = _setup(nlp, text)
    res = resolver.topic_person(len(text))
    assert res is not None and res.entity is not None
    assert res.speaker.name == "Helen Carter"
    assert res.speaker.entity_id == _id_of(entities, res.entity.name)


def test_subject_person_between_only_looks_inside_the_range(nlp: Language) -> None:
    """A person named as subject between two offsets; none when the range holds none."""
    text = (
        "Mayor Helen Carter visited the flooded district on Sunday. "
        "The water kept rising. Councillor Tom Okafor asked for more pumps."
    )
    _, _, resolver = _setup(nlp, text)
    mid = text.index("The water")
    res = resolver.subject_person_between(mid, len(text))
    assert res is not None and res.speaker.name == "Tom Okafor"
    assert resolver.subject_person_between(mid, text.index("Councillor")) is None
