"""Speaker resolution: from the word that names a speaker to a resolved name.

The quote step (:mod:`._attribution`) finds *where* the speaker is named (the subject of a
speech verb, the object of "according to", the name after a dash); :class:`SpeakerResolver`
decides *who* that is. Rules, tried in order; the one that decided is the resolution's ``rule``:

``mention``
    the token is inside an entity mention ("Lavrov", "Xi Jinping's", "President Xi"), is a
    surname of a PERSON entity spaCy missed there ("Hinderks added"), or a description is in
    apposition to a name ("One red-state Democrat, Sen. Jon Tester, said");
``name``
    a proper name no entity covers ("Yuni said", "an official named Jhony"): as written;
``pronoun``
    he/she go to the most recent person named as a main-clause subject outside quotation
    marks whose gender agrees (given-name statistics, honorifics such as "Mr."/"Ms."), then
    to the most recent such person mentioned at all; they/we go to the most recent group
    ("Some experts ... They say"), else organisation; it goes to the most recent
    organisation ("The ministry ... It said");
``description->entity``
    a definite description ("the mayor", "the Chinese leader", "the parole board") goes to
    the most recent entity seen with that role word next to its name ("Surrey Mayor Doug
    McCallum", "Xi Jinping, the Chinese president", "Parole Board of Canada");
``document``
    a statement, release or report as subject goes to its author ("her statement read",
    "The RCMP statement said", "a statement released by the Prime Minister's Office");
``description->named``
    a description of one person ("a spokeswoman for the hotels") goes to the person the same
    or the next sentence names with that role ("The spokeswoman, Maria Chen, ...");
``description``
    otherwise the noun phrase as written, time phrases left out ("a spokesperson", "Surrey
    staff", "some critics", "the president [in recent days]").

An entity's name is cleaned the same way on every path (:func:`speaker_name`: no titles, no
words glued on before a comma). The resolver keeps no state between calls.

Everything the rules look at is precomputed once per document (mentions by token, subjects in
order, role words and gender per entity), so one resolution is a bisect plus a short walk.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Token

from newswire_shared.schemas import Entity, Speaker

from ._names import (
    TITLES,
    female_share,
    is_given_name,
    is_people_noun,
    is_person_entity,
    name_key,
    person_part,
    trim_name,
)
from ._quotemarks import find_quote_marks
from .labels import NUMERIC, Label
from .lexicon import pairs, words

#: Pronouns that refer back to one person, with the gender they require.
_PERSON_PRONOUNS = pairs("person_pronouns")
#: Pronouns that refer back to a group or an organisation.
_GROUP_PRONOUNS = words("group_pronouns")
_THING_PRONOUNS = words("thing_pronouns")
#: Group pronouns of the third person: they may refer to people named in any role.
_THEY = words("third_person_plural_pronouns")
#: Pronoun-like quantifiers that head a description ("some in the Muslim community").
_QUANTIFIERS = words("quantifiers")
#: Words before a name that tell the person's gender.
_MALE_WORDS = words("male_words")
_FEMALE_WORDS = words("female_words")
#: A share of women among bearers of a given name beyond which the gender is taken as known.
_GENDER_CONFIDENT = 0.8
#: Head nouns of descriptions of organisations (they/it can refer back to them).
_ORG_NOUNS = words("org_description_heads")
#: Nouns for things an author issues: the author is the speaker.
_DOCUMENT_NOUNS = words("document_nouns")
#: Words a description may use for any head of state or government, or any official.
_LEADER_TITLES = words("leader_titles")
_GENERIC_ROLES = {"leader": _LEADER_TITLES, "official": TITLES}
#: Modifiers that do not tell one holder of a role from another ("the new mayor").
_NEUTRAL_MODIFIERS = words("neutral_modifiers")
#: Children of a noun that end the noun phrase as a name for it.
_NP_STOP_DEPS = frozenset({"relcl", "appos", "punct", "cc", "conj", "advcl", "parataxis"})
#: Inside a modifier of the noun, co-ordination belongs to the phrase ("unauthorized to
#: speak publicly and granted anonymity").
_INNER_STOP_DEPS = frozenset({"relcl", "appos", "advcl", "parataxis"})
_MAX_DESCRIPTION_WORDS = 12
#: How many earlier subjects a pronoun looks through before falling back to plain mentions.
_PRONOUN_LOOKBACK = 25
#: A group pronoun ("they") looks back this many characters at most.
_GROUP_LOOKBACK_CHARS = 1500
#: A description is matched to entities named at most this many characters earlier.
_DESCRIPTION_LOOKBACK_CHARS = 6000
#: spaCy labels that are never a speaker's name.
_NOT_NAMES = NUMERIC | {Label.LAW, Label.EVENT}
_TIMES = frozenset({Label.DATE, Label.TIME})
#: Words after a comma that are part of a name ("King, Jr.").
_NAME_SUFFIXES = words("name_suffixes")


@dataclass(frozen=True)
class Resolution:
    """A resolved speaker and how it was found (see the module docstring for the rules)."""

    speaker: Speaker
    rule: str
    entity: Entity | None = None


_NONE = Resolution(Speaker(), "none")


@dataclass
class _Referent:
    """Something a later pronoun can refer back to: a subject outside quotation marks."""

    pos: int
    kind: str  # "person", "group" (people or bodies, plural), "org" (one body), "someone"
    resolution: Resolution
    gender: str | None = None
    embedded: bool = False  # subject inside a reported clause ("X said [Y did ...]")


@dataclass
class _EntityInfo:
    roles: set[str] = field(default_factory=set)  # nouns a description may use as its head
    mods: set[str] = field(default_factory=set)  # any word seen next to the name
    gender: str | None = None
    personish: bool = False


class SpeakerResolver:
    """Turns the token naming a speaker into a Speaker, using the entities' mentions."""

    def __init__(
        self,
        doc: Doc,
        entities: list[Entity],
        text: str | None = None,
        *,
        plain_words: frozenset[str] = frozenset(),
    ) -> None:
        """`text` is ``doc.text`` when the caller has it (rebuilt from the tokens on every
        access: read it once). `plain_words`: lower-case words the model knows only as
        adjectives or adverbs (see :func:`plain_words_of`): alone, never a name."""
        self._plain_words = plain_words
        self._doc = doc
        self._text = doc.text if text is None else text
        spans = sorted(
            ((m.start, m.end, e) for e in entities for m in e.mentions if m.source == "text"),
            key=lambda t: t[:2],
        )
        self._spans = spans
        self._starts = [s for s, _, _ in spans]
        self._info: dict[str, _EntityInfo] = {e.id: _EntityInfo() for e in entities}
        #: token index -> entity whose mention covers it (PERSON wins over others)
        self._tok_ent, heads = _mention_tokens(doc, spans)
        self._not_names = {t.i for e in doc.ents if e.label_ in _NOT_NAMES for t in e}
        self._quotes = [(qm.open, qm.close) for qm in find_quote_marks(self._text)]
        self._quote_opens = [o for o, _ in self._quotes]
        self._collect_evidence(entities, heads)
        self._sent_starts = _sentence_starts(doc)
        self._tok_idx = [t.idx for t in doc]
        self._referents: list[_Referent] = []
        self._referent_pos: list[int] = []
        self._build_referents()

    def _collect_evidence(self, entities: list[Entity], heads: list[tuple[Token, Entity]]) -> None:
        """What the names and their contexts say about each entity, and the indexes built
        from it (person names by word, entities by role word)."""
        for ent in entities:
            self._collect_name_evidence(ent)
        for head, ent in heads:
            self._collect_context_evidence(head, ent)
        self._person_names = {
            w: e
            for e in sorted(entities, key=lambda e: e.count)
            if self._info[e.id].personish
            for w in name_key(person_part(e.name)).split()
        }
        self._role_index: dict[str, list[tuple[int, Entity]]] = {}
        for s, _, ent in self._spans:
            for role in self._info[ent.id].roles:
                self._role_index.setdefault(role, []).append((s, ent))

    # -- public API ------------------------------------------------------------------------

    def resolve(self, tok: Token | None) -> Resolution:
        """Resolve the token naming a speaker: a Speaker plus the rule that decided it."""
        return self._resolve(tok) if tok is not None else _NONE

    def mention_at(self, start: int, end: int) -> Resolution | None:
        """The entity with a mention overlapping [start, end) as a speaker (rule ``mention``):
        '"..." - Jane Doe'."""
        ent = self.at(start, end)
        return _entity_resolution(ent, "mention") if ent is not None else None

    def at(self, start: int, end: int) -> Entity | None:
        """The entity with a mention overlapping [start, end)."""
        i = bisect.bisect_right(self._starts, end) - 1
        best: Entity | None = None
        while i >= 0 and self._spans[i][0] < end:
            s, e, ent = self._spans[i]
            better = best is None or (ent.label == Label.PERSON and best.label != Label.PERSON)
            if e > start and s < end and better:
                best = ent
            if s < start - 200:
                break
            i -= 1
        return best

    def last_subject_person_before(self, pos: int) -> Entity | None:
        """The person most recently named as a subject before `pos` (pronoun antecedent)."""
        res = self.topic_person(pos)
        return res.entity if res is not None else None

    def topic_person(self, pos: int) -> Resolution | None:
        """The person a he/she at `pos` would stand for: the one last named as a subject
        (or, in a later sentence, named at all) before `pos`, as the rule ``pronoun``
        resolves it (the name cleaned of titles as everywhere else)."""
        return self._pronoun_person(pos, None)

    def subject_person_between(self, start: int, end: int) -> Resolution | None:
        """The person last named as a main-clause subject outside quotation marks in the
        offsets [start, end) ("Murphy, who coached him, agreed." between two quotes)."""
        lo = bisect.bisect_left(self._referent_pos, start)
        hi = bisect.bisect_left(self._referent_pos, end)
        for ref in reversed(self._referents[lo:hi]):
            if ref.kind == "person" and not ref.embedded:
                return ref.resolution
        return None

    def last_person_before(self, pos: int) -> Entity | None:
        """The PERSON most recently mentioned before `pos`."""
        i = bisect.bisect_left(self._starts, pos) - 1
        while i >= 0:
            ent = self._spans[i][2]
            if ent.label == Label.PERSON:
                return ent
            i -= 1
        return None

    def by_surname(self, word: str) -> Entity | None:
        """A person whose name contains the word `word` (spaCy missed the mention)."""
        return self._person_names.get(name_key(word))

    # -- evidence about entities --------------------------------------------------------------

    def _collect_name_evidence(self, ent: Entity) -> None:
        info = self._info[ent.id]
        # "Wet'suwet'en Hereditary Chief Na'moks" typed ORG is still a person
        info.personish = is_person_entity(ent.label, ent.name)
        if info.personish:
            info.gender = _gender_of_name(person_part(ent.name))
            return
        alpha = [w for w in name_key(ent.name).split() if w.isalpha()]
        info.mods.update(alpha)
        heads = [w for w in alpha if w in _ORG_NOUNS or w[:-1] in _ORG_NOUNS]
        if alpha and ent.label == Label.ORG:
            heads.append(alpha[-1])
        info.roles.update(heads)
        info.roles.update(w[:-1] for w in heads if w.endswith("s"))

    def _collect_context_evidence(self, head: Token, ent: Entity) -> None:
        """Role words next to a mention: "Surrey Mayor Doug McCallum", "X, the minister"."""
        info = self._info[ent.id]
        heads, mods = self._modifier_words(head, ent)
        heads += _titles_before(self._doc, head.left_edge.i)
        for noun in _apposed_nouns(head):
            heads.extend((noun.lemma_.lower(), noun.lower_))
            mods.extend(
                c.lower_ for c in noun.children if c.dep_ in ("amod", "compound") and c.i < noun.i
            )
        for word in heads:
            key = word.replace("’", "'")
            info.roles.add(key)
            if info.gender is None and info.personish:
                info.gender = _gender_word(key)
        info.mods.update(w.replace("’", "'") for w in mods + heads)

    def _modifier_words(self, head: Token, ent: Entity) -> tuple[list[str], list[str]]:
        """Role words and modifiers before a name inside its phrase ("Surrey Mayor [Doug
        McCallum]"): (role words, all modifiers)."""
        heads: list[str] = []
        mods: list[str] = []
        for t in self._doc[head.left_edge.i : head.i]:
            if self._tok_ent.get(t.i) is ent:
                continue
            if t.pos_ in ("NOUN", "PROPN", "ADJ") and t.dep_ in ("compound", "amod", "nmod"):
                mods.append(t.lower_)
                if t.pos_ == "NOUN" or t.lower_.rstrip(".") in TITLES:
                    heads.append(t.lower_.rstrip("."))
        return heads, mods

    # -- discourse: subjects a pronoun can refer back to --------------------------------------

    def _inside_quote(self, pos: int) -> bool:
        i = bisect.bisect_right(self._quote_opens, pos) - 1
        return i >= 0 and self._quotes[i][0] < pos < self._quotes[i][1]

    def _build_referents(self) -> None:
        for tok in self._doc:
            if not tok.dep_.startswith("nsubj") and not _is_according_to(tok):
                continue
            if self._inside_quote(tok.idx):
                continue
            if tok.lower_ in ("he", "she"):  # a chain: "Bissonnette ... He told ... He also"
                self._add_pronoun_referent(tok)
                continue
            if tok.pos_ == "PRON" or tok.lower_ in _PERSON_PRONOUNS:
                continue
            res = self._resolve_noun(tok)
            if res.speaker.name is None:
                continue
            ref = self._referent(tok, res)
            if ref is not None:
                ref.embedded = self._embedded(tok)
                self._referents.append(ref)
                self._referent_pos.append(ref.pos)

    def _add_pronoun_referent(self, tok: Token) -> None:
        """A he/she subject stands for the person it resolves to, so that a later pronoun
        follows the chain rather than a person merely mentioned in between."""
        gender = _PERSON_PRONOUNS[tok.lower_]
        res = self._pronoun_person(tok.idx, gender)
        if res is None or res.entity is None:
            return
        ref = _Referent(tok.idx, "person", _relabel(res, "pronoun"), gender)
        ref.embedded = self._embedded(tok)
        self._referents.append(ref)
        self._referent_pos.append(ref.pos)

    def _embedded(self, tok: Token) -> bool:
        line = self._line_start(tok)  # a heading glued on is not a main clause
        return any(
            a.dep_ in ("ccomp", "relcl", "advcl") and a.head.idx >= line for a in tok.ancestors
        )

    def _referent(self, tok: Token, res: Resolution) -> _Referent | None:
        ent = res.entity
        if ent is not None:
            info = self._info[ent.id]
            if info.personish:
                return _Referent(tok.idx, "person", res, info.gender)
            if ent.label in (Label.ORG, Label.GPE, Label.NORP):
                kind = "group" if ent.label == Label.NORP or _plural(tok) else "org"
                return _Referent(tok.idx, kind, res)
            return None
        if res.rule == "name":  # "Yuni said": a person if spaCy or a given name says so
            label = tok.ent_type_
            name = res.speaker.name or ""
            if label == Label.PERSON or (not label and is_given_name(name.split()[0])):
                return _Referent(tok.idx, "person", res, _gender_of_name(name))
            if label in (Label.ORG, Label.NORP, Label.GPE):
                return _Referent(tok.idx, "group" if _plural(tok) else "org", res)
            return None
        lemma = tok.lemma_.lower()
        if lemma in _ORG_NOUNS:
            return _Referent(tok.idx, "group" if _plural(tok) else "org", res)
        if not _is_people_noun(lemma):
            return None
        if _plural(tok):
            return _Referent(tok.idx, "group", res)
        if tok.pos_ == "NOUN":
            return _Referent(tok.idx, "someone", res, _gender_word(tok.lower_))
        return None

    def _sentence_of(self, pos: int) -> int:
        """Start offset of the sentence containing `pos`."""
        return self._sent_starts[bisect.bisect_right(self._sent_starts, pos) - 1]

    def _same_sentence(self, pos: int, ok: Callable[[_Referent], bool]) -> Resolution | None:
        """Hobbs' first step: the leftmost fitting subject earlier in the pronoun's sentence,
        a main-clause one first ("Laurin said she was fortunate")."""
        ref = self._same_sentence_ref(pos, ok)
        return ref.resolution if ref is not None else None

    def _same_sentence_ref(self, pos: int, ok: Callable[[_Referent], bool]) -> _Referent | None:
        lo = bisect.bisect_left(self._referent_pos, self._sentence_of(pos))
        hi = bisect.bisect_left(self._referent_pos, pos)
        fits = [r for r in self._referents[lo:hi] if ok(r)]
        main = [r for r in fits if not r.embedded]
        return (main or fits)[0] if fits else None

    def _pronoun_person(self, pos: int, gender: str | None) -> Resolution | None:
        def ok(ref: _Referent) -> bool:
            return ref.kind == "person" and _agrees(ref.gender, gender)

        here = self._same_sentence(pos, ok)
        if here is not None:
            return here
        last = bisect.bisect_left(self._referent_pos, pos) - 1
        subject: _Referent | None = None
        someone: _Referent | None = None
        for i in range(last, max(-1, last - _PRONOUN_LOOKBACK), -1):
            ref = self._referents[i]
            if ref.kind == "someone" and someone is None and _agrees(ref.gender, gender):
                someone = ref
            if ok(ref) and (subject is None or (subject.embedded and not ref.embedded)):
                if subject is not None and self._sentence_of(ref.pos) < self._sentence_of(
                    subject.pos
                ):
                    break  # an embedded subject in a later sentence beats an older main one
                subject = ref
                if not ref.embedded:
                    break
        # a fitting person named (not as a subject) in a later sentence than that subject:
        # "For Megda Belkacemi, Friday is a day she has awaited. '...,' she said."
        mention = self._last_person_mention(pos, gender)
        if mention is not None and (
            subject is None or self._sentence_of(mention[0]) > self._sentence_of(subject.pos)
        ):
            return _entity_resolution(mention[1], "pronoun")
        if subject is not None:
            return subject.resolution
        return someone.resolution if someone is not None else None

    def _last_person_mention(self, pos: int, gender: str | None) -> tuple[int, Entity] | None:
        """The first fitting person named in the latest sentence before `pos` naming one
        (outside quotation marks)."""
        j = bisect.bisect_left(self._starts, pos) - 1
        found: tuple[int, Entity] | None = None
        while j >= 0:
            s, _, ent = self._spans[j]
            j -= 1
            if found is not None and s < self._sentence_of(found[0]):
                break
            info = self._info[ent.id]
            if info.personish and _agrees(info.gender, gender) and not self._inside_quote(s):
                found = (s, ent)
        return found

    def _pronoun_group(self, pos: int, kinds: tuple[str, ...]) -> Resolution | None:
        """The nearest fitting subject, of the first kind in `kinds` that has one in reach."""
        ref = self._group_referent(pos, kinds)
        return ref.resolution if ref is not None else None

    def _group_referent(self, pos: int, kinds: tuple[str, ...]) -> _Referent | None:
        for kind in kinds:
            here = self._same_sentence_ref(pos, _of_kind(kind))
            if here is not None:
                return here
        last = bisect.bisect_left(self._referent_pos, pos) - 1
        for kind in kinds:
            fallback: _Referent | None = None
            i = last
            while i >= 0 and pos - self._referents[i].pos <= _GROUP_LOOKBACK_CHARS:
                ref = self._referents[i]
                i -= 1
                if ref.kind != kind:
                    continue
                if not ref.embedded:
                    return ref
                fallback = fallback or ref
            if fallback is not None:
                return fallback
        return None

    def _pronoun_they(self, pos: int) -> Resolution | None:
        """'they': the nearest group subject, unless the sentence before names people later.

        'Brexit remains the concern and several executives have warned. They say ...': the
        executives are no subject in the parse, but the last people named before 'they'.
        """
        ref = self._group_referent(pos, ("group", "org"))
        if ref is not None and self._sentence_of(ref.pos) == self._sentence_of(pos):
            return ref.resolution
        mention = self._last_people_mention(pos)
        if mention is not None and (
            ref is None or self._sentence_of(mention[0]) > self._sentence_of(ref.pos)
        ):
            return mention[1]
        return ref.resolution if ref is not None else None

    def _last_people_mention(self, pos: int) -> tuple[int, Resolution] | None:
        """The last plural noun for people ("executives", "residents") in the sentence of
        `pos` or the one before, outside quotation marks and not a modifier."""
        start = self._sentence_of(pos)
        if start > 0:
            start = self._sentence_of(start - 1)
        i = bisect.bisect_left(self._tok_idx, pos) - 1
        while i >= 0 and self._tok_idx[i] >= start:
            t = self._doc[i]
            i -= 1
            if t.pos_ != "NOUN" or not _plural(t) or t.dep_ in ("compound", "poss", "npadvmod"):
                continue
            if not _is_people_noun(t.lemma_.lower()) or self._inside_quote(t.idx):
                continue
            res = self._resolve_noun(t)
            if res.speaker.name is not None:
                return t.idx, res
        return None

    # -- resolution ---------------------------------------------------------------------------

    def _resolve(self, tok: Token) -> Resolution:
        if tok.i in self._tok_ent:
            return self._resolve_noun(tok)
        low = tok.lower_
        res: Resolution | None
        if low in _PERSON_PRONOUNS:
            res = self._pronoun_person(tok.idx, _PERSON_PRONOUNS[low])
        elif low in _THEY:
            res = self._pronoun_they(tok.idx)
        elif low in _GROUP_PRONOUNS:
            res = self._pronoun_group(tok.idx, ("group", "org"))
        elif low in _THING_PRONOUNS:
            res = self._pronoun_group(tok.idx, ("org",))
        elif low in _QUANTIFIERS and any(c.dep_ == "prep" for c in tok.children):
            phrase = self._description(tok)  # "some in the Muslim community"
            return Resolution(Speaker(name=phrase), "description") if phrase else _NONE
        elif tok.pos_ == "PRON":
            return _NONE
        else:
            return self._resolve_noun(tok)
        return _relabel(res, "pronoun") if res is not None else _NONE

    def _resolve_noun(self, tok: Token) -> Resolution:
        ent = self._tok_ent.get(tok.i)
        named = self._apposed_name(tok)
        if named is not None and (
            ent is None
            or (
                not self._info[ent.id].personish
                and named.entity is not None
                and self._info[named.entity.id].personish
            )
        ):
            return named  # "One red-state Democrat, Montana Sen. Jon Tester, said"
        if ent is not None:
            return _entity_resolution(ent, "mention")
        if tok.text[:1].isupper() and tok.pos_ in ("PROPN", "X", "INTJ", "NUM"):
            return self._resolve_name(tok)
        if tok.pos_ in ("NOUN", "ADJ", "PROPN"):
            return self._resolve_description(tok)
        ent = self.at(tok.idx, tok.idx + len(tok))
        if ent is not None:
            return _entity_resolution(ent, "mention")
        return self._person_inside(tok) or _NONE

    def _person_inside(self, tok: Token) -> Resolution | None:
        """A person named inside the phrase, not as a possessor or object of a preposition:
        "Maintaining Close Exchanges Wang Yi mentioned" (a heading glued to the subject)."""
        for t in tok.subtree:
            ent = self._tok_ent.get(t.i)
            if (
                ent is not None
                and self._info[ent.id].personish
                and all(a.dep_ not in ("poss", "prep", *_NP_STOP_DEPS) for a in _path(t, tok))
            ):
                return _entity_resolution(ent, "mention")
        return None

    def _apposed_name(self, tok: Token) -> Resolution | None:
        """A person's name in apposition, or after "named"/"called", to the speaker word."""
        for child in tok.children:
            if child.dep_ == "appos" and child.i > tok.i:
                ent = self._tok_ent.get(child.i)
                if ent is not None:
                    return _entity_resolution(ent, "mention")
        for child in tok.subtree:  # "an official in Banten province named Jhony"
            if child.i <= tok.i or child.dep_ in ("relcl", "appos"):
                continue
            if child.dep_ == "acl" and child.lemma_ in ("name", "call", "identify"):
                for grand in child.children:
                    if grand.dep_ in ("oprd", "attr", "dobj", "xcomp") and grand.pos_ == "PROPN":
                        return self._resolve_name(grand)
        return None

    def _resolve_name(self, tok: Token) -> Resolution:
        flat = sorted({*_flat_name(tok), *_hyphen_joined(tok)}, key=lambda t: t.i)
        for t in flat:
            ent = self._tok_ent.get(t.i)
            if ent is not None:
                return _entity_resolution(ent, "mention")
        ent = self.by_surname(tok.text)
        if ent is not None:
            return _entity_resolution(ent, "mention")
        inside = self._person_inside(tok)
        if inside is not None:
            return inside
        if any(t.i in self._not_names for t in flat):
            return _NONE
        flat = [t for t in flat if t.idx >= self._line_start(tok)]
        name = self._text[flat[0].idx : flat[-1].idx + len(flat[-1])]
        trimmed = trim_name(name, 0, len(name), person=True)
        if trimmed is None or self._plain_word(name[trimmed[0] : trimmed[1]], tok):
            return _NONE
        return Resolution(Speaker(name=name[trimmed[0] : trimmed[1]]), "name")

    def _plain_word(self, name: str, tok: Token) -> bool:
        """A lone word no entity and no given name vouches for, that the model knows only as
        an adjective or adverb ("Amazing", "Truly"): not a name."""
        return (
            " " not in name
            and not tok.ent_type_
            and name.lower() in self._plain_words
            and not is_given_name(name)
        )

    def _resolve_description(self, tok: Token) -> Resolution:
        if tok.lemma_.lower() in _DOCUMENT_NOUNS:
            res = self._document_author(tok)
            if res is not None:
                return res
        ent = self._described_entity(tok)
        if ent is not None:
            return _entity_resolution(ent, "description->entity")
        phrase = self._description(tok)
        if not phrase:
            return _NONE
        named = self._named_nearby(tok)
        if named is not None:
            return _entity_resolution(named, "description->named")
        return Resolution(Speaker(name=phrase), "description")

    def _named_nearby(self, tok: Token) -> Entity | None:
        """The person a description of one person stands for when the article names them with
        that role in the same or the next sentence ("a spokeswoman for the hotels said. The
        spokeswoman, Maria Chen, ...")."""
        lemma = tok.lemma_.lower()
        if _plural(tok) or tok.pos_ != "NOUN" or not _is_people_noun(lemma):
            return None
        start = self._sentence_of(tok.idx)
        later = bisect.bisect_right(self._sent_starts, tok.idx)
        end = (
            self._sent_starts[later + 1] if later + 1 < len(self._sent_starts) else len(self._text)
        )
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        for _s, _, ent in self._spans[lo:hi]:
            info = self._info[ent.id]
            if info.personish and {lemma, tok.lower_} & info.roles:
                return ent
        return None

    def _document_author(self, tok: Token) -> Resolution | None:
        """'Her statement read', 'The RCMP statement said', 'a release from the ministry'."""
        for author in _document_authors(tok):
            res = self._resolve(author)
            if res.speaker.name is None:
                continue
            if res.entity is not None and res.entity.label == Label.NORP:
                continue  # "the Chinese statement": which Chinese body is not known
            if res.entity is not None or author.dep_ == "pobj" or author.lower_ in _PERSON_PRONOUNS:
                return _relabel(res, "document")
        return None

    def _described_entity(self, tok: Token) -> Entity | None:
        """The entity a definite description ("the mayor") stands for, if one fits."""
        if tok.tag_ in ("NNS", "NNPS"):
            return None
        dets = [c for c in tok.children if c.dep_ in ("det", "poss")]
        if not dets or dets[0].lower_ not in ("the", "this", "that"):
            return None
        lemma = tok.lemma_.lower()
        modifiers = {
            c.lower_ for c in tok.children if c.dep_ in ("amod", "compound") and c.i < tok.i
        }
        telling = modifiers - _NEUTRAL_MODIFIERS
        roles = {lemma, tok.lower_}
        if lemma in _GENERIC_ROLES:  # "the Chinese leader": a leader's title or "Chinese"
            return self._central_role_holder(tok.idx, roles | _GENERIC_ROLES[lemma], telling)
        return self._latest_role_holder(tok.idx, roles, telling, lemma not in _ORG_NOUNS)

    def _central_role_holder(self, pos: int, roles: set[str], telling: set[str]) -> Entity | None:
        """The most central person named shortly before `pos` with one of `roles` or the
        `telling` modifiers (all of them that the description has, at least one)."""
        lo = bisect.bisect_left(self._starts, pos - _DESCRIPTION_LOOKBACK_CHARS)
        hi = bisect.bisect_left(self._starts, pos)
        best: tuple[int, float, Entity] | None = None
        for _s, _, ent in self._spans[lo:hi]:
            info = self._info[ent.id]
            matched = len(telling & info.mods)
            if not info.personish or (telling and not matched):
                continue
            score = matched + (1 if info.roles & roles else 0)
            if score and (best is None or (score, ent.salience) > best[:2]):
                best = (score, ent.salience, ent)
        return best[2] if best else None

    def _latest_role_holder(
        self, pos: int, roles: set[str], telling: set[str], wants_person: bool
    ) -> Entity | None:
        """The entity seen with one of `roles` shortly before `pos`, best matching the
        `telling` modifiers, the latest on a tie."""
        best: tuple[int, float, Entity] | None = None
        for role in roles:
            for s, ent in self._role_index.get(role, []):
                if s >= pos:
                    break
                info = self._info[ent.id]
                score = len(telling & info.mods)
                if pos - s > _DESCRIPTION_LOOKBACK_CHARS or wants_person != info.personish:
                    continue
                if telling and not score:
                    continue
                if best is None or (score, float(s)) > best[:2]:
                    best = (score, float(s), ent)
        return best[2] if best else None

    def _line_start(self, tok: Token) -> int:
        return self._text.rfind("\n", 0, tok.idx) + 1

    def _description(self, tok: Token) -> str:
        """The noun phrase headed by `tok` as written, without relative clauses or
        appositions ("a spokesperson for the camp", "Surrey staff")."""
        toks = _phrase_run(tok)
        line = self._line_start(tok)
        toks = [t for t in toks if t.idx >= line and "\n" not in t.text]
        while toks and (toks[0].is_punct or toks[0].dep_ in ("cc", "preconj")):
            toks = toks[1:]
        while toks and toks[-1].is_punct:
            toks = toks[:-1]
        if len(toks) > _MAX_DESCRIPTION_WORDS:
            toks = [t for t in toks if t.i <= tok.i]
        if not toks or tok not in toks:
            return ""
        return self._text[toks[0].idx : toks[-1].idx + len(toks[-1])]


