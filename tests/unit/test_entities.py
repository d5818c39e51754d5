"""Unit tests of entity grouping over spaCy's NER spans."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from newswire_enrich._headline import headline_for_ner
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


def test_offsets_ids_rank_and_salience(nlp: Language) -> None:
    """Mentions point into doc.text; ids follow salience (E1 most central), all in 0-1."""
    doc = nlp(TEXT)
    ents = extract_entities(doc)
    assert [e.id for e in ents] == [f"E{i}" for i in range(1, len(ents) + 1)]
    saliences = [e.salience for e in ents]
    assert saliences == sorted(saliences, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in saliences)
    for e in ents:
        for m in e.mentions:
            assert doc.text[m.start : m.end] == m.text
    assert ents[0].name == "Joe Biden"


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


def _doc(nlp: Language, text: str, ents: list[tuple[str, str]]) -> Doc:
    """A Doc of `text` whose NER spans are exactly `ents` (surface, label), in order, so a
    rule is tested whatever the statistical model would have said."""
    doc = nlp.make_doc(text)
    spans, pos = [], 0
    for surface, label in ents:
        start = text.index(surface, pos)
        span = doc.char_span(start, start + len(surface), label=label)
        assert span is not None, surface
        spans.append(span)
        pos = start + len(surface)
    doc.ents = spans
    return doc


def test_type_decided_by_full_name_over_mislabelled_surnames(nlp: Language) -> None:
    """A PERSON full name wins the type vote over surnames spaCy tagged ORG (one entity)."""
    text = "Chrystia Freeland spoke. Freeland left. Freeland returned. Freeland smiled."
    doc = _doc(nlp, text, [("Chrystia Freeland", "PERSON")] + [("Freeland", "ORG")] * 3)
    (entity,) = extract_entities(doc)
    assert (entity.name, entity.label, entity.count) == ("Chrystia Freeland", "PERSON", 4)


def test_person_name_tagged_org_is_retyped_by_given_name(nlp: Language) -> None:
    """'Julia Child' tagged ORG is a PERSON: it starts with a common given name."""
    doc = _doc(nlp, "Julia Child cooked.", [("Julia Child", "ORG")])
    assert [(e.name, e.label) for e in extract_entities(doc)] == [("Julia Child", "PERSON")]


@pytest.mark.parametrize(
    ("text", "label"),
    [("Al Jazeera reported.", "ORG"), ("Georgia Tech won.", "ORG"), ("China Daily said.", "ORG")],
)
def test_organisations_that_start_like_names_stay_organisations(
    nlp: Language, text: str, label: str
) -> None:
    """Name particles ('Al') and organisation words ('Tech', 'Daily') block the retyping."""
    surface = text.rsplit(" ", 1)[0]
    doc = _doc(nlp, text, [(surface, label)])
    assert [e.label for e in extract_entities(doc)] == [label]


def test_media_name_tagged_place_becomes_org(nlp: Language) -> None:
    """'South China Morning Post' tagged GPE is an ORG (its last word names a newspaper)."""
    doc = _doc(nlp, "The South China Morning Post said so.", [("South China Morning Post", "GPE")])
    assert [(e.name, e.label) for e in extract_entities(doc)] == [
        ("South China Morning Post", "ORG")
    ]


def test_two_people_sharing_a_surname_are_not_merged(nlp: Language) -> None:
    """Mark and Jane Smith stay two people; a bare 'Smith' goes to the one named last."""
    text = (
        "Mark Smith, a farmer, met Jane Smith, the mayor. Smith said the road was closed. "
        "Later Mark Smith called. Smith agreed."
    )
    doc = nlp(text)
    ents = {e.name: e for e in extract_entities(doc)}
    assert "Smith" not in ents
    mark, jane = ents["Mark Smith"], ents["Jane Smith"]
    said = text.index("Smith said")
    agreed = text.index("Smith agreed")
    assert said in [m.start for m in jane.mentions]
    assert agreed in [m.start for m in mark.mentions]
    assert (mark.count, jane.count) == (3, 2)


def test_washington_the_city_is_not_george_washington(nlp: Language) -> None:
    """'in Washington' stays a place even when George Washington is in the article."""
    text = "George Washington warned his generals. Congress met in Washington on Monday."
    doc = _doc(
        nlp, text, [("George Washington", "PERSON"), ("Congress", "ORG"), ("Washington", "GPE")]
    )
    ents = {(e.name, e.label): e for e in extract_entities(_reparse(nlp, doc))}
    assert ("Washington", "GPE") in ents
    assert ents[("George Washington", "PERSON")].count == 1


def _reparse(nlp: Language, doc: Doc) -> Doc:
    """`doc` parsed by the model (dependencies, tags) but with the given NER spans."""
    parsed = nlp(doc.text)
    parsed.ents = [parsed.char_span(e.start_char, e.end_char, label=e.label_) for e in doc.ents]
    return parsed


def test_person_word_tagged_place_joins_person_when_subject(nlp: Language) -> None:
    """A surname tagged GPE but used as a subject ('Horneland said') joins the person."""
    text = "Derek Horneland runs the farm. Horneland said prices fell."
    doc = _reparse(nlp, _doc(nlp, text, [("Derek Horneland", "PERSON"), ("Horneland", "GPE")]))
    assert [(e.name, e.count) for e in extract_entities(doc)] == [("Derek Horneland", 2)]


def test_secretary_of_state_is_not_an_org(nlp: Language) -> None:
    """'State' in 'Secretary of State' is part of a title, not an organisation."""
    text = "Secretary of State Antony Blinken arrived."
    doc = _doc(nlp, text, [("State", "ORG"), ("Antony Blinken", "PERSON")])
    assert [e.name for e in extract_entities(doc)] == ["Antony Blinken"]


def test_names_missed_in_lists_are_found(nlp: Language) -> None:
    """Capitalised given name + surname outside any span becomes a PERSON."""
    text = "Winners: Sandra Oh (Killing Eve) and Regina King."
    doc = _doc(nlp, text, [("Regina King", "PERSON")])
    names = {e.name: e.label for e in extract_entities(_reparse(nlp, doc))}
    assert names.get("Sandra Oh") == "PERSON"


def test_headline_mentions_join_body_entities(nlp: Language) -> None:
    """Headline mentions count for the body's entities, with title-sourced offsets."""
    title = "Chinese Leader Xi and Russian Foreign Minister Lavrov Strengthen Strategic Partnership"
    body = (
        "Chinese leader Xi Jinping met Russian Foreign Minister Sergey Lavrov in Beijing. "
        "Xi said the strategic partnership would strengthen. Lavrov agreed."
    )
    title_doc = nlp(headline_for_ner(title, body))
    ents = extract_entities(nlp(body), title_doc)
    names = {e.name for e in ents}
    assert {"Xi Jinping", "Sergey Lavrov", "Beijing"} <= names
    assert not any("Strengthen" in n or "Partnership" in n for n in names)
    xi = next(e for e in ents if e.name == "Xi Jinping")
    title_mentions = [m for m in xi.mentions if m.source == "title"]
    assert [title[m.start : m.end] for m in title_mentions] == ["Xi"]
    assert xi.id == "E1"


