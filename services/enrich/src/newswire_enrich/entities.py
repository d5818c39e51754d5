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

from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from newswire_enrich._names import (
    NON_PERSON_WORDS,
    ORG_HEAD_WORDS,
    TITLES,
    is_given_name,
    looks_like_person_name,
    name_key,
    name_tokens,
    trim_name,
)
from newswire_shared.schemas import Entity, Mention

#: spaCy labels that are values, not things: never reported as entities.
NUMERIC_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
#: Labels spaCy puts on people's names by mistake.
_MISLABELS = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "NORP", "LAW", "LANGUAGE"})
_PLACES = frozenset({"GPE", "LOC", "FAC"})
_PERSONISH_DEPS = frozenset({"nsubj", "nsubjpass", "poss", "appos", "agent"})

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


@dataclass
class _Mention:
    start: int
    end: int
    text: str
    label: str
    source: str  # "text" or "title"
    personish: bool  # the sentence treats it as a person (subject, possessive, after title)
    weight: int  # number of name words: full names outvote surnames


@dataclass
class _Group:
    key: str
    mentions: list[_Mention] = field(default_factory=list)

    def votes(self) -> Counter[str]:
        counter: Counter[str] = Counter()
        for m in self.mentions:
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
        forms = Counter(m.text for m in self.mentions if m.source == "text") or Counter(
            m.text for m in self.mentions
        )
        return max(forms, key=lambda n: (len(n.split()), forms[n], len(n)))

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
    groups: dict[str, _Group] = {}
    for mention in _mentions(doc, text, "text"):
        key = _group_key(mention.text)
        groups.setdefault(key, _Group(key)).mentions.append(mention)
    if title_doc is not None:
        for mention in _mentions(title_doc, title_doc.text, "title"):
            mention = _narrow_to_known(mention, groups)
            groups.setdefault(_group_key(mention.text), _Group("")).mentions.append(mention)
        for key, group in groups.items():
            group.key = group.key or key
    _link_partial_names(groups)
    _link_acronyms(groups)
    return _rank(list(groups.values()), doc, len(text))


# -- pass 1: mentions ------------------------------------------------------------------------


def _mentions(doc: Doc, text: str, source: str) -> list[_Mention]:
    out: list[_Mention] = []
    covered: set[int] = set()
    for ent in doc.ents:
        covered.update(range(ent.start, ent.end))
        if ent.label_ in NUMERIC_LABELS or _is_title_complement(ent):
            continue
        for part in _split_possessive(ent):
            mention = _mention(part, text, source)
            if mention is not None:
                out.append(mention)
    out += _missed_person_names(doc, text, source, covered)
    return out


def _mention(span: Span, text: str, source: str) -> _Mention | None:
    label = span.label_ or "PERSON"
    end_char = span.end_char
    for stop in ("(", "\n"):  # "Federal Bureau of Investigation (FBI"; a span across lines
        at = text.find(stop, span.start_char, end_char)
        if at > span.start_char:
            end_char = at
    start_char = span.start_char
    if label == "PERSON":  # "Organizer Dwayne Croteau": a role noun is not part of the name
        lead = 0
        while lead < len(span) - 1 and span[lead].pos_ in ("NOUN", "ADJ"):
            lead += 1
        if (  # tagged PROPN at a sentence start: the given name behind it tells
            lead == 0
            and len(span) >= 3
            and not is_given_name(span[0].text)
            and is_given_name(span[1].text)
        ):
            lead = 1
        start_char = span[lead].idx
    trimmed = trim_name(text, start_char, end_char, person=label == "PERSON")
    if trimmed is None:
        return None
    start, end = trimmed
    name = text[start:end]
    after_title = span.start > 0 and span.doc[span.start - 1].lower_.rstrip(".") in TITLES
    if label in _MISLABELS and (looks_like_person_name(name) or after_title):
        label = "PERSON"
    elif label != "ORG" and name_key(name.split()[-1]) in ORG_HEAD_WORDS and len(name.split()) > 1:
        label = "ORG"
    elif label in _PLACES and len(span) == 1 and span.root.tag_ == "JJ":
        label = "NORP"  # "Ukrainian forces": a demonym, not a place
    if label != "PERSON":
        # a title inside an ORG/NORP span ("Chinese President Xi") makes it a person
        cut = trim_name(text, start, end, person=True)
        if cut and cut != (start, end) and looks_like_person_name(text[cut[0] : cut[1]]):
            label, (start, end) = "PERSON", cut
            name = text[start:end]
    return _Mention(
        start=start,
        end=end,
        text=name,
        label=label,
        source=source,
        personish=after_title or span.root.dep_ in _PERSONISH_DEPS,
        weight=max(1, len(name_tokens(name))),
    )