def _phrase_run(tok: Token) -> list[Token]:
    """The contiguous run of tokens around `tok` in its noun phrase, without relative
    clauses, appositions and asides."""
    keep = [tok]
    for child in tok.children:
        if child.dep_ in _NP_STOP_DEPS or (child.i > tok.i and child.text in ",(—–-"):
            continue
        if _temporal(child):
            continue  # "the president in recent days": when, not who
        keep.extend(
            t
            for t in child.subtree
            if not _under(t, child, _INNER_STOP_DEPS) and not _contrasted(t, child)
        )
    keep.extend(_hyphen_joined(tok))  # "Vice-president" parsed as "Vice" "-" "president"
    toks: list[Token] = []
    for t in sorted(set(keep), key=lambda t: t.i):
        if toks and t.i != toks[-1].i + 1:
            if t.i > tok.i:
                break
            toks = []
        toks.append(t)
    return toks


def _temporal(child: Token) -> bool:
    """Whether a dependent of a noun is a time phrase ("in recent days", "on Monday")."""
    if child.dep_ == "npadvmod":
        return child.ent_type_ in _TIMES
    return child.dep_ == "prep" and any(
        g.dep_ == "pobj" and g.ent_type_ in _TIMES for g in child.children
    )


def _titles_before(doc: Doc, start: int) -> list[str]:
    """Titles right before token `start` that the parse attached elsewhere (three at most)."""
    out: list[str] = []
    j = start - 1
    while j >= 0 and j >= start - 3:
        word = doc[j].lower_.rstrip(".")
        if word not in TITLES and word not in _MALE_WORDS | _FEMALE_WORDS:
            break
        out.append(word)
        j -= 1
    return out


