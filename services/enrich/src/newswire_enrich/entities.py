"""Entities step: spaCy's NER spans become one ranked record per real-world entity.

1. **mentions** (:func:`body_mentions`): each NER span is repaired (``_entity_spans``: one
   span per line, a given name left out put back, words let in dropped, "Vancouver's Bo
   Horvat" split), cut to the bare name (no "the", titles, possessive) and typed by the
   :data:`MENTION_PASSES`; names spaCy missed ("Sandra Oh" in a list) are added;
2. **groups**: mentions with the same name key form a group; known spellings of one place or
   body ("U.S.", "US", "the United States") share a key;
3. **group passes** (:data:`GROUP_PASSES`): relatives, partial names joining the full name
   ("Xi", "Lavrov"), acronyms, known places and organisations, short organisation names,
   one-word "people" used like common nouns;
4. **ranking**: type by weighted vote (a full name counts more than a surname), the longest
   full form as the canonical name, and a salience in 0-1 from frequency, first position,
   presence in the headline and grammatical subjecthood.

Entity ids (``E1``...) follow salience: ``E1`` is the most central entity.

**Why an entity has its type.** Every pass returns the changes it made as
:class:`~newswire_enrich.decisions.TypeChange` records; ``group_mentions(..., trace=[])``
appends them, entity by entity in the order of the result: first the model's own label
(step ``model``), then each change in pass order, and a ``vote`` record when the weighted
vote over the mentions ends on another label, so the last record of an entity always holds
its final label. In the trace, ``TypeChange.name`` is the final entity's name
(``Entity.name``); the name as the pass saw it, when it differs, ends the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Span

from newswire_enrich import _group_typing as group_typing
from newswire_enrich import _mention_typing as mention_typing
from newswire_enrich._entity_groups import ALIASES, Group, group_key, rank
from newswire_enrich._entity_spans import (
    capitalised_runs,
    extend,
    is_title_complement,
    narrow,
    split_lines,
    split_possessive,
)
from newswire_enrich._mention_typing import (
    Candidate,
    Mention,
    after_title,
    demonym,
    described_as_person,
    described_as_person_tok,
    listed_with_person,
    org_head_word,
    org_name_cue,
    person_name_shape,
    title_alone,
    title_in_span,
)
from newswire_enrich._names import (
    NON_PERSON_WORDS,
    TITLES,
    looks_like_person_name,
    name_key,
    name_tokens,
)
from newswire_enrich.decisions import TypeChange
from newswire_enrich.labels import NUMERIC, Label
from newswire_shared.schemas import Entity

__all__ = [
    "ALIASES",
    "GROUP_PASSES",
    "MENTION_PASSES",
    "NUMERIC_LABELS",
    "BodyMention",
    "body_mentions",
    "extract_entities",
    "group_mentions",
]

#: spaCy labels that are values, not things: never reported as entities.
NUMERIC_LABELS = NUMERIC

#: A name mention found in the body by :func:`body_mentions`, for :func:`group_mentions`.
BodyMention = Mention


@dataclass(frozen=True, slots=True)
class MentionPass:
    """A typing pass over one mention: `apply` returns the retyped candidate or None.

    An `exclusive` pass is skipped once an earlier exclusive pass retyped the mention: those
    are alternatives, the first that applies decides.
    """

    step: str
    reason: str
    apply: Callable[[Candidate], Candidate | None]
    exclusive: bool = True


@dataclass(frozen=True, slots=True)
class GroupPass:
    """A typing or linking pass over all groups; `apply` returns the changes it made."""

    step: str
    apply: Callable[[dict[str, Group]], list[group_typing.Noted]]


#: Entity typing, in order. First each mention by itself (the model's label, then these)...
MENTION_PASSES: tuple[MentionPass, ...] = (
    MentionPass("title-alone", "a title alone names nobody", title_alone, False),
    MentionPass("org-name-cue", "after a noun for an organisation", org_name_cue),
    MentionPass("person-name-shape", "a given name and a surname", person_name_shape),
    MentionPass("after-title", "right after a title", after_title),
    MentionPass("listed-with-person", "co-ordinated with a person", listed_with_person),
    MentionPass("described-as-person", "described as a person", described_as_person),
    MentionPass("org-head-word", "ends with an organisation word", org_head_word),
    MentionPass("demonym", "a place name used as an adjective", demonym),
    MentionPass("title-in-span", "a title before a name", title_in_span, False),
)
#: ... then the groups of mentions, seeing the article's other names.
GROUP_PASSES: tuple[GroupPass, ...] = (
    GroupPass("relative", group_typing.relatives),
    GroupPass("partial-name", group_typing.partial_names),
    GroupPass("acronym", group_typing.acronyms),
    GroupPass("known-place", group_typing.known_places),
    GroupPass("known-org", group_typing.known_orgs),
    GroupPass("short-org-name", group_typing.short_org_names),
    GroupPass("common-noun", group_typing.common_nouns),
)
#: Steps that are not passes: the model's label, span repair, the final vote.
_MODEL, _SPLIT, _MISSED, _VOTE = "model", "possessive-split", "missed-name", "vote"
_ORDER = {
    step: n
    for n, step in enumerate(
        [_MODEL, _SPLIT, _MISSED]
        + [p.step for p in MENTION_PASSES]
        + [p.step for p in GROUP_PASSES]
        + [_VOTE]
    )
}


def extract_entities(
    doc: Doc, title_doc: Doc | None = None, trace: list[TypeChange] | None = None
) -> list[Entity]:
    """Return the entities of an article, most salient first.

    `doc` is the parsed clean body; `title_doc`, if given, the parsed headline. Mention
    offsets point into ``doc.text`` (or the headline's text for ``source="title"``). With
    `trace`, the type decisions are appended to it (see :func:`group_mentions`).
    """
    text = doc.text  # Doc.text is rebuilt from the tokens on every access: read it once
    return group_mentions(_body_mentions(doc, text, 0), title_doc, len(text), trace)


def body_mentions(doc: Doc, offset: int = 0, text: str | None = None) -> list[BodyMention]:
    """Pass 1 alone: the name mentions of `doc`, a piece of the body starting at `offset`.

    A long body is parsed piece by piece; the mentions of all pieces (offsets into the whole
    body) are then grouped at once by :func:`group_mentions`, so entities span the pieces.
    `text` is ``doc.text`` when the caller has it (``Doc.text`` is rebuilt from the tokens on
    every access).
    """
    return _body_mentions(doc, doc.text if text is None else text, offset)


def _body_mentions(doc: Doc, text: str, offset: int) -> list[Mention]:
    subjects = _subject_starts(doc)
    out = _mentions(doc, text, "text")
    for m in out:
        m.subject = m.start in subjects
        m.start += offset
        m.end += offset
    return out


def group_mentions(
    mentions: list[BodyMention],
    title_doc: Doc | None,
    length: int,
    trace: list[TypeChange] | None = None,
) -> list[Entity]:
    """Passes 2-4: group the body's mentions (and the headline's) into ranked entities.

    `length` is the length of the body the mention offsets point into. With `trace` (a
    list), the type decisions of every entity are appended to it, entity by entity in the
    order of the result, each entity's records ending with its final label; each record's
    ``name`` is the name of the entity it belongs to (``Entity.name``, unique in a result).
    """
    groups: dict[str, Group] = {}
    for mention in mentions:
        key = group_key(mention.text)
        groups.setdefault(key, Group(key)).mentions.append(mention)
    if title_doc is not None:
        _add_title(groups, title_doc)
    for group_pass in GROUP_PASSES:
        for mention, change in group_pass.apply(groups):
            if trace is not None:
                mention.note(change)
    ranked = rank(list(groups.values()), length)
    if trace is not None:
        for entity, group in ranked:
            trace += _explain(entity, group)
    return [entity for entity, _ in ranked]


def _add_title(groups: dict[str, Group], title_doc: Doc) -> None:
    """The headline's mentions join the body's groups (or start their own)."""
    for mention in _mentions(title_doc, title_doc.text, "title"):
        mention = _narrow_to_known(mention, groups)
        groups.setdefault(group_key(mention.text), Group("")).mentions.append(mention)
    for key, group in groups.items():
        group.key = group.key or key


# -- pass 1: mentions ------------------------------------------------------------------------


def _mentions(doc: Doc, text: str, source: str) -> list[Mention]:
    out: list[Mention] = []
    covered: set[int] = set()
    for ent in doc.ents:
        covered.update(range(ent.start, ent.end))
        if ent.label_ in NUMERIC or is_title_complement(ent):
            continue
        for line in split_lines(extend(ent, covered)):
            for part in split_possessive(line):
                narrowed = narrow(part)
                mention = (
                    _mention(narrowed, text, source, ent.label_) if narrowed is not None else None
                )
                if mention is not None:
                    out.append(mention)
    for span in _missed_person_names(doc, covered):
        mention = _mention(span, text, source, None)
        if mention is not None:
            out.append(mention)
    return out


def _mention(span: Span, text: str, source: str, model: str | None) -> Mention | None:
    """The typed mention of a repaired span, or None when it names nothing. `model` is the
    label the model gave the span it came from (None: a name the model missed)."""
    c = mention_typing.candidate(span, text)
    if c is None:
        return None
    if span.label_ != model:
        step, why = (_MISSED, "a name the model missed") if model is None else (
            _SPLIT, "split at a possessive")  # fmt: skip
        c.note(TypeChange(c.name, step, model, c.label, why))
    c = _type(c)
    if c.label is None:
        return None
    mention = mention_typing.build(c, source)
    mention.model = model
    return mention


def _type(c: Candidate) -> Candidate:
    """Run the mention passes over `c`; each change is kept on the candidate."""
    decided = False
    for p in MENTION_PASSES:
        if p.exclusive and decided:
            continue
        new = p.apply(c)
        if new is None:
            continue
        new.note(TypeChange(c.name, p.step, c.label, new.label, p.reason))
        decided = decided or p.exclusive
        c = new
        if c.label is None:
            break
    return c


def _missed_person_names(doc: Doc, covered: set[int]) -> list[Span]:
    """Runs of 2-3 capitalised proper nouns outside any entity that start with a given name,
    and lone names introduced by a description ("Yuni, a resident of Lampung")."""
    out: list[Span] = []
    for i, j in capitalised_runs(doc, covered):
        if (2 <= j - i <= 3 and looks_like_person_name(doc[i:j].text)) or (
            j - i == 1 and _introduced_person(doc, i)
        ):
            out.append(Span(doc, i, j, label=Label.PERSON))
    return out


def _introduced_person(doc: Doc, i: int) -> bool:
    """A lone capitalised name introduced by a description of a person: "Yuni, a resident
    of Lampung", "Ahmad, 42,"."""
    tok = doc[i]
    if tok.ent_type_ or name_key(tok.text) in NON_PERSON_WORDS | TITLES or tok.is_sent_end:
        return False
    return described_as_person_tok(tok)


