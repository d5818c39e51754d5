"""Typing one name mention: the passes that correct spaCy's label of a single span.

A :class:`Candidate` is a repaired span cut to the bare name, with the label it has so far.
Each pass is a small function that returns the retyped candidate (``label=None``: not an
entity) or None when it does not apply; :data:`newswire_enrich.entities.MENTION_PASSES`
lists them in order. :func:`build` then turns the typed candidate into a :class:`Mention`
with the cues the group passes read (subject, possessive, place, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from spacy.tokens import Span, Token

from newswire_enrich._entity_spans import is_plural
from newswire_enrich._names import (
    NAME_PARTICLES,
    NON_PERSON_WORDS,
    ORG_HEAD_WORDS,
    TITLES,
    is_given_name,
    is_people_noun,
    looks_like_person_name,
    name_key,
    name_tokens,
    trim_name,
)
from newswire_enrich._speech import REPORTING_VERBS
from newswire_enrich.decisions import TypeChange
from newswire_enrich.labels import PLACES, Label
from newswire_enrich.lexicon import words

#: Labels spaCy puts on people's names by mistake.
MISLABELS = frozenset(
    {Label.ORG, Label.PRODUCT, Label.WORK_OF_ART, Label.EVENT, Label.NORP, Label.LAW,
     Label.LANGUAGE}
)  # fmt: skip
#: Dependency labels of a name the sentence treats as a person (spaCy's scheme).
_PERSONISH_DEPS = frozenset({"nsubj", "nsubjpass", "poss", "appos", "agent"})
_MODIFIER_DEPS = frozenset({"poss", "compound", "nmod"})
PLACE_PREPOSITIONS = words("place_prepositions")
#: Words of office titles that are not names ("Chief Executive", "Chief Operating Officer").
OFFICE_WORDS = words("office_title_words")
#: Nouns ending like people nouns that describe companies ("Acme, a manufacturer of ...").
COMPANY_NOUNS = words("company_nouns")
#: Nouns that, right before a name ("energy company Burisma"), say it names an organisation.
ORG_NAME_CUES = COMPANY_NOUNS | words("org_name_cues")
#: Titles that are also used alone for one person ("the Pope", "the Queen").
ROYAL_TITLES = words("royal_titles")
#: Titles that name nobody when they stand alone ("Col" of "Lt Col", "Coach").
_LONE_TITLES = TITLES - ROYAL_TITLES - {"justice"}
_ARTICLES = ("a", "an", "the")
_INITIALS = re.compile(r"^(?:[A-Z]\.){1,3}$")


@dataclass(slots=True)
class Mention:
    """A typed name mention, with the cues the group passes and the ranking read."""

    start: int
    end: int
    text: str
    label: str
    source: str  # "text" or "title"
    personish: bool  # the sentence treats it as a person (subject, possessive, after title)
    weight: int  # number of name words: full names outvote surnames
    speaks: bool = False  # subject of a speech verb or after a title: a person
    common: int = 0  # used like a common noun: "the Sharks", "a hard Brexit"
    place: bool = False  # object of "in", "at", "near"...: a place
    modifier: bool = False  # possessive or noun modifier ("Trump's", "Trump administration")
    owned_s: bool = False  # spaCy kept the "'s" in the span: part of the name ("Lowe's")
    subject: bool = False  # inside a grammatical subject (salience)
    model: str | None = None  # the label the model gave (None: a name it missed)
    #: the type changes of this mention and of the groups it was in (None: none yet)
    changes: list[TypeChange] | None = None

    def note(self, change: TypeChange) -> None:
        """Keep `change` with this mention (it travels with it when groups merge)."""
        if self.changes is None:
            self.changes = []
        self.changes.append(change)


@dataclass(slots=True)
class Candidate:
    """A span cut to the bare name ``text[start:end]``, with the label it has so far."""

    span: Span
    text: str
    start: int
    end: int
    label: str | None
    after_title: bool
    org_noun: bool = False  # right after a noun for an organisation: weighs more
    changes: list[TypeChange] | None = None

    def note(self, change: TypeChange) -> None:
        """Keep `change` (made while typing this candidate)."""
        if self.changes is None:
            self.changes = []
        self.changes.append(change)

    @property
    def name(self) -> str:
        """The name as it reads in the text."""
        return self.text[self.start : self.end]


def candidate(span: Span, text: str) -> Candidate | None:
    """`span` cut to the bare name (no role noun, title, 'the', possessive), or None."""
    label = span.label_ or Label.PERSON
    person = label == Label.PERSON
    start_char = span[_lead(span)].idx if person else span.start_char
    trimmed = trim_name(text, start_char, _end_char(span, text, person), person=person)
    if trimmed is None:
        return None
    after_title = span.start > 0 and span.doc[span.start - 1].lower_.rstrip(".") in TITLES
    return Candidate(span, text, trimmed[0], trimmed[1], label, after_title)


def _end_char(span: Span, text: str, person: bool) -> int:
    """End of the name before a bracket, a line break or, for a person, a comma
    ("Federal Bureau of Investigation (FBI", "Belkacemi,60")."""
    end_char = span.end_char
    for stop in ("(", "\n", ",") if person else ("(", "\n"):
        at = text.find(stop, span.start_char, end_char)
        if at > span.start_char:
            end_char = at
    return end_char


def _lead(span: Span) -> int:
    """Tokens before a person's name proper: role nouns ("Organizer Dwayne Croteau"), or a
    word tagged PROPN at a sentence start when the given name follows it."""
    lead = 0
    while (
        lead < len(span) - 1
        and span[lead].pos_ in ("NOUN", "ADJ")
        and not span[lead + 1].is_quote  # 'Riefian "Ifan" Fajarsyah'
        and span[lead + 1].lower_ not in NAME_PARTICLES  # "Botic van de Zandschulp"
    ):
        lead += 1
    if (
        lead == 0
        and len(span) >= 3
        and (span[0].is_sent_start or span[0].i == 0)
        and not is_given_name(span[0].text)
        and is_given_name(span[1].text)
        and name_key(span[1].text) not in NAME_PARTICLES
    ):
        return 1
    return lead


# -- the passes (listed in order in entities.MENTION_PASSES) ---------------------------------


def title_alone(c: Candidate) -> Candidate | None:
    """A person or organisation 'name' made of titles only names nobody ("Col", "Coach")."""
    if c.label in (Label.PERSON, Label.ORG) and all(
        w.rstrip(".").casefold() in _LONE_TITLES for w in c.name.split()
    ):
        return replace(c, label=None)
    return None


def org_name_cue(c: Candidate) -> Candidate | None:
    """A name right after a noun for an organisation: "energy company Burisma"."""
    if c.label != Label.ORG and not looks_like_person_name(c.name) and _after_org_noun(c.span):
        return replace(c, label=Label.ORG, org_noun=True)
    return None


def person_name_shape(c: Candidate) -> Candidate | None:
    """A given name and a surname typed otherwise ("Julia Child" as WORK_OF_ART)."""
    return _to_person(c, looks_like_person_name(c.name))


def after_title(c: Candidate) -> Candidate | None:
    """A name right after a title ("Senator Warnock" typed ORG)."""
    return _to_person(c, c.after_title)


def listed_with_person(c: Candidate) -> Candidate | None:
    """A name-shaped span co-ordinated with a person ("Joe Dey or P.J. Boatwright")."""
    return _to_person(c, name_shaped(c.name) and _listed_with_person(c.span, c.name))


def described_as_person(c: Candidate) -> Candidate | None:
    """A name-shaped span described as a person (", a district commander,", ", 42,")."""
    return _to_person(c, name_shaped(c.name) and described_as_person_tok(c.span.root))


def _to_person(c: Candidate, test: bool) -> Candidate | None:
    if c.label in MISLABELS and test:
        return replace(c, label=Label.PERSON)
    return None


def org_head_word(c: Candidate) -> Candidate | None:
    """Several words ending with an organisation word ("South China Morning Post")."""
    words_ = c.name.split()
    if c.label != Label.ORG and len(words_) > 1 and name_key(words_[-1]) in ORG_HEAD_WORDS:
        return replace(c, label=Label.ORG)
    return None


def demonym(c: Candidate) -> Candidate | None:
    """A one-word place used as an adjective ("Ukrainian forces"): a nationality."""
    if c.label in PLACES and len(c.span) == 1 and c.span.root.tag_ == "JJ":
        return replace(c, label=Label.NORP)
    return None


def title_in_span(c: Candidate) -> Candidate | None:
    """A title inside a non-person span ("Chinese President Xi Jinping" typed NORP): the
    name after it is a person's."""
    if c.label == Label.PERSON:
        return None
    cut = trim_name(c.text, c.start, c.end, person=True)
    if cut and cut != (c.start, c.end) and _name_after_title(c.text, c.start, cut):
        return replace(c, label=Label.PERSON, start=cut[0], end=cut[1])
    return None


