"""An article's features as one compact binary value (pure functions).

Stored in the index as the ``f`` field of ``{p}:art:{job}`` and returned with each candidate,
so one value per candidate crosses the wire and is decoded with ``struct`` and ``array`` (no
JSON). Layout, little-endian:

====================  ==============================================================
header                version (u8), flags (u8: 1 dated, 2 sampled), event time (f64),
                      received time (f64), shingles (u32), entities, quotes, keywords
                      (u16 each)
signature             :data:`~._minhash.NUM_PERM` u32 (MinHash values are below 2**32)
shingles              sorted u32 hashes
entity saliences      f64 each
quotes                per quote: words (u16), trigrams (u16), then the trigram hashes (u32)
names                 the entity keys then the keywords, UTF-8, joined by ``\\x1f``
====================  ==============================================================
"""

from __future__ import annotations

import struct
from array import array

import numpy as np

from . import _minhash
from ._features import ArticleFeatures, QuoteGrams

VERSION = 1
#: Quotes kept per article in the index (the first ones).
MAX_QUOTES = 30
_HEAD = struct.Struct("<BBddIHHH")
_QUOTE = struct.Struct("<HH")
_SEP = "\x1f"
_DATED, _SAMPLED = 1, 2
_U16 = 0xFFFF


class FeatureCodecError(ValueError):
    """A stored features value is not one this version can read."""


def _u32(values: list[int]) -> bytes:
    data = array("I", values)
    if data.itemsize != 4:  # pragma: no cover - every platform newswire runs on has 4-byte I
        data = array("L", values)
    return data.tobytes()


def encode(f: ArticleFeatures) -> bytes:
    """Return the features of an article as one value (title and job id are not in it)."""
    quotes = f.quotes[:MAX_QUOTES]
    names = _SEP.join([*f.entities, *sorted(f.keywords)]).encode("utf-8")
    parts = [
        _HEAD.pack(
            VERSION,
            (_DATED if f.dated else 0) | (_SAMPLED if f.sampled else 0),
            f.event_time,
            f.received_time,
            len(f.shingles),
            len(f.entities),
            len(quotes),
            len(f.keywords),
        ),
        np.asarray(f.signature, dtype="<u4").tobytes(),
        _u32(sorted(f.shingles)),
        struct.pack(f"<{len(f.entities)}d", *f.entities.values()),
    ]
    for q in quotes:
        grams = sorted(q.grams)[:_U16]
        parts.append(_QUOTE.pack(min(q.words, _U16), len(grams)))
        parts.append(_u32(grams))
    parts.append(names)
    return b"".join(parts)


def decode(job_id: str, data: bytes) -> ArticleFeatures:
    """Inverse of :func:`encode` (the title is None)."""
    if not data or data[0] != VERSION:
        raise FeatureCodecError(f"features of {job_id}: unknown layout")
    _, flags, event, received, n_sh, n_ent, n_q, n_kw = _HEAD.unpack_from(data)
    at = _HEAD.size
    sig = np.frombuffer(data, dtype="<u4", count=_minhash.NUM_PERM, offset=at)
    at += 4 * _minhash.NUM_PERM
    shingles = array("I", data[at : at + 4 * n_sh])
    at += 4 * n_sh
    saliences = struct.unpack_from(f"<{n_ent}d", data, at)
    at += 8 * n_ent
    quotes = []
    for _ in range(n_q):
        words, n = _QUOTE.unpack_from(data, at)
        at += _QUOTE.size
        quotes.append(QuoteGrams(frozenset(array("I", data[at : at + 4 * n])), words))
        at += 4 * n
    names = data[at:].decode("utf-8").split(_SEP) if n_ent + n_kw else []
    if len(names) != n_ent + n_kw:
        raise FeatureCodecError(f"features of {job_id}: {len(names)} names, not {n_ent + n_kw}")
    return ArticleFeatures(
        job_id=job_id,
        event_time=event,
        received_time=received,
        dated=bool(flags & _DATED),
        shingles=frozenset(shingles),
        sampled=bool(flags & _SAMPLED),
        signature=sig.astype(np.uint64),
        entities=dict(zip(names[:n_ent], saliences, strict=True)),
        quotes=tuple(quotes),
        keywords=frozenset(names[n_ent:]),
    )
