"""Entities step: spaCy NER spans grouped into one record per real-world thing."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc

from newswire_shared.schemas import Entity, Mention

#: spaCy labels that are values, not things: never reported as entities.
NUMERIC_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})

_TITLES = (
    "president|vice president|vice-president|prime minister|deputy prime minister|minister|"
    "foreign minister|defence minister|defense minister|finance minister|secretary|"
    "secretary of state|secretary-general|secretary general|chancellor|premier|chairman|"
    "chairwoman|chair|governor|gov|senator|sen|representative|rep|congressman|congresswoman|"
    "mayor|councillor|councilor|king|queen|prince|princess|pope|sheikh|emir|general|gen|"
    "lieutenant|lt|colonel|col|captain|capt|admiral|adm|judge|justice|chief|leader|"
    "ambassador|envoy|spokesman|spokeswoman|spokesperson|mr|mrs|ms|miss|dr|prof|professor|"
    "sir|dame|lord|lady|rev|reverend|father|sister|brother|ceo|cfo|director|commissioner|"
    "inspector|sergeant|sgt|officer|constable|attorney general|attorney|premier|mp|mpp|mla"
)
_TITLE_RE = re.compile(rf"^(?:(?:{_TITLES})\.?\s+)+", re.IGNORECASE)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$")
_EDGE_PUNCT = re.compile(r"^[\s\"“”‘’'(\[\-–—,.:;]+|[\s\"“”‘’'()\[\]\-–—,:;]+$")

#: Spellings of one place or organisation, by normalised key -> canonical name.
_ALIASES = {
    "us": "United States",
    "usa": "United States",
    "united states": "United States",
    "united states of america": "United States",
    "un": "United Nations",
    "united nations": "United Nations",
    "eu": "European Union",
    "european union": "European Union",
    "uk": "United Kingdom",
    "united kingdom": "United Kingdom",
}


@dataclass
class _Group:
    names: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def first(self) -> int:
        return min(m.start for m in self.mentions)

    def label(self) -> str:
        first_label = self.labels.most_common(1)[0][0]
        top = max(self.labels.values())
        tied = [lab for lab, n in self.labels.items() if n == top]
        return first_label if len(tied) == 1 else sorted(tied)[0]

    def name(self) -> str:
        canon = {_ALIASES[k] for k in (name_key(n) for n in self.names) if k in _ALIASES}
        if canon:
            return canon.pop()
        return max(self.names, key=lambda n: (len(n.split()), self.names[n], len(n)))


def name_key(name: str) -> str:
    """Normalised form used to compare names: lower case, no dots, one space."""
    return re.sub(r"[.\s]+", " ", name.replace("’", "'").casefold().replace(".", "")).strip()


def _trim(text: str, start: int, end: int, label: str) -> tuple[int, int] | None:
    """Narrow a span's character range to the bare name (no 'the', title, possessive).

    `text` is the document's text, computed once by the caller (``Doc.text`` is rebuilt
    from the tokens on every access).
    """
    changed = True
    while changed and start < end:
        changed = False
        piece = text[start:end]
        for pattern in (_EDGE_PUNCT, _LEADING_THE, _POSSESSIVE) + (
            (_TITLE_RE,) if label == "PERSON" else ()
        ):
            m = pattern.search(piece)
            if m and m.end() - m.start() > 0 and m.end() - m.start() < len(piece):
                if m.start() == 0:
                    start += m.end()
                else:
                    end -= m.end() - m.start()
                changed = True
                break
    piece = text[start:end]
    if not re.search(r"[A-Za-zÀ-ÿ]", piece) or piece.islower():
        return None
    return start, end


def _person_tokens(name: str) -> list[str]:
    return [t for t in name_key(name).split() if len(t) > 1]


def _link_short_names(groups: dict[str, _Group]) -> dict[str, str]:
    """Map a short-name group key to the key of a full PERSON name containing it."""
    persons = [
        k for k, g in groups.items() if g.label() == "PERSON" and len(_person_tokens(k)) >= 2
    ]
    links: dict[str, str] = {}
    for key, group in groups.items():
        toks = _person_tokens(key)
        if not toks or key in persons or key in _ALIASES:
            continue
        if group.label() != "PERSON" and len(toks) > 1:
            continue
        cands = [
            p
            for p in persons
            if p != key
            and len(toks) < len(_person_tokens(p))
            and _contains(_person_tokens(p), toks)
        ]
        if group.label() != "PERSON" and sum(groups[c].labels["PERSON"] for c in cands) == 0:
            continue
        if cands:
            cands.sort(key=lambda p: (_person_tokens(p)[-1] != toks[-1], -len(groups[p].mentions)))
            links[key] = cands[0]
    return links


def _contains(full: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(full[i : i + n] == part for i in range(len(full) - n + 1))


def extract_entities(doc: Doc) -> list[Entity]:
    """Group the named-entity spans of `doc` into entities ordered by first mention."""
    groups: dict[str, _Group] = {}
    doc_text = doc.text
    for ent in doc.ents:
        if ent.label_ in NUMERIC_LABELS:
            continue
        trimmed = _trim(doc_text, ent.start_char, ent.end_char, ent.label_)
        if trimmed is None:
            continue
        start, end = trimmed
        text = doc_text[start:end]
        key = name_key(text)
        key = name_key(_ALIASES.get(key, key))
        group = groups.setdefault(key, _Group())
        group.names[text] += 1
        group.labels[ent.label_] += 1
        group.mentions.append(Mention(start=start, end=end, text=text))
    for short, full in _link_short_names(groups).items():
        target, source = groups[full], groups.pop(short)
        target.labels.update(source.labels)
        target.mentions.extend(source.mentions)
        for n, c in source.names.items():
            target.names[n] += c
    ordered = sorted(groups.values(), key=lambda g: g.first)
    top = max((len(g.mentions) for g in ordered), default=1)
    length = max(len(doc_text), 1)
    out: list[Entity] = []
    for i, g in enumerate(ordered, start=1):
        mentions = sorted(g.mentions, key=lambda m: m.start)
        salience = 0.7 * len(mentions) / top + 0.3 * (1.0 - g.first / length)
        out.append(
            Entity(
                id=f"E{i}",
                name=g.name(),
                label=g.label(),
                mentions=mentions,
                count=len(mentions),
                salience=round(min(max(salience, 0.0), 1.0), 4),
            )
        )
    return out
