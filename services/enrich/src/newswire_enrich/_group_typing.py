"""Typing and linking whole groups: the passes that see the article's other names.

Each pass takes the groups by key, changes them (retypes a group, or moves mentions into the
group of the entity they name) and returns what it did as ``(mention, TypeChange)`` pairs:
the change and a mention of the group it concerns, so the record follows the mention into
whatever entity it ends in. :data:`newswire_enrich.entities.GROUP_PASSES` lists them in order.
"""

from __future__ import annotations

from collections import Counter

from newswire_enrich._entity_groups import ALIASES, Group, group_key
from newswire_enrich._entity_spans import is_plural_name
from newswire_enrich._mention_typing import MISLABELS, Mention, name_shaped
from newswire_enrich._names import (
    KNOWN_ORGS,
    NON_PERSON_WORDS,
    PLACE_NAMES,
    is_given_name,
    name_key,
    name_tokens,
)
from newswire_enrich.decisions import TypeChange
from newswire_enrich.labels import PLACES, Label
from newswire_enrich.lexicon import words

#: A change and a mention of the group it concerns.
Noted = tuple[Mention, TypeChange]
Groups = dict[str, Group]

#: Places on the list that are also common given names: retyped only when not typed PERSON.
PERSON_LIKE_PLACES = words("person_like_places")
LEGAL_FORMS = words("legal_forms")
#: Words an organisation's full name adds to its short name ("SoftBank Group Corp").
ORG_NAME_EXTENSIONS = LEGAL_FORMS | words("org_name_extensions")
DEMONYM_ENDINGS = tuple(sorted(words("demonym_endings")))
_PLACES_OR_NORP = PLACES | {Label.NORP}
_PARTIAL_LABELS = MISLABELS | PLACES | {Label.PERSON}


def _retype(group: Group, label: str, step: str, reason: str) -> list[Noted]:
    change = TypeChange(group.name(), step, group.label(), label, reason)
    group.retype(label)
    return [(group.mentions[0], change)]


def _join(group: Group, moved: list[Mention], owner: Group, step: str) -> list[Noted]:
    """Record that `moved` (of `group`) joins `owner`, then move them."""
    change = TypeChange(
        group.name(), step, group.label(), owner.label(), f"part of {owner.name()!r}"
    )
    owner.add(moved)
    return [(moved[0], change)]


def _surnames(groups: Groups) -> set[str]:
    return {name_tokens(g.key)[-1] for g in groups.values() if g.is_person()}


# -- relatives ---------------------------------------------------------------------------------


def relatives(groups: Groups) -> list[Noted]:
    """A name-shaped group sharing the surname of a person is a relative ("Megda
    Belkacemi" beside "Khaled Belkacemi")."""
    surnames = _surnames(groups)
    out: list[Noted] = []
    for group in groups.values():
        words_ = name_tokens(group.key)
        if (
            2 <= len(words_) <= 3
            and words_[-1] in surnames
            and group.label() != Label.PERSON
            and all(name_shaped(m.text) for m in group.mentions)
        ):
            out += _retype(group, Label.PERSON, "relative", "shares the surname of a person")
    return out


# -- partial names -----------------------------------------------------------------------------


def partial_names(groups: Groups) -> list[Noted]:
    """Move partial-name mentions ("Xi", "Lavrov", "the Bidens") into the full PERSON names
    that contain them; when two people share it, to the one named most recently."""
    people = [g for g in groups.values() if g.is_person()]
    is_person = {id(p) for p in people}
    by_part, by_last = _people_by_part(people)
    out: list[Noted] = []
    for key in list(groups):
        group = groups[key]
        if id(group) in is_person or key in ALIASES:
            continue
        words_ = name_tokens(key)
        if not words_ or any(w in NON_PERSON_WORDS for w in words_):
            continue
        owners = by_part.get(tuple(words_), [])
        if not owners and len(words_) == 1 and is_plural_name(words_[0]) and len(words_[0]) > 3:
            owners = by_last.get(words_[0][:-1], [])  # "Bidens"
        if owners:
            out += _give_to_owners(groups, key, owners)
    return out


def _people_by_part(
    people: list[Group],
) -> tuple[dict[tuple[str, ...], list[Group]], dict[str, list[Group]]]:
    """People by the runs of words their names contain ("xi", "xi jinping" of "xi jinping")
    and by surname: a lookup per group, not a comparison with every person."""
    by_part: dict[tuple[str, ...], list[Group]] = {}
    by_last: dict[str, list[Group]] = {}
    for p in people:
        full = name_tokens(p.key)
        by_last.setdefault(full[-1], []).append(p)
        parts = {tuple(full[a:b]) for a in range(len(full)) for b in range(a + 1, len(full) + 1)}
        for part in parts:
            if len(part) < len(full):
                by_part.setdefault(part, []).append(p)
    return by_part, by_last


