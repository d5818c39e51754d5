"""Speaker resolution: from the word that names a speaker to a resolved name.

The quote step finds *where* the speaker is named (the subject of a speech verb, the object
of "according to", the name after a dash); :class:`SpeakerResolver` decides *who* that is:
the entity whose mention it is, the person a pronoun refers to, or a description.
"""

from __future__ import annotations

import bisect

from spacy.tokens import Doc, Token

from newswire_shared.schemas import Entity, Speaker

from ._speech import PERSON_PRONOUNS


class SpeakerResolver:
    """Turns the token naming a speaker into a Speaker, using the entities' mentions."""

    def __init__(self, doc: Doc, entities: list[Entity]) -> None:
        spans = sorted(
            ((m.start, m.end, e) for e in entities for m in e.mentions), key=lambda t: t[:2]
        )
        self._spans = spans
        self._starts = [s for s, _, _ in spans]
        self._persons = [e for e in entities if e.label == "PERSON"]
        subjects: list[tuple[int, Entity]] = []
        for s, e, ent in spans:
            span = doc.char_span(s, e, alignment_mode="expand")
            if ent.label == "PERSON" and span is not None and span.root.dep_.startswith("nsubj"):
                subjects.append((s, ent))
        self._subjects = subjects
        self._subject_starts = [s for s, _ in subjects]

    def last_subject_person_before(self, pos: int) -> Entity | None:
        """The PERSON most recently named as a subject before `pos` (pronoun antecedent)."""
        i = bisect.bisect_left(self._subject_starts, pos) - 1
        return self._subjects[i][1] if i >= 0 else self.last_person_before(pos)

    def by_surname(self, word: str) -> Entity | None:
        """A PERSON whose name contains the proper noun `word` (spaCy missed the mention)."""
        key = word.casefold()
        hits = [e for e in self._persons if key in e.name.casefold().split()]
        return max(hits, key=lambda e: e.count) if hits else None

    def at(self, start: int, end: int) -> Entity | None:
        """The entity with a mention overlapping [start, end)."""
        i = bisect.bisect_right(self._starts, end) - 1
        best: Entity | None = None
        while i >= 0 and self._spans[i][0] < end:
            s, e, ent = self._spans[i]
            better = best is None or (ent.label == "PERSON" and best.label != "PERSON")
            if e > start and s < end and better:
                best = ent
            if s < start - 200:
                break
            i -= 1
        return best

    def last_person_before(self, pos: int) -> Entity | None:
        """The PERSON most recently mentioned before `pos`."""
        i = bisect.bisect_left(self._starts, pos) - 1
        while i >= 0:
            ent = self._spans[i][2]
            if ent.label == "PERSON":
                return ent
            i -= 1
        return None

    def speaker(self, tok: Token | None) -> Speaker:
        """Resolve a subject token to a Speaker (pronouns to the last named person)."""
        if tok is None:
            return Speaker()
        if tok.lower_ in PERSON_PRONOUNS:
            ent = self.last_subject_person_before(tok.idx)
        else:
            ent = self.at(tok.idx, tok.idx + len(tok))
            if ent is None and tok.pos_ == "PROPN":
                ent = self.by_surname(tok.text)
            if ent is None:
                left, right = tok.left_edge, tok.right_edge
                ent = self.at(left.idx, right.idx + len(right))
        if ent is None:
            return Speaker()
        return Speaker(name=ent.name, entity_id=ent.id)
