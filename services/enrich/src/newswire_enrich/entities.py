"""Entities step: spaCy's NER spans become one ranked record per real-world entity.

Four passes over the headline and the clean body:

1. **mentions**: each NER span is trimmed to the bare name (no "the", titles, possessive);
   spaCy's systematic slips on news text are repaired: a person's name tagged ORG/WORK_OF_ART
   ("Julia Child"), a name spaCy missed in a list ("Sandra Oh"), a possessive glued to the
   next name ("Vancouver's Bo Horvat"), the "State" of "Secretary of State";
2. **groups**: mentions with the same name key form a group; known spellings of one place or
   body ("U.S.", "US", "the United States") share a key;
3. **links**: a partial name ("Xi", "Lavrov") joins the full PERSON name containing it. When
   two people share it ("Mark Smith", "Jane Smith"), each mention goes to the one named most
   recently. A place-tagged word ("Washington") joins a person only where the sentence treats
   it as one (subject of a verb, possessive, after a title), never after "in"/"to";
4. **ranking**: type by weighted vote (a full name counts more than a surname), the longest
   full form as the canonical name, and a salience in 0-1 from frequency, first position,
   presence in the headline and grammatical subjecthood.

Entity ids (``E1``...) follow salience: ``E1`` is the most central entity.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from newswire_enrich._names import (
    KNOWN_ORGS,
    NAME_PARTICLES,
    NON_PERSON_WORDS,
    ORG_HEAD_WORDS,
    PLACE_NAMES,
    TITLES,
    is_given_name,
    is_people_noun,
    looks_like_person_name,
    name_key,
    name_tokens,
    strip_nickname,
    trim_name,
)
from newswire_shared.schemas import Entity, Mention

#: spaCy labels that are values, not things: never reported as entities.
NUMERIC_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
#: Labels spaCy puts on people's names by mistake.
_MISLABELS = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "NORP", "LAW", "LANGUAGE"})
_PLACES = frozenset({"GPE", "LOC", "FAC"})
_PERSONISH_DEPS = frozenset({"nsubj", "nsubjpass", "poss", "appos", "agent"})
_SPEECH_VERBS = frozenset(
    "say tell add explain argue claim insist note recall admit warn write ask".split()
)
_PLACE_PREPS = frozenset("in at near across throughout inside outside around".split())
#: Words of office titles that are not names ("Chief Executive", "Chief Operating Officer").
_OFFICE_WORDS = frozenset(
    "executive operating financial technology information marketing general staff whip "
    "counsel justice medical".split()
)
#: Nouns ending like people nouns that describe companies ("Acme, a manufacturer of ...").
_COMPANY_NOUNS = frozenset(
    """
    manufacturer maker retailer producer provider developer carrier publisher broadcaster
    distributor supplier operator lender insurer exporter importer refiner miner brewer
    builder designer subsidiary competitor rival client tenant consultant contractor
    """.split()
)
_INITIALS = re.compile(r"^(?:[A-Z]\.){1,3}$")
_SCORE = re.compile(r"^\d+[-–]\d+$")
_SCORE_PART = re.compile(r"^[-–]?\d*[-–]?$")
#: Nouns that, right before a name ("energy company Burisma", "news agency Xinhua", "tech
#: giant Huawei"), say it names an organisation.
_ORG_NOUNS = _COMPANY_NOUNS | frozenset(
    """
    company firm agency broadcaster newspaper outlet network website platform airline bank
    group startup giant conglomerate party tabloid magazine daily channel app automaker
    """.split()
)
#: Titles that are also used alone for one person ("the Pope", "the Queen").
_ROYAL = frozenset("king queen prince princess pope emir sultan sheikh ayatollah".split())
#: Places on the list that are also common given names: retyped only when not typed PERSON.
_PERSON_LIKE_PLACES = frozenset(
    "chad georgia jordan israel paris sofia santiago washington wellington london geneva "
    "vienna india kenya victoria".split()
)
#: Other spellings of one place: grouped together, named as the article writes them.
_VARIANTS = {"kiev": "kyiv", "kharkov": "kharkiv", "odessa": "odesa", "burma": "myanmar",
             "türkiye": "turkey", "czechia": "czech republic"}  # fmt: skip
#: Words an organisation's full name adds to its short name ("SoftBank Group Corp",
#: "Amnesty International").
_LEGAL_WORDS = frozenset(
    """
    inc corp corporation co company ltd llc plc group holdings international investment
    investments capital partners sa ag gmbh nv limited
    """.split()
)
_LEGAL_FORMS = frozenset("inc corp corporation co ltd llc plc limited sa ag gmbh nv".split())
_DEMONYM_ENDS = ("an", "ese", "ish", "i")

#: Spellings of one place or body, by name key -> canonical name.
ALIASES = {
    "us": "United States",
    "usa": "United States",
    "united states": "United States",
    "united states of america": "United States",
    "america": "United States",
    "uk": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "united kingdom": "United Kingdom",
    "un": "United Nations",
    "united nations": "United Nations",
    "eu": "European Union",
    "european union": "European Union",
    "uae": "United Arab Emirates",
    "united arab emirates": "United Arab Emirates",
    "prc": "China",
    "people's republic of china": "China",
    "nato": "NATO",
    "north atlantic treaty organization": "NATO",
    "who": "World Health Organization",
    "world health organization": "World Health Organization",
}


@dataclass(slots=True)
class _Mention:
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


#: A name mention found in the body by :func:`body_mentions`, for :func:`group_mentions`.
BodyMention = _Mention


@dataclass
class _Group:
    key: str
    mentions: list[_Mention] = field(default_factory=list)
    preferred: str = ""  # the name without a legal form: "TransCanada" for "TransCanada Corp."

    def votes(self, *, discount: bool = True) -> Counter[str]:
        """Label votes, a full name counting more than a surname. spaCy types a one-word
        person's name ORG before a noun ("Trump's supporters", "the Trump administration"):
        beside PERSON votes, those ORG votes do not count, unless spaCy kept an "'s" inside
        a span, the mark of a company's name ("Lowe's", "Maclean's")."""
        counter: Counter[str] = Counter()
        discount = (
            discount
            and " " not in self.key
            and any(m.label == "PERSON" for m in self.mentions)
            and not any(m.owned_s for m in self.mentions)
        )
        for m in self.mentions:
            if not (discount and m.label == "ORG" and m.modifier):
                counter[m.label] += m.weight
        return counter

    def label(self) -> str:
        votes = self.votes()
        full_person = any(m.label == "PERSON" and m.weight >= 2 for m in self.mentions)
        if full_person and len(self.key.split()) >= 2:
            return "PERSON"
        top = max(votes.values())
        return sorted(lab for lab, n in votes.items() if n == top)[0]

    def name(self) -> str:
        canonical = ALIASES.get(self.key)
        if canonical:
            return canonical
        if self.preferred:
            return self.preferred
        forms = Counter(strip_nickname(m.text) for m in self.mentions if m.source == "text")
        forms = forms or Counter(strip_nickname(m.text) for m in self.mentions)
        return max(forms, key=lambda n: (len(n.split()), not n.isupper(), forms[n], len(n)))

    @property
    def first(self) -> int:
        """Offset of the first mention in the body (0 if only in the headline)."""
        return min((m.start for m in self.mentions if m.source == "text"), default=0)


