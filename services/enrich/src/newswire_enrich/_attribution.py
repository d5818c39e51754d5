"""Who said a quoted passage: the attribution strategies, in the order they are tried.

:data:`PASSAGE_STRATEGIES` is the whole procedure. Each strategy sees the passage and what
the strategies before it found, and returns a better :class:`~newswire_enrich.decisions.
Attribution` or None (keep what was found):

``quote-marks``
    the speech verb of the sentence nearest to the passage and its subject, or 'according
    to X' ('"...," the minister said'); a verb whose speaker is not found still counts;
``dash-attribution``
    no speaker yet: a name right after the closing mark and a dash ('"..." - Jane Doe');
``quote-marks`` (attribution after)
    nothing found, direct quote: a short sentence right after the closing mark that only
    attributes ('"... going." Levine said Wednesday.');
``colon-intro``
    nothing found, direct quote: the sentence before ends with a colon ('She said:');
``follow-report``, ``follow-subject``, ``follow-on``
    nothing found, direct quote, a quote shortly before: the speaker of a statement reported
    in between, else the person who became the subject in between, else the previous
    quote's speaker (carried);
``topic-person``
    no speaker yet, direct quote: the person last named as a subject shortly before.

Every speaker goes through the :class:`~newswire_enrich._speakers.SpeakerResolver`, so every
name gets the same clean-up; the resolver's rule is the attribution's ``resolved_by``
(``carried`` when the speaker is the previous quote's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Span, Token

from newswire_shared.schemas import Quote

from ._clauses import paragraph
from ._quotemarks import QuoteMarks
from ._speakers import Resolution, SpeakerResolver
from ._speech import according_to, is_asserted, is_quoting, is_statement, subject_of
from .decisions import Attribution

#: A direct quote no strategy attributes is kept only from this many words on.
MIN_WORDS_WITHOUT_CUE = 5
#: A quote without its own speech verb continues a quote at most this many sentences back.
_FOLLOW_ON_SENTENCES = 2
#: A quote naming nobody goes to the person last named as a subject this close before it.
_TOPIC_PERSON_CHARS = 600
#: An attribution sentence after a quote ('"...." Levine said Wednesday.') is this short.
_MAX_ATTRIBUTION_TOKENS = 30
_DASH_MARKS = ("—", "–", "-")


@dataclass(frozen=True)
class Context:
    """What the strategies read: the parse, its text, the resolver, every quoted passage."""

    doc: Doc
    text: str
    resolver: SpeakerResolver
    marks: list[QuoteMarks]


@dataclass(frozen=True)
class Passage:
    """A quoted passage to attribute, with the quote found before it."""

    marks: QuoteMarks
    sent: Span
    words: int
    direct: bool
    previous: Quote | None = None
    previous_sent_end: int = -1  # token index where the previous quote's sentence ends


def attribution(res: Resolution, cue: str | None, found_by: str) -> Attribution:
    """The attribution of a resolved speaker (``resolved_by`` None when nobody is named)."""
    name = res.speaker.name
    resolved = res.rule if name is not None and res.rule != "none" else None
    return Attribution(name, cue, found_by, resolved, res.speaker.entity_id)


def _near_cue(ctx: Context, p: Passage, found: Attribution | None) -> Attribution | None:
    return _speaker_near(ctx, p.marks, p.sent)


def _speaker_near(ctx: Context, qm: QuoteMarks, sent: Span) -> Attribution | None:
    """The speech verb nearest to the passage and its subject, else 'according to X'."""
    cs, ce = qm.content
    cue = nearest_cue(sent, cs, ce)
    subj = subject_of(cue, exclude=(qm.open, qm.close + 1)) if cue is not None else None
    if cue is not None and subj is not None:
        return attribution(ctx.resolver.resolve(subj), cue.text, "quote-marks")
    src = _according(sent, cs, ce)
    if src is not None:
        return attribution(ctx.resolver.resolve(src), "according to", "quote-marks")
    return Attribution(None, cue.text, "quote-marks") if cue is not None else None


def _dash(ctx: Context, p: Passage, found: Attribution | None) -> Attribution | None:
    """'"..." - Jane Doe': a name right after the closing mark and a dash."""
    if found is not None and found.speaker is not None:
        return None
    close = p.marks.close
    after = ctx.text[close + 1 : close + 6]
    stripped = after.lstrip(" ,")
    if stripped[:1] not in _DASH_MARKS:
        return None
    pos = close + 1 + (len(after) - len(stripped)) + 1
    while pos < len(ctx.text) and ctx.text[pos] == " ":
        pos += 1
    res = ctx.resolver.mention_at(pos, pos + 1)
    return attribution(res, "—", "dash-attribution") if res is not None else None


def _attribution_after(ctx: Context, p: Passage, found: Attribution | None) -> Attribution | None:
    """A bare attribution sentence right after the closing mark of a quote.

    The parser sometimes ends the sentence at the closing mark: '"... going." Levine
    said Wednesday in an interview.' The next sentence is the quote's attribution when it
    starts right there, in the same paragraph, and its speech verb reports nothing else.
    """
    if found is not None or not p.direct:
        return None
    doc, i = ctx.doc, p.sent.end
    while i < len(doc) and doc[i].is_space and "\n" not in doc[i].text:
        i += 1
    if i >= len(doc) or doc[i].idx > p.marks.close + 3:
        return None
    nxt = doc[i].sent
    root = nxt.root
    if len(nxt) > _MAX_ATTRIBUTION_TOKENS or "\n" in ctx.text[p.marks.close : root.idx]:
        return None
    if not is_quoting(root) or any(c.dep_ in ("ccomp", "xcomp", "dobj") for c in root.children):
        return None
    subj = subject_of(root)
    if subj is None or subj.i < i:
        return None
    return attribution(ctx.resolver.resolve(subj), root.text, "quote-marks")


def _colon_intro(ctx: Context, p: Passage, found: Attribution | None) -> Attribution | None:
    """'She told reporters:' and the quote in the next sentence or paragraph."""
    if found is not None or not p.direct:
        return None
    before = previous_sentence(ctx, p.sent)
    if before is None or not _introduces(before):
        return None
    near = _speaker_near(ctx, QuoteMarks(before.end_char, before.end_char), before)
    return replace(near, found_by="colon-intro") if near is not None else None


def _follow_on(ctx: Context, p: Passage, found: Attribution | None) -> Attribution | None:
    """A quote continuing the one shortly before: its speaker, unless another took over.

    '"...," A said. B said the plan had failed. "It will cost us."' - the second quote
    continues B's statement (``follow-report``); 'Murphy, who coached him, agreed.' between
    two quotes makes Murphy the speaker (``follow-subject``).
    """
    prev = p.previous
    if found is not None or not p.direct or prev is None:
        return None
    before = previous_sentence(ctx, p.sent)
    if before is None or _introduces(before):
        return None  # a colon introduces this quote: no continuation of the one before
    if p.previous_sent_end < _sentences_back(ctx, p.sent, _FOLLOW_ON_SENTENCES):
        return None
    between = _report_between(ctx, p.previous_sent_end, p.marks.open)
    if between is not None:
        return between
    shift = ctx.resolver.subject_person_between(prev.end, p.marks.open)
    if shift is not None and shift.speaker.name != prev.speaker.name:
        return attribution(shift, prev.cue, "follow-subject")
    name = prev.speaker.name
    carried = "carried" if name is not None else None
    return Attribution(name, prev.cue, "follow-on", carried, prev.speaker.entity_id)


def _introduces(sent: Span) -> bool:
    """Whether a sentence introduces the words after it ('She told reporters:')."""
    return sent.text.rstrip().endswith(":")


def _report_between(ctx: Context, first: int, end: int) -> Attribution | None:
    """The speaker of the last statement reported from token `first` to offset `end`."""
    found: Token | None = None
    for tok in ctx.doc[first:]:
        if tok.idx >= end:
            break
        if is_statement(tok) and is_asserted(tok) and not _in_marks(ctx, tok.idx):
            found = tok
    subj = subject_of(found) if found is not None else None
    if found is None or subj is None:
        return None
    res = ctx.resolver.resolve(subj)
    return attribution(res, found.text, "follow-report") if res.speaker.name is not None else None


def _topic_person(ctx: Context, p: Passage, found: Attribution | None) -> Attribution | None:
    """The person last named as a subject shortly before a quote that names nobody.

    A paragraph of quoted words with no attribution continues the story of the person
    the paragraphs before were about.
    """
    if not p.direct or (found is not None and found.speaker is not None):
        return None
    if found is None and p.words < MIN_WORDS_WITHOUT_CUE:
        return None
    qpos = p.marks.open
    res = ctx.resolver.topic_person(qpos)
    ent = res.entity if res is not None else None
    if res is None or ent is None:
        return None
    if not any(qpos - _TOPIC_PERSON_CHARS <= m.start < qpos for m in ent.mentions):
        return None
    return attribution(res, found.cue if found is not None else None, "topic-person")


Strategy = Callable[[Context, Passage, Attribution | None], Attribution | None]

#: The attribution strategies of a quoted passage, in the order they are tried.
PASSAGE_STRATEGIES: tuple[Strategy, ...] = (
    _near_cue,
    _dash,
    _attribution_after,
    _colon_intro,
    _follow_on,
    _topic_person,
)


def attribute_passage(ctx: Context, p: Passage) -> Attribution | None:
    """Who said the passage, or None when it is nobody's words (a scare quote, a label).

    A direct quote nothing attributes is kept, speakerless, from
    :data:`MIN_WORDS_WITHOUT_CUE` words on; quoted words inside the writer's sentence only
    with a speaker.
    """
    found: Attribution | None = None
    for strategy in PASSAGE_STRATEGIES:
        found = strategy(ctx, p, found) or found
    if found is None:
        keep = p.direct and p.words >= MIN_WORDS_WITHOUT_CUE
        return Attribution(None, None, "quote-marks") if keep else None
    return found if p.direct or found.speaker is not None else None


# -- sentences around a passage ---------------------------------------------------------------


def sentence_span(doc: Doc, text: str, start: int, end: int) -> Span:
    """The sentence(s) holding [start, end), cut to the paragraphs of `start` and `end`.

    The parser sometimes runs a sentence over a paragraph break (a caption, a 'READ MORE'
    line); an attribution never crosses one.
    """
    first = doc.char_span(start, start + 1, alignment_mode="expand")
    last = doc.char_span(max(end - 1, start), max(end, start + 1), alignment_mode="expand")
    s = first.sent.start if first is not None and len(first) else 0
    e = last.sent.end if last is not None and len(last) else len(doc)
    pstart = paragraph(text, start)[0]
    pend = paragraph(text, max(end - 1, start))[1]
    while s < e - 1 and doc[s].idx < pstart:
        s += 1
    while e > s + 1 and doc[e - 1].idx >= pend:
        e -= 1
    return doc[s:e]


def previous_sentence(ctx: Context, sent: Span) -> Span | None:
    """The sentence before `sent`, cut to its paragraph."""
    i = sent.start - 1
    while i >= 0 and ctx.doc[i].is_space:
        i -= 1
    if i < 0:
        return None
    tok = ctx.doc[i]
    return sentence_span(ctx.doc, ctx.text, tok.idx, tok.idx + len(tok))


def _sentences_back(ctx: Context, sent: Span, n: int) -> int:
    """Token index of the start of the sentence `n` sentences before `sent`."""
    start = sent.start
    for _ in range(n):
        before = previous_sentence(ctx, ctx.doc[start:start])
        if before is None:
            break
        start = before.start
    return start


def nearest_cue(sent: Span, qstart: int, qend: int) -> Token | None:
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


def _in_marks(ctx: Context, pos: int) -> bool:
    return any(qm.open < pos < qm.close for qm in ctx.marks)