def test_all_caps_headline_is_cased_for_ner() -> None:
    """Capitals and Title Case headlines are lowered where the body writes words in lower case."""
    body = "The mayor of Toronto said the budget would pass."
    assert headline_for_ner("TORONTO MAYOR SAYS BUDGET WILL PASS", body) == (
        "Toronto mayor Says budget Will pass"
    )
    assert headline_for_ner("Mayor says budget will pass", body) == "Mayor says budget will pass"


def test_acronym_joins_its_spelled_out_name(nlp: Language) -> None:
    """'FBI' is the Federal Bureau of Investigation, and '(FBI' is not part of the name."""
    text = "The Federal Bureau of Investigation (FBI) said the FBI was investigating."
    ents = extract_entities(nlp(text))
    fbi = [e for e in ents if "FBI" in e.name or "Federal" in e.name]
    assert [(e.name, e.count) for e in fbi] == [("Federal Bureau of Investigation", 2)]


def test_unrelated_acronym_is_not_merged(nlp: Language) -> None:
    """An acronym whose letters match no spelled-out name stays its own entity."""
    text = "The Federal Bureau of Investigation said the CIA was silent."
    names = {e.name for e in extract_entities(nlp(text))}
    assert {"Federal Bureau of Investigation", "CIA"} <= names


