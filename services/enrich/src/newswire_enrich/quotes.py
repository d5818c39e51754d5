"""Quotes step: attributed statements (direct, mixed, indirect) and their speakers."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from newswire_shared.schemas import Entity, Quote, QuoteKind, Speaker

from ._quotemarks import QuoteMarks, find_quote_marks
from ._speakers import SpeakerResolver
from ._speech import (
    according_to,
    is_asserted,
    is_quoting,
    is_reporting,
    is_statement,
    subject_of,
)

_STRIP = " \t\n,;:—–-"
_MIN_WORDS_WITHOUT_CUE = 5
#: A quote without its own speech verb continues a quote at most this many sentences back.
_FOLLOW_ON_SENTENCES = 2
#: Penn tags of finite verbs: quoted words holding one are a clause, not a label.
_FINITE_TAGS = frozenset({"VBD", "VBZ", "VBP", "MD"})
#: Words a title may keep in lower case.
_TITLE_SMALL_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by", "from"}
)


#: A quote naming nobody goes to the person last named as a subject this close before it.
_TOPIC_PERSON_CHARS = 600
#: An attribution sentence after a quote ('"...." Levine said Wednesday.') is this short.
_MAX_ATTRIBUTION_TOKENS = 30

#: Rules whose speaker is carried over or found by position, not resolved from a token.
_CARRIED = frozenset(
    {"follow-on", "follow-subject", "dash-attribution", "spanning-paragraphs", "topic-person"}
)


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


def _paragraph(text: str, pos: int) -> tuple[int, int]:
    """Offsets of the paragraph (line) holding `pos`."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end == -1 else end


def _open_quote(text: str) -> bool:
    """Whether `text` opens a double quotation it does not close."""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _clause_end(verb: Token, comp: Token) -> Token:
    """Last token of a clause reported after its verb: the rest of the verb's phrase.

    'X said A, and B' reports both A and B; the phrase stops before another speech verb of
    its own ('..., adding that C', '... and Y said D', 'X said A, insisting B'), which
    reports a clause of its own.
    """
    right = verb.right_edge
    # '..., insisting ...' is often hung on the reported clause rather than on its verb
    participles = [
        c
        for c in comp.rights
        if c.tag_ == "VBG"
        and c.dep_ == "advcl"
        and is_quoting(c)
        and any(g.dep_ == "ccomp" for g in c.children)
        and not _open_quote(verb.doc[verb.i : c.i].text_with_ws)  # not doc.text: O(doc)
    ]
    for child in sorted([*verb.rights, *participles], key=lambda t: t.i):
        if child.i <= comp.i:
            continue
        if is_quoting(child) and child.dep_ in ("conj", "advcl"):
            floor = comp.i if child.head.i == comp.i else comp.right_edge.i
            stop = child.left_edge.i - 1
            while stop > floor and (verb.doc[stop].is_punct or verb.doc[stop].dep_ == "cc"):
                stop -= 1
            return verb.doc[max(stop, floor)]
    return right


#: Objects 'say' really takes ('said nothing', 'said goodbye and left').
_SAY_OBJECTS = frozenset(
    "nothing something anything everything goodbye hello prayer prayers word words thanks "
    "yes no much little lot grace piece goodbyes farewell farewells".split()
)