def _give_to_owners(groups: Groups, key: str, owners: list[Group]) -> list[Noted]:
    """Move each mention of the group at `key` to the person it refers to, one at a time
    (the next mention sees the owner with the last one)."""
    group = groups[key]
    kept: list[Mention] = []
    out: list[Noted] = []
    joined: set[int] = set()
    for mention in group.mentions:
        owner = _owner(mention, owners)
        if owner is None:
            kept.append(mention)
        elif id(owner) in joined:
            owner.add([mention])
        else:
            joined.add(id(owner))
            out += _join(group, [mention], owner, "partial-name")
    if kept:
        group.keep(kept)
    else:
        del groups[key]
    return out


def _owner(mention: Mention, owners: list[Group]) -> Group | None:
    """The person a partial-name mention refers to, or None if it is not about a person."""
    if mention.label not in _PARTIAL_LABELS:
        return None
    if mention.label in PLACES and not mention.personish:
        owners = _place_word_owners(mention, owners)
        if not owners:
            return None
    if len(owners) == 1:
        return owners[0]
    return _most_recent(mention, owners)


def _place_word_owners(mention: Mention, owners: list[Group]) -> list[Group]:
    """A place-typed word joins a person only as the surname of a person named in full
    ("suggestions from Sondland", "the Bidens"), never as the object of "in"/"at" or as a
    known place name."""
    words_ = name_tokens(mention.text)
    if mention.place or name_key(mention.text) in PLACE_NAMES or len(words_) != 1:
        return []
    word = group_key(words_[0])
    return [
        o
        for o in owners
        if (
            name_tokens(o.key)[-1] == word[:-1]  # "the Bidens"
            or (name_tokens(o.key)[-1] == word and not is_plural_name(word))
        )
        and (o.person_named() or any(m.speaks for m in o.mentions))
    ]


def _most_recent(mention: Mention, owners: list[Group]) -> Group:
    """Of several people sharing a name, the one named in full most recently before the
    mention, else the one named first."""
    before = [
        (max(m.start for m in o.mentions if m.start <= mention.start and m.weight >= 2), o)
        for o in owners
        if any(m.start <= mention.start and m.weight >= 2 for m in o.mentions)
    ]
    if before:
        return max(before, key=lambda t: t[0])[1]
    return min(owners, key=lambda o: min(m.start for m in o.mentions))


# -- acronyms ----------------------------------------------------------------------------------


def acronyms(groups: Groups) -> list[Noted]:
    """Merge an acronym ("FBI") into the spelled-out name in the same article
    ("Federal Bureau of Investigation"): its letters are the initials of the capitalised words."""
    initials: dict[str, str] = {}
    for key, group in groups.items():
        words_ = group.name().split()
        if len(words_) >= 2:
            letters = "".join(w[0] for w in words_ if w[:1].isupper())
            if len(letters) >= 2:
                initials.setdefault(letters.casefold(), key)
    out: list[Noted] = []
    for key in list(groups):
        forms = {m.text for m in groups[key].mentions}
        if not any(f.isupper() and 2 <= len(f) <= 6 and f.isalpha() for f in forms):
            continue
        target = initials.get(key.replace(" ", ""))
        if target and target != key and target in groups:
            group = groups.pop(key)
            out += _join(group, group.mentions, groups[target], "acronym")
    return out


# -- known names -------------------------------------------------------------------------------


def known_places(groups: Groups) -> list[Noted]:
    """Countries, capitals and big news cities are places ("envoy to Kyiv" typed PERSON,
    "Beijing's" typed ORG), unless the name is also a given name and spaCy saw a person."""
    out: list[Noted] = []
    for group in groups.values():
        key = name_key(group.name())
        label = group.label()
        if key in PLACE_NAMES and label not in PLACES:
            if key in PERSON_LIKE_PLACES and label == Label.PERSON:
                continue
            out += _retype(group, Label.GPE, "known-place", "a country or a city of world news")
    return out


def known_orgs(groups: Groups) -> list[Noted]:
    """News agencies and platforms are organisations ("after Politico reported")."""
    out: list[Noted] = []
    for group in groups.values():
        if name_key(group.name()) in KNOWN_ORGS and group.label() != Label.ORG:
            out += _retype(group, Label.ORG, "known-org", "a news agency or platform")
    return out


# -- short organisation names ------------------------------------------------------------------


def short_org_names(groups: Groups) -> list[Noted]:
    """Merge an organisation's short name into its full name in the same article, when the
    full name only adds a legal form ("SoftBank" - "SoftBank Group Corp", "Amnesty" - "Amnesty
    International") or a country ("Communist Party" - "Chinese Communist Party", "Finance
    Ministry" - "Russian Finance Ministry"), and only one full name fits. "Apple" and "Apple
    Arcade", "Foreign Ministry" beside a Chinese and a Russian one, stay apart."""
    orgs = [
        (key, g) for key, g in groups.items() if g.label() == Label.ORG and len(key.split()) >= 2
    ]
    if not orgs:
        return []
    qualifiers = {k for k, g in groups.items() if g.label() in _PLACES_OR_NORP}
    fulls = [(_org_words(k), g) for k, g in orgs]
    by_short = _fulls_by_short(fulls)
    out: list[Noted] = []
    for key in list(groups):
        group = groups[key]
        if not _may_be_short_name(key, group):
            continue
        words_ = _org_words(key)
        use = qualifiers if group.label() == Label.ORG else None
        owners = [
            fulls[i][1]
            for i in by_short.get(tuple(words_), [])
            if fulls[i][1] is not group and _adds_only(words_, fulls[i][0], use)
        ]
        if len(owners) == 1:
            out += _join_short(groups, key, owners[0])
    return out


