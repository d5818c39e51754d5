"""Speech verbs and how to find who speaks them in a spaCy parse."""

from __future__ import annotations

from spacy.tokens import Token

from newswire_enrich.labels import Label
from newswire_enrich.lexicon import words

#: Verbs that report speech and take the reported clause as a complement (indirect speech).
REPORTING_VERBS = words("speech_verbs")

#: Verbs that may introduce quoted words (direct or mixed), a superset of the reporting verbs.
QUOTING_VERBS = REPORTING_VERBS | words("quoting_verbs")

#: Reporting verbs of belief, expectation or inference: they govern a clause, but what they
#: report is a stance ("the Liberals hope ...", "analysts suggest ..."), not a statement, so
#: they make an indirect quote only when quoted words are inside the clause.
STANCE_VERBS = words("stance_verbs")

#: Stance verbs that report a statement when 'that' opens their clause ('denied that ...').
THAT_STATEMENT_VERBS = words("that_statement_verbs")
#: Verbs that report a question ('asked why ...'), with the words that open one.
QUESTION_VERBS = words("question_verbs")
QUESTION_WORDS = words("question_words")
#: Verbs of 'X described Y as Z': 'Y as Z' is the statement.
DESCRIPTION_VERBS = words("description_verbs")

#: Penn tags of a finite verb of the present or past.
_FINITE_TAGS = frozenset({"VBD", "VBZ", "VBP"})
_SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj")


def is_reporting(tok: Token) -> bool:
    """Whether the token is a reporting verb that can govern indirect speech."""
    return tok.pos_ in ("VERB", "AUX") and tok.lemma_.lower() in REPORTING_VERBS


def is_statement(tok: Token) -> bool:
    """Whether the token is a reporting verb whose clause is a statement (an indirect quote)."""
    return is_reporting(tok) and tok.lemma_.lower() not in STANCE_VERBS


def is_indirect_cue(verb: Token, first_word: str) -> bool:
    """Whether `verb` reports an indirect statement whose clause starts with `first_word`.

    Statements ('said', 'warned', 'insisted'), stance verbs with 'that' ('denied that ...',
    'suggested that ...'), questions ('asked why ...') and descriptions ('described the
    plan as a waste').
    """
    if verb.pos_ not in ("VERB", "AUX"):
        return False
    lemma = verb.lemma_.lower()
    if lemma in REPORTING_VERBS and lemma not in STANCE_VERBS:
        return True
    if verb.tag_ not in _FINITE_TAGS or any(c.dep_ == "auxpass" for c in verb.children):
        return False  # 'characterizing it as ...', 'was asked why ...': not the subject's words
    if lemma in DESCRIPTION_VERBS:  # 'described the plan as ...', not 'described how ...'
        return any(c.dep_ == "prep" and c.lower_ == "as" for c in verb.children)
    if lemma in QUESTION_VERBS:
        return first_word.lower() in QUESTION_WORDS
    if lemma in THAT_STATEMENT_VERBS:
        return any(
            g.dep_ == "mark" and g.lower_ == "that"
            for c in verb.children
            if c.dep_ == "ccomp"
            for g in c.children
        )
    return False


def is_asserted(verb: Token) -> bool:
    """Whether a speech verb reports something said: not negated, not a modal guess.

    'The president has not said he would veto it' and 'the Greens will argue that ...'
    report nothing that was said.
    """
    for child in verb.children:
        if child.dep_ == "neg" or (child.dep_ == "aux" and child.tag_ == "MD"):
            return False
    return True


#: Verbs that introduce quoted words only when they take no verb of their own: '"...," he
#: continued' but not 'the government will continue to fight'.
_ASPECTUAL_VERBS = words("aspectual_speech_verbs")


def is_quoting(tok: Token) -> bool:
    """Whether the token is a verb that can introduce quoted words."""
    if tok.pos_ not in ("VERB", "AUX"):
        return False
    lemma = tok.lemma_.lower()
    if lemma in _ASPECTUAL_VERBS:
        return not any(c.dep_ == "xcomp" for c in tok.children)
    return lemma in QUOTING_VERBS


def _same_paragraph(a: Token, b: Token) -> bool:
    lo, hi = (a, b) if a.i < b.i else (b, a)
    return "\n" not in lo.doc[lo.i : hi.i].text_with_ws  # not doc.text: built anew per call