def _apposed_nouns(head: Token) -> list[Token]:
    """Nouns in apposition to a name, both ways: "X, a district commander," / "the rookie
    defenceman, X"."""
    nouns = [c for c in head.children if c.dep_ == "appos" and c.pos_ == "NOUN"]
    if head.dep_ == "appos" and head.head.pos_ == "NOUN":
        nouns.append(head.head)
    return nouns


def _gender_word(word: str) -> str | None:
    """The gender a word before a name or heading a description tells ("Mr", "spokeswoman")."""
    return "m" if word in _MALE_WORDS else "f" if word in _FEMALE_WORDS else None


def _document_authors(tok: Token) -> list[Token]:
    """Words naming who issued a document: its possessor or modifier ("Her statement", "The
    RCMP statement"), 'from/by/of X', 'released by X'."""
    authors: list[Token] = []
    for child in tok.children:
        if child.dep_ == "poss" or (child.dep_ in ("compound", "amod") and child.i < tok.i):
            authors.append(child)
        elif child.dep_ == "prep" and child.lower_ in ("from", "by", "of"):
            authors.extend(g for g in child.children if g.dep_ == "pobj")
        elif child.dep_ == "acl":  # "a statement released by the Prime Minister's Office"
            for grand in child.children:
                if grand.dep_ == "agent" or (grand.dep_ == "prep" and grand.lower_ == "by"):
                    authors.extend(g for g in grand.children if g.dep_ == "pobj")
    return authors