def extract_entities(doc: Doc, title_doc: Doc | None = None) -> list[Entity]:
    """Return the entities of an article, most salient first.

    `doc` is the parsed clean body; `title_doc`, if given, the parsed headline. Mention
    offsets point into ``doc.text`` (or the headline's text for ``source="title"``).
    """
    text = doc.text  # Doc.text is rebuilt from the tokens on every access: read it once
    return group_mentions(_body_mentions(doc, text, 0), title_doc, len(text))


def body_mentions(doc: Doc, offset: int = 0) -> list[BodyMention]:
    """Pass 1 alone: the name mentions of `doc`, a piece of the body starting at `offset`.

    A long body is parsed piece by piece; the mentions of all pieces (offsets into the whole
    body) are then grouped at once by :func:`group_mentions`, so entities span the pieces.
    """
    return _body_mentions(doc, doc.text, offset)


def _body_mentions(doc: Doc, text: str, offset: int) -> list[_Mention]:
    subjects = _subject_starts(doc)
    out = _mentions(doc, text, "text")
    for m in out:
        m.subject = m.start in subjects
        m.start += offset
        m.end += offset
    return out


def group_mentions(mentions: list[BodyMention], title_doc: Doc | None, length: int) -> list[Entity]:
    """Passes 2-4: group the body's mentions (and the headline's) into ranked entities.

    `length` is the length of the body the mention offsets point into.
    """
    groups: dict[str, _Group] = {}
    for mention in mentions:
        key = _group_key(mention.text)
        groups.setdefault(key, _Group(key)).mentions.append(mention)
    if title_doc is not None:
        for mention in _mentions(title_doc, title_doc.text, "title"):
            mention = _narrow_to_known(mention, groups)
            groups.setdefault(_group_key(mention.text), _Group("")).mentions.append(mention)
        for key, group in groups.items():
            group.key = group.key or key
    _retype_relatives(groups)
    _link_partial_names(groups)
    _link_acronyms(groups)
    _retype_known_names(groups)
    _link_short_org_names(groups)
    _retype_common_nouns(groups)
    return _rank(list(groups.values()), length)


