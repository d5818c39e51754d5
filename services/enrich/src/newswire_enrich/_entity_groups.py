"""Groups of mentions that name one entity: the key they share, their type by vote, their
canonical name, and the ranking that turns them into :class:`Entity` records.

A group's label and name are computed once and kept until its mentions change (every change
goes through :meth:`Group.add`, :meth:`Group.keep` or :meth:`Group.retype`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from newswire_enrich._mention_typing import Mention
from newswire_enrich._names import looks_like_person_name, name_key, name_tokens, strip_nickname
from newswire_enrich.labels import Label
from newswire_enrich.lexicon import pairs
from newswire_shared.schemas import Entity
from newswire_shared.schemas import Mention as EntityMention

#: Spellings of one place or body, by name key -> canonical name.
ALIASES = pairs("entity_aliases")
#: Other spellings of one place: grouped together, named as the article writes them.
PLACE_VARIANTS = pairs("place_variants")


def group_key(name: str) -> str:
    """The key mentions of one entity share: aliases and variants folded together."""
    key = name_key(name)
    canonical = ALIASES.get(key)
    if canonical:
        return name_key(canonical)
    key = PLACE_VARIANTS.get(key, key)
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


@dataclass
class Group:
    """The mentions of one entity (so far) under their shared key."""

    key: str
    mentions: list[Mention] = field(default_factory=list)
    _preferred: str = ""  # the name without a legal form: "TransCanada" for "TransCanada Corp."
    _label: str | None = None
    _name: str | None = None
    _person_name: bool | None = None

    def _changed(self) -> None:
        self._label = self._name = self._person_name = None

    def add(self, mentions: list[Mention]) -> None:
        """Take in `mentions` (a partial name, an acronym, a short name joining)."""
        self.mentions.extend(mentions)
        self._changed()

    def keep(self, mentions: list[Mention]) -> None:
        """Keep only `mentions` (the others joined another group)."""
        self.mentions = mentions
        self._changed()

    def retype(self, label: str) -> None:
        """Give every mention `label`."""
        for m in self.mentions:
            m.label = label
        self._label = None

    def prefer(self, name: str) -> None:
        """Name the entity `name` unless an alias names it."""
        self._preferred = name
        self._name = self._person_name = None

    def votes(self, *, discount: bool = True) -> Counter[str]:
        """Label votes, a full name counting more than a surname. spaCy types a one-word
        person's name ORG before a noun ("Trump's supporters", "the Trump administration"):
        beside PERSON votes, those ORG votes do not count, unless spaCy kept an "'s" inside
        a span, the mark of a company's name ("Lowe's", "Maclean's")."""
        counter: Counter[str] = Counter()
        discount = (
            discount
            and " " not in self.key
            and any(m.label == Label.PERSON for m in self.mentions)
            and not any(m.owned_s for m in self.mentions)
        )
        for m in self.mentions:
            if not (discount and m.label == Label.ORG and m.modifier):
                counter[m.label] += m.weight
        return counter

    def label(self) -> str:
        """The type: PERSON for a person named in full, else the weighted vote's winner."""
        if self._label is None:
            self._label = self._vote()
        return self._label

    def _vote(self) -> str:
        full_person = any(m.label == Label.PERSON and m.weight >= 2 for m in self.mentions)
        if full_person and len(self.key.split()) >= 2:
            return Label.PERSON
        votes = self.votes()
        top = max(votes.values())
        return sorted(lab for lab, n in votes.items() if n == top)[0]

    def name(self) -> str:
        """The canonical name: an alias's, the short name preferred, else the longest form."""
        if self._name is None:
            self._name = self._canonical()
        return self._name

    def _canonical(self) -> str:
        canonical = ALIASES.get(self.key)
        if canonical:
            return canonical
        if self._preferred:
            return self._preferred
        forms = Counter(strip_nickname(m.text) for m in self.mentions if m.source == "text")
        forms = forms or Counter(strip_nickname(m.text) for m in self.mentions)
        return max(forms, key=lambda n: (len(n.split()), not n.isupper(), forms[n], len(n)))

    def person_named(self) -> bool:
        """Whether the canonical name looks like a person's (computed once per name)."""
        if self._person_name is None:
            self._person_name = looks_like_person_name(self.name())
        return self._person_name

    def is_person(self) -> bool:
        """A person named in full: two name words or more and typed PERSON."""
        return len(name_tokens(self.key)) >= 2 and self.label() == Label.PERSON

    @property
    def first(self) -> int:
        """Offset of the first mention in the body (0 if only in the headline)."""
        return min((m.start for m in self.mentions if m.source == "text"), default=0)


def rank(groups: list[Group], length: int) -> list[tuple[Entity, Group]]:
    """The entities of `groups`, most salient first, each with its group. Salience in 0-1
    from frequency, first position, presence in the headline and grammatical subjecthood;
    `length` is the length of the body."""
    if not groups:
        return []
    top = max(sum(1 for m in g.mentions if m.source == "text") for g in groups) or 1
    scored = sorted(
        ((_salience(g, top, length), g.first, g) for g in groups), key=lambda t: (-t[0], t[1])
    )
    out: list[tuple[Entity, Group]] = []
    for number, (salience, _, g) in enumerate(scored, start=1):
        mentions = sorted(g.mentions, key=lambda m: (m.source != "title", m.start))
        entity = Entity(
            id=f"E{number}",
            name=g.name(),
            label=str(g.label()),
            mentions=[
                EntityMention(start=m.start, end=m.end, text=m.text, source=m.source)
                for m in mentions
            ],
            count=len(mentions),
            salience=salience,
        )
        out.append((entity, g))
    return out


def _salience(g: Group, top: int, length: int) -> float:
    in_text = [m for m in g.mentions if m.source == "text"]
    freq = len(in_text) / top
    early = 1.0 - (g.first / max(length, 1)) if in_text else 0.0
    in_title = 1.0 if any(m.source == "title" for m in g.mentions) else 0.0
    subject = sum(1 for m in in_text if m.subject) / max(len(in_text), 1)
    salience = 0.45 * freq + 0.2 * early + 0.2 * in_title + 0.15 * subject
    return round(min(max(salience, 0.0), 1.0), 4)
