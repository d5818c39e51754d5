"""Quotes step: attributed statements (direct, mixed, indirect) and their speakers."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from newswire_shared.schemas import Entity, Quote, QuoteKind, Speaker

from ._quotemarks import QuoteMarks, find_quote_marks
from ._speakers import SpeakerResolver
from ._speech import according_to, is_quoting, is_reporting, subject_of

_STRIP = " \t\n,;:—–-"
_MIN_WORDS_WITHOUT_CUE = 5
#: A quote without its own speech verb continues a quote at most this many sentences back.
_FOLLOW_ON_SENTENCES = 2


@dataclass
class _Clause:
    """A reported clause governed by a speech verb."""

    verb: Token
    start: int
    end: int
    used: bool = False


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _STRIP:
        start += 1
    while end > start and text[end - 1] in _STRIP:
        end -= 1
    return start, end


def _n_words(text: str) -> int:
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


def _clauses(doc: Doc) -> list[_Clause]:
    out: list[_Clause] = []
    text = doc.text  # Doc.text is rebuilt from the tokens on each access
    for tok in doc:
        if not is_quoting(tok):
            continue
        for child in tok.children:
            if child.dep_ == "ccomp" or (child.dep_ == "xcomp" and not is_reporting(tok)):
                left = child.left_edge
                while left.i < child.i and (
                    left.dep_ == "mark" or left.is_punct or left.lower_ == "that"
                ):
                    left = doc[left.i + 1]
                right = child.right_edge
                start, end = _trim(text, left.idx, right.idx + len(right))
                if end > start:
                    out.append(_Clause(tok, start, end))
    return out


def _sentence_span(doc: Doc, start: int, end: int) -> Span:
    first = doc.char_span(start, start + 1, alignment_mode="expand")
    last = doc.char_span(max(end - 1, start), max(end, start + 1), alignment_mode="expand")
    s = first.sent.start if first is not None and len(first) else 0
    e = last.sent.end if last is not None and len(last) else len(doc)
    return doc[s:e]


def _nearest_cue(sent: Span, qstart: int, qend: int) -> Token | None:
    """The quoting verb of the sentence outside the quote, nearest to it."""
    best: tuple[int, Token] | None = None
    for tok in sent:
        if qstart <= tok.idx < qend or not is_quoting(tok):
            continue
        dist = qstart - tok.idx if tok.idx < qstart else tok.idx - qend
        if best is None or dist < best[0]:
            best = (dist, tok)
    return best[1] if best else None


def _according(sent: Span, qstart: int, qend: int) -> Token | None:
    for tok in sent:
        if not (qstart <= tok.idx < qend):
            src = according_to(tok)
            if src is not None:
                return src
    return None


class _Extractor:
    def __init__(self, doc: Doc, entities: list[Entity]) -> None:
        self.doc = doc
        self.text = doc.text
        self.resolve = SpeakerResolver(doc, entities)
        self.clauses = _clauses(doc)
        self.quotes: list[Quote] = []

    def _make(
        self, start: int, end: int, kind: QuoteKind, speaker: Speaker, cue: str | None, rule: str
    ) -> Quote:
        return Quote(
            text=self.text[start:end],
            kind=kind,
            speaker=speaker,
            cue=cue,
            start=start,
            end=end,
            rule=rule,
        )

    def _clause_for(self, qm: QuoteMarks) -> _Clause | None:
        inside = [c for c in self.clauses if c.start <= qm.open + 1 and qm.close <= c.end + 1]
        return min(inside, key=lambda c: c.end - c.start) if inside else None

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

    def _speaker_near(self, qm: QuoteMarks, sent: Span) -> tuple[Speaker, str | None, bool]:
        cs, ce = qm.content
        cue = _nearest_cue(sent, cs, ce)
        if cue is not None:
            subj = subject_of(cue)
            if subj is not None and not (cs <= subj.idx < ce):
                return self.resolve.speaker(subj), cue.text, True
            src = _according(sent, cs, ce)
            if src is not None:
                return self.resolve.speaker(src), "according to", True
            return Speaker(), cue.text, True
        src = _according(sent, cs, ce)
        if src is not None:
            return self.resolve.speaker(src), "according to", True
        return Speaker(), None, False

    def _dash_speaker(self, qm: QuoteMarks) -> Speaker | None:
        after = self.text[qm.close + 1 : qm.close + 6]
        stripped = after.lstrip(" ,")
        if stripped[:1] in ("—", "–", "-"):
            pos = qm.close + 1 + (len(after) - len(stripped)) + 1
            while pos < len(self.text) and self.text[pos] == " ":
                pos += 1
            ent = self.resolve.at(pos, pos + 1)
            if ent is not None:
                return Speaker(name=ent.name, entity_id=ent.id)
        return None

    def _sentences_back(self, sent: Span, n: int) -> int:
        """Token index of the start of the sentence `n` sentences before `sent`."""
        start = sent.start
        for _ in range(n):
            if start == 0:
                break
            start = self.doc[start - 1].sent.start
        return start

    def _previous_sentence(self, sent: Span) -> Span | None:
        if sent.start == 0:
            return None
        return self.doc[sent.start - 1].sent

    def quote_marks(self) -> None:
        prev: Quote | None = None
        prev_end_sent = -1
        for qm in find_quote_marks(self.text):
            cs, ce = _trim(self.text, *qm.content)
            content = self.text[cs:ce]
            clause = self._clause_for(qm)
            if clause is not None and clause.start >= qm.open:
                clause = None  # the clause is the quote itself: a direct quote
            if _n_words(content) < 2 and clause is None:
                continue
            sent = _sentence_span(self.doc, qm.open, qm.close)
            if clause is not None:
                if clause.used:
                    continue
                clause.used = True
                spk = self.resolve.speaker(subject_of(clause.verb))
                q = self._make(
                    *_trim(self.text, clause.start, clause.end),
                    QuoteKind.MIXED,
                    spk,
                    clause.verb.text,
                    "quote-in-clause",
                )
            else:
                for c in self.clauses:
                    if c.start >= qm.open and c.end <= qm.close + 1:
                        c.used = True  # clauses inside the quote are the speaker's words
                direct = self._is_direct(qm, sent)
                spk, cue, has_cue = self._speaker_near(qm, sent)
                rule = "quote-marks"
                if spk.name is None:
                    dash = self._dash_speaker(qm)
                    if dash is not None:
                        spk, cue, has_cue, rule = dash, "—", True, "dash-attribution"
                if not has_cue and direct:
                    before = self._previous_sentence(sent)
                    near = self._sentences_back(sent, _FOLLOW_ON_SENTENCES)
                    if prev is not None and before is not None and prev_end_sent >= near:
                        spk, cue, has_cue, rule = prev.speaker, prev.cue, True, "follow-on"
                    elif before is not None and before.text.rstrip().endswith(":"):
                        spk, cue, has_cue = self._speaker_near(
                            QuoteMarks(before.end_char, before.end_char), before
                        )
                        rule = "colon-intro"
                if not has_cue and _n_words(content) < _MIN_WORDS_WITHOUT_CUE:
                    continue
                if not direct and not has_cue:
                    continue
                kind = QuoteKind.DIRECT if direct else QuoteKind.MIXED
                q = self._make(cs, ce, kind, spk, cue, rule)
            self.quotes.append(q)
            prev, prev_end_sent = q, sent.end

    def indirect(self) -> None:
        taken = [(q.start, q.end) for q in self.quotes]
        marks = [(qm.open, qm.close) for qm in find_quote_marks(self.text)]
        reporting = [c for c in self.clauses if is_reporting(c.verb) and not c.used]
        for c in reporting:
            if any(o.verb.idx >= c.start and o.verb.idx < c.end for o in reporting if o is not c):
                continue  # keep the innermost report: "CCTV said Lavrov said ..."
            if any(s < c.end and c.start < e for s, e in taken + marks):
                continue
            if _n_words(self.text[c.start : c.end]) < 4:
                continue
            subj = subject_of(c.verb)
            if subj is None or subj.lower_ in ("i", "we", "you", "it"):
                continue
            self.quotes.append(
                self._make(
                    c.start,
                    c.end,
                    QuoteKind.INDIRECT,
                    self.resolve.speaker(subj),
                    c.verb.text,
                    "reporting-clause",
                )
            )
        self._according_indirect(taken + marks)

    def _according_indirect(self, taken: list[tuple[int, int]]) -> None:
        for sent in self.doc.sents:
            if any(s < sent.end_char and sent.start_char < e for s, e in taken):
                continue
            if any(q.start < sent.end_char and sent.start_char < q.end for q in self.quotes):
                continue
            for tok in sent:
                src = according_to(tok)
                if src is None:
                    continue
                phrase_end = src.right_edge.idx + len(src.right_edge)
                if tok.idx - sent.start_char < 3:
                    start, end = _trim(self.text, phrase_end, sent.end_char)
                else:
                    start, end = _trim(self.text, sent.start_char, tok.idx)
                end = end - 1 if end > start and self.text[end - 1] == "." else end
                if _n_words(self.text[start:end]) >= 4:
                    self.quotes.append(
                        self._make(
                            start,
                            end,
                            QuoteKind.INDIRECT,
                            self.resolve.speaker(src),
                            "according to",
                            "according-to",
                        )
                    )
                break


def extract_quotes(doc: Doc, entities: list[Entity]) -> list[Quote]:
    """Find the attributed statements of `doc`, ordered by position."""
    ex = _Extractor(doc, entities)
    ex.quote_marks()
    ex.indirect()
    return sorted(ex.quotes, key=lambda q: (q.start, q.end))
