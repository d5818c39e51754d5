"""The headline as running text, for NER (see :func:`headline_for_ner`)."""

from __future__ import annotations

import re

_HEADLINE_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def headline_for_ner(title: str, body: str) -> str:
    """Return the headline cased as running text, for NER.

    spaCy finds almost nothing in an all-capitals headline and takes Title Case words for
    names ("Lavrov Strengthen Strategic Partnership"). Words of such headlines that the body
    writes in lower case are lowered. The result has the same length, so offsets found in it
    point into `title`.
    """
    words = list(_HEADLINE_WORD.finditer(title))
    if len(words) < 3:
        return title
    letters = [c for c in title if c.isalpha()]
    shouting = sum(c.isupper() for c in letters) / len(letters) > 0.8
    capitalised = sum(w.group()[0].isupper() for w in words) / len(words)
    if not shouting and capitalised < 0.7:
        return title
    lower_in_body = {m.group() for m in _HEADLINE_WORD.finditer(body) if m.group().islower()}
    chars = list(title.title() if shouting and len(title.title()) == len(title) else title)
    for w in words[1:]:
        if w.group().lower() in lower_in_body:
            chars[w.start()] = chars[w.start()].lower()
            for i in range(w.start() + 1, w.end()):
                chars[i] = chars[i].lower()
    return "".join(chars)