def _narrow_to_known(mention: Mention, groups: dict[str, Group]) -> Mention:
    """A headline span that runs past a name the body knows ("Lavrov Strengthen") is cut
    back to that name."""
    if group_key(mention.text) in groups:
        return mention
    lowered = mention.text.casefold()
    for known in sorted(groups, key=len, reverse=True):
        for form in {m.text for m in groups[known].mentions}:
            at = lowered.find(form.casefold())
            if at >= 0 and len(form) < len(mention.text):
                start = mention.start + at
                return Mention(
                    start, start + len(form), form, mention.label, mention.source,
                    mention.personish, max(1, len(name_tokens(form))),
                    model=mention.model, changes=mention.changes,
                )  # fmt: skip
    return mention


def _subject_starts(doc: Doc) -> set[int]:
    """Character offsets of tokens inside grammatical subjects."""
    starts: set[int] = set()
    for tok in doc:
        if tok.dep_ in ("nsubj", "nsubjpass"):
            starts.update(t.idx for t in tok.subtree)
    return starts


# -- the trace ---------------------------------------------------------------------------------


def _explain(entity: Entity, group: Group) -> list[TypeChange]:
    """The type decisions of one entity: its mentions' changes, once each, in pass order,
    named after the entity, ending with its final label."""
    seen: set[tuple[str, str | None, str | None, str]] = set()
    out: list[TypeChange] = []
    changes = [
        TypeChange(m.text, _MODEL, None, m.model, "the model's label") for m in group.mentions
    ]
    changes += [c for m in group.mentions for c in (m.changes or ())]
    for change in sorted(changes, key=lambda c: _ORDER[c.step]):
        reason = change.reason
        if change.name != entity.name:
            reason = f"{reason} ({change.name!r})"
        item = (change.step, change.previous, change.label, reason)
        if item not in seen:
            seen.add(item)
            out.append(
                replace(
                    change,
                    name=entity.name,
                    previous=_plain(change.previous),
                    label=_plain(change.label),
                    reason=reason,
                )
            )
    last = out[-1].label if out else None
    if last != entity.label:
        votes = ", ".join(f"{lab} {n}" for lab, n in group.votes().most_common())
        out.append(TypeChange(entity.name, _VOTE, last, entity.label, f"weighted vote: {votes}"))
    return out


def _plain(label: str | None) -> str | None:
    """A label as a plain string (a :class:`Label` member is one, but prints as a member)."""
    return None if label is None else str(label)
