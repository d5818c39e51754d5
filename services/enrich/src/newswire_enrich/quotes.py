"""Quotes step: attributed statements (direct, mixed, indirect) and their speakers.

Three finders, each recording itself as the quote's ``found_by``:

- quoted passages (:mod:`._quotemarks`): inside a reported clause the whole clause is the
  statement (``quote-in-clause``, mixed); otherwise the passage itself, attributed by the
  strategies of :mod:`._attribution` (direct, or mixed when it sits in the writer's
  sentence);
- reported clauses (:mod:`._clauses`): ``reporting-clause``, indirect, outside quotation
  marks; ``nested-report`` when the clause holds another speaker's quoted words ('X said Y
  told him "..."': the report X's, the words Y's);
- 'according to X' sentences: ``according-to``, indirect.

Speakers are resolved by :class:`~newswire_enrich._speakers.SpeakerResolver`; how is the
quote's ``resolved_by``.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from newswire_shared.schemas import Entity, Quote, QuoteKind, Speaker

from ._attribution import (
    Context,
    Passage,
    attribute_passage,
    attribution,
    nearest_cue,
    sentence_span,
)
from ._clauses import Clause, find_clauses, paragraph, trim
from ._quotemarks import QuoteMarks, find_quote_marks
from ._speakers import SpeakerResolver, can_speak
from ._speech import (
    according_to,
    is_asserted,
    is_indirect_cue,
    is_quoting,
    is_statement,
    subject_of,
)
from .decisions import Attribution
from .lexicon import words

#: Penn tags of finite verbs: quoted words holding one are a clause, not a label.
_FINITE_TAGS = frozenset({"VBD", "VBZ", "VBP", "MD"})
#: Words between a speech verb and a quoted label it reports ('called [it a] "..."').
_MAX_MIXED_PREFIX = 8
#: Dependents of a speech verb that are no phrase it reports (another verb of the sentence).
_NOT_PHRASE_DEPS = frozenset({"conj", "advcl", "ccomp", "parataxis", "npadvmod", "nsubj"})
#: Finders of a quote that another report may hold ('X said Y told him "..."').
_NESTABLE = frozenset({"quote-marks", "quote-in-clause"})
#: Words a title may keep in lower case.
_TITLE_SMALL_WORDS = words("quoted_title_small_words")
#: Pronouns whose reported clause is no statement of a named speaker.
_NOT_SPEAKERS = words("non_speaker_pronouns")


def _is_title(content: str) -> bool:
    """Title case or capitals with no sentence punctuation: 'Face the Nation', 'WASHED AWAY'."""
    words = [w for w in content.split() if any(c.isalpha() for c in w)]
    if not 2 <= len(words) <= 8 or content.rstrip()[-1:] in ",?!":
        return False
    if content.isupper():
        return True
    return all(w[0].isupper() or w.lower() in _TITLE_SMALL_WORDS for w in words)


def _n_words(text: str) -> int:
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


def _free(
    c: Clause, nested: bool, reporting: list[Clause], occupied: list[tuple[int, int]]
) -> bool:
    """Whether no other report or quote claims a reported clause: no report inside it ("CCTV
    said Lavrov said ...": the innermost one), no quoted words in it unless it is a nested
    report, which must hold them whole."""
    overlapping = [(s, e) for s, e in occupied if s < c.end and c.start < e]
    if nested:
        return all(c.start <= s and e <= c.end + 1 for s, e in overlapping)
    inner = any(c.start <= o.verb.idx < c.end for o in reporting if o is not c)
    return not inner and not overlapping


def _someone(att: Attribution, subj: Token) -> bool:
    """Whether the speaker of a statement is someone: named, or described as people or a body."""
    if att.speaker is None:
        return False
    return att.resolved_by != "description" or can_speak(subj)


def _quote(text: str, start: int, end: int, kind: QuoteKind, att: Attribution) -> Quote:
    return Quote(
        text=text[start:end],
        kind=kind,
        speaker=Speaker(name=att.speaker, entity_id=att.entity_id),
        cue=att.cue,
        start=start,
        end=end,
        rule=att.found_by,
        found_by=att.found_by,
        resolved_by=att.resolved_by,
    )


class _Extractor:
    def __init__(
        self,
        doc: Doc,
        entities: list[Entity],
        text: str | None,
        plain_words: frozenset[str],
    ) -> None:
        self.doc = doc
        self.text = doc.text if text is None else text
        self.resolver = SpeakerResolver(doc, entities, self.text, plain_words=plain_words)
        self.clauses = find_clauses(doc, self.text)
        self.marks = find_quote_marks(self.text)
        self.ctx = Context(doc, self.text, self.resolver, self.marks)
        self.quotes: list[Quote] = []

    def _clause_for(self, qm: QuoteMarks) -> Clause | None:
        """The reported clause holding the quote: the narrowest statement, else any."""
        inside = [c for c in self.clauses if c.start <= qm.open + 1 and qm.close <= c.end + 1]
        stated = [c for c in inside if is_statement(c.verb)]
        return min(stated or inside, key=lambda c: c.end - c.start) if inside else None

    def _is_direct(self, qm: QuoteMarks, sent: Span) -> bool:
        cs, ce = qm.content
        content = self.text[cs:ce].lstrip(" ‘'\"“")
        prefix = self.text[sent.start_char : qm.open].strip()
        if not prefix or prefix.endswith(":"):
            return True
        upper = content[:1].isupper()
        if prefix.endswith(",") and (upper or any(c in prefix for c in '"“”')):
            return True
        before = self.doc.char_span(qm.open - 1, qm.open, alignment_mode="expand")
        prev = self.text[: qm.open].rstrip()
        if upper and before is not None and prev:
            tok = self.doc.char_span(len(prev) - 1, len(prev), alignment_mode="expand")
            if tok is not None and len(tok) and is_quoting(tok[-1]):
                return True
        return False

    def _is_reported_fragment(self, qm: QuoteMarks) -> bool:
        """Whether quoted words inside a sentence are someone's words, not a scare quote.

        They are when they make a clause of their own (a finite verb: 'Macri "discussed
        ..."') or follow a speech verb, 'that' or 'as' ('described as "lacking ..."').
        """
        cs, ce = qm.content
        words = self.doc.char_span(cs, ce, alignment_mode="contract")
        if words is not None and any(t.tag_ in _FINITE_TAGS for t in words):
            return True
        before = self.doc.char_span(max(qm.open - 1, 0), qm.open, alignment_mode="expand")
        i = before[0].i if before is not None and len(before) else -1
        while i >= 0 and (self.doc[i].is_punct or self.doc[i].is_space):
            i -= 1
        if i < 0:
            return True
        tok = self.doc[i]
        return tok.lower_ in ("as", "that") or is_quoting(tok)

    def quote_marks(self) -> None:
        """The quotes of the quoted passages, in order (each may continue the one before)."""
        prev: Quote | None = None
        prev_end_sent = -1
        open_ended: dict[int, Quote] = {}  # quotes whose closing mark is in a later paragraph
        for qm in self.marks:
            cs, ce = trim(self.text, *qm.content)
            clause = self._clause_for(qm)
            if clause is not None and clause.start >= qm.open:
                clause = None  # the clause is the quote itself: a direct quote
            if _n_words(self.text[cs:ce]) < 2 and clause is None:
                continue
            sent = sentence_span(self.doc, self.text, qm.open, qm.close)
            if clause is not None:
                if clause.used:
                    continue
                q: Quote | None = self._clause_quote(clause)
            else:
                q = self._passage_quote(Passage(qm, sent, 0, False, prev, prev_end_sent))
                if q is not None and not qm.closed and (q.found_by == "follow-on" or q.cue is None):
                    open_ended[len(self.quotes)] = q
            if q is not None:
                self.quotes.append(q)
                prev, prev_end_sent = q, sent.end
        self._spanning_paragraphs(open_ended)

    def _clause_quote(self, clause: Clause) -> Quote:
        """Quoted words inside a reported clause: the whole clause is the statement."""
        clause.used = True
        res = self.resolver.resolve(subject_of(clause.verb))
        att = attribution(res, clause.verb.text, "quote-in-clause")
        return _quote(self.text, *trim(self.text, clause.start, clause.end), QuoteKind.MIXED, att)

    def _passage_quote(self, p: Passage) -> Quote | None:
        """The quoted passage as a quote of its own, or None (a title, a scare quote)."""
        qm = p.marks
        for c in self.clauses:
            if c.start >= qm.open and c.end <= qm.close + 1:
                c.used = True  # clauses inside the quote are the speaker's words
        cs, ce = trim(self.text, *qm.content)
        content = self.text[cs:ce]
        if _is_title(content):
            return None  # a title of a work or a heading, not somebody's words
        direct = self._is_direct(qm, p.sent)
        if not direct and not self._is_reported_fragment(qm):
            return None  # a scare quote or a nickname inside the writer's own sentence
        p = Passage(qm, p.sent, _n_words(content), direct, p.previous, p.previous_sent_end)
        att = attribute_passage(self.ctx, p)
        if att is None:
            return None
        if direct:
            return _quote(self.text, cs, ce, QuoteKind.DIRECT, att)
        if att.found_by == "quote-marks":
            cs, ce = self._mixed_clause(qm, p.sent) or (cs, ce)
        return _quote(self.text, cs, ce, QuoteKind.MIXED, att)

    def _mixed_clause(self, qm: QuoteMarks, sent: Span) -> tuple[int, int] | None:
        """The reported phrase around a quoted label in the writer's sentence, as for quotes
        in a reported clause: from after the speech verb to the end of its phrase holding
        the words ('accused him of being a "very weak leader"', 'called it a "global
        takeover"'). Only a short phrase (at most one word more outside the marks than inside),
        next to the verb (no 'that', no punctuation between), around words that are no
        clause of their own."""
        cue = nearest_cue(sent, *qm.content)
        words = self.doc.char_span(*qm.content, alignment_mode="contract")
        if cue is None or cue.idx > qm.open or words is None or not len(words):
            return None
        if any(t.tag_ in _FINITE_TAGS for t in words):
            return None
        between = self.doc[cue.i + 1 : words[0].i - 1]
        if not 0 < len(between) <= _MAX_MIXED_PREFIX or any(
            t.lower_ == "that" or (t.is_punct and t.idx < qm.open) for t in between
        ):
            return None
        phrase = words[0]
        while phrase.head.i not in (cue.i, phrase.i):
            phrase = phrase.head
        if phrase.head.i != cue.i or phrase.dep_ in _NOT_PHRASE_DEPS:
            return None
        right = phrase.right_edge
        end = max(right.idx + len(right), qm.close + 1)
        pend = paragraph(self.text, qm.open)[1]
        start, end = trim(self.text, between[0].idx, min(end, pend))
        if end > start and self.text[end - 1] == ".":
            start, end = trim(self.text, start, end - 1)
        if _n_words(self.text[start:end]) > 2 * _n_words(self.text[qm.open : qm.close]) + 1:
            return None
        return (start, end) if start < qm.open and end > qm.close else None

    def _spanning_paragraphs(self, open_ended: dict[int, Quote]) -> None:
        """A quote over several paragraphs takes the attribution of a later paragraph.

        The opening mark starts each paragraph and only the last one is closed; when the
        first paragraphs name nobody, the speaker is the one named in the next paragraph.
        """
        for i in sorted(open_ended, reverse=True):
            if i + 1 >= len(self.quotes):
                continue
            q, nxt = self.quotes[i], self.quotes[i + 1]
            between = self.text[q.end : nxt.start]
            if "\n" not in between or between.strip(" \n“\"«'‘") != "":
                continue
            if nxt.speaker.name is None or nxt.found_by not in (
                "quote-marks",
                "spanning-paragraphs",
            ):
                continue
            found = {"found_by": "spanning-paragraphs", "resolved_by": "carried"}
            self.quotes[i] = q.model_copy(
                update={"speaker": nxt.speaker, "cue": nxt.cue, "rule": found["found_by"], **found}
            )

    def indirect(self) -> None:
        """Reported clauses outside quotation marks, then 'according to X' sentences."""
        taken = [(q.start, q.end) for q in self.quotes]
        marks = [(qm.open, qm.close) for qm in self.marks]
        reporting = [c for c in self.clauses if self._states(c) and not c.used]
        for c in reporting:
            q = self._report(c, reporting, taken + marks)
            if q is not None:
                self.quotes.append(q)
        self._according_indirect(taken + marks)

    def _report(
        self, c: Clause, reporting: list[Clause], occupied: list[tuple[int, int]]
    ) -> Quote | None:
        """The indirect quote of a reported clause, or None (taken, too short, nobody's)."""
        nested = self._nested_quote(c)
        if not _free(c, nested is not None, reporting, occupied):
            return None
        if _n_words(self.text[c.start : c.end]) < 4:
            return None
        subj = subject_of(c.verb) or subject_of(c.verb, anywhere=True)
        if subj is None or subj.lower_ in _NOT_SPEAKERS:
            return None
        found_by = "reporting-clause" if nested is None else "nested-report"
        att = attribution(self.resolver.resolve(subj), c.verb.text, found_by)
        if not is_statement(c.verb) and not _someone(att, subj):
            return None  # 'this suggests that ...', 'the details described her as ...'
        if nested is not None and (att.speaker is None or att.speaker == nested.speaker.name):
            return None
        return _quote(self.text, c.start, c.end, QuoteKind.INDIRECT, att)

    def _nested_quote(self, c: Clause) -> Quote | None:
        """The quote another speech verb inside the clause reports: 'X said [Y told him
        "..."]' - the clause is X's statement, the quoted words Y's."""
        for q in self.quotes:
            if not (c.start <= q.start and q.end <= c.end + 1) or q.found_by not in _NESTABLE:
                continue
            span = self.doc.char_span(c.start, q.start, alignment_mode="contract")
            if span is not None and any(t.text == q.cue and is_quoting(t) for t in span):
                return q
        return None

    def _states(self, c: Clause) -> bool:
        """Whether a reported clause is somebody's statement (not a stance, not negated)."""
        first = self.text[c.start : c.end].split(maxsplit=1)[0]
        return is_indirect_cue(c.verb, first) and is_asserted(c.verb)

    def _according_indirect(self, taken: list[tuple[int, int]]) -> None:
        for sent in self.doc.sents:
            if any(s < sent.end_char and sent.start_char < e for s, e in taken):
                continue
            if any(q.start < sent.end_char and sent.start_char < q.end for q in self.quotes):
                continue
            for tok in sent:
                src = according_to(tok)
                if src is not None:
                    self._according_quote(sent, tok.idx, src)
                    break

    def _according_quote(self, sent: Span, according: int, src: Token) -> None:
        """'According to X, A' or 'A, according to X': A is X's statement."""
        phrase_end = src.right_edge.idx + len(src.right_edge)
        if according - sent.start_char < 3:
            start, end = trim(self.text, phrase_end, sent.end_char)
        else:
            start, end = trim(self.text, sent.start_char, according)
        end = end - 1 if end > start and self.text[end - 1] == "." else end
        if _n_words(self.text[start:end]) >= 4:
            res = self.resolver.resolve(src)
            att = attribution(res, "according to", "according-to")
            self.quotes.append(_quote(self.text, start, end, QuoteKind.INDIRECT, att))


def extract_quotes(
    doc: Doc,
    entities: list[Entity],
    text: str | None = None,
    *,
    plain_words: frozenset[str] = frozenset(),
) -> list[Quote]:
    """Find the attributed statements of `doc`, ordered by position.

    `text` is ``doc.text`` when the caller has it (``Doc.text`` is rebuilt from the tokens on
    every access). `plain_words` (``_speakers.plain_words_of(nlp)``) keeps a lone adjective
    or adverb from being taken for a speaker's name.
    """
    ex = _Extractor(doc, entities, text, plain_words)
    ex.quote_marks()
    ex.indirect()
    return sorted(ex.quotes, key=lambda q: (q.start, q.end))