def test_role_noun_before_a_name_is_not_part_of_it(nlp: Language) -> None:
    """'Organizer Dwayne Croteau' is Dwayne Croteau, whatever the capital letter."""
    doc = nlp("Organizer Dwayne Croteau said the rally would go ahead.")
    doc.ents = [doc.char_span(0, len("Organizer Dwayne Croteau"), label="PERSON")]
    assert [e.name for e in extract_entities(doc)] == ["Dwayne Croteau"]


def test_entity_never_spans_a_paragraph_break(nlp: Language) -> None:
    """A span the model ran across a line break is cut at the break."""
    text = "Visitors came to Toronto\n\nCity Hall opened later."
    doc = nlp(text)
    start = text.index("Toronto")
    doc.ents = [doc.char_span(start, text.index("Hall") + 4, label="GPE", alignment_mode="expand")]
    names = [e.name for e in extract_entities(doc)]
    assert "Toronto" in names
    assert not any("\n" in n or "Toronto City" in n for n in names)


def test_possessive_leader_and_party_are_split(nlp: Language) -> None:
    """ "Justin Trudeau's Liberals" is Trudeau plus the party, not a person named so."""
    text = "Justin Trudeau's Liberals defended the tax. The Liberals won."
    doc = _reparse(nlp, _doc(nlp, text, [("Justin Trudeau's Liberals", "PERSON")]))
    names = {e.name: e.label for e in extract_entities(doc)}
    assert names.get("Justin Trudeau") == "PERSON"
    assert names.get("Liberals") in ("NORP", "ORG")
    assert not any("Liberals" in n and label == "PERSON" for n, label in names.items())


def test_possessive_place_before_person_is_not_split_as_party(nlp: Language) -> None:
    """Must not: "Vancouver's Bo Horvat" stays the person after the possessive."""
    text = "Vancouver's Bo Horvat scored twice."
    doc = _reparse(nlp, _doc(nlp, text, [("Vancouver's Bo Horvat", "PERSON")]))
    assert [(e.name, e.label) for e in extract_entities(doc)] == [("Bo Horvat", "PERSON")]


def test_one_word_person_used_as_common_noun_is_retyped(nlp: Language) -> None:
    """'the Sharks' (plural, with an article) and 'a hard Brexit' are not people."""
    text = "The Sharks lost again. Fans of the Sharks left early. A hard Brexit looms."
    spans = [("Sharks", "PERSON"), ("Sharks", "PERSON"), ("Brexit", "PERSON")]
    doc = _reparse(nlp, _doc(nlp, text, spans))
    labels = {e.name: e.label for e in extract_entities(doc)}
    assert labels["Sharks"] != "PERSON"
    assert labels["Brexit"] != "PERSON"


def test_one_word_person_that_speaks_stays_a_person(nlp: Language) -> None:
    """Must not: a surname-only person who speaks, or a given name, keeps PERSON."""
    text = "Niederreiter said the team was ready. The coach praised Anna."
    spans = [("Niederreiter", "PERSON"), ("Anna", "PERSON")]
    doc = _reparse(nlp, _doc(nlp, text, spans))
    labels = {e.name: e.label for e in extract_entities(doc)}
    assert labels == {"Niederreiter": "PERSON", "Anna": "PERSON"}


def test_enumerated_agency_name_is_not_cut_at_the_comma(nlp: Language) -> None:
    """'the Meteorology, Climatology and Geophysics Agency' is one name."""
    text = "The tsunami struck, according to the Meteorology, Climatology and Geophysics Agency."
    doc = _reparse(nlp, _doc(nlp, text, [("Climatology and Geophysics Agency", "ORG")]))
    names = [e.name for e in extract_entities(doc)]
    assert names == ["Meteorology, Climatology and Geophysics Agency"]


