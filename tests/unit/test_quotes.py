"""Unit tests of quote extraction and speaker attribution."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from newswire_enrich._clauses import _object_and_clause, _subject_as_object
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
    assert q.found_by == q.rule == "reporting-clause"


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


def test_straight_single_quotes(nlp: Language) -> None:
    """Straight single marks delimit a quote; the apostrophe in "didn't" stays inside."""
    text = "'The pipes didn't freeze this year,' plumber Ivan Sorel said."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "The pipes didn't freeze this year"
    assert qs[0].speaker.name == "Ivan Sorel"


def test_guillemets(nlp: Language) -> None:
    """« » marks delimit a direct quote."""
    text = "«The museum will open its doors again in June,» curator Ana Ferreira said."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].kind == QuoteKind.DIRECT
    assert qs[0].text == "The museum will open its doors again in June"
    assert qs[0].speaker.name == "Ana Ferreira"


def test_apostrophes_and_inner_quote_inside(nlp: Language) -> None:
    """Curly apostrophes and a nested single-quoted word do not end the quote early."""
    text = "“We’re told it’s ‘temporary’ but the shop’s been shut for a year,” Leo Brandt said."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "We’re told it’s ‘temporary’ but the shop’s been shut for a year"
    assert qs[0].speaker.name == "Leo Brandt"


def test_odd_closing_mark(nlp: Language) -> None:
    """A straight opening mark closed by a curly one is still one quote."""
    text = '"The roof needs to be replaced before the snow comes,” builder Sam Achterberg said.'
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "The roof needs to be replaced before the snow comes"


def test_quote_spanning_paragraphs(nlp: Language) -> None:
    """Opening marks on each paragraph, a closing one on the last: one quote per paragraph.

    The first paragraph names nobody; it takes the speaker named after the last one.
    """
    text = (
        "“The first year was hard. We lost half the flock to the cold.\n\n"
        "“But the second year we built a new barn and nobody went hungry,” "
        "shepherd Ellen Marsh said."
    )
    qs = _quotes(nlp, text)
    assert [q.text for q in qs] == [
        "The first year was hard. We lost half the flock to the cold.",
        "But the second year we built a new barn and nobody went hungry",
    ]
    assert qs[0].rule == "spanning-paragraphs"
    assert all(q.speaker.name == "Ellen Marsh" for q in qs)


def test_split_quote_in_one_sentence(nlp: Language) -> None:
    """'"A," he said, "B."' gives two quotes by the same speaker."""
    text = (
        "Coach Rita Olsen praised the team on Sunday. "
        '"We defended well," she said, "and we finally scored from a corner."'
    )
    qs = [q for q in _quotes(nlp, text) if q.kind == QuoteKind.DIRECT]
    assert [q.text for q in qs] == ["We defended well", "and we finally scored from a corner."]
    assert all(q.speaker.name == "Rita Olsen" for q in qs)


def test_said_colon_then_quote_in_next_paragraph(nlp: Language) -> None:
    """'X said:' ending a paragraph introduces the quote of the next paragraph."""
    text = (
        "The harbour master Jonas Lind said:\n\n"
        "“No ship will leave the port until the storm has passed.”"
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].found_by == "colon-intro"
    assert qs[0].speaker.name == "Jonas Lind"


def test_colon_introduction_with_plain_verb(nlp: Language) -> None:
    """'They admitted: "..."' is a direct quote with the cue 'admitted'."""
    text = 'The two pilots Mark Tello and Joan Ruiz admitted: "We did not check the fuel gauge."'
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].kind == QuoteKind.DIRECT
    assert qs[0].cue == "admitted"


@pytest.mark.parametrize("dash", ["-", "–", "—"])
def test_dash_attribution(nlp: Language, dash: str) -> None:
    """'"..." - Name' attributes the quote to the name after the dash."""
    text = f'"Every child deserves a warm meal at school." {dash} Priya Raman'
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].rule == "dash-attribution"
    assert qs[0].speaker.name == "Priya Raman"


def test_appositive_speaker(nlp: Language) -> None:
    """'Name, a description, said' names the person, not the description."""
    text = (
        '"The new vaccine cut infections by half," Hugo Lindqvist, a veterinarian in Leeds, said.'
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].speaker.name == "Hugo Lindqvist"


def test_told_reporters_is_indirect(nlp: Language) -> None:
    """'X told reporters the ...' reports the clause after the listener."""
    text = "Senator Dana Whitfield told reporters the committee would vote on the bill in May."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].kind == QuoteKind.INDIRECT
    assert qs[0].text == "the committee would vote on the bill in May"
    assert qs[0].speaker.name == "Dana Whitfield"


def test_clause_before_verb_is_whole_sentence(nlp: Language) -> None:
    """'A, and B, researchers report' reports both conjuncts, not only the last one."""
    text = (
        "Young adults who lose a job are less likely to buy a home, and those who do "
        "often pay more, economists said."
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text.startswith("Young adults who lose a job")
    assert qs[0].text.endswith("often pay more")


def test_reported_clause_runs_to_end_of_sentence(nlp: Language) -> None:
    """'X said A, and B' reports A and B in one quote event."""
    text = (
        "Mayor Ines Duarte said the bridge would reopen on Friday, and the ferry "
        "would keep running until then."
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text.endswith("until then")


def test_trailing_attribution_misparsed_as_outer_verb(nlp: Language) -> None:
    """'X said A, the radio reported': A is X's words and there is one quote."""
    text = (
        "Ms Ortiz said the two towns need to work together to defend their water rights, "
        "the local radio station reported."
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "the two towns need to work together to defend their water rights"
    assert qs[0].cue == "said"


def test_belief_verbs_are_not_statements(nlp: Language) -> None:
    """'The Liberals hope ...', 'analysts suggest ...' report a stance, not a statement."""
    text = (
        "The Liberals hope the new tax will help them win younger voters. "
        "Analysts suggest the market will recover by spring."
    )
    assert _quotes(nlp, text) == []


def test_negated_or_modal_speech_is_not_a_quote(nlp: Language) -> None:
    """'has not said ...' and 'will argue that ...' report nothing that was said."""
    text = (
        "The governor has not said he would sign the bill. "
        "The Greens will argue that the plan does not go far enough."
    )
    assert _quotes(nlp, text) == []


def test_title_of_work_excluded(nlp: Language) -> None:
    """A quoted title ('Aquaman'-like) is not a quote, even near a speech verb."""
    text = "Critic Mae Holt said on Friday that she watched “The Silent Harbour Returns” twice."
    qs = _quotes(nlp, text)
    assert all("Silent Harbour" not in q.text or q.kind != QuoteKind.DIRECT for q in qs)
    assert not any(q.text == "The Silent Harbour Returns" for q in qs)


def test_nickname_excluded(nlp: Language) -> None:
    """A quoted nickname inside the writer's sentence is not a quote."""
    text = 'Boxer Carl "The Hammer" Jensen won his third title in Oslo on Saturday night.'
    assert _quotes(nlp, text) == []


def test_scare_quote_noun_phrase_excluded(nlp: Language) -> None:
    """A quoted noun phrase after a determiner, with no speech verb before it, is dropped."""
    text = "The budget includes “previously planned” spending of $40 million on roads."
    assert _quotes(nlp, text) == []


def test_fragment_after_described_as_is_kept(nlp: Language) -> None:
    """'described the scene as "..."' keeps the quoted words."""
    text = 'A witness, Tom Grady, described the scene as "total panic on every floor."'
    qs = _quotes(nlp, text)
    assert any("total panic on every floor" in q.text for q in qs)


def test_quote_records_how_it_was_found_and_resolved(nlp: Language) -> None:
    """A quote names the strategy that found it and how the speaker was resolved."""
    text = 'Maria Lopez runs the clinic. "We are full every night," she said.'
    doc = nlp(text)
    (q,) = extract_quotes(doc, extract_entities(doc))
    assert q.speaker.name == "Maria Lopez"
    assert (q.found_by, q.resolved_by, q.rule) == ("quote-marks", "pronoun", "quote-marks")


def test_caption_glued_before_quote_is_not_the_speaker(nlp: Language) -> None:
    """A photo credit in the paragraph before is not the subject of the next 'said'."""
    text = (
        "Floodwater covered the main road on Monday. (Jane Roe/Associated Press)\n\n"
        '"We lost everything in an hour," Mark Duval, a farmer near the river, said on Tuesday.'
    )
    qs = _quotes(nlp, text)
    assert [q.speaker.name for q in qs] == ["Mark Duval"]


def test_attribution_sentence_right_after_the_quote(nlp: Language) -> None:
    """'"...." Name said Wednesday.' - the attribution is its own sentence after the mark."""
    text = (
        "The team trained in the hall for months.\n\n"
        "“When the coach saw my serve, I knew I had a chance to make the national team.” "
        "Ana Ruiz said Wednesday in an interview."
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].speaker.name == "Ana Ruiz"


def test_unattributed_paragraph_goes_to_the_person_of_the_story(nlp: Language) -> None:
    """A quoted paragraph naming nobody continues the person just written about."""
    text = (
        "Carla Mendes lost her job after the plant closed. She looked for work for months.\n\n"
        '"It took me two years to feel like myself again. That was the hardest part."'
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].speaker.name == "Carla Mendes"
    assert qs[0].rule == "topic-person"


def test_unattributed_paragraph_without_a_person_nearby_has_no_speaker(nlp: Language) -> None:
    """No person named shortly before: the quote keeps no speaker (must not fire)."""
    filler = "The river rose again in the spring and the roads were closed for weeks. " * 10
    text = (
        f"Carla Mendes lost her job after the plant closed.\n\n{filler}\n\n"
        '"It took me two years to feel like myself again. That was the hardest part."'
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].speaker.name is None


def test_follow_on_quote_goes_to_the_speaker_reported_in_between(nlp: Language) -> None:
    """'"...," A said. B said ... "..."' - the cue-less quote continues B, not A."""
    text = (
        '"We will appeal the decision," Mayor John Smith said.\n\n'
        "Councillor Ann Patel said the vote had been rushed through without any debate.\n\n"
        '"Nobody on council had read the report before voting on it."'
    )
    qs = _quotes(nlp, text)
    last = [q for q in qs if q.text.startswith("Nobody")]
    assert len(last) == 1
    assert last[0].speaker.name == "Ann Patel"
    assert (last[0].rule or "").startswith("follow-report")


def test_follow_on_quote_keeps_the_speaker_without_a_report_between(nlp: Language) -> None:
    """A sentence between that reports nobody's words does not change the speaker."""
    text = (
        '"We will appeal the decision," Mayor John Smith said.\n\n'
        "The council voted six to three on Tuesday night.\n\n"
        '"Nobody on council had read the report before voting on it."'
    )
    qs = _quotes(nlp, text)
    last = [q for q in qs if q.text.startswith("Nobody")]
    assert len(last) == 1
    assert last[0].speaker.name == "John Smith"
    assert last[0].rule == "follow-on"


def test_participle_speech_verb_ends_the_reported_clause(nlp: Language) -> None:
    """'X has said A, insisting B': two statements, both by X."""
    text = (
        "Premier Dan Moreau has said the province will keep its promise to spend $10 million, "
        "insisting his government won't spend another penny."
    )
    qs = _quotes(nlp, text)
    assert [q.text for q in qs] == [
        "the province will keep its promise to spend $10 million",
        "his government won't spend another penny",
    ]
    assert {q.speaker.name for q in qs} == {"Dan Moreau"}


def test_relative_clause_after_a_lone_dash_is_cut(nlp: Language) -> None:
    """'X said A - which ...': the writer's remark after the dash is not X's statement."""
    text = (
        "Transport Minister Leah Brooks said the bridge will reopen to traffic in March "
        "— which is two months later than planned."
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "the bridge will reopen to traffic in March"


def test_dash_before_a_conjunction_is_kept(nlp: Language) -> None:
    """A dash followed by 'and' carries on the statement (must not cut)."""
    text = (
        "Finance Minister Leah Brooks said the revenues will be returned to families "
        "— and most people will see a net gain."
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text.endswith("most people will see a net gain")


def test_scare_quote_without_a_speaker_is_dropped(nlp: Language) -> None:
    """Quoted words in the writer's sentence with nobody said to use them: no quote."""
    text = (
        "The proposed budget counts “previously approved” debt and new borrowing "
        "for the arena project."
    )
    assert _quotes(nlp, text) == []


def test_subject_misparsed_as_object_of_said(nlp: Language) -> None:
    """'X said the N of A and B came because ...' - the whole clause is X's statement."""
    text = (
        "Grant said the sudden departure of the coach and the captain came because "
        "the club ran out of money."
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert "came because the club ran out of money" in qs[0].text
    assert qs[0].kind == QuoteKind.INDIRECT


def _parsed(words: list[str], heads: list[int], deps: list[str], pos: list[str]) -> Doc:
    lemmas = ["say" if w == "said" else w.lower() for w in words]
    return Doc(spacy.blank("en").vocab, words=words, heads=heads, deps=deps, pos=pos, lemmas=lemmas)


def test_object_and_clause_repairs_the_misparse() -> None:
    """said -> dobj 'pairing' + conj 'came' with its own subject: one reported clause."""
    doc = _parsed(
        ["Oh", "said", "the", "pairing", "of", "her", "and", "Sam", "came", "late"],
        [1, 1, 3, 1, 3, 4, 5, 8, 1, 8],
        ["nsubj", "ROOT", "det", "dobj", "prep", "pobj", "cc", "nsubj", "conj", "advmod"],
        ["PROPN", "VERB", "DET", "NOUN", "ADP", "PRON", "CCONJ", "PROPN", "VERB", "ADV"],
    )
    span = _object_and_clause(doc[1])
    assert span is not None
    assert (span[0].i, span[1].i) == (2, 9)


def test_said_with_a_real_object_is_not_a_report() -> None:
    """'said goodbye and she left' and 'said a prayer, and they left': two events."""
    doc = _parsed(
        ["He", "said", "goodbye", "and", "she", "left"],
        [1, 1, 1, 1, 5, 1],
        ["nsubj", "ROOT", "dobj", "cc", "nsubj", "conj"],
        ["PRON", "VERB", "NOUN", "CCONJ", "PRON", "VERB"],
    )
    assert _object_and_clause(doc[1]) is None
    doc = _parsed(
        ["He", "said", "the", "verse", ",", "and", "they", "left"],
        [1, 1, 3, 1, 1, 1, 7, 1],
        ["nsubj", "ROOT", "det", "dobj", "punct", "cc", "nsubj", "conj"],
        ["PRON", "VERB", "DET", "NOUN", "PUNCT", "CCONJ", "PRON", "VERB"],
    )
    assert _object_and_clause(doc[1]) is None


def test_while_and_participle_after_the_clause_is_cut(nlp: Language) -> None:
    """'said she was thrilled while touring ...': when it was said, not what."""
    text = "Mayor Ana Ruiz said she was thrilled by the result while touring the library on Friday."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "she was thrilled by the result"


def test_while_with_a_clause_of_its_own_is_kept(nlp: Language) -> None:
    """'said prices rose while wages fell': the while-clause is part of the statement."""
    qs = _quotes(nlp, "Economist Raj Patel said prices rose while wages fell for most workers.")
    assert len(qs) == 1
    assert qs[0].text.endswith("while wages fell for most workers")


def test_sentence_split_at_an_abbreviation_is_joined(nlp: Language) -> None:
    """'12 lbs. since ...': a sentence starting in lower case continues the clause."""
    text = "Coach Dana Whitfield says her team has gained 12 lbs. since the season began in March."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text.endswith("since the season began in March")


def test_capitalised_next_sentence_is_not_joined(nlp: Language) -> None:
    """A new sentence in the same paragraph is not part of the reported clause."""
    text = "Coach Dana Whitfield says her team has gained weight. The season began in March."
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text == "her team has gained weight"


def test_continue_to_is_not_a_speech_verb(nlp: Language) -> None:
    """'..., and the workers will continue to fight': part of the statement, not a new one."""
    text = (
        'The union said it was "a sad day," and the workers will continue to fight for their jobs.'
    )
    qs = _quotes(nlp, text)
    assert len(qs) == 1
    assert qs[0].text.endswith("continue to fight for their jobs")


def test_continued_alone_still_attributes(nlp: Language) -> None:
    """'"...," she continued.' is still a speech verb."""
    qs = _quotes(nlp, '"We will not give up on this town," Helen Carter continued.')
    assert len(qs) == 1
    assert qs[0].speaker.name == "Helen Carter"


def _tagged(words: list[str], heads: list[int], deps: list[str], tags: list[str]) -> Doc:
    pos = {"VBD": "VERB", "NNS": "NOUN", "NN": "NOUN", "NNP": "PROPN", "PRP$": "PRON"}
    return Doc(
        spacy.blank("en").vocab,
        words=words,
        heads=heads,
        deps=deps,
        tags=tags,
        pos=[pos.get(t, "X") for t in tags],
    )


def test_subject_taken_for_the_object_starts_the_clause() -> None:
    """told -> dobj 'farmers', ccomp 'were' without a subject: the clause starts at 'farmers'."""
    doc = _tagged(
        ["Ruiz", "told", "reporters", "farmers", "were", "her", "inspiration"],
        [1, 1, 3, 1, 1, 6, 4],
        ["nsubj", "ROOT", "compound", "dobj", "ccomp", "poss", "attr"],
        ["NNP", "VBD", "NNS", "NNS", "VBD", "PRP$", "NN"],
    )
    assert _subject_as_object(doc[1], doc[4], doc[4]).i == 2


def test_clause_with_its_own_subject_keeps_its_start() -> None:
    """told -> dobj 'reporters', ccomp 'were' with subject 'farmers': starts at 'farmers'."""
    doc = _tagged(
        ["Ruiz", "told", "reporters", "farmers", "were", "her", "inspiration"],
        [1, 1, 1, 4, 1, 6, 4],
        ["nsubj", "ROOT", "dobj", "nsubj", "ccomp", "poss", "attr"],
        ["NNP", "VBD", "NNS", "NNS", "VBD", "PRP$", "NN"],
    )
    assert _subject_as_object(doc[1], doc[4], doc[3]).i == 3


def test_coordinated_subject_taken_for_object_and_verb() -> None:
    """'X said costs and lost wages have ...' parsed said -> dobj, cc, conj 'lost'."""
    doc = _parsed(
        ["Lee", "said", "costs", "and", "lost", "wages", "have", "risen"],
        [1, 1, 1, 1, 1, 4, 4, 6],
        ["nsubj", "ROOT", "dobj", "cc", "conj", "dobj", "conj", "acomp"],
        ["PROPN", "VERB", "NOUN", "CCONJ", "VERB", "NOUN", "VERB", "ADJ"],
    )
    doc[4].tag_ = "VBD"
    span = _object_and_clause(doc[1])
    assert span is not None
    assert (span[0].i, span[1].i) == (2, 7)


def test_said_a_prayer_and_left_is_not_a_report() -> None:
    """'said a prayer and left': one subject, two acts."""
    doc = _parsed(
        ["He", "said", "a", "prayer", "and", "left"],
        [1, 1, 3, 1, 1, 1],
        ["nsubj", "ROOT", "det", "dobj", "cc", "conj"],
        ["PRON", "VERB", "DET", "NOUN", "CCONJ", "VERB"],
    )
    doc[5].tag_ = "VBD"
    assert _object_and_clause(doc[1]) is None
    doc = _parsed(
        ["He", "said", "farewell", "and", "left"],
        [1, 1, 1, 1, 1],
        ["nsubj", "ROOT", "dobj", "cc", "conj"],
        ["PRON", "VERB", "NOUN", "CCONJ", "VERB"],
    )
    doc[4].tag_ = "VBD"
    assert _object_and_clause(doc[1]) is None


def test_follow_on_quote_goes_to_the_person_who_became_the_subject(nlp: Language) -> None:
    """A person named as main subject between two quotes takes the unattributed second one."""
    text = (
        '"We lost the game in the first ten minutes," said coach Maria Lopez.\n\n'
        "Striker Tom Okafor, who scored twice, disagreed with that view.\n\n"
        '"We fought back and we should be proud of it."'
    )
    qs = _quotes(nlp, text)
    assert [q.speaker.name for q in qs] == ["Maria Lopez", "Tom Okafor"]
    assert qs[1].rule == "follow-subject"


def test_follow_on_quote_keeps_the_speaker_without_a_person_between(nlp: Language) -> None:
    """A sentence between the quotes naming no person as subject leaves the speaker."""
    text = (
        '"We lost the game in the first ten minutes," said coach Maria Lopez.\n\n'
        "The team has not won at home since October.\n\n"
        '"We fought back and we should be proud of it."'
    )
    qs = _quotes(nlp, text)
    assert [q.speaker.name for q in qs] == ["Maria Lopez", "Maria Lopez"]
    assert qs[1].rule == "follow-on"
