"""Span repair before typing: the edges spaCy gets wrong on news text, fixed span by span.

Each function takes a spaCy NER span (or the whole doc) and returns the span(s) that hold the
bare name: one per line, a given name left out put back, words let in dropped, a possessive
glued to the next name split. Labels are set only where the split itself tells the type
("Justin Trudeau's Liberals": a person and a group); typing proper is the passes' work.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span, Token

from newswire_enrich._names import (
    NAME_PARTICLES,
    NON_PERSON_WORDS,
    ORG_HEAD_WORDS,
    TITLES,
    is_given_name,
    looks_like_person_name,
    name_key,
)
from newswire_enrich.labels import Label

_SCORE = re.compile(r"^\d+[-–]\d+$")
_SCORE_PART = re.compile(r"^[-–]?\d*[-–]?$")
_HYPHENS = ("-", "‐")
#: Words a name does not end with: "Smith and", "Acme &".
_CONJUNCTIONS = ("and", "or", "&")


def split_lines(ent: Span) -> list[Span]:
    """A span the model ran across a paragraph break ("AFP/Getty Images\\n\\nDudi Dwiriadi")
    becomes one span per line, each typed later by its own shape."""
    doc = ent.doc
    out: list[Span] = []
    start = ent.start
    for tok in ent:
        if "\n" in tok.text:
            if tok.i > start:
                out.append(Span(doc, start, tok.i, label=ent.label_))
            start = tok.i + 1
    if start < ent.end:
        out.append(Span(doc, start, ent.end, label=ent.label_))
    return out


def extend(ent: Span, covered: set[int]) -> Span:
    """Repair span edges spaCy gets wrong: a given name left out before a person's name
    ("Mamadou [Tanour Barry]"), a hyphenated given name cut ("Moon Jae[-in]"), the first
    items of an enumerated organisation name ("the Meteorology, [Climatology and ... Agency]").
    The tokens added are marked `covered`."""
    start, end = ent.start, ent.end
    if ent.label_ == Label.PERSON:
        start -= _left_out_given_name(ent)
        end += 2 if _cut_hyphenated_name(ent, start) else 0
    elif ent.label_ == Label.ORG and any(t.lower_ == "and" for t in ent):
        start = _enumeration_start(ent, covered)
    if (start, end) == (ent.start, ent.end):
        return ent
    covered.update(range(start, end))
    return Span(ent.doc, start, end, label=ent.label_)


def _left_out_given_name(ent: Span) -> int:
    """1 when the word before a person's span is a given name spaCy left out."""
    start = ent.start
    if not start:
        return 0
    prev = ent.doc[start - 1]
    return int(
        prev.pos_ == "PROPN"
        and prev.is_title
        and bool(prev.whitespace_)
        and prev.dep_ == "compound"
        and start <= prev.head.i < ent.end
        and is_given_name(prev.text)
        and name_key(prev.text) not in TITLES | NON_PERSON_WORDS
        and not prev.ent_type_
    )


def _cut_hyphenated_name(ent: Span, start: int) -> bool:
    """Whether a short hyphenated last part follows the span ("Moon Jae" + "-in"); `start`
    is where the name starts once repaired."""
    doc, end = ent.doc, ent.end
    if end + 1 >= len(doc) or end - start < 2:
        return False
    hyphen, last, tail = doc[end], doc[end - 1], doc[end + 1]
    return (
        hyphen.text in _HYPHENS
        and not last.whitespace_
        and not hyphen.whitespace_
        and len(last) <= 5
        and tail.is_alpha
        and tail.is_lower
        and len(tail) <= 4
        and tail.pos_ in ("NOUN", "PROPN", "X")
    )


def _enumeration_start(ent: Span, covered: set[int]) -> int:
    """Start of an organisation name whose first items spaCy left out ("Meteorology, ")."""
    doc, start = ent.doc, ent.start
    while (
        start >= 2
        and doc[start - 1].text == ","
        and doc[start - 2].pos_ == "PROPN"
        and doc[start - 2].is_title
        and start - 2 not in covered
    ):
        start -= 2
    return start


def narrow(span: Span) -> Span | None:
    """Drop the words spaCy lets into a name: a lower-case word before it ("rang Taylor",
    "state Department of ..."), a sentence-opening gerund ("Questioning Vindman"), a score or a
    number after it ("Nicolas Jarry 6-4", "Chile 3-0"), a dangling "and", a handle or a link
    ("Twitter @michaeldwall"). None when nothing is left."""
    doc = span.doc
    person = span.label_ == Label.PERSON
    start, end = span.start, span.end
    while start < end and (_junk(doc[start]) or (end - start > 1 and _let_in(doc[start], person))):
        start += 1
    while end > start and (
        _junk(doc[end - 1]) or (end - start > 1 and doc[end - 1].lower_ in _CONJUNCTIONS)
    ):
        end -= 1
    end = _score_cut(doc, start, end, person)
    if start >= end:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(doc, start, end, label=span.label_)