def _mention_tokens(
    doc: Doc, spans: list[tuple[int, int, Entity]]
) -> tuple[dict[int, Entity], list[tuple[Token, Entity]]]:
    """Token index -> the entity whose mention covers it (PERSON wins over others), and the
    head token of each mention."""
    tok_ent: dict[int, Entity] = {}
    heads: list[tuple[Token, Entity]] = []
    for s, e, ent in spans:
        span = doc.char_span(s, e, alignment_mode="expand")
        if span is None or not len(span):
            continue
        for t in span:
            old = tok_ent.get(t.i)
            if old is None or (ent.label == Label.PERSON and old.label != Label.PERSON):
                tok_ent[t.i] = ent
        heads.append((span.root, ent))
    return tok_ent, heads


def _sentence_starts(doc: Doc) -> list[int]:
    """Offsets where sentences start: a paragraph break always ends a sentence, whatever
    the parser glued across it."""
    breaks = {t.idx + len(t) for t in doc if t.is_space and "\n" in t.text}
    return sorted({0, *breaks, *(sent.start_char for sent in doc.sents)})


def _under(t: Token, top: Token, deps: frozenset[str]) -> bool:
    """Whether `t` hangs below a dependent of type `deps` inside `top`'s subtree."""
    while t.i != top.i:
        if t.dep_ in deps:
            return True
        t = t.head
    return False