def test_organisation_after_a_listed_place_is_not_extended(nlp: Language) -> None:
    """Must not: a place before a comma is not glued to an ORG without 'and' in it."""
    text = "Officials in Jakarta, Indonesia Power said the grid held."
    doc = _reparse(nlp, _doc(nlp, text, [("Jakarta", "GPE"), ("Indonesia Power", "ORG")]))
    names = {e.name for e in extract_entities(doc)}
    assert "Indonesia Power" in names
    assert not any("Jakarta," in n for n in names)


def test_title_inside_an_org_span_leaves_the_person(nlp: Language) -> None:
    """'Hereditary Chief Na'moks' typed ORG is the person Na'moks, title dropped."""
    text = "Wet'suwet'en Hereditary Chief Na'moks spoke at the camp."
    doc = _doc(nlp, text, [("Wet'suwet'en Hereditary Chief Na'moks", "ORG")])
    assert [(e.name, e.label) for e in extract_entities(doc)] == [("Na'moks", "PERSON")]


def test_office_title_in_an_org_span_is_not_a_person(nlp: Language) -> None:
    """Must not: 'Chief Executive Council' style offices do not become people."""
    doc = _doc(nlp, "The Acme Chief Executive met.", [("Acme Chief Executive", "ORG")])
    assert all(e.label != "PERSON" for e in extract_entities(doc))


def test_name_edges_repaired(nlp: Language) -> None:
    """'Moon Jae-in' keeps its hyphenated given name; a quoted nickname is not in the name;
    a person span never runs past a comma ('Belkacemi,60')."""
    text = 'President Moon Jae-in met Riefian "Ifan" Fajarsyah and Khaled Belkacemi,60, today.'
    doc = _reparse(
        nlp,
        _doc(
            nlp,
            text,
            [("Moon Jae", "PERSON"), ('Riefian "Ifan" Fajarsyah', "PERSON"),
             ("Khaled Belkacemi,60", "PERSON")],
        ),
    )  # fmt: skip
    names = {e.name for e in extract_entities(doc)}
    assert {"Moon Jae-in", "Riefian Fajarsyah", "Khaled Belkacemi"} <= names


def test_relative_sharing_a_surname_is_a_person(nlp: Language) -> None:
    """'Megda Belkacemi' typed ORG beside the person Khaled Belkacemi is a person; an
    organisation named after him is not."""
    text = "Khaled Belkacemi died. For Megda Belkacemi, it was hard. Belkacemi Foods closed."
    spans = [
        ("Khaled Belkacemi", "PERSON"),
        ("Megda Belkacemi", "ORG"),
        ("Belkacemi Foods", "ORG"),
    ]
    labels = {e.name: e.label for e in extract_entities(_reparse(nlp, _doc(nlp, text, spans)))}
    assert labels["Megda Belkacemi"] == "PERSON"
    assert labels["Belkacemi Foods"] == "ORG"


def test_lone_name_with_a_person_apposition_is_found(nlp: Language) -> None:
    """'Yuni, a resident of Lampung,' is a person even without a given-name match."""
    doc = nlp("Yuni, a resident of Lampung, said the water came twice.")
    doc.ents = [e for e in doc.ents if e.text != "Yuni"]
    names = {e.name: e.label for e in extract_entities(doc)}
    assert names.get("Yuni") == "PERSON"


def _labels(nlp: Language, text: str, spans: list[tuple[str, str]]) -> dict[str, str]:
    doc = _reparse(nlp, _doc(nlp, text, spans))
    return {e.name: e.label for e in extract_entities(doc)}


def test_surname_typed_org_before_a_noun_is_still_a_person(nlp: Language) -> None:
    """'the Trump administration', "Trump's allies" typed ORG do not outvote PERSON uses."""
    text = "The Trump administration acted. Trump's allies cheered. Trump said it was fine."
    spans = [("Trump", "ORG"), ("Trump", "ORG"), ("Trump", "PERSON")]
    assert _labels(nlp, text, spans) == {"Trump": "PERSON"}


