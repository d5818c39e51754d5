"""Long texts in pieces: where to cut, and how results found in a piece map back.

spaCy refuses a text over ``nlp.max_length`` (1,000,000 characters) and needs about 3 KB of
memory per character of the text it parses at once. :func:`split_text` cuts a body into
pieces of at most ``max_chars`` characters whose concatenation is the body exactly: after a
paragraph break (``"\\n\\n"``) when there is one in reach, else after a line break, a sentence
end or white space, and only as a last resort inside a word. Each piece is parsed alone; the
helpers below keep a parsed piece small until it is needed again (:func:`freeze`) and move
entities and quotes between offsets in the piece and offsets in the body.
"""

from __future__ import annotations

import bisect
import re
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Doc
from spacy.vocab import Vocab

from newswire_shared.schemas import Entity, Mention, Quote

_PARAGRAPH = "\n\n"
#: A sentence end followed by white space (closing quotes and brackets stay with the sentence).
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")
_SPACE = re.compile(r"\s+")
#: Text on each side of a piece that the quote step reads with it, at most: speaker
#: resolution looks back this far (a description matched to an entity named up to 6,000
#: characters earlier), so a quote near a cut is attributed as in the whole text.
QUOTE_CONTEXT_CHARS = 6000
#: What a frozen Doc leaves out: the model's vectors per token (the steps only read the
#: annotations) and user data (none).
_NOT_KEPT = ("tensor", "user_data")


@dataclass(frozen=True)
class Piece:
    """``text[start:end]`` of the body."""

    start: int
    end: int