def _contrasted(t: Token, top: Token) -> bool:
    """Whether `t` is in a conjunct added with "but" ("familiar with the talks but
    unauthorized to discuss them"): an aside, not part of the description."""
    while t.i != top.i:
        if t.dep_ == "conj" and any(c.dep_ == "cc" and c.lower_ == "but" for c in t.head.children):
            return True
        if t.dep_ == "cc" and t.lower_ == "but":
            return True
        t = t.head
    return False


def _hyphen_joined(tok: Token) -> list[Token]:
    """Tokens glued to `tok` by hyphens without spaces ("Vice-president")."""
    doc = tok.doc
    out: list[Token] = []
    i = tok.i
    while i + 2 < len(doc) and doc[i + 1].text == "-" and not doc[i].whitespace_:
        if doc[i + 1].whitespace_ or not doc[i + 2].is_alpha:
            break
        out += [doc[i + 1], doc[i + 2]]
        i += 2
    i = tok.i
    while i >= 2 and doc[i - 1].text == "-" and not doc[i - 1].whitespace_:
        if doc[i - 2].whitespace_ or not doc[i - 2].is_alpha:
            break
        out += [doc[i - 2], doc[i - 1]]
        i -= 2
    return out


def _path(t: Token, top: Token) -> list[Token]:
    """Tokens from `t` up to (not including) its ancestor `top`."""
    out: list[Token] = []
    while t.i != top.i and t.head is not t:
        out.append(t)
        t = t.head
    return out