def test_company_name_with_possessive_stays_an_org(nlp: Language) -> None:
    """Must not: "Lowe's" (spaCy keeps the 's in the span) stays a company."""
    text = "Lowe's shares rose on Monday. Lowe's reports earnings next week."
    assert _labels(nlp, text, [("Lowe's", "ORG"), ("Lowe's", "PERSON")]) == {"Lowe": "ORG"}


def test_capital_typed_person_is_a_place(nlp: Language) -> None:
    """'envoy to Kyiv' typed PERSON is a place; 'Politico' typed PERSON is an outlet."""
    text = "Kurt Volker, the envoy to Kyiv, spoke after Politico reported the delay."
    spans = [("Kurt Volker", "PERSON"), ("Kyiv", "PERSON"), ("Politico", "PERSON")]
    labels = _labels(nlp, text, spans)
    assert (labels["Kyiv"], labels["Politico"]) == ("GPE", "ORG")


def test_place_name_that_is_a_given_name_stays_a_person(nlp: Language) -> None:
    """Must not: 'Jordan' typed PERSON (a given name too) is left a person."""
    text = "Jordan said the team would win on Sunday."
    assert _labels(nlp, text, [("Jordan", "PERSON")]) == {"Jordan": "PERSON"}


def test_name_after_a_company_noun_is_an_org(nlp: Language) -> None:
    """'energy company Burisma' typed PERSON is an organisation."""
    text = "He asked them to investigate the energy company Burisma last year."
    assert _labels(nlp, text, [("Burisma", "PERSON")]) == {"Burisma": "ORG"}


def test_person_after_company_in_a_relative_clause_stays_a_person(nlp: Language) -> None:
    """Must not: 'the company Jane Smith founded' keeps Jane Smith a person."""
    text = "She sold the company Jane Smith founded in 1990."
    assert _labels(nlp, text, [("Jane Smith", "PERSON")]) == {"Jane Smith": "PERSON"}


def test_surname_typed_place_joins_the_person(nlp: Language) -> None:
    """'suggestions from Sondland' typed GPE and 'the Bidens' are the people named in full."""
    text = (
        "Gordon Sondland testified on Tuesday. Volker ignored suggestions from Sondland. "
        "Joe Biden spoke later. Giuliani wanted an inquiry into the Bidens."
    )
    spans = [("Gordon Sondland", "PERSON"), ("Sondland", "GPE"), ("Joe Biden", "PERSON"),
             ("Bidens", "GPE")]  # fmt: skip
    ents = {e.name: e for e in extract_entities(_reparse(nlp, _doc(nlp, text, spans)))}
    assert "Sondland" not in ents and "Bidens" not in ents
    assert (ents["Gordon Sondland"].count, ents["Joe Biden"].count) == (2, 2)


def test_plural_team_typed_place_does_not_join_a_person(nlp: Language) -> None:
    """Must not: 'the Hurricanes' is not merged into a PERSON-typed 'Carolina Hurricanes'."""
    text = "Carolina Hurricanes lost. Fans from the Hurricanes left early."
    spans = [("Carolina Hurricanes", "PERSON"), ("Hurricanes", "GPE")]
    names = _labels(nlp, text, spans)
    assert "Hurricanes" in names


def test_transliterations_of_one_name_are_one_person(nlp: Language) -> None:
    """'Zelenskyy' is Volodymyr Zelensky; 'Kiev' and 'Kyiv' one place."""
    text = "Volodymyr Zelensky met envoys in Kyiv. Zelenskyy said Kiev was calm."
    spans = [("Volodymyr Zelensky", "PERSON"), ("Kyiv", "GPE"), ("Zelenskyy", "PERSON"),
             ("Kiev", "GPE")]  # fmt: skip
    ents = {e.name: e.count for e in extract_entities(_reparse(nlp, _doc(nlp, text, spans)))}
    assert ents == {"Volodymyr Zelensky": 2, "Kyiv": 2}