def split_text(text: str, max_chars: int) -> list[Piece]:
    """Cut `text` into consecutive pieces of at most `max_chars` characters (see module)."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, not {max_chars}")
    pieces: list[Piece] = []
    start, n = 0, len(text)
    while n - start > max_chars:
        end = _cut(text, start, start + max_chars)
        pieces.append(Piece(start, end))
        start = end
    pieces.append(Piece(start, n))
    return pieces


def _cut(text: str, start: int, limit: int) -> int:
    """Where the piece starting at `start` ends, at most at `limit` (and after `start`)."""
    at = text.rfind(_PARAGRAPH, start, limit)
    if at > start:
        return at + len(_PARAGRAPH)  # the separator stays with the paragraph before it
    at = text.rfind("\n", start, limit)
    if at > start:
        return at + 1
    for pattern in (_SENTENCE_END, _SPACE):
        last = deque(pattern.finditer(text, start, limit), maxlen=1)
        if last and last[0].end() > start:
            return last[0].end()
    return limit  # one word longer than a piece: cut inside it


def freeze(doc: Doc) -> bytes:
    """A parsed piece as compact bytes (about 20 bytes a token instead of some 400)."""
    return zlib.compress(doc.to_bytes(exclude=_NOT_KEPT), 1)


def thaw(data: bytes, vocab: Vocab) -> Doc:
    """The Doc :func:`freeze` made `data` of, with every annotation the steps read."""
    return Doc(vocab).from_bytes(zlib.decompress(data), exclude=_NOT_KEPT)


class Shelf:
    """The parsed pieces of a body, frozen while the others are parsed, thawed again for the
    quote step while they are in reach of the piece it reads, then let go."""

    def __init__(self, pieces: list[Piece], vocab: Vocab) -> None:
        self._pieces = pieces
        self._starts = [p.start for p in pieces]
        self._vocab = vocab
        self._frozen: dict[int, bytes] = {}
        self._live: dict[int, Doc] = {}

    def put(self, k: int, doc: Doc) -> None:
        """Keep the parsed piece `k` (the last one as it is, the others frozen)."""
        if k == len(self._pieces) - 1:
            self._live[k] = doc
        else:
            self._frozen[k] = freeze(doc)

    def each(self) -> Iterator[tuple[Piece, Doc]]:
        """Every piece with its Doc, in order; a frozen one is thawed only while in use (it
        stays frozen on the shelf for :meth:`around`)."""
        for k, piece in enumerate(self._pieces):
            live = self._live.get(k)
            yield piece, live if live is not None else thaw(self._frozen[k], self._vocab)

    def around(self, k: int, chars: int) -> tuple[Doc, int, int]:
        """Piece `k` with up to `chars` characters of the text on each side (see
        :func:`window`): the Doc and the body offsets of its text."""
        piece = self._pieces[k]
        lo = max(0, piece.start - chars)
        hi = min(self._pieces[-1].end, piece.end + chars)
        first = bisect.bisect_right(self._starts, lo) - 1
        last = bisect.bisect_left(self._starts, hi) - 1
        for gone in [j for j in self._live if j < first]:
            del self._live[gone]
        for j in range(first, last + 1):
            if j not in self._live:
                self._live[j] = thaw(self._frozen.pop(j), self._vocab)
        return window([(self._starts[j], self._live[j]) for j in range(first, last + 1)], lo, hi)


def window(parts: list[tuple[int, Doc]], lo: int, hi: int) -> tuple[Doc, int, int]:
    """One Doc of the body's text from about `lo` to about `hi`, joined from the parsed pieces
    `parts` ((where it starts in the body, Doc) for consecutive pieces covering [lo, hi)).

    The first piece is entered after its first paragraph break at or after `lo`, the last one
    left after its last paragraph break before `hi` (at a word when there is none): the quote
    step reads a piece with the text around it. Returns the Doc and the body offsets of its
    text. The annotations are the pieces' own; nothing is parsed again.
    """
    docs: list[Doc] = []
    for k, (offset, doc) in enumerate(parts):
        first = _first_token_from(doc, lo - offset, paragraph=True) if k == 0 else 0
        end = _first_token_from(doc, hi - offset, paragraph=False) if k == len(parts) - 1 else None
        end = len(doc) if end is None else end
        if k == 0:
            lo = offset + _idx(doc, first)
        if k == len(parts) - 1:
            hi = offset + _idx(doc, end)
        if (first, end) == (0, len(doc)):
            docs.append(doc)
        elif end > first:
            docs.append(doc[first:end].as_doc())
    if len(docs) == 1:
        return docs[0], lo, hi
    # (spaCy's stubs lack from_docs' `exclude`; the frozen pieces have no tensor to join)
    joined = Doc.from_docs(docs, ensure_whitespace=False, exclude=_NOT_KEPT)  # type: ignore[call-arg]
    return joined, lo, hi


def _first_token_from(doc: Doc, at: int, *, paragraph: bool) -> int:
    """The first token starting at or after offset `at` of `doc`, moved to the start of a
    paragraph: the next one (`paragraph`) or the one holding `at`, when `doc` has one."""
    text = doc.text
    if at <= 0:
        return 0
    if at >= len(text):
        return len(doc)
    brk = text.find(_PARAGRAPH, at) if paragraph else text.rfind(_PARAGRAPH, 0, at)
    if brk > 0:
        at = brk + len(_PARAGRAPH)
    return bisect.bisect_left([t.idx for t in doc], at)


def _idx(doc: Doc, i: int) -> int:
    """Offset of token `i` in `doc`'s text (its length for the end)."""
    return doc[i].idx if i < len(doc) else len(doc.text)


class MentionIndex:
    """The entities' body mentions by position: hands a stretch of the body the entities
    named in it, with those mentions only, as offsets into the stretch (what the quote step
    needs to read one piece). Ids, names, labels and counts stay those of the whole body."""

    def __init__(self, entities: list[Entity]) -> None:
        self._entities = entities
        rows = [
            (m.start, i, m)
            for i, e in enumerate(entities)
            for m in e.mentions
            if m.source == "text"
        ]
        rows.sort(key=lambda r: (r[0], r[1]))
        self._rows = rows
        self._starts = [r[0] for r in rows]

    def within(self, lo: int, hi: int) -> list[Entity]:
        """The entities named in the body's text [lo, hi), offsets relative to `lo`."""
        found: dict[int, list[Mention]] = {}
        first = bisect.bisect_left(self._starts, lo)
        last = bisect.bisect_left(self._starts, hi)
        for start, i, m in self._rows[first:last]:
            if m.end <= hi:
                found.setdefault(i, []).append(
                    m.model_copy(update={"start": start - lo, "end": m.end - lo})
                )
        return [self._entities[i].model_copy(update={"mentions": found[i]}) for i in sorted(found)]


def shift_quotes(quotes: list[Quote], offset: int) -> list[Quote]:
    """Quotes found in a piece starting at `offset`, with offsets into the whole body."""
    if not offset:
        return quotes
    return [q.model_copy(update={"start": q.start + offset, "end": q.end + offset}) for q in quotes]