# -- pass 1: mentions ------------------------------------------------------------------------


def _mentions(doc: Doc, text: str, source: str) -> list[_Mention]:
    out: list[_Mention] = []
    covered: set[int] = set()
    for ent in doc.ents:
        covered.update(range(ent.start, ent.end))
        if ent.label_ in NUMERIC_LABELS or _is_title_complement(ent):
            continue
        for line in _split_lines(_extend(ent, covered)):
            for part in _split_possessive(line):
                narrowed = _narrow(part)
                mention = _mention(narrowed, text, source) if narrowed is not None else None
                if mention is not None:
                    out.append(mention)
    out += _missed_person_names(doc, text, source, covered)
    return out


def _split_lines(ent: Span) -> list[Span]:
    """A span the model ran across a paragraph break ("AFP/Getty Images\n\nDudi Dwiriadi")
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


def _extend(ent: Span, covered: set[int]) -> Span:
    """Repair span edges spaCy gets wrong: a given name left out before a person's name
    ("Mamadou [Tanour Barry]"), a hyphenated given name cut ("Moon Jae[-in]"), the first
    items of an enumerated organisation name ("the Meteorology, [Climatology and ... Agency]")."""
    doc = ent.doc
    start, end = ent.start, ent.end
    if ent.label_ == "PERSON":
        prev = doc[start - 1] if start else None
        if (
            prev is not None
            and prev.pos_ == "PROPN"
            and prev.is_title
            and prev.whitespace_
            and prev.dep_ == "compound"
            and start <= prev.head.i < end
            and is_given_name(prev.text)
            and name_key(prev.text) not in TITLES | NON_PERSON_WORDS
            and not any(t.ent_type_ for t in doc[start - 1 : start])
        ):
            start -= 1
        if (
            end + 1 < len(doc)
            and doc[end].text in ("-", "‐")
            and not doc[end - 1].whitespace_
            and not doc[end].whitespace_
            and end - start >= 2
            and len(doc[end - 1]) <= 5
            and doc[end + 1].is_alpha
            and doc[end + 1].is_lower
            and len(doc[end + 1]) <= 4
            and doc[end + 1].pos_ in ("NOUN", "PROPN", "X")
        ):
            end += 2
    elif ent.label_ == "ORG" and any(t.lower_ == "and" for t in ent):
        while (
            start >= 2
            and doc[start - 1].text == ","
            and doc[start - 2].pos_ == "PROPN"
            and doc[start - 2].is_title
            and start - 2 not in covered
        ):
            start -= 2
    if (start, end) == (ent.start, ent.end):
        return ent
    covered.update(range(start, end))
    return Span(doc, start, end, label=ent.label_)


def _narrow(span: Span) -> Span | None:
    """Drop the words spaCy lets into a name: a lower-case word before it ("rang Taylor",
    "state Department of ..."), a sentence-opening gerund ("Questioning Vindman"), a score or a
    number after it ("Nicolas Jarry 6-4", "Chile 3-0"), a dangling "and", a handle or a link
    ("Twitter @michaeldwall"). None when nothing is left."""
    doc = span.doc
    person = span.label_ == "PERSON"
    start, end = span.start, span.end

    def junk(tok: Token) -> bool:
        return "://" in tok.text or tok.lower_.startswith("www.") or tok.text.startswith("@")

    while start < end and (
        junk(doc[start])
        or (
            end - start > 1
            and (
                (doc[start].is_lower and doc[start].is_alpha and doc[start].whitespace_
                 and doc[start].lower_ not in NAME_PARTICLES)
                or (person and doc[start].tag_ == "VBG" and doc[start].is_title
                    and not is_given_name(doc[start].text))
            )
        )
    ):  # fmt: skip
        start += 1
    while end > start and (
        junk(doc[end - 1]) or (end - start > 1 and doc[end - 1].lower_ in ("and", "or", "&"))
    ):
        end -= 1
    cut = end  # a score or, after a person, any number: "Jarry 6-4", "Chile 3-0"
    while cut - start > 1 and (doc[cut - 1].like_num or _SCORE_PART.match(doc[cut - 1].text)):
        cut -= 1
    if cut < end and (person or _SCORE.match("".join(t.text for t in doc[cut:end]))):
        end = cut
    if start >= end:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(doc, start, end, label=span.label_)


def _after_org_noun(span: Span) -> bool:
    """A name right after a noun for an organisation: "energy company Burisma", "news agency
    Xinhua", "tech giant Huawei" (not "the company Jane Smith founded")."""
    if span.start == 0:
        return False
    prev = span.doc[span.start - 1]
    if not prev.is_lower or prev.pos_ != "NOUN" or prev.lemma_ not in _ORG_NOUNS:
        return False
    root = span.root
    return (prev.dep_ == "compound" and span.start <= prev.head.i < span.end) or (
        root.dep_ == "appos" and root.head.i == prev.i
    )