def _flat_name(tok: Token) -> list[Token]:
    """The proper-noun run around `tok` ("Tom Hinderks", "Na'moks")."""
    doc = tok.doc
    i = tok.i
    while i > 0 and doc[i - 1].pos_ == "PROPN" and doc[i - 1].head.i in range(i - 1, tok.i + 1):
        i -= 1
    j = tok.i
    while j + 1 < len(doc) and doc[j + 1].pos_ == "PROPN" and doc[j + 1].head.i == tok.i:
        j += 1
    return list(doc[i : j + 1])


def can_speak(tok: Token) -> bool:
    """Whether a description's head noun names someone who can make a statement: people
    ("the spokeswoman", "critics") or a body ("the ministry"), not "graphic details"."""
    lemma = tok.lemma_.lower()
    return _is_people_noun(lemma) or lemma in _ORG_NOUNS


def _is_people_noun(lemma: str) -> bool:
    """Whether a common noun names people ("critics", "residents", "staff", "a spokesperson")."""
    return is_people_noun(lemma) or lemma in _MALE_WORDS or lemma in _FEMALE_WORDS


def _is_according_to(tok: Token) -> bool:
    if tok.dep_ != "pobj" or tok.head.lower_ != "to":
        return False
    prep = tok.head
    return prep.head.lower_ == "according" or (
        prep.i > 0 and tok.doc[prep.i - 1].lower_ == "according"
    )


