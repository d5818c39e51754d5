"""What the steps decided and why: the records behind ``--explain`` and a result's
``explanation``.

The steps stay pure functions; each returns its records beside its output:

- cleaning: a :class:`Removal` per dropped line or block (which rule, which
  :class:`~newswire_enrich.clean.RemovalReason`);
- entity typing: a :class:`TypeChange` per label a typing pass set, changed or dropped;
- quotes: an :class:`Attribution` per statement (which strategy found it, which cue, how its
  speaker was resolved), carried on the Quote as ``found_by`` and ``resolved_by``.

The Pipeline turns them into the schema's :class:`~newswire_shared.schemas.Explanation`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Longest removed text kept in an explanation.
MAX_REMOVED_CHARS = 300


@dataclass(frozen=True, slots=True)
class Removal:
    """A line or block the cleaning step dropped."""

    rule: str
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class TypeChange:
    """A typing pass set, changed or dropped (label None) the type of a name."""

    name: str
    step: str
    previous: str | None
    label: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who said a statement and how that was found: the output of one attribution strategy.

    `found_by` names the strategy that found the statement, `resolved_by` how the speaker
    text was turned into a name (None when nobody is named); `entity_id` is the speaker's
    entity when the name is one.
    """

    speaker: str | None
    cue: str | None
    found_by: str
    resolved_by: str | None = None
    entity_id: str | None = None