def _mention(span: Span, text: str, source: str) -> _Mention | None:
    label = span.label_ or "PERSON"
    end_char = span.end_char
    stops = ("(", "\n", ",") if label == "PERSON" else ("(", "\n")  # "Belkacemi,60"
    for stop in stops:  # "Federal Bureau of Investigation (FBI"; a span across lines
        at = text.find(stop, span.start_char, end_char)
        if at > span.start_char:
            end_char = at
    start_char = span.start_char
    if label == "PERSON":  # "Organizer Dwayne Croteau": a role noun is not part of the name
        lead = 0
        while (
            lead < len(span) - 1
            and span[lead].pos_ in ("NOUN", "ADJ")
            and not span[lead + 1].is_quote  # 'Riefian "Ifan" Fajarsyah'
            and span[lead + 1].lower_ not in NAME_PARTICLES  # "Botic van de Zandschulp"
        ):
            lead += 1
        if (  # tagged PROPN at a sentence start: the given name behind it tells
            lead == 0
            and len(span) >= 3
            and (span[0].is_sent_start or span[0].i == 0)
            and not is_given_name(span[0].text)
            and is_given_name(span[1].text)
            and name_key(span[1].text) not in NAME_PARTICLES  # "Botic van de Zandschulp"
        ):
            lead = 1
        start_char = span[lead].idx
    trimmed = trim_name(text, start_char, end_char, person=label == "PERSON")
    if trimmed is None:
        return None
    start, end = trimmed
    name = text[start:end]
    if label in ("PERSON", "ORG") and all(
        w.rstrip(".").casefold() in TITLES - _ROYAL - {"justice"} for w in name.split()
    ):  # "Col" of "Lt Col", "Coach": a title alone names nobody
        return None
    after_title = span.start > 0 and span.doc[span.start - 1].lower_.rstrip(".") in TITLES
    org_noun = label != "ORG" and not looks_like_person_name(name) and _after_org_noun(span)
    if org_noun:
        label = "ORG"
    elif label in _MISLABELS and (
        looks_like_person_name(name)
        or after_title
        or (_name_shaped(name) and _listed_with_person(span, name))
        or (_name_shaped(name) and _described_as_person(span.root))
    ):
        label = "PERSON"
    elif label != "ORG" and name_key(name.split()[-1]) in ORG_HEAD_WORDS and len(name.split()) > 1:
        label = "ORG"
    elif label in _PLACES and len(span) == 1 and span.root.tag_ == "JJ":
        label = "NORP"  # "Ukrainian forces": a demonym, not a place
    if label != "PERSON":
        # a title inside an ORG/NORP span ("Chinese President Xi") makes it a person
        cut = trim_name(text, start, end, person=True)
        if cut and cut != (start, end) and _name_after_title(text, start, cut):
            label, (start, end) = "PERSON", cut
            name = text[start:end]
    root = span.root
    return _Mention(
        start=start,
        end=end,
        text=name,
        label=label,
        source=source,
        personish=after_title or span.root.dep_ in _PERSONISH_DEPS,
        weight=max(1, len(name_tokens(name))) + (2 if org_noun else 0),  # "company Burisma"
        speaks=after_title
        or (root.dep_ in ("nsubj", "agent") and root.head.lemma_ in _SPEECH_VERBS),
        common=_common_noun_use(root),
        place=root.dep_ == "pobj" and root.head.lower_ in _PLACE_PREPS,
        modifier=root.dep_ in ("poss", "compound", "nmod"),
        owned_s=span[-1].text.endswith(("'s", "’s")),
    )


def _common_noun_use(tok: Token) -> int:
    """How a name is used like a common noun: a plural ("the Sharks"), an article or an
    adjective before it ("a hard Brexit"). People's names are used so only rarely."""
    score = 1 if _is_plural(tok) else 0
    for child in tok.children:
        if child.i < tok.i and (
            (child.dep_ == "det" and child.lower_ in ("a", "an", "the"))
            or (child.dep_ == "amod" and child.is_lower)
        ):
            score += 1
    return score


