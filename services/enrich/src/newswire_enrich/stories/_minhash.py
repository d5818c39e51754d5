"""MinHash signatures (datasketch) and the Jaccard estimate (pure functions).

The permutations are drawn once per process (datasketch draws them per MinHash otherwise),
and the shingles are hashed by :func:`~._shingles.hash32` before they reach datasketch, so
the signature of a text is the same in every worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
from datasketch import MinHash

#: Permutations per signature; :data:`BANDS` x :data:`ROWS` must equal it.
NUM_PERM = 128
#: LSH bands and rows per band: two texts with Jaccard s share a band with probability
#: 1 - (1 - s**ROWS)**BANDS (0.1: 0.47, 0.15: 0.77, 0.2: 0.93, 0.3: 0.997).
BANDS = 64
ROWS = 2
_SEED = 20240611


def _identity(value: int) -> int:
    return value


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    perms = MinHash(num_perm=NUM_PERM, seed=_SEED).permutations
    return perms[0], perms[1]


def signature(hashes: Iterable[int]) -> np.ndarray:
    """Return the MinHash signature (``NUM_PERM`` uint64 values) of a set of 32-bit hashes."""
    mh = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=_identity, permutations=_permutations())
    values = list(hashes)
    if values:
        mh.update_batch(values)
    return np.asarray(mh.hashvalues, dtype=np.uint64)


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """Return the Jaccard similarity estimated from two signatures."""
    return float(np.count_nonzero(a == b)) / NUM_PERM