def _is_title_complement(ent: Span) -> bool:
    """'State' in 'Secretary of State', 'Defence' in 'Minister of Defence'."""
    doc = ent.doc
    return (
        ent.start >= 2
        and doc[ent.start - 1].lower_ == "of"
        and doc[ent.start - 2].lower_ in TITLES
        and len(ent) <= 2
        and ent.label_ != "PERSON"
    )


def _split_possessive(ent: Span) -> list[Span]:
    """'Vancouver's Bo Horvat' -> the name after the possessive (typed by its own shape)."""
    for tok in ent[:-1]:
        if tok.tag_ == "POS" and tok.i > ent.start:
            tail = ent.doc[tok.i + 1 : ent.end]
            if len(tail) and looks_like_person_name(tail.text):
                return [Span(ent.doc, tail.start, tail.end, label="PERSON")]
            return [ent]
    return [ent]


def _missed_person_names(doc: Doc, text: str, source: str, covered: set[int]) -> list[_Mention]:
    """Runs of 2-3 capitalised proper nouns outside any entity that start with a given name."""
    out: list[_Mention] = []
    i = 0
    while i < len(doc):
        j = i
        while j < len(doc) and j not in covered and doc[j].pos_ == "PROPN" and doc[j].is_title:
            j += 1
        if 2 <= j - i <= 3 and looks_like_person_name(doc[i:j].text):
            span = Span(doc, i, j, label="PERSON")
            mention = _mention(span, text, source)
            if mention is not None:
                out.append(mention)
        i = max(j, i + 1)
    return out


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
    return name_key(canonical) if canonical else key


def _is_person_group(group: _Group) -> bool:
    return len(name_tokens(group.key)) >= 2 and group.label() == "PERSON"


def _link_partial_names(groups: dict[str, _Group]) -> None:
    """Move partial-name mentions into the full PERSON names that contain them."""
    people = [g for g in groups.values() if _is_person_group(g)]
    for key in list(groups):
        group = groups[key]
        if group in people or key in ALIASES:
            continue
        words = name_tokens(key)
        if not words or any(w in NON_PERSON_WORDS for w in words):
            continue
        owners = [p for p in people if _contains(name_tokens(p.key), words)]
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
    """The person a partial-name mention refers to, or None if it is not about a person."""
    if mention.label in _PLACES and not mention.personish:
        return None
    if mention.label not in _MISLABELS | _PLACES | {"PERSON"}:
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


def _contains(full: list[str], part: list[str]) -> bool:
    n = len(part)
    return len(full) > n and any(full[i : i + n] == part for i in range(len(full) - n + 1))


# -- pass 4: ranking -----------------------------------------------------------------------------


def _rank(groups: list[_Group], doc: Doc, length: int) -> list[Entity]:
    if not groups:
        return []
    subjects = _subject_starts(doc)
    top = max(sum(1 for m in g.mentions if m.source == "text") for g in groups) or 1
    scored: list[tuple[float, int, _Group]] = []
    for g in groups:
        in_text = [m for m in g.mentions if m.source == "text"]
        freq = len(in_text) / top
        early = 1.0 - (g.first / max(length, 1)) if in_text else 0.0
        in_title = 1.0 if any(m.source == "title" for m in g.mentions) else 0.0
        subject = sum(1 for m in in_text if m.start in subjects) / max(len(in_text), 1)
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
