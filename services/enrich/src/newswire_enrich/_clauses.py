"""Reported clauses: the words a speech verb governs ('she said [the plan had failed]').

:func:`find_clauses` gives, for every quoting verb, the clause reported after it and the one
reported before it ('[the plan had failed], she said'), as character offsets cut to the
verb's paragraph. The parse is repaired on the way for the misparses seen in news: the
subject of the clause taken for the object of 'said', a trailing attribution parsed as the
outer verb, a sentence split at an abbreviation, a writer's remark after a dash.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from ._speech import DESCRIPTION_VERBS, is_quoting, is_reporting
from .lexicon import words

_STRIP = " \t\n,;:—–-"


@dataclass
class Clause:
    """A reported clause governed by a speech verb (`used` once a quote has taken it)."""

    verb: Token
    start: int
    end: int
    used: bool = False


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow [start, end) of `text` past spaces, commas, colons and dashes at either end."""
    while start < end and text[start] in _STRIP:
        start += 1
    while end > start and text[end - 1] in _STRIP:
        end -= 1
    return start, end


def paragraph(text: str, pos: int) -> tuple[int, int]:
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
_SAY_OBJECTS = words("say_objects")


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
    if conj.i < obj.i:
        return None
    subj = [c for c in conj.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subj:
        return _coordinated_subject(verb, obj, conj)
    if subj[0].i < obj.i:
        return None
    if any(t.is_punct for t in verb.doc[verb.i : subj[0].i]):
        return None  # 'said a prayer, and they left': two events
    return obj.left_edge, conj.right_edge


def _described_as(verb: Token) -> tuple[Token, Token] | None:
    """'X described the plan as a gift to polluters': the object and the 'as' phrase."""
    if verb.lemma_.lower() not in DESCRIPTION_VERBS:
        return None
    objs = [c for c in verb.rights if c.dep_ == "dobj"]
    as_ = [c for c in verb.rights if c.dep_ == "prep" and c.lower_ == "as"]
    if not objs or not as_ or as_[0].i < objs[0].i:
        return None
    return objs[0].left_edge, as_[0].right_edge


def _coordinated_subject(verb: Token, obj: Token, conj: Token) -> tuple[Token, Token] | None:
    """'Garland said unemployment and lost earning power ... have ...': the subject's
    co-ordination taken for the verb's; a noun right after 'said', then 'and' and a finite
    verb, is the subject of the reported clause."""
    between = verb.doc[obj.right_edge.i + 1 : conj.left_edge.i]
    if obj.left_edge.i != verb.i + 1 or [t.dep_ for t in between] != ["cc"]:
        return None
    if conj.tag_ not in ("VBD", "VBZ", "VBP"):
        return None
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


def find_clauses(doc: Doc, text: str) -> list[Clause]:
    """The reported clauses of the speech verbs: one before and one after each verb at most."""
    out: list[Clause] = []
    done: set[int] = set()  # verbs whose clause was already taken by an outer verb
    for tok in doc:
        if not is_quoting(tok):
            continue
        pstart, pend = paragraph(text, tok.idx)
        for left, right in _clause_spans(tok, done):
            right = _cut_at_while(left, _cut_at_dash(left, right))
            start, end = trim(text, max(left.idx, pstart), min(right.idx + len(right), pend))
            if end > start and text[end - 1] == ".":
                start, end = trim(text, start, end - 1)
            if end > start:
                out.append(Clause(tok, start, end))
    return out


def _clause_spans(tok: Token, done: set[int]) -> list[tuple[Token, Token]]:
    """First and last token of the clauses `tok` reports, after it and before it."""
    comps = [
        c
        for c in tok.children
        if c.dep_ == "ccomp" or (c.dep_ == "xcomp" and not is_reporting(tok))
    ]
    spans: list[tuple[Token, Token]] = []
    after = _span_after(tok, comps, done)
    if after is not None:
        spans.append(after)
    before = [c for c in comps if c.i < tok.i]
    if before and tok.i not in done:
        last = before[-1]
        left = before[0].left_edge
        if is_reporting(tok):
            left = _clause_start_before(tok, before[0])
        end_i = max(_attribution_start(tok, last) - 1, last.right_edge.i)
        spans.append((left, tok.doc[end_i]))
    return spans


def _span_after(tok: Token, comps: list[Token], done: set[int]) -> tuple[Token, Token] | None:
    """The clause reported after `tok`, repaired for the misparses described above.

    A verb whose clause an inner verb reports ('X said A, the broadcaster reported' parsed
    as said -> reported -> A: A is X's) goes into `done`: it reports nothing of its own.
    """
    if not comps:
        return _object_and_clause(tok) or _described_as(tok)
    after = [c for c in comps if c.i > tok.i]
    if not after:
        return None
    doc = tok.doc
    outer = after[-1]
    inner = [c for c in outer.children if c.dep_ == "ccomp"]
    if is_quoting(outer) and inner and inner[0].i < outer.i:
        end_i = max(_attribution_start(outer, inner[-1]) - 1, inner[-1].right_edge.i)
        done.add(outer.i)
        return inner[0].left_edge, doc[end_i]
    left = after[0].left_edge
    while left.i < after[0].i and (left.dep_ == "mark" or left.is_punct or left.lower_ == "that"):
        left = doc[left.i + 1]
    left = _subject_as_object(tok, after[0], left)
    return left, _continued(_clause_end(tok, outer))