def _name_after_title(text: str, start: int, cut: tuple[int, int]) -> bool:
    """Whether what follows a title inside a non-person span is a person's name:
    "Chinese President Xi Jinping", "Hereditary Chief Na'moks" (not "Chief Executive")."""
    rest = text[cut[0] : cut[1]]
    if looks_like_person_name(rest):
        return True
    words = rest.split()
    before = text[start : cut[0]].split()
    return (
        1 <= len(words) <= 2
        and bool(before)
        and before[-1].rstrip(".").casefold() in TITLES
        and all(w[:1].isupper() for w in words)
        and not any(name_key(w) in TITLES | NON_PERSON_WORDS | _OFFICE_WORDS for w in words)
    )


def _listed_with_person(span: Span, name: str) -> bool:
    """A name-shaped span co-ordinated with a person ("Joe Dey or P.J. Boatwright")."""
    words = name.split()
    if not 2 <= len(words) <= 3 or not all(w[:1].isupper() for w in words):
        return False
    if any(name_key(w) in NON_PERSON_WORDS for w in words):
        return False
    if not (is_given_name(words[0]) or _INITIALS.match(words[0])):
        return False
    root = span.root
    partners = [root.head] if root.dep_ == "conj" else []
    partners += [c for c in root.children if c.dep_ == "conj"]
    return any(p.ent_type_ == "PERSON" for p in partners)


def _is_title_complement(ent: Span) -> bool:
    """'State' in 'Secretary of State', 'Defence' in 'Minister of Defence'."""
    doc = ent.doc
    return (
        ent.start >= 2
        and doc[ent.start - 1].lower_ == "of"
        and doc[ent.start - 2].lower_ in TITLES
        and len(ent) <= 2
        and ent.label_ != "PERSON"
        and not looks_like_person_name(ent.text)  # "brother of Seth Jones"
    )


def _split_possessive(ent: Span) -> list[Span]:
    """'Vancouver's Bo Horvat' -> the name after the possessive (typed by its own shape)."""
    for tok in ent[:-1]:
        if tok.tag_ == "POS" and tok.i > ent.start:
            tail = ent.doc[tok.i + 1 : ent.end]
            if len(tail) and looks_like_person_name(tail.text):
                return [Span(ent.doc, tail.start, tail.end, label="PERSON")]
            head = ent.doc[ent.start : tok.i]
            plural = _is_plural(tail.root) or _is_plural_name(tail.text)
            if (
                len(tail)
                and (ent.label_ == "PERSON" or looks_like_person_name(head.text))
                and tail.text[:1].isupper()
                and (plural or name_key(tail[-1].text) in ORG_HEAD_WORDS)
            ):  # "Justin Trudeau's Liberals": the person, and the party he leads
                label = "NORP" if plural else "ORG"
                return [
                    Span(ent.doc, head.start, head.end, label="PERSON"),
                    Span(ent.doc, tail.start, tail.end, label=label),
                ]
            if ent.label_ == "PERSON" and len(tail):
                if not any(t.is_alpha for t in tail) or looks_like_person_name(head.text):
                    # "Holcomb's 2016", "Robert Jordan's Wheel": the person is the owner
                    return [Span(ent.doc, head.start, head.end, label="PERSON")]
                if (
                    len(head) == 1
                    and head[0].is_upper
                    and len(head[0]) >= 2
                    and len(tail) <= 3
                    and all(t.is_title for t in tail)
                ):  # "NPR's Feng": an outlet's reporter
                    return [
                        Span(ent.doc, head.start, head.end, label="ORG"),
                        Span(ent.doc, tail.start, tail.end, label="PERSON"),
                    ]
            return [ent]
    return [ent]


def _is_plural(tok: Token) -> bool:
    """A plural noun ("Liberals", "Sharks"): a group, never one person's name."""
    low = tok.lower_
    if not low.endswith("s") or low.endswith(("ss", "'s", "’s")):
        return False
    return tok.tag_ in ("NNPS", "NNS") or (tok.ent_type_ == "NORP" and tok.tag_ == "NNP")


def _missed_person_names(doc: Doc, text: str, source: str, covered: set[int]) -> list[_Mention]:
    """Runs of 2-3 capitalised proper nouns outside any entity that start with a given name."""
    out: list[_Mention] = []
    i = 0
    while i < len(doc):
        j = i
        while j < len(doc) and j not in covered and doc[j].pos_ == "PROPN" and doc[j].is_title:
            j += 1
        if (2 <= j - i <= 3 and looks_like_person_name(doc[i:j].text)) or (
            j - i == 1 and _introduced_person(doc[i])
        ):
            span = Span(doc, i, j, label="PERSON")
            mention = _mention(span, text, source)
            if mention is not None:
                out.append(mention)
        i = max(j, i + 1)
    return out


def _introduced_person(tok: Token) -> bool:
    """A lone capitalised name introduced by a description of a person: "Yuni, a resident
    of Lampung", "Ahmad, 42,"."""
    if tok.ent_type_ or name_key(tok.text) in NON_PERSON_WORDS | TITLES or tok.is_sent_end:
        return False
    return _described_as_person(tok)


