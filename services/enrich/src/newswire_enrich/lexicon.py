"""Word lists the rules use, kept as data: one file per concept and language, loaded once.

Every vocabulary of the enrichment (speech verbs, titles, organisation nouns, pronouns, ...)
lives in ``data/lexicon/<language>/<concept>.txt``: one entry per line (an entry may hold
spaces), ``#`` starts a comment, blank lines are ignored, entries are lower case unless the
concept says otherwise. Pairs (a spelling and what it stands for) live in ``<concept>.tsv``
with two tab-separated columns. Code asks for a concept by name and never defines a word
list of its own, so each concept is defined once and can be read, diffed and extended
without reading code::

    from newswire_enrich.lexicon import words
    SPEECH_VERBS = words("speech_verbs")

A missing concept is a :class:`LexiconError` at import time, not a silent empty set.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

from newswire_enrich.errors import EnrichError

DEFAULT_LANGUAGE = "en"


class LexiconError(EnrichError):
    """A lexicon file is missing or malformed (a packaging or editing mistake)."""


def _lines(concept: str, language: str, suffix: str) -> list[str]:
    name = f"{concept}.{suffix}"
    folder = resources.files("newswire_enrich").joinpath("data", "lexicon", language)
    try:
        text = folder.joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise LexiconError(f"no lexicon {language}/{name} in newswire_enrich/data") from exc
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


@cache
def words(concept: str, language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """The entries of ``data/lexicon/<language>/<concept>.txt``."""
    return frozenset(" ".join(line.split()) for line in _lines(concept, language, "txt"))


@cache
def pairs(concept: str, language: str = DEFAULT_LANGUAGE) -> Mapping[str, str]:
    """The two columns of ``data/lexicon/<language>/<concept>.tsv`` as a read-only mapping."""
    out: dict[str, str] = {}
    for line in _lines(concept, language, "tsv"):
        key, sep, value = line.partition("\t")
        if not sep or not key.strip() or not value.strip():
            raise LexiconError(f"{language}/{concept}.tsv: not two tab-separated columns: {line!r}")
        out[key.strip()] = value.strip()
    return MappingProxyType(out)


def concepts(language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Names of the concepts available for `language` (file names without suffix)."""
    folder = resources.files("newswire_enrich").joinpath("data", "lexicon", language)
    if not folder.is_dir():
        return []
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in folder.iterdir()
        if entry.name.endswith((".txt", ".tsv"))
    )