def _object_and_clause(verb: Token) -> tuple[Token, Token] | None:
    """The reported clause of 'X said A and B did C' misparsed as said -> (A, did).

    The parser takes the subject of the reported clause for the object of 'said' and hangs
    the clause's verb on 'said' as a conjunct: 'Oh said the unlikely pairing of her and
    Samberg came because ...'. A conjunct verb with a subject of its own right after a noun
    object of 'say' is the rest of that clause.
    """
    if verb.lemma_.lower() != "say":
        return None
    objs = [c for c in verb.rights if c.dep_ == "dobj" and c.pos_ in ("NOUN", "PROPN")]
    conjs = [c for c in verb.rights if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
    if not objs or not conjs or objs[0].text.lower() in _SAY_OBJECTS:
        return None
    obj, conj = objs[0], conjs[0]
    subj = [c for c in conj.children if c.dep_ in ("nsubj", "nsubjpass")]
    if conj.i < obj.i:
        return None
    if not subj:
        # 'Garland said unemployment and lost earning power ... have ...': the subject's
        # co-ordination taken for the verb's; a noun right after 'said', then 'and' and a
        # finite verb, is the subject of the reported clause
        between = verb.doc[obj.right_edge.i + 1 : conj.left_edge.i]
        if obj.left_edge.i != verb.i + 1 or [t.dep_ for t in between] != ["cc"]:
            return None
        if conj.tag_ not in ("VBD", "VBZ", "VBP"):
            return None
        return obj.left_edge, conj.right_edge
    if subj[0].i < obj.i:
        return None
    if any(t.is_punct for t in verb.doc[verb.i : subj[0].i]):
        return None  # 'said a prayer, and they left': two events
    return obj.left_edge, conj.right_edge


def _clause_start_before(verb: Token, comp: Token) -> Token:
    """First token of a clause reported before its verb ('CLAUSE, X said'): the sentence start.

    The parser often hangs only the last conjunct on the verb ('A, and B, researchers
    report'); the statement runs from the start of the sentence.
    """
    sent_start = verb.sent.start
    i = comp.left_edge.i
    while i > sent_start and not verb.doc[i - 1].is_space:
        i -= 1
    return verb.doc[i]


_DASHES = frozenset({"—", "–", "--"})


def _cut_at_dash(left: Token, right: Token) -> Token:
    """End a reported clause before a lone dash opening the writer's relative clause.

    'Global Affairs says Canadians are advised to "exercise caution" - which is unchanged':
    a relative clause after an unpaired dash is the writer's remark on the statement. Other
    words after a dash ('- and because ...', '- he's also concerned ...', a pair of dashes
    around an aside) usually carry on the statement and stay.
    """
    doc = left.doc
    dashes = [t for t in doc[left.i : right.i + 1] if t.text in _DASHES]
    if len(dashes) != 1 or dashes[0].i - left.i < 4 or dashes[0].i >= right.i:
        return right
    nxt = doc[dashes[0].i + 1]
    if nxt.tag_ not in ("WDT", "WP") or nxt.lower_ not in ("which", "who"):
        return right
    return doc[dashes[0].i - 1]


def _continued(right: Token) -> Token:
    """Carry a clause over sentence ends the parser put at an abbreviation.

    'Purdy says he's lost 16 lbs. since he signed up': a sentence never starts with a
    lower-case word, so one that does (in the same paragraph) continues the clause.
    """
    doc = right.doc
    while True:
        end = right.sent.end
        last = end - 1
        while last > right.i and doc[last].is_punct:
            last -= 1
        if last != right.i or end >= len(doc):
            return right
        nxt = doc[end]
        if not nxt.is_alpha or not nxt.text[0].islower():
            return right
        last = nxt.sent.end - 1
        while last > nxt.i and (doc[last].is_punct or doc[last].is_space):
            last -= 1
        right = doc[last]


def _cut_at_while(left: Token, right: Token) -> Token:
    """End a reported clause before 'while' and a participle that runs to its end.

    'She said she was "gobsmacked" while receiving the award': 'while doing' tells when the
    words were said, not what was said ('... while wages fell' has a subject and stays).
    """
    doc = left.doc
    last = right.i
    while last > left.i and doc[last].is_punct:
        last -= 1
    for t in doc[left.i + 3 : last]:
        head = t.head
        if t.lower_ != "while" or t.dep_ != "mark" or head.tag_ != "VBG":
            continue
        if head.right_edge.i < last or any(c.dep_.startswith("nsubj") for c in head.children):
            continue
        stop = t.i - 1
        while stop > left.i and doc[stop].is_punct:
            stop -= 1
        return doc[stop]
    return right


def _subject_as_object(verb: Token, comp: Token, left: Token) -> Token:
    """Start of a reported clause whose subject the parser took for the verb's object.

    'He told psychologists mass shooters such as X were his idols': 'were' has no subject
    of its own; the noun phrase right before it is that subject.
    """
    if comp.tag_ not in ("VBD", "VBZ", "VBP", "MD") or any(
        c.dep_ in ("nsubj", "nsubjpass", "expl", "csubj") for c in comp.children
    ):
        return left
    for obj in verb.children:
        if obj.dep_ == "dobj" and obj.right_edge.i == left.i - 1 and obj.pos_ in ("NOUN", "PROPN"):
            return obj.left_edge
    return left


def _attribution_start(verb: Token, comp: Token) -> int:
    """Token index where the attribution after a clause begins ('..., the minister said')."""
    start = verb.i
    for child in verb.lefts:
        if child.i > comp.right_edge.i and child.dep_ in ("nsubj", "nsubjpass", "aux", "advmod"):
            start = min(start, child.left_edge.i)
    return start


def _clauses(doc: Doc, text: str) -> list[_Clause]:
    """The reported clauses of the speech verbs: one before and one after each verb at most."""
    out: list[_Clause] = []
    done: set[int] = set()  # verbs whose clause was already taken by an outer verb
    for tok in doc:
        if not is_quoting(tok):
            continue
        pstart, pend = _paragraph(text, tok.idx)
        comps = [
            c
            for c in tok.children
            if c.dep_ == "ccomp" or (c.dep_ == "xcomp" and not is_reporting(tok))
        ]
        after = [c for c in comps if c.i > tok.i]
        before = [c for c in comps if c.i < tok.i]
        spans: list[tuple[Token, Token]] = []
        inner = [c for c in after[-1].children if c.dep_ == "ccomp"] if after else []
        misparsed = None if comps else _object_and_clause(tok)
        if misparsed is not None:
            spans.append(misparsed)
        elif after and is_quoting(after[-1]) and inner and inner[0].i < after[-1].i:
            # 'X said A, the broadcaster reported' parsed as said -> reported -> A: A is X's.
            outer = after[-1]
            end_i = max(_attribution_start(outer, inner[-1]) - 1, inner[-1].right_edge.i)
            spans.append((inner[0].left_edge, doc[end_i]))
            done.add(outer.i)
        elif after:
            left = after[0].left_edge
            while left.i < after[0].i and (
                left.dep_ == "mark" or left.is_punct or left.lower_ == "that"
            ):
                left = doc[left.i + 1]
            left = _subject_as_object(tok, after[0], left)
            spans.append((left, _continued(_clause_end(tok, after[-1]))))
        if before and tok.i not in done:
            last = before[-1]
            left = before[0].left_edge
            if is_reporting(tok):
                left = _clause_start_before(tok, before[0])
            end_i = max(_attribution_start(tok, last) - 1, last.right_edge.i)
            spans.append((left, doc[end_i]))
        for left, right in spans:
            right = _cut_at_while(left, _cut_at_dash(left, right))
            start, end = _trim(text, max(left.idx, pstart), min(right.idx + len(right), pend))
            if end > start and text[end - 1] == ".":
                start, end = _trim(text, start, end - 1)
            if end > start:
                out.append(_Clause(tok, start, end))
    return out


def _sentence_span(doc: Doc, text: str, start: int, end: int) -> Span:
    """The sentence(s) holding [start, end), cut to the paragraphs of `start` and `end`.

    The parser sometimes runs a sentence over a paragraph break (a caption, a 'READ MORE'
    line); an attribution never crosses one.
    """
    first = doc.char_span(start, start + 1, alignment_mode="expand")
    last = doc.char_span(max(end - 1, start), max(end, start + 1), alignment_mode="expand")
    s = first.sent.start if first is not None and len(first) else 0
    e = last.sent.end if last is not None and len(last) else len(doc)
    pstart = _paragraph(text, start)[0]
    pend = _paragraph(text, max(end - 1, start))[1]
    while s < e - 1 and doc[s].idx < pstart:
        s += 1
    while e > s + 1 and doc[e - 1].idx >= pend:
        e -= 1
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
    def __init__(self, doc: Doc, entities: list[Entity], text: str | None = None) -> None:
        self.doc = doc
        self.text = doc.text if text is None else text
        self.resolve = SpeakerResolver(doc, entities, self.text)
        self.clauses = _clauses(doc, self.text)
        self.marks = find_quote_marks(self.text)
        self.quotes: list[Quote] = []

    def _make(
        self, start: int, end: int, kind: QuoteKind, speaker: Speaker, cue: str | None, rule: str
    ) -> Quote:
        if speaker.name is not None and rule not in _CARRIED and self.resolve.last_rule != "none":
            rule = f"{rule}+{self.resolve.last_rule}"  # how the speaker was resolved
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

    def _speaker_near(self, qm: QuoteMarks, sent: Span) -> tuple[Speaker, str | None, bool]:
        cs, ce = qm.content
        cue = _nearest_cue(sent, cs, ce)
        if cue is not None:
            subj = subject_of(cue, exclude=(qm.open, qm.close + 1))
            if subj is not None:
                return self.resolve.speaker(subj), cue.text, True
            src = _according(sent, cs, ce)
            if src is not None:
                return self.resolve.speaker(src), "according to", True
            return Speaker(), cue.text, True
        src = _according(sent, cs, ce)
        if src is not None:
            return self.resolve.speaker(src), "according to", True
        return Speaker(), None, False

    def _attribution_after(self, qm: QuoteMarks, sent: Span) -> tuple[Speaker, str] | None:
        """A bare attribution sentence right after the closing mark of a quote.

        The parser sometimes ends the sentence at the closing mark: '"... going." Levine
        said Wednesday in an interview.' The next sentence is the quote's attribution when it
        starts right there, in the same paragraph, and its speech verb reports nothing else.
        """
        i = sent.end
        while i < len(self.doc) and self.doc[i].is_space and "\n" not in self.doc[i].text:
            i += 1
        if i >= len(self.doc) or self.doc[i].idx > qm.close + 3:
            return None
        nxt = self.doc[i].sent
        root = nxt.root
        if len(nxt) > _MAX_ATTRIBUTION_TOKENS or "\n" in self.text[qm.close : root.idx]:
            return None
        if not is_quoting(root) or any(c.dep_ in ("ccomp", "xcomp", "dobj") for c in root.children):
            return None
        subj = subject_of(root)
        if subj is None or subj.i < i:
            return None
        return self.resolve.speaker(subj), root.text

    def _report_between(self, first: int, end: int) -> tuple[Speaker, str] | None:
        """The speaker of the last statement reported from token `first` to offset `end`.

        '"...," A said. B said the plan had failed. "It will cost us."' - the second quote
        continues B's statement, not A's.
        """
        found: Token | None = None
        for tok in self.doc[first:]:
            if tok.idx >= end:
                break
            if is_statement(tok) and is_asserted(tok) and not self._in_marks(tok.idx):
                found = tok
        subj = subject_of(found) if found is not None else None
        if found is None or subj is None:
            return None
        spk = self.resolve.speaker(subj)
        return (spk, found.text) if spk.name is not None else None

    def _in_marks(self, pos: int) -> bool:
        return any(qm.open < pos < qm.close for qm in self.marks)

    def _topic_person(self, qm: QuoteMarks) -> Speaker | None:
        """The person last named as a subject shortly before a quote that names nobody.

        A paragraph of quoted words with no attribution continues the story of the person
        the paragraphs before were about.
        """
        res = self.resolve.topic_person(qm.open)
        ent = res.entity if res is not None else None
        if res is None or ent is None:
            return None
        near = [m for m in ent.mentions if qm.open - _TOPIC_PERSON_CHARS <= m.start < qm.open]
        return res.speaker if near else None

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
            before = self._previous_sentence(self.doc[start:start])
            if before is None:
                break
            start = before.start
        return start

    def _previous_sentence(self, sent: Span) -> Span | None:
        """The sentence before `sent`, cut to its paragraph."""
        i = sent.start - 1
        while i >= 0 and self.doc[i].is_space:
            i -= 1
        if i < 0:
            return None
        tok = self.doc[i]
        return _sentence_span(self.doc, self.text, tok.idx, tok.idx + len(tok))

    def quote_marks(self) -> None:
        prev: Quote | None = None
        prev_end_sent = -1
        open_ended: dict[int, Quote] = {}  # quotes whose closing mark is in a later paragraph
        for qm in self.marks:
            cs, ce = _trim(self.text, *qm.content)
            content = self.text[cs:ce]
            clause = self._clause_for(qm)
            if clause is not None and clause.start >= qm.open:
                clause = None  # the clause is the quote itself: a direct quote
            if _n_words(content) < 2 and clause is None:
                continue
            sent = _sentence_span(self.doc, self.text, qm.open, qm.close)
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
                if _is_title(content):
                    continue  # a title of a work or a heading, not somebody's words
                direct = self._is_direct(qm, sent)
                if not direct and not self._is_reported_fragment(qm):
                    continue  # a scare quote or a nickname inside the writer's own sentence
                spk, cue, has_cue = self._speaker_near(qm, sent)
                rule = "quote-marks"
                if spk.name is None:
                    dash = self._dash_speaker(qm)
                    if dash is not None:
                        spk, cue, has_cue, rule = dash, "—", True, "dash-attribution"
                if not has_cue and direct:
                    after = self._attribution_after(qm, sent)
                    if after is not None:
                        (spk, cue), has_cue = after, True
                if not has_cue and direct:
                    before = self._previous_sentence(sent)
                    near = self._sentences_back(sent, _FOLLOW_ON_SENTENCES)
                    if before is not None and before.text.rstrip().endswith(":"):
                        spk, cue, has_cue = self._speaker_near(
                            QuoteMarks(before.end_char, before.end_char), before
                        )
                        rule = "colon-intro"
                    elif prev is not None and before is not None and prev_end_sent >= near:
                        spk, cue, has_cue, rule = prev.speaker, prev.cue, True, "follow-on"
                        between = self._report_between(prev_end_sent, qm.open)
                        shift = self.resolve.subject_person_between(prev.end, qm.open)
                        if between is not None:
                            spk, cue, rule = between[0], between[1], "follow-report"
                        elif shift is not None and shift.speaker.name != spk.name:
                            spk, rule = shift.speaker, "follow-subject"
                if not has_cue and _n_words(content) < _MIN_WORDS_WITHOUT_CUE:
                    continue
                if spk.name is None and direct:
                    topic = self._topic_person(qm)
                    if topic is not None:
                        spk, rule = topic, "topic-person"
                if not direct and (not has_cue or spk.name is None):
                    continue  # quoted words in the writer's sentence that nobody is said to use
                kind = QuoteKind.DIRECT if direct else QuoteKind.MIXED
                q = self._make(cs, ce, kind, spk, cue, rule)
                if not qm.closed and (rule == "follow-on" or cue is None):
                    open_ended[len(self.quotes)] = q
            self.quotes.append(q)
            prev, prev_end_sent = q, sent.end
        self._spanning_paragraphs(open_ended)

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
            found_by = (nxt.rule or "").split("+", 1)[0]
            if nxt.speaker.name is None or found_by not in ("quote-marks", "spanning-paragraphs"):
                continue
            self.quotes[i] = q.model_copy(
                update={"speaker": nxt.speaker, "cue": nxt.cue, "rule": "spanning-paragraphs"}
            )

    def indirect(self) -> None:
        taken = [(q.start, q.end) for q in self.quotes]
        marks = [(qm.open, qm.close) for qm in find_quote_marks(self.text)]
        reporting = [
            c for c in self.clauses if is_statement(c.verb) and is_asserted(c.verb) and not c.used
        ]
        for c in reporting:
            if any(o.verb.idx >= c.start and o.verb.idx < c.end for o in reporting if o is not c):
                continue  # keep the innermost report: "CCTV said Lavrov said ..."
            if any(s < c.end and c.start < e for s, e in taken + marks):
                continue
            if _n_words(self.text[c.start : c.end]) < 4:
                continue
            subj = subject_of(c.verb) or subject_of(c.verb, anywhere=True)
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


def extract_quotes(doc: Doc, entities: list[Entity], text: str | None = None) -> list[Quote]:
    """Find the attributed statements of `doc`, ordered by position.

    `text` is ``doc.text`` when the caller has it (``Doc.text`` is rebuilt from the tokens on
    every access).
    """
    ex = _Extractor(doc, entities, text)
    ex.quote_marks()
    ex.indirect()
    return sorted(ex.quotes, key=lambda q: (q.start, q.end))