def _described_as_person(tok: Token) -> bool:
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
            and lemma not in _COMPANY_NOUNS
        ):
            return True
    return False


# -- pass 2 and 3: groups and links ------------------------------------------------------------


def _narrow_to_known(mention: _Mention, groups: dict[str, _Group]) -> _Mention:
    """A headline span that runs past a name the body knows ("Lavrov Strengthen") is cut
    back to that name."""
    key = _group_key(mention.text)
    if key in groups:
        return mention
    lowered = mention.text.casefold()
    for known in sorted(groups, key=len, reverse=True):
        for form in {m.text for m in groups[known].mentions}:
            at = lowered.find(form.casefold())
            if at >= 0 and len(form) < len(mention.text):
                start = mention.start + at
                return _Mention(
                    start, start + len(form), form, mention.label, mention.source,
                    mention.personish, max(1, len(name_tokens(form))),
                )  # fmt: skip
    return mention


def _group_key(name: str) -> str:
    key = name_key(name)
    canonical = ALIASES.get(key)
    if canonical:
        return name_key(canonical)
    key = _VARIANTS.get(key, key)
    return " ".join(_fold(w) for w in key.split())


def _fold(word: str) -> str:
    """One key for the transliterations of a Slavic name: "Zelenskyy", "Zelenskiy" and
    "Zelensky"; "Sergei" and "Sergey"."""
    word = word.replace("yy", "y")
    if word.endswith(("kiy", "kii")):
        return word[:-2] + "y"
    if word.endswith("ei") and len(word) >= 5:
        return word[:-1] + "y"
    return word


def _is_person_group(group: _Group) -> bool:
    return len(name_tokens(group.key)) >= 2 and group.label() == "PERSON"


def _link_partial_names(groups: dict[str, _Group]) -> None:
    """Move partial-name mentions into the full PERSON names that contain them."""
    people = [g for g in groups.values() if _is_person_group(g)]
    is_person = {id(p) for p in people}
    # people by the runs of words their names contain ("xi", "xi jinping" of "xi jinping"):
    # a lookup per group, not a comparison with every person (long texts name thousands)
    by_part: dict[tuple[str, ...], list[_Group]] = {}
    by_last: dict[str, list[_Group]] = {}
    for p in people:
        full = name_tokens(p.key)
        by_last.setdefault(full[-1], []).append(p)
        parts = {tuple(full[a:b]) for a in range(len(full)) for b in range(a + 1, len(full) + 1)}
        for part in parts:
            if len(part) < len(full):
                by_part.setdefault(part, []).append(p)
    for key in list(groups):
        group = groups[key]
        if id(group) in is_person or key in ALIASES:
            continue
        words = name_tokens(key)
        if not words or any(w in NON_PERSON_WORDS for w in words):
            continue
        owners = by_part.get(tuple(words), [])
        if not owners and len(words) == 1 and _is_plural_name(words[0]) and len(words[0]) > 3:
            owners = by_last.get(words[0][:-1], [])  # "Bidens"
        if not owners:
            continue
        kept: list[_Mention] = []
        for mention in group.mentions:
            owner = _owner(mention, owners)
            if owner is None:
                kept.append(mention)
            else:
                owner.mentions.append(mention)
        if kept:
            group.mentions = kept
        else:
            del groups[key]


def _owner(mention: _Mention, owners: list[_Group]) -> _Group | None:
    """The person a partial-name mention refers to, or None if it is not about a person.
    A place-typed word joins a person only as the sentence's person (subject, possessive)
    or as the surname of a person named in full ("suggestions from Sondland", "the Bidens"),
    never as the object of "in"/"at" or as a known place name."""
    if mention.label not in _MISLABELS | _PLACES | {"PERSON"}:
        return None
    if mention.label in _PLACES and not mention.personish:
        words = name_tokens(mention.text)
        if mention.place or name_key(mention.text) in PLACE_NAMES or len(words) != 1:
            return None
        word = _group_key(words[0])
        owners = [
            o
            for o in owners
            if (
                name_tokens(o.key)[-1] == word[:-1]  # "the Bidens"
                or (name_tokens(o.key)[-1] == word and not _is_plural_name(word))
            )
            and (looks_like_person_name(o.name()) or any(m.speaks for m in o.mentions))
        ]
        if not owners:
            return None
    if len(owners) == 1:
        return owners[0]
    before = [
        (max(m.start for m in o.mentions if m.start <= mention.start and m.weight >= 2), o)
        for o in owners
        if any(m.start <= mention.start and m.weight >= 2 for m in o.mentions)
    ]
    if before:
        return max(before, key=lambda t: t[0])[1]
    return min(owners, key=lambda o: min(m.start for m in o.mentions))


