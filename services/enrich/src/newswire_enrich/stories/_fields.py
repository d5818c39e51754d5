"""Where an article goes in the index: its time buckets and its posting fields (pure).

A posting field is a short binary string whose first byte names its kind:

- ``b`` + band number (1 byte) + the band's :data:`~._minhash.ROWS` MinHash values (u32
  big-endian each): articles sharing it share one LSH band;
- ``e`` + :func:`~._shingles.hash32` of a salient entity's key (4 bytes);
- ``q`` + one of the smallest word-trigram hashes of a quote (4 bytes).

The Lua side reads the kind from the first byte and picks the hash key from the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _minhash, _shingles
from ._features import ArticleFeatures

BAND, ENTITY, QUOTE = b"b", b"e", b"q"
#: Word trigrams of a quote put in the index (the smallest hashes: a consistent sample).
QUOTE_GRAMS_INDEXED = 6


@dataclass(frozen=True)
class IndexFields:
    """An article's posting fields by kind."""

    bands: list[bytes]
    entities: list[bytes]
    quotes: list[bytes]

    def all(self) -> list[bytes]:
        """Every field, bands first."""
        return [*self.bands, *self.entities, *self.quotes]


def band_fields(signature: np.ndarray) -> list[bytes]:
    """Return one field per LSH band: its number and its rows' values."""
    rows = np.asarray(signature, dtype=">u4").reshape(_minhash.BANDS, _minhash.ROWS)
    return [BAND + bytes((band,)) + rows[band].tobytes() for band in range(_minhash.BANDS)]


def _h4(value: int) -> bytes:
    return value.to_bytes(4, "big")


def index_fields(f: ArticleFeatures) -> IndexFields:
    """Return the posting fields of an article (no band of an empty text)."""
    ents = sorted({ENTITY + _h4(_shingles.hash32(e)) for e in f.entities})
    grams = {g for q in f.quotes for g in sorted(q.grams)[:QUOTE_GRAMS_INDEXED]}
    return IndexFields(
        bands=band_fields(f.signature) if f.shingles else [],
        entities=ents,
        quotes=[QUOTE + _h4(g) for g in sorted(grams)],
    )


def own_buckets(f: ArticleFeatures, bucket_seconds: int) -> list[int]:
    """The buckets an article is posted in: those of its event time and of its receipt."""
    return sorted({int(f.event_time // bucket_seconds), int(f.received_time // bucket_seconds)})


def lookup_buckets(own: list[int]) -> list[int]:
    """The buckets read to find an article's candidates: its own and their neighbours."""
    return sorted({b + d for b in own for d in (-1, 0, 1)})
