"""Personal and organisation names: normalising them and telling people from the rest.

Pure helpers shared by the entity step (grouping, typing) and the quote step (pronouns):
the name key used to compare spellings, title and possessive trimming, a table of common
given names with the share of women bearing them (``data/given_names.tsv``, derived from
nomquamgender, MIT), and words that mark a capitalised phrase as an organisation or place.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from newswire_enrich.labels import Label
from newswire_enrich.lexicon import words

#: Honorifics and offices that precede a person's name and are not part of it.
TITLES = words("titles")
#: Words that, inside a capitalised phrase, make it an organisation, place, work or event.
NON_PERSON_WORDS = words("non_person_words")
#: Last words that make a capitalised phrase an organisation ("South China Morning Post").
ORG_HEAD_WORDS = words("org_head_words")
#: Common nouns for people that the suffix test below misses.
PEOPLE_NOUNS = words("people_nouns")
_PEOPLE_SUFFIXES = tuple(sorted(words("people_noun_suffixes")))
_NOT_PEOPLE = words("not_people_nouns")


def is_people_noun(lemma: str) -> bool:
    """Whether a common noun names people ("critics", "resident", "staff", "spokesperson")."""
    return (
        lemma in PEOPLE_NOUNS
        or lemma in TITLES
        or (lemma.endswith(_PEOPLE_SUFFIXES) and lemma not in _NOT_PEOPLE)
    )


#: Name particles that are given names only rarely at the head of a name ("Al Jazeera").
NAME_PARTICLES = words("name_particles")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_EDGE = re.compile(r"^[\s\"“”‘’'(\[\-–—,.:;]+|[\s\"“”‘’'()\[\]\-–—,:;]+$")
_KEY_STRIP = re.compile(r"[.\s]+")
_NICKNAME = re.compile(r"(?<=\w)\s+[“\"][^“”\"]{1,30}[”\"]\s+(?=\w)")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def strip_nickname(name: str) -> str:
    """Drop a nickname quoted inside a name: 'Riefian "Ifan" Fajarsyah' -> 'Riefian Fajarsyah'."""
    return _NICKNAME.sub(" ", name) if "“" in name or '"' in name else name


@lru_cache(maxsize=8192)
def name_key(name: str) -> str:
    """Return the form used to compare names: case-folded, no dots, single spaces, no
    quoted nickname."""
    folded = strip_nickname(name).replace("’", "'").casefold().replace(".", "")
    return _KEY_STRIP.sub(" ", folded).strip()


def name_tokens(name: str) -> list[str]:
    """Return the comparable words of a name (single letters, e.g. initials, dropped)."""
    return [t for t in name_key(name).split() if len(t) > 1]


def trim_name(text: str, start: int, end: int, *, person: bool) -> tuple[int, int] | None:
    """Narrow ``text[start:end]`` to the bare name: no edge punctuation, 'the', possessive,
    and for people no leading titles. Return None when no name is left."""
    while start < end:
        piece = text[start:end]
        m = _EDGE.search(piece)
        if m and 0 < m.end() - m.start() < len(piece):
            if m.start() == 0:
                start += m.end()
            else:
                end -= m.end() - m.start()
            continue
        m = _LEADING_THE.match(piece)
        if m and m.end() < len(piece):
            start += m.end()
            continue
        m = _POSSESSIVE.search(piece)
        if m and m.start() > 0:
            end -= m.end() - m.start()
            continue
        if person:
            cut = _after_last_title(piece)
            if cut:
                start += cut
                continue
        break
    piece = text[start:end]
    if start >= end or not _WORD.search(piece) or piece.islower():
        return None
    return start, end


def _after_last_title(piece: str) -> int:
    """Offset just past the last title word before the name proper ("Russian Foreign
    Minister Sergey Lavrov" -> start of "Sergey"), or 0 when there is none."""
    cut = 0
    for m in _WORD.finditer(piece):
        if m.end() >= len(piece.rstrip()):
            break
        if m.group().rstrip(".").casefold() in TITLES:
            rest = piece[m.end() :]
            cut = m.end() + len(rest) - len(rest.lstrip())
    return cut


@lru_cache(maxsize=1)
def _given_names() -> dict[str, tuple[int, float]]:
    table: dict[str, tuple[int, float]] = {}
    path = resources.files("newswire_enrich") / "data" / "given_names.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, count, female = line.split("\t")
            table[name] = (int(count), float(female))
    return table


def is_given_name(word: str) -> bool:
    """Return True if `word` is a common given name (case-insensitive)."""
    return name_key(word) in _given_names()


def female_share(first_name: str) -> float | None:
    """Return the share of women among bearers of `first_name`, or None if unknown."""
    found = _given_names().get(name_key(first_name))
    return found[1] if found else None


@lru_cache(maxsize=4096)
def looks_like_person_name(name: str) -> bool:
    """Return True for 2-4 capitalised words that start with a given name and contain no
    organisation or place word ("Julia Child" yes, "Georgia Tech", "China Daily" no)."""
    words = name.split()
    if not 2 <= len(words) <= 4:
        return False
    if not all(w[:1].isupper() for w in words):
        return False
    if any(name_key(w) in NON_PERSON_WORDS for w in words):
        return False
    return name_key(words[0]) not in NAME_PARTICLES and is_given_name(words[0])


@lru_cache(maxsize=4096)
def person_part(name: str) -> str:
    """A person's name without a title glued into the entity name: "Hereditary Chief
    Na'moks" -> "Na'moks"; of a caption glued on across lines ("RONALD/AFP/Getty
    Images\n\nDudi Dwiriadi"), the line most like a person's name. Computed once per name."""
    if "\n" in name:
        lines = [line.strip() for line in name.splitlines() if line.strip()]
        if lines:
            ranked = sorted(
                enumerate(lines),
                key=lambda t: (looks_like_person_name(t[1]), "/" not in t[1], t[0]),
            )
            name = ranked[-1][1]
    cut = trim_name(name, 0, len(name), person=True)
    if not cut or cut == (0, len(name)):
        return name
    rest = name[cut[0] : cut[1]]
    return rest if rest[:1].isupper() and " of " not in f" {rest} " else name


def is_person_entity(label: str, name: str) -> bool:
    """Whether an entity names a person: typed PERSON, or a title glued into its name
    ("Wet'suwet'en Hereditary Chief Na'moks" typed ORG is still a person)."""
    return label == Label.PERSON or person_part(name) != name


#: Countries, national capitals and the main cities of world news, by name key. spaCy's small
#: models type some of them PERSON or ORG ("envoy to Kyiv", "Beijing's crackdown"); a name on
#: this list that is not a person's (given) name is always a place.
PLACE_NAMES = words("place_names")
#: News agencies, broadcasters and platforms that spaCy's small models type PERSON or a place
#: ("after Politico reported", "on Twitter"), by name key.
KNOWN_ORGS = words("known_orgs")