def _retype_relatives(groups: dict[str, _Group]) -> None:
    """A name-shaped group sharing the surname of a person is a relative ("Megda
    Belkacemi" beside "Khaled Belkacemi")."""
    surnames = {name_tokens(g.key)[-1] for g in groups.values() if _is_person_group(g)}
    for group in groups.values():
        words = name_tokens(group.key)
        if (
            2 <= len(words) <= 3
            and words[-1] in surnames
            and group.label() != "PERSON"
            and all(_name_shaped(m.text) for m in group.mentions)
        ):
            for m in group.mentions:
                m.label = "PERSON"


def _retype_known_names(groups: dict[str, _Group]) -> None:
    """Countries, capitals and big news cities are places ("envoy to Kyiv" typed PERSON,
    "Beijing's" typed ORG), unless the name is also a given name and spaCy saw a person;
    news agencies and platforms are organisations ("after Politico reported")."""
    for group in groups.values():
        key = name_key(group.name())
        label = group.label()
        if key in PLACE_NAMES and label not in _PLACES:
            if key in _PERSON_LIKE_PLACES and label == "PERSON":
                continue
            new = "GPE"
        elif key in KNOWN_ORGS and label != "ORG":
            new = "ORG"
        else:
            continue
        for m in group.mentions:
            m.label = new


def _link_short_org_names(groups: dict[str, _Group]) -> None:
    """Merge an organisation's short name into its full name in the same article, when the
    full name only adds a legal form ("SoftBank" - "SoftBank Group Corp", "Amnesty" - "Amnesty
    International") or a country ("Communist Party" - "Chinese Communist Party", "Finance
    Ministry" - "Russian Finance Ministry"), and only one full name fits. "Apple" and "Apple
    Arcade", "Foreign Ministry" beside a Chinese and a Russian one, stay apart."""
    orgs = [(key, g) for key, g in groups.items() if g.label() == "ORG" and len(key.split()) >= 2]
    if not orgs:
        return
    qualifiers = {k for k, g in groups.items() if g.label() in _PLACES | {"NORP"}}
    # full names by the short names they may extend: their first words (before legal
    # forms) and last words (after a country); a lookup, not a scan of every organisation
    fulls = [(_org_words(k), g) for k, g in orgs]
    by_short: dict[tuple[str, ...], list[int]] = {}
    for i, (full, _) in enumerate(fulls):
        shorts = {tuple(full[:n]) for n in range(1, len(full))}
        shorts.update(tuple(full[-n:]) for n in range(max(1, len(full) - 2), len(full)))
        for short in shorts:
            by_short.setdefault(short, []).append(i)
    for key in list(groups):
        group = groups[key]
        label = group.label()
        if label == "PERSON" or label not in _PLACES | {"ORG"} or key in ALIASES:
            continue
        if label != "ORG" and (
            " " in key or key in PLACE_NAMES or any(m.place for m in group.mentions)
        ):  # a place-typed word joins only as the head of a company ("Fortress")
            continue
        words = _org_words(key)
        owners = [
            fulls[i][1]
            for i in by_short.get(tuple(words), [])
            if fulls[i][1] is not group
            and _adds_only(words, fulls[i][0], qualifiers if label == "ORG" else None)
        ]
        if len(owners) != 1:
            continue
        owner = owners[0]
        new = owner.label()
        full = _org_words(owner.key)
        if full[: len(words)] == words and all(w in _LEGAL_FORMS for w in full[len(words) :]):
            owner.preferred = group.name()  # "TransCanada", not "TransCanada Corp."
        for m in group.mentions:
            m.label = new
        owner.mentions.extend(groups.pop(key).mentions)


def _org_words(key: str) -> list[str]:
    return [w.strip(",;:") for w in key.split() if w.strip(",;:")]


def _adds_only(short: list[str], full: list[str], qualifiers: set[str] | None) -> bool:
    """Whether `full` is `short` plus legal-form words after it or, with `qualifiers`, a
    country or nationality before it."""
    n = len(short)
    if not short or len(full) <= n:
        return False
    if full[:n] == short:
        return all(w in _LEGAL_WORDS for w in full[n:])
    if qualifiers is not None and full[-n:] == short and len(full) - n <= 2:
        extra = " ".join(full[:-n])
        return (
            extra in qualifiers
            or extra in ALIASES
            or extra in PLACE_NAMES
            or (len(full) - n == 1 and extra.endswith(_DEMONYM_ENDS))
        )
    return False


