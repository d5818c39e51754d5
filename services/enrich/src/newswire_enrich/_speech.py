"""Speech verbs and how to find who speaks them in a spaCy parse."""

from __future__ import annotations

from spacy.tokens import Token

#: Verbs that report speech and take the reported clause as a complement (indirect speech).
REPORTING_VERBS = frozenset(
    [
        "say",
        "tell",
        "add",
        "state",
        "note",
        "explain",
        "claim",
        "argue",
        "insist",
        "warn",
        "write",
        "announce",
        "declare",
        "confirm",
        "deny",
        "acknowledge",
        "admit",
        "suggest",
        "stress",
        "emphasize",
        "emphasise",
        "assert",
        "contend",
        "maintain",
        "believe",
        "think",
        "predict",
        "report",
        "reveal",
        "disclose",
        "indicate",
        "allege",
        "concede",
        "conclude",
        "reiterate",
        "assure",
        "remind",
        "inform",
        "agree",
        "estimate",
        "testify",
        "complain",
        "observe",
        "remark",
        "mention",
        "recall",
        "caution",
        "signal",
        "underscore",
        "highlight",
        "promise",
        "vow",
        "pledge",
        "tweet",
        "post",
        "respond",
        "reply",
        "answer",
        "retort",
        "recount",
        "affirm",
        "reaffirm",
        "point",
        "hint",
        "charge",
        "accuse",
        "announce",
        "fear",
        "hope",
        "worry",
    ]
)

#: Verbs that may introduce quoted words (direct or mixed), a superset of the reporting verbs.
QUOTING_VERBS = REPORTING_VERBS | frozenset(
    [
        "ask",
        "call",
        "describe",
        "joke",
        "praise",
        "hail",
        "welcome",
        "address",
        "urge",
        "quote",
        "cite",
        "continue",
        "laugh",
        "shout",
        "scream",
        "cry",
        "whisper",
        "yell",
        "plead",
        "demand",
        "order",
        "advise",
        "recommend",
        "propose",
        "dub",
        "label",
        "brand",
        "term",
        "characterize",
        "characterise",
        "criticize",
        "criticise",
        "slam",
        "blast",
        "decry",
        "condemn",
        "question",
        "challenge",
        "elaborate",
        "muse",
        "wonder",
        "boast",
        "lament",
        "tout",
        "sing",
        "chant",
        "read",
        "begin",
        "start",
        "put",
    ]
)

#: Lemma forms of pronouns that refer back to a person.
PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})

_SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj")


def is_reporting(tok: Token) -> bool:
    """Whether the token is a reporting verb that can govern indirect speech."""
    return tok.pos_ in ("VERB", "AUX") and tok.lemma_.lower() in REPORTING_VERBS


def is_quoting(tok: Token) -> bool:
    """Whether the token is a verb that can introduce quoted words."""
    return tok.pos_ in ("VERB", "AUX") and tok.lemma_.lower() in QUOTING_VERBS


def subject_of(verb: Token) -> Token | None:
    """The speaker token of a speech verb: its subject, or that of the verb it hangs from.

    Handles 'X was quoted as saying', 'X said', 'said X' (inversion) and agents of passives.
    """
    tok: Token | None = verb
    for _ in range(4):
        if tok is None:
            break
        for child in tok.children:
            if child.dep_ in _SUBJECT_DEPS:
                return child
        for child in tok.children:
            if child.dep_ == "agent":
                for grand in child.children:
                    if grand.dep_ == "pobj":
                        return grand
        if tok.dep_ in ("xcomp", "advcl", "pcomp", "conj", "acl") and tok.head is not tok:
            tok = tok.head
            if tok.dep_ == "prep":
                tok = tok.head
            continue
        break
    return None


def according_to(tok: Token) -> Token | None:
    """For the token 'according' of 'according to X', return X."""
    if tok.lower_ != "according":
        return None
    for child in tok.children:
        if child.lower_ == "to":
            for grand in child.children:
                if grand.dep_ == "pobj":
                    return grand
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    if nxt is not None and nxt.lower_ == "to":
        for grand in nxt.children:
            if grand.dep_ == "pobj":
                return grand
    return None
