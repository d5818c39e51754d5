"""Word shingles of a clean text and their 32-bit hashes (pure functions).

A shingle is ``k`` consecutive words of the case-folded text (letters and digits only), so
the same article cleaned from HTML and from a page dump, with slightly different line breaks,
punctuation or a leftover caption, shares nearly all of its shingles.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

_WORD = re.compile(r"\w+", re.UNICODE)

#: Words per shingle.
SHINGLE_WORDS = 4

#: At most this many shingle hashes are kept for the exact Jaccard check (a longer text keeps
#: the hashes below a fixed cut, the same for every text, so sampled sets stay comparable).
MAX_EXACT_SHINGLES = 20_000

#: Hashes kept once a text is over :data:`MAX_EXACT_SHINGLES` (1/8 of the 32-bit range).
_SAMPLE_CUT = 1 << 29


def words(text: str) -> list[str]:
    """Return the case-folded words of `text` (runs of letters, digits and underscores)."""
    return [w.casefold() for w in _WORD.findall(text)]


def hash32(value: str) -> int:
    """Return a stable 32-bit hash of `value` (the same in every process, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=4).digest(), "big")


def shingle_hashes(tokens: Sequence[str], k: int = SHINGLE_WORDS) -> set[int]:
    """Return the hashes of the `k`-word shingles of `tokens` (one shingle if shorter)."""
    if not tokens:
        return set()
    if len(tokens) <= k:
        return {hash32(" ".join(tokens))}
    return {hash32(" ".join(tokens[i : i + k])) for i in range(len(tokens) - k + 1)}


def sampled(hashes: set[int]) -> tuple[set[int], bool]:
    """Return the hashes kept for the exact check and whether they are a sample."""
    if len(hashes) <= MAX_EXACT_SHINGLES:
        return hashes, False
    return {h for h in hashes if h < _SAMPLE_CUT}, True


def jaccard(a: AbstractSet[int], b: AbstractSet[int]) -> float:
    """Return the Jaccard similarity of two sets (0.0 when both are empty)."""
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)
