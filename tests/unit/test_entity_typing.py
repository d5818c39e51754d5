"""Entity typing passes: each correction of spaCy's label, and the trace that explains it.

Each table row is a sentence of our own, the span the model typed (forced to the slip the
pass corrects, so the row does not depend on the model's mood), and the type and pass that
decide the entity in the end.
"""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from newswire_enrich._names import is_person_entity, person_part
from newswire_enrich.decisions import TypeChange
from newswire_enrich.entities import GROUP_PASSES, MENTION_PASSES, extract_entities
from newswire_enrich.labels import Label
from newswire_enrich.nlp import MODEL_DEFAULT, ModelNotAvailableError, load_model
from newswire_shared.schemas import Entity


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The spaCy pipeline, loaded once per module."""
    try:
        return load_model(MODEL_DEFAULT)
    except ModelNotAvailableError:
        pytest.skip("spaCy model not installed")


def _forced(nlp: Language, text: str, spans: list[tuple[str, str]]) -> Doc:
    """`text` parsed, its entities replaced by `spans` (phrase, label, in text order, each
    found after the last): the model's labels as the row wants them."""
    doc = nlp(text)
    ents = []
    at = 0
    for phrase, label in spans:
        at = text.index(phrase, at)
        span = doc.char_span(at, at + len(phrase), label=label)
        assert span is not None, phrase
        ents.append(span)
        at += len(phrase)
    doc.set_ents(ents, default="outside")
    return doc


def _decided(
    nlp: Language, text: str, spans: list[tuple[str, str]], name: str
) -> tuple[Entity, list[TypeChange]]:
    trace: list[TypeChange] = []
    entities = extract_entities(_forced(nlp, text, spans), trace=trace)
    entity = next((e for e in entities if e.name == name), None)
    assert entity is not None, [e.name for e in entities]
    return entity, [c for c in trace if c.name == name]


MENTION_CASES = [
    # sentence, model's spans, entity, label, pass that decided
    ("The deal was signed by energy company Mirovka last year.",
     [("Mirovka", "GPE")], "Mirovka", Label.ORG, "org-name-cue"),
    ("Readers still love Julia Child and her recipes.",
     [("Julia Child", "WORK_OF_ART")], "Julia Child", Label.PERSON, "person-name-shape"),
    ("Senator Okafor voted against the bill.",
     [("Okafor", "ORG")], "Okafor", Label.PERSON, "after-title"),
    ("The prize went to Joe Dey or P.J. Boatwright, the judges said.",
     [("Joe Dey", "PERSON"), ("P.J. Boatwright", "ORG")], "P.J. Boatwright", Label.PERSON,
     "listed-with-person"),
    ("Tanoh Kouassi, a district military commander, said the road was closed.",
     [("Tanoh Kouassi", "ORG")], "Tanoh Kouassi", Label.PERSON, "described-as-person"),
    ("The Lakeside Morning Post reported the fire.",
     [("Lakeside Morning Post", "LOC")], "Lakeside Morning Post", Label.ORG, "org-head-word"),
    ("Ukrainian forces pushed back the attack.",
     [("Ukrainian", "GPE")], "Ukrainian", Label.NORP, "demonym"),
    ("Wet'suwet'en Hereditary Chief Na'moks said the pipeline would not pass.",
     [("Wet'suwet'en Hereditary Chief Na'moks", "ORG")], "Na'moks", Label.PERSON,
     "title-in-span"),
    ("Officials met Sandra Oh and the mayor at the premiere.",
     [], "Sandra Oh", Label.PERSON, "missed-name"),
]  # fmt: skip


@pytest.mark.parametrize("text", ["The players thanked Coach after the game.",
                                  "Lt Col told the soldiers to wait."])  # fmt: skip
def test_a_title_alone_is_no_entity(nlp: Language, text: str) -> None:
    """'Coach' or 'Col' typed PERSON names nobody: the title-alone pass drops it."""
    word = "Coach" if "Coach" in text else "Col"
    entities = extract_entities(_forced(nlp, text, [(word, "PERSON")]))
    assert all(e.name != word for e in entities)