def _gender_of_name(name: str) -> str | None:
    words = name.split()
    share = female_share(words[0]) if words else None
    if share is None:
        return None
    if share >= _GENDER_CONFIDENT:
        return "f"
    return "m" if share <= 1 - _GENDER_CONFIDENT else None


def _of_kind(kind: str) -> Callable[[_Referent], bool]:
    def ok(ref: _Referent) -> bool:
        return ref.kind == kind

    return ok


def _agrees(have: str | None, want: str | None) -> bool:
    return have is None or want is None or have == want


def _plural(tok: Token) -> bool:
    return tok.tag_ in ("NNS", "NNPS") or tok.morph.to_dict().get("Number") == "Plur"


def _entity_resolution(ent: Entity, rule: str) -> Resolution:
    name = speaker_name(ent.name) if ent.label == Label.PERSON else person_part(ent.name)
    return Resolution(Speaker(name=name, entity_id=ent.id), rule, ent)


def speaker_name(name: str) -> str:
    """The name a PERSON entity goes by as a speaker: without titles (:func:`person_part`)
    and without words glued on before a comma ("Star-Spangled Banner, Brewer" -> "Brewer")."""
    name = person_part(name)
    _, comma, last = name.rpartition(", ")
    if comma and last[:1].isupper() and name_key(last) not in _NAME_SUFFIXES:
        return last
    return name


def _relabel(res: Resolution, rule: str) -> Resolution:
    return Resolution(res.speaker, rule, res.entity)


def plain_words_of(nlp: Language) -> frozenset[str]:
    """Words the model's lemmatizer lists as adjectives or adverbs and never as nouns, verbs
    or proper nouns (empty when the model has no such table)."""
    for name in nlp.pipe_names:
        lookups = getattr(nlp.get_pipe(name), "lookups", None)
        if lookups is None or not lookups.has_table("lemma_index"):
            continue
        index = lookups.get_table("lemma_index")
        modifiers = set(index.get("adj", [])) | set(index.get("adv", []))
        others = {w for pos in ("noun", "verb", "propn") for w in index.get(pos, [])}
        return frozenset(w for w in modifiers - others if w.isalpha())
    return frozenset()
