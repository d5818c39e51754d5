"""newswire's entity types, and the map from a model's NER labels to them.

Results use the OntoNotes type names (what the scorer and most consumers know). Code names
types through :class:`Label`, never as string literals. A model trained on another scheme
(CoNLL/WikiNER's ``PER``/``LOC``/``ORG``/``MISC``, say) is mapped at the boundary, right
after spaCy ran, by :func:`label_map`; labels it maps to None are dropped there. Extra pairs
come from the setting ``NEWSWIRE_LABEL_MAP`` (``PER=PERSON,MISC=``: an empty right side
drops the label).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Label(StrEnum):
    """Entity types of a result (OntoNotes 5 names)."""

    PERSON = "PERSON"
    ORG = "ORG"
    GPE = "GPE"
    LOC = "LOC"
    FAC = "FAC"
    NORP = "NORP"
    PRODUCT = "PRODUCT"
    EVENT = "EVENT"
    WORK_OF_ART = "WORK_OF_ART"
    LAW = "LAW"
    LANGUAGE = "LANGUAGE"
    DATE = "DATE"
    TIME = "TIME"
    PERCENT = "PERCENT"
    MONEY = "MONEY"
    QUANTITY = "QUANTITY"
    ORDINAL = "ORDINAL"
    CARDINAL = "CARDINAL"


#: Places, as the scorer and the speaker rules group them.
PLACES = frozenset({Label.GPE, Label.LOC, Label.FAC})
#: Types that are amounts and times, never speakers or salient names.
NUMERIC = frozenset(
    {Label.DATE, Label.TIME, Label.CARDINAL, Label.ORDINAL, Label.MONEY, Label.PERCENT,
     Label.QUANTITY}
)  # fmt: skip

#: Labels of other common NER schemes and what they mean here (None: dropped).
_KNOWN_SCHEMES: Mapping[str, Label | None] = {
    "PER": Label.PERSON,
    "PERS": Label.PERSON,
    "LOCATION": Label.LOC,
    "ORGANIZATION": Label.ORG,
    "ORGANISATION": Label.ORG,
    "MISC": None,
}


def label_map(
    model_labels: Iterable[str], overrides: Mapping[str, str] | None = None
) -> dict[str, Label | None]:
    """Map each of `model_labels` to a :class:`Label` (or None: not used).

    OntoNotes names map to themselves, the other common schemes' names as above, anything
    else to None; `overrides` (model label -> type name, "" for None) win.
    """
    out: dict[str, Label | None] = {}
    for raw in model_labels:
        if raw in Label.__members__:
            out[raw] = Label(raw)
        else:
            out[raw] = _KNOWN_SCHEMES.get(raw.upper())
    for raw, target in (overrides or {}).items():
        out[raw] = Label(target) if target else None
    return out


def parse_label_map(text: str) -> dict[str, str]:
    """Parse ``"PER=PERSON,MISC="`` into ``{"PER": "PERSON", "MISC": ""}``; raise ValueError
    for a pair without ``=`` or a target that is not a :class:`Label`."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        source, sep, target = item.partition("=")
        if not sep or not source.strip():
            raise ValueError(f"label map entry {item!r} is not MODEL_LABEL=TYPE")
        target = target.strip()
        if target and target not in Label.__members__:
            raise ValueError(f"label map entry {item!r}: {target!r} is not one of {list(Label)}")
        out[source.strip()] = target
    return out


def is_identity(mapping: Mapping[str, Label | None]) -> bool:
    """True when the map changes nothing (an OntoNotes model with no overrides)."""
    return all(target is not None and target.value == raw for raw, target in mapping.items())
