"""The faster of two matrix products for spaCy's networks, chosen by measuring on this CPU.

Why: thinc multiplies matrices with BLIS (the ``blis`` wheel), which picks a kernel for the
CPU it finds. The wheel carries kernels for some CPUs only (Haswell, Zen 2, Skylake-X...); on
others, AMD Zen 3 and later among them (the EPYC machines this project is measured on), it
falls back to its portable reference kernel, about six times slower than numpy's own BLAS
(OpenBLAS, which knows these CPUs). There the token-to-vector layers and the entity
recogniser, most of a worker's time, ran a third slower than they need to.

What :func:`use_fastest_matmul` does: times one product of the shape the token-to-vector
layers multiply, with BLIS and with numpy; if numpy is clearly faster (:data:`MARGIN`), every
layer of the pipeline gets thinc's numpy operations with BLIS turned off
(``NumpyOps(use_blis=False)``: ``numpy.dot``), and numpy's BLAS is held to one thread (a
worker runs one process per core: more threads would only compete for them). Otherwise
nothing changes. The parsers' per-step products (one state's small matrices at a time) go
through thinc's C interface, which cannot be pointed elsewhere from Python: they stay BLIS.

Output: the same products up to the order of floating-point additions. On the project's
corpus (193 articles, every token's tag, dependency, entity and lemma, and every result)
the output was identical; ``tests/unit/test_fast_spacy.py`` compares tokens with spaCy as
shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import numpy
from spacy.language import Language
from thinc.api import Model, NumpyOps

#: numpy is chosen only when its product takes at most this share of BLIS's
MARGIN = 0.8
#: the product timed: a batch of tokens (rows) through a maxout layer of the small English
#: pipeline's token-to-vector network (width 96, window 1, 3 pieces: 288 x 288)
_ROWS, _INNER, _OUT = 1024, 288, 288
_REPEATS = 7

Matmul = Literal["blis", "numpy"]


def use_fastest_matmul(
    nlp: Language, *, seconds: Callable[[NumpyOps], float] | None = None
) -> Matmul:
    """Give `nlp`'s layers numpy's matrix product where it is clearly faster than BLIS on
    this CPU; return which one the layers use now. `seconds` times one product with the
    given operations (the default measures; tests pass their own)."""
    if matmul_of(nlp) == "numpy":
        return "numpy"
    measure = seconds or _seconds
    numpy_ops = NumpyOps(use_blis=False)
    if measure(NumpyOps(use_blis=True)) * MARGIN <= measure(numpy_ops):
        return "blis"
    _one_blas_thread()
    for node in _layers(nlp):
        node.ops = numpy_ops
    return "numpy"


def matmul_of(nlp: Language) -> Matmul:
    """Which product the layers of `nlp` use: ``"numpy"`` once all of them were switched."""
    nodes = _layers(nlp)
    switched = all(isinstance(n.ops, NumpyOps) and not n.ops.use_blis for n in nodes)
    return "numpy" if nodes and switched else "blis"


def _layers(nlp: Language) -> list[Model]:  # type: ignore[type-arg]
    """Every thinc layer of `nlp`'s components (listeners of a shared layer included)."""
    return [
        node
        for _name, component in nlp.pipeline
        if isinstance(model := getattr(component, "model", None), Model)
        for node in model.walk()
    ]


def _seconds(ops: NumpyOps) -> float:
    """The best of a few timings of the product with `ops` (after one untimed)."""
    rng = numpy.random.default_rng(0)
    x = rng.random((_ROWS, _INNER), dtype=numpy.float32)
    w = rng.random((_OUT, _INNER), dtype=numpy.float32)
    ops.gemm(x, w, trans2=True)
    best = float("inf")
    for _ in range(_REPEATS):
        started = time.perf_counter()
        ops.gemm(x, w, trans2=True)
        best = min(best, time.perf_counter() - started)
    return best


def _one_blas_thread() -> None:
    """Hold numpy's BLAS to one thread in this process (and the processes it forks)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