# -- what the passes read ---------------------------------------------------------------------


def _after_org_noun(span: Span) -> bool:
    """A name right after a noun for an organisation: "energy company Burisma", "news agency
    Xinhua", "tech giant Huawei" (not "the company Jane Smith founded")."""
    if span.start == 0:
        return False
    prev = span.doc[span.start - 1]
    if not prev.is_lower or prev.pos_ != "NOUN" or prev.lemma_ not in ORG_NAME_CUES:
        return False
    root = span.root
    return (prev.dep_ == "compound" and span.start <= prev.head.i < span.end) or (
        root.dep_ == "appos" and root.head.i == prev.i
    )


def _name_after_title(text: str, start: int, cut: tuple[int, int]) -> bool:
    """Whether what follows a title inside a non-person span is a person's name:
    "Chinese President Xi Jinping", "Hereditary Chief Na'moks" (not "Chief Executive")."""
    rest = text[cut[0] : cut[1]]
    if looks_like_person_name(rest):
        return True
    words_ = rest.split()
    before = text[start : cut[0]].split()
    return (
        1 <= len(words_) <= 2
        and bool(before)
        and before[-1].rstrip(".").casefold() in TITLES
        and all(w[:1].isupper() for w in words_)
        and not any(name_key(w) in TITLES | NON_PERSON_WORDS | OFFICE_WORDS for w in words_)
    )