def test_other_spelling_of_a_place_is_named_as_written(nlp: Language) -> None:
    """Must not: an article that only writes 'Kiev' gets 'Kiev', not another spelling."""
    assert _labels(nlp, "Officials in Kiev met.", [("Kiev", "GPE")]) == {"Kiev": "GPE"}


def test_short_org_name_joins_its_full_name(nlp: Language) -> None:
    """'Amnesty' is Amnesty International, 'Communist Party' the Chinese Communist Party,
    'TransCanada' TransCanada Corp. (named without the legal form)."""
    text = (
        "Amnesty International said 100 died. Amnesty added more. The Chinese Communist Party "
        "denied it. The Communist Party met. TransCanada Corp. agreed. TransCanada built it."
    )
    spans = [("Amnesty International", "ORG"), ("Amnesty", "ORG"),
             ("Chinese Communist Party", "ORG"), ("Communist Party", "ORG"),
             ("TransCanada Corp.", "ORG"), ("TransCanada", "ORG")]  # fmt: skip
    ents = {e.name: e.count for e in extract_entities(_reparse(nlp, _doc(nlp, text, spans)))}
    assert ents == {"Amnesty International": 2, "Chinese Communist Party": 2, "TransCanada": 2}


def test_short_org_name_with_two_or_other_full_names_stays_apart(nlp: Language) -> None:
    """Must not: 'Apple' is not 'Apple Arcade'; 'Foreign Ministry' beside a Chinese and a
    Russian one is not merged into either."""
    text = (
        "Apple launched Apple Arcade. The Chinese Foreign Ministry and the Russian Foreign "
        "Ministry spoke. The Foreign Ministry declined."
    )
    spans = [("Apple", "ORG"), ("Apple Arcade", "ORG"), ("Chinese Foreign Ministry", "ORG"),
             ("Russian Foreign Ministry", "ORG"), ("Foreign Ministry", "ORG")]  # fmt: skip
    names = set(_labels(nlp, text, spans))
    assert {"Apple", "Apple Arcade", "Foreign Ministry"} <= names


def test_junk_around_names_is_dropped(nlp: Language) -> None:
    """A score, a lower-case verb, a handle and a lone title are not part of names."""
    text = (
        "Pella beat Nicolas Jarry 6-4. Then she rang Taylor Hall. Follow Mike Wall @mwall. Lt Col"
    )
    spans = [("Nicolas Jarry 6-4", "PERSON"), ("rang Taylor Hall", "PERSON"),
             ("Mike Wall @mwall", "PERSON"), ("Col", "PERSON")]  # fmt: skip
    assert set(_labels(nlp, text, spans)) == {"Nicolas Jarry", "Taylor Hall", "Mike Wall"}


def test_numbers_and_particles_that_belong_to_names_are_kept(nlp: Language) -> None:
    """Must not: 'Apollo 11' keeps its number, 'van de Zandschulp' its particles."""
    text = "Apollo 11 landed. Botic van de Zandschulp won."
    spans = [("Apollo 11", "ORG"), ("Botic van de Zandschulp", "PERSON")]
    assert set(_labels(nlp, text, spans)) == {"Apollo 11", "Botic van de Zandschulp"}


def test_possessive_inside_a_person_span(nlp: Language) -> None:
    """ "NPR's Feng" is the outlet and its reporter; "Holcomb's 2016" is Holcomb."""
    text = "NPR's Feng reported it. Eric Holcomb spoke of Holcomb's 2016 race."
    spans = [("NPR's Feng", "PERSON"), ("Eric Holcomb", "PERSON"), ("Holcomb's 2016", "PERSON")]
    ents = {
        e.name: (e.label, e.count) for e in extract_entities(_reparse(nlp, _doc(nlp, text, spans)))
    }
    assert ents == {"NPR": ("ORG", 1), "Feng": ("PERSON", 1), "Eric Holcomb": ("PERSON", 2)}