def _junk(tok: Token) -> bool:
    """A link or a handle: never part of a name."""
    return "://" in tok.text or tok.lower_.startswith("www.") or tok.text.startswith("@")


def _let_in(tok: Token, person: bool) -> bool:
    """A first word spaCy let into a name: lower case ("rang Taylor"), or a person's span
    opening with a capitalised gerund that is no given name ("Questioning Vindman")."""
    if tok.is_lower and tok.is_alpha and tok.whitespace_ and tok.lower_ not in NAME_PARTICLES:
        return True
    return person and tok.tag_ == "VBG" and tok.is_title and not is_given_name(tok.text)


def _score_cut(doc: Doc, start: int, end: int, person: bool) -> int:
    """End of a name before a score or, after a person, any number: "Jarry 6-4", "Chile 3-0"."""
    cut = end
    while cut - start > 1 and (doc[cut - 1].like_num or _SCORE_PART.match(doc[cut - 1].text)):
        cut -= 1
    if cut < end and (person or _SCORE.match("".join(t.text for t in doc[cut:end]))):
        return cut
    return end


def is_title_complement(ent: Span) -> bool:
    """'State' in 'Secretary of State', 'Defence' in 'Minister of Defence'."""
    doc = ent.doc
    return (
        ent.start >= 2
        and doc[ent.start - 1].lower_ == "of"
        and doc[ent.start - 2].lower_ in TITLES
        and len(ent) <= 2
        and ent.label_ != Label.PERSON
        and not looks_like_person_name(ent.text)  # "brother of Seth Jones"
    )


def split_possessive(ent: Span) -> list[Span]:
    """'Vancouver's Bo Horvat' -> the name after the possessive (typed by its own shape);
    "Justin Trudeau's Liberals" -> the person and the party he leads; "Holcomb's 2016" -> the
    owner; "NPR's Feng" -> the outlet and its reporter."""
    for tok in ent[:-1]:
        if tok.tag_ == "POS" and tok.i > ent.start:
            head = ent.doc[ent.start : tok.i]
            tail = ent.doc[tok.i + 1 : ent.end]
            return _possessive_parts(ent, head, tail) or [ent]
    return [ent]


def _possessive_parts(ent: Span, head: Span, tail: Span) -> list[Span] | None:
    doc = ent.doc
    if not len(tail):
        return None
    if looks_like_person_name(tail.text):
        return [Span(doc, tail.start, tail.end, label=Label.PERSON)]
    person = ent.label_ == Label.PERSON
    plural = is_plural(tail.root) or is_plural_name(tail.text)
    if (
        (person or looks_like_person_name(head.text))
        and tail.text[:1].isupper()
        and (plural or name_key(tail[-1].text) in ORG_HEAD_WORDS)
    ):  # "Justin Trudeau's Liberals": the person, and the party he leads
        return [
            Span(doc, head.start, head.end, label=Label.PERSON),
            Span(doc, tail.start, tail.end, label=Label.NORP if plural else Label.ORG),
        ]
    if not person:
        return None
    if not any(t.is_alpha for t in tail) or looks_like_person_name(head.text):
        # "Holcomb's 2016", "Robert Jordan's Wheel": the person is the owner
        return [Span(doc, head.start, head.end, label=Label.PERSON)]
    if _outlet_and_reporter(head, tail):  # "NPR's Feng"
        return [
            Span(doc, head.start, head.end, label=Label.ORG),
            Span(doc, tail.start, tail.end, label=Label.PERSON),
        ]
    return None


def _outlet_and_reporter(head: Span, tail: Span) -> bool:
    return (
        len(head) == 1
        and head[0].is_upper
        and len(head[0]) >= 2
        and len(tail) <= 3
        and all(t.is_title for t in tail)
    )


def is_plural(tok: Token) -> bool:
    """A plural noun ("Liberals", "Sharks"): a group, never one person's name."""
    low = tok.lower_
    if not low.endswith("s") or low.endswith(("ss", "'s", "’s")):
        return False
    return tok.tag_ in ("NNPS", "NNS") or (tok.ent_type_ == Label.NORP and tok.tag_ == "NNP")


def is_plural_name(name: str) -> bool:
    """A one-word name in the plural ("Bidens", "Sharks")."""
    return name.endswith("s") and not name.endswith(("ss", "'s", "’s")) and " " not in name


def capitalised_runs(doc: Doc, covered: set[int]) -> list[tuple[int, int]]:
    """Token ranges of capitalised proper nouns outside any entity (`covered`)."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(doc):
        j = i
        while j < len(doc) and j not in covered and doc[j].pos_ == "PROPN" and doc[j].is_title:
            j += 1
        if j > i:
            out.append((i, j))
        i = max(j, i + 1)
    return out