def name_shaped(name: str) -> bool:
    """Two or three capitalised words, none a title or an organisation or place word."""
    words_ = name.split()
    return (
        2 <= len(words_) <= 3
        and all(w[:1].isupper() for w in words_)
        and not any(name_key(w) in NON_PERSON_WORDS | TITLES for w in words_)
    )


def _listed_with_person(span: Span, name: str) -> bool:
    words_ = name.split()
    if not (is_given_name(words_[0]) or _is_initials(words_[0])):
        return False
    root = span.root
    partners = [root.head] if root.dep_ == "conj" else []
    partners += [c for c in root.children if c.dep_ == "conj"]
    return any(p.ent_type_ == Label.PERSON for p in partners)


def _is_initials(word: str) -> bool:
    """One to three initials with dots ("P.J.")."""
    return _INITIALS.match(word) is not None


def described_as_person_tok(tok: Token) -> bool:
    """The name's apposition describes a person: ", a district military commander,", ", 42,"."""
    for child in tok.children:
        if child.dep_ != "appos" or child.i < tok.i:
            continue
        if child.like_num and child.i == tok.i + 2:
            return True
        det = [c.lower_ for c in child.children if c.dep_ == "det"]
        lemma = child.lemma_.lower()
        if (
            child.pos_ == "NOUN"
            and det[:1] in (["a"], ["an"])
            and is_people_noun(lemma)
            and lemma not in COMPANY_NOUNS
        ):
            return True
    return False


def build(c: Candidate, source: str) -> Mention:
    """The mention of a typed candidate, with the cues of its use in the sentence."""
    root = c.span.root
    name = c.name
    label = c.label or Label.PERSON
    return Mention(
        start=c.start,
        end=c.end,
        text=name,
        label=label,
        source=source,
        personish=c.after_title or root.dep_ in _PERSONISH_DEPS,
        weight=max(1, len(name_tokens(name))) + (2 if c.org_noun else 0),  # "company Burisma"
        speaks=c.after_title
        or (root.dep_ in ("nsubj", "agent") and root.head.lemma_ in REPORTING_VERBS),
        common=_common_noun_use(root),
        place=root.dep_ == "pobj" and root.head.lower_ in PLACE_PREPOSITIONS,
        modifier=root.dep_ in _MODIFIER_DEPS,
        owned_s=c.span[-1].text.endswith(("'s", "’s")),
        changes=c.changes,
    )


def _common_noun_use(tok: Token) -> int:
    """How a name is used like a common noun: a plural ("the Sharks"), an article or an
    adjective before it ("a hard Brexit"). People's names are used so only rarely."""
    score = 1 if is_plural(tok) else 0
    for child in tok.children:
        if child.i < tok.i and (
            (child.dep_ == "det" and child.lower_ in _ARTICLES)
            or (child.dep_ == "amod" and child.is_lower)
        ):
            score += 1
    return score