def _subject_child(tok: Token, verb: Token, lo: int, hi: int, anywhere: bool) -> Token | None:
    """The subject among `tok`'s children nearest to `verb` in the verb's paragraph.

    The parser sometimes glues a caption or a heading of the paragraph before onto the
    sentence and makes it a second subject ("(Evan Vucci/Associated Press) ... said").
    """
    subjects = [
        c
        for c in tok.children
        if c.dep_ in _SUBJECT_DEPS
        and not lo <= c.idx < hi
        and (anywhere or _same_paragraph(c, verb))
    ]
    return subjects[0] if subjects else None


def _glued_subject(verb: Token, lo: int, hi: int) -> Token | None:
    """The speaker named before `verb` in its paragraph when the parse hung it elsewhere.

    'Elementary school teacher Teresa Galati, 56, says' after a photo credit, or a name the
    tagger took for an auxiliary ('"...," DeBoer said'): the first noun between the start of
    the paragraph (or the end of the quote) and the verb whose head is outside that stretch.
    """
    doc = verb.doc
    i = verb.i - 1  # back to the paragraph's start by token: doc.text is built anew per call
    while i >= 0 and "\n" not in doc[i].text_with_ws:
        i -= 1
    start = 0 if i < 0 else doc[i].idx + doc[i].text_with_ws.rindex("\n") + 1
    first = verb.i
    while first > 0 and doc[first - 1].idx >= start and not lo <= doc[first - 1].idx < hi:
        first -= 1
    for t in doc[first : verb.i]:
        if t.pos_ not in ("PROPN", "NOUN") and t.tag_ not in ("NNP", "NNPS"):
            continue
        if t.ent_type_ in (Label.DATE, Label.TIME) or t.dep_ in ("npadvmod", "pobj", "poss"):
            continue
        if not first <= t.head.i < verb.i:
            return t
    return None


def subject_of(
    verb: Token, exclude: tuple[int, int] | None = None, *, anywhere: bool = False
) -> Token | None:
    """The speaker token of a speech verb: its subject, or that of the verb it hangs from.

    Handles 'X was quoted as saying', 'X said', 'said X' (inversion) and agents of passives.
    Subjects starting inside the character range `exclude` (the quoted words, which the
    parser sometimes takes for the subject of the verb after them) are passed over, and so
    are subjects in another paragraph (a caption or heading the parser glued on), unless
    `anywhere` is set.
    """
    lo, hi = exclude if exclude is not None else (0, 0)
    tok: Token | None = verb
    glued = False
    for _ in range(4):
        if tok is None:
            break
        subj = _subject_child(tok, verb, lo, hi, anywhere) or _named_without_subject(tok, verb)
        if subj is not None:
            return subj
        glued = glued or any(c.dep_ in _SUBJECT_DEPS for c in tok.children)
        tok = _governing_verb(tok)
    if glued:  # the only subject was in another paragraph
        return _glued_subject(verb, lo, hi)
    return None


def _named_without_subject(tok: Token, verb: Token) -> Token | None:
    """A speaker the parse did not make a subject: a name tagged as an auxiliary right
    before the verb ('"...," DeBoer said'), the agent of a passive ('was told by X')."""
    if tok.i == verb.i and verb.tag_ in ("VBD", "VBZ", "VBP") and verb.i:
        left = verb.doc[verb.i - 1]
        if left.dep_ == "aux" and left.tag_ in ("NNP", "NNPS"):
            return left
    agents = (_object_of(c) for c in tok.children if c.dep_ == "agent")
    return next((obj for obj in agents if obj is not None), None)


def _object_of(prep: Token) -> Token | None:
    """The object of a preposition ('by X', 'to X')."""
    return next((g for g in prep.children if g.dep_ == "pobj"), None)


def _governing_verb(tok: Token) -> Token | None:
    """The verb whose subject is also `tok`'s ('X was quoted as saying', 'X said A,
    insisting B'), or None."""
    if tok.dep_ not in ("xcomp", "advcl", "pcomp", "conj", "acl") or tok.head.i == tok.i:
        return None
    head = tok.head
    if tok.tag_ == "VBG" and tok.dep_ == "advcl" and head.dep_ == "ccomp" and is_quoting(head.head):
        head = head.head  # 'X said A, insisting B' with 'insisting' hung on A
    return head.head if head.dep_ == "prep" else head


def according_to(tok: Token) -> Token | None:
    """For the token 'according' of 'according to X', return X."""
    if tok.lower_ != "according":
        return None
    for child in tok.children:
        if child.lower_ == "to" and _object_of(child) is not None:
            return _object_of(child)
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    return _object_of(nxt) if nxt is not None and nxt.lower_ == "to" else None