def _fulls_by_short(fulls: list[tuple[list[str], Group]]) -> dict[tuple[str, ...], list[int]]:
    """Full names by the short names they may extend: their first words (before legal forms)
    and last words (after a country); a lookup, not a scan of every organisation."""
    by_short: dict[tuple[str, ...], list[int]] = {}
    for i, (full, _) in enumerate(fulls):
        shorts = {tuple(full[:n]) for n in range(1, len(full))}
        shorts.update(tuple(full[-n:]) for n in range(max(1, len(full) - 2), len(full)))
        for short in shorts:
            by_short.setdefault(short, []).append(i)
    return by_short


def _may_be_short_name(key: str, group: Group) -> bool:
    """An organisation, or a one-word place-typed name not used as a place: it joins only as
    the head of a company ("Fortress")."""
    label = group.label()
    if label not in PLACES | {Label.ORG} or key in ALIASES:
        return False
    return label == Label.ORG or not (
        " " in key or key in PLACE_NAMES or any(m.place for m in group.mentions)
    )


def _join_short(groups: Groups, key: str, owner: Group) -> list[Noted]:
    group = groups[key]
    words_ = _org_words(key)
    full = _org_words(owner.key)
    if full[: len(words_)] == words_ and all(w in LEGAL_FORMS for w in full[len(words_) :]):
        owner.prefer(group.name())  # "TransCanada", not "TransCanada Corp."
    change = TypeChange(
        group.name(), "short-org-name", group.label(), owner.label(),
        f"short name of {owner.name()!r}",
    )  # fmt: skip
    group.retype(owner.label())
    owner.add(groups.pop(key).mentions)
    return [(group.mentions[0], change)]


def _org_words(key: str) -> list[str]:
    return [w.strip(",;:") for w in key.split() if w.strip(",;:")]


def _adds_only(short: list[str], full: list[str], qualifiers: set[str] | None) -> bool:
    """Whether `full` is `short` plus legal-form words after it or, with `qualifiers`, a
    country or nationality before it."""
    n = len(short)
    if not short or len(full) <= n:
        return False
    if full[:n] == short:
        return all(w in ORG_NAME_EXTENSIONS for w in full[n:])
    if qualifiers is not None and full[-n:] == short and len(full) - n <= 2:
        extra = " ".join(full[:-n])
        return (
            extra in qualifiers
            or extra in ALIASES
            or extra in PLACE_NAMES
            or (len(full) - n == 1 and extra.endswith(DEMONYM_ENDINGS))
        )
    return False


# -- common nouns ------------------------------------------------------------------------------


def common_nouns(groups: Groups) -> list[Noted]:
    """A one-word PERSON that is no given name or surname of a person named in full, never
    speaks and is used like a common noun or a place ("the Sharks", "a hard Brexit", "in
    Java") is not a person."""
    surnames = _surnames(groups)
    by_word: dict[str, list[Group]] = {}  # the groups whose key has the word, in order
    for key, group in groups.items():
        for w in set(key.split()):
            by_word.setdefault(w, []).append(group)
    out: list[Noted] = []
    for group in groups.values():
        words_ = name_tokens(group.key)
        if group.label() != Label.PERSON or len(words_) != 1 or words_[0] in surnames:
            continue
        if is_given_name(words_[0]) or any(m.speaks for m in group.mentions):
            continue
        new = _common_noun_label(group, by_word.get(words_[0], []))
        if new is not None:
            out += _retype(group, new[0], "common-noun", new[1])
    return out


def _common_noun_label(group: Group, holders: list[Group]) -> tuple[str, str] | None:
    """The type of a one-word PERSON used like a common noun or a place, and why."""
    common = sum(m.common for m in group.mentions)
    place = sum(m.place for m in group.mentions)
    if not common and not place:
        return None
    if any(is_plural_name(m.text) for m in group.mentions) and place <= common:
        label = Label.NORP if group.votes()[Label.NORP] else Label.ORG  # "the Sharks"
        return label, "a plural name used like a common noun: a group"
    if place > common:
        return Label.GPE, "used as a place more than as a common noun"
    return _other_label(group, holders), "used like a common noun"


def _other_label(group: Group, holders: list[Group]) -> str:
    """The type a word that is not a person takes: that of the names it is part of ("South
    Surrey", "City of Surrey": the `holders`, groups whose key has the word), else its own
    other votes, else ORG."""
    votes: Counter[str] = Counter()
    for other in holders:
        if other is not group:
            lab = other.label()
            if lab != Label.PERSON:
                votes[Label.GPE if lab in PLACES else lab] += 1
    if not votes:
        votes = group.votes(discount=False)
        del votes[Label.PERSON]
    return votes.most_common(1)[0][0] if votes else Label.ORG