def _retype_common_nouns(groups: dict[str, _Group]) -> None:
    """A one-word PERSON that is no given name or surname of a person named in full, never
    speaks and is used like a common noun or a place ("the Sharks", "a hard Brexit", "in
    Java") is not a person."""
    surnames = {name_tokens(g.key)[-1] for g in groups.values() if _is_person_group(g)}
    by_word: dict[str, list[_Group]] = {}  # the groups whose key has the word, in order
    for key, group in groups.items():
        for w in set(key.split()):
            by_word.setdefault(w, []).append(group)
    for group in groups.values():
        words = name_tokens(group.key)
        if group.label() != "PERSON" or len(words) != 1 or words[0] in surnames:
            continue
        if is_given_name(words[0]) or any(m.speaks for m in group.mentions):
            continue
        common = sum(m.common for m in group.mentions)
        place = sum(m.place for m in group.mentions)
        if not common and not place:
            continue
        if any(_is_plural_name(m.text) for m in group.mentions) and place <= common:
            new = "NORP" if group.votes()["NORP"] else "ORG"  # "the Sharks", "Liberals"
        elif place > common:
            new = "GPE"
        else:
            new = _other_label(group, by_word.get(words[0], []))
        for m in group.mentions:
            m.label = new


def _is_plural_name(name: str) -> bool:
    return name.endswith("s") and not name.endswith(("ss", "'s", "’s")) and " " not in name


def _name_shaped(name: str) -> bool:
    words = name.split()
    return (
        2 <= len(words) <= 3
        and all(w[:1].isupper() for w in words)
        and not any(name_key(w) in NON_PERSON_WORDS | TITLES for w in words)
    )


def _other_label(group: _Group, holders: list[_Group]) -> str:
    """The type a word that is not a person takes: that of the names it is part of ("South
    Surrey", "City of Surrey": the `holders`, groups whose key has the word), else its own
    other votes, else ORG."""
    votes: Counter[str] = Counter()
    for other in holders:
        if other is not group:
            lab = other.label()
            if lab != "PERSON":
                votes["GPE" if lab in _PLACES else lab] += 1
    if not votes:
        votes = group.votes(discount=False)
        del votes["PERSON"]
    return votes.most_common(1)[0][0] if votes else "ORG"


def _link_acronyms(groups: dict[str, _Group]) -> None:
    """Merge an acronym ("FBI") into the spelled-out name in the same article
    ("Federal Bureau of Investigation"): its letters are the initials of the capitalised words."""
    initials: dict[str, str] = {}
    for key, group in groups.items():
        words = group.name().split()
        if len(words) >= 2:
            letters = "".join(w[0] for w in words if w[:1].isupper())
            if len(letters) >= 2:
                initials.setdefault(letters.casefold(), key)
    for key in list(groups):
        forms = {m.text for m in groups[key].mentions}
        if not any(f.isupper() and 2 <= len(f) <= 6 and f.isalpha() for f in forms):
            continue
        target = initials.get(key.replace(" ", ""))
        if target and target != key and target in groups:
            groups[target].mentions.extend(groups.pop(key).mentions)


# -- pass 4: ranking -----------------------------------------------------------------------------


def _rank(groups: list[_Group], length: int) -> list[Entity]:
    if not groups:
        return []
    top = max(sum(1 for m in g.mentions if m.source == "text") for g in groups) or 1
    scored: list[tuple[float, int, _Group]] = []
    for g in groups:
        in_text = [m for m in g.mentions if m.source == "text"]
        freq = len(in_text) / top
        early = 1.0 - (g.first / max(length, 1)) if in_text else 0.0
        in_title = 1.0 if any(m.source == "title" for m in g.mentions) else 0.0
        subject = sum(1 for m in in_text if m.subject) / max(len(in_text), 1)
        salience = 0.45 * freq + 0.2 * early + 0.2 * in_title + 0.15 * subject
        scored.append((round(min(max(salience, 0.0), 1.0), 4), g.first, g))
    scored.sort(key=lambda t: (-t[0], t[1]))
    out: list[Entity] = []
    for rank, (salience, _, g) in enumerate(scored, start=1):
        mentions = sorted(g.mentions, key=lambda m: (m.source != "title", m.start))
        out.append(
            Entity(
                id=f"E{rank}",
                name=g.name(),
                label=g.label(),
                mentions=[
                    Mention(start=m.start, end=m.end, text=m.text, source=m.source)
                    for m in mentions
                ],
                count=len(mentions),
                salience=salience,
            )
        )
    return out


def _subject_starts(doc: Doc) -> set[int]:
    """Character offsets of tokens inside grammatical subjects."""
    starts: set[int] = set()
    for tok in doc:
        if tok.dep_ in ("nsubj", "nsubjpass"):
            starts.update(t.idx for t in tok.subtree)
    return starts