GROUP_CASES = [
    ("Khaled Belkacemi arrived first. Megda Belkacemi followed later.",
     [("Khaled Belkacemi", "PERSON"), ("Megda Belkacemi", "ORG")], "Megda Belkacemi",
     Label.PERSON, "relative"),
    ("Sergey Lavrov spoke in Moscow. Lavrov said the talks were useful.",
     [("Sergey Lavrov", "PERSON"), ("Moscow", "GPE"), ("Lavrov", "ORG")], "Sergey Lavrov",
     Label.PERSON, "partial-name"),
    ("The Federal Bureau of Investigation opened a case. The FBI declined to comment.",
     [("Federal Bureau of Investigation", "ORG"), ("FBI", "ORG")],
     "Federal Bureau of Investigation", Label.ORG, "acronym"),
    ("The envoy travelled to Kyiv on Sunday.",
     [("Kyiv", "PERSON")], "Kyiv", Label.GPE, "known-place"),
    ("Analysts said Politico reported the story first.",
     [("Politico", "PERSON")], "Politico", Label.ORG, "known-org"),
    ("Shares of Nordvik Group Corp fell. Nordvik said the fall was temporary.",
     [("Nordvik Group Corp", "ORG"), ("Nordvik", "GPE")], "Nordvik Group Corp", Label.ORG,
     "short-org-name"),
    ("The Sharks won again on Saturday night.",
     [("Sharks", "PERSON")], "Sharks", Label.ORG, "common-noun"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "spans", "name", "label", "step"),
    [pytest.param(*case, id=case[-1]) for case in MENTION_CASES + GROUP_CASES],
)
def test_pass_decides(
    nlp: Language, text: str, spans: list[tuple[str, str]], name: str, label: Label, step: str
) -> None:
    """The pass corrects the model's label (a mention pass by itself, a group pass seeing
    the article's other names) and the trace names it as the decider."""
    entity, changes = _decided(nlp, text, spans, name)
    assert entity.label == label
    decider = [c for c in changes if c.step == step]
    assert decider, changes
    assert decider[-1].label == label
    assert changes[-1].label == label


ARTICLE = (
    "President Amara Okonkwo met Chancellor Olaf Scholz in Berlin on Friday. "
    "Okonkwo said the United States would keep supporting its allies. "
    "Scholz's government welcomed the visit, and energy company Mirovka said the FBI and "
    "the Federal Bureau of Investigation agreed. Analysts said Politico reported it first."
)


def test_the_trace_explains_every_entity(nlp: Language) -> None:
    """Every entity's records start with the model's label and end with its final label;
    each record names an entity of the result."""
    trace: list[TypeChange] = []
    entities = extract_entities(nlp(ARTICLE), trace=trace)
    names = {e.name for e in entities}
    assert len(names) == len(entities)
    assert {c.name for c in trace} == names
    for entity in entities:
        changes = [c for c in trace if c.name == entity.name]
        assert changes[0].step == "model"
        assert changes[-1].label == entity.label, (entity.name, changes)


def test_no_trace_no_records_and_same_entities(nlp: Language) -> None:
    """Without a trace list the entities are the same: tracing only records."""
    doc = nlp(ARTICLE)
    assert extract_entities(doc) == extract_entities(doc, trace=[])


def test_the_passes_are_listed_once_in_order() -> None:
    """The typing passes form one ordered list with distinct kebab-case step names."""
    steps = [p.step for p in MENTION_PASSES] + [p.step for p in GROUP_PASSES]
    assert len(steps) == len(set(steps))
    assert all(s == s.lower() and " " not in s and "_" not in s for s in steps)
    assert steps[0] == "title-alone"
    assert steps[-1] == "common-noun"


@pytest.mark.parametrize(
    ("label", "name", "part", "person"),
    [
        ("PERSON", "Amara Okonkwo", "Amara Okonkwo", True),
        ("ORG", "Hereditary Chief Na'moks", "Na'moks", True),
        ("ORG", "Acme Holdings", "Acme Holdings", False),
        ("GPE", "Chief of Defence", "Chief of Defence", False),
    ],
)
def test_person_part_and_is_person_entity(label: str, name: str, part: str, person: bool) -> None:
    """The speaker step's view of an entity: its person's name and whether it is a person."""
    assert person_part(name) == part
    assert is_person_entity(label, name) is person
