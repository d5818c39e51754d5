"""The steps a :class:`~newswire_enrich.pipeline.Pipeline` runs, in order, and how to add one.

A step is any object with a ``name``, ``setup(nlp)`` (once per process, after the model is
loaded) and ``run(article)`` (once per article: it reads and fills the shared
:class:`ArticleState`). The built-in steps are :func:`default_steps`: ``clean``, ``nlp``
(spaCy, in pieces for long bodies, the model's labels mapped to newswire's types),
``entities`` and ``quotes``. Each step is timed under its name in the result's
``pipeline.timings``. A step of your own goes after them and puts what it finds under its
name in ``extensions``::

    class WordCount:
        name = "word_count"

        def setup(self, nlp: Language) -> None:
            pass

        def run(self, article: ArticleState) -> None:
            article.extensions[self.name] = len(article.text.split())

    Pipeline(steps=[*default_steps(), WordCount()])

or, without code changes to newswire, ``NEWSWIRE_EXTRA_STEPS=mypackage.steps:WordCount`` (an
import path of a class or function that returns the step). A step that needs a spaCy
component adds it to the model in ``setup`` (``nlp.add_pipe("entity_ruler", before="ner")``):
the ``nlp`` step then runs it with the rest.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from spacy.tokens import Span

from newswire_enrich._chunks import (
    QUOTE_CONTEXT_CHARS,
    MentionIndex,
    Piece,
    Shelf,
    shift_quotes,
    split_text,
)
from newswire_enrich._headline import headline_for_ner
from newswire_enrich._speakers import plain_words_of
from newswire_enrich.clean import CleanedArticle, clean_article
from newswire_enrich.decisions import Removal, TypeChange
from newswire_enrich.entities import BodyMention, body_mentions, group_mentions
from newswire_enrich.labels import Label, is_identity, label_map
from newswire_enrich.quotes import extract_quotes
from newswire_shared.logs import get_logger
from newswire_shared.schemas import ArticleJob, Entity, Quote

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = get_logger(__name__)


class StepError(Exception):
    """A configured step cannot be imported or built (``NEWSWIRE_EXTRA_STEPS``)."""


@dataclass
class ParsedBody:
    """The spaCy parse of a clean body: its pieces (one for most articles) and the headline."""

    pieces: list[Piece]
    shelf: Shelf
    title_doc: Doc | None

    def docs(self) -> Iterator[tuple[Piece, Doc]]:
        """Each piece with its Doc, in order."""
        return self.shelf.each()


@dataclass
class ArticleState:
    """One article on its way through the steps: what each step found so far."""

    job: ArticleJob
    cleaned: CleanedArticle | None = None
    parsed: ParsedBody | None = None
    entities: list[Entity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    #: what cleaning dropped, with its rule (see newswire_enrich.decisions)
    removed: list[Removal] = field(default_factory=list)
    #: each type decision of the entity step
    type_changes: list[TypeChange] = field(default_factory=list)
    #: what steps of your own found, under their names (JSON values)
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The clean body ("" before the clean step)."""
        return self.cleaned.text if self.cleaned is not None else ""

    @property
    def title(self) -> str | None:
        """The headline, if cleaning found one."""
        return self.cleaned.title if self.cleaned is not None else None

    def require_parse(self, step: str) -> ParsedBody:
        """The parse, for a step that needs it (raises if the nlp step has not run)."""
        if self.parsed is None:
            raise StepError(f"step {step!r} needs the 'nlp' step to run before it")
        return self.parsed


@runtime_checkable
class Step(Protocol):
    """What the Pipeline needs of a step."""

    name: str

    def setup(self, nlp: Language) -> None:
        """Prepare once per process (the model is loaded)."""

    def run(self, article: ArticleState) -> None:
        """Do this step's work on one article."""


class CleanStep:
    """Turn the file's text into a clean body and metadata; record what was dropped."""

    name = "clean"

    def setup(self, nlp: Language) -> None:
        """Nothing to prepare."""

    def run(self, article: ArticleState) -> None:
        """Clean ``article.job``'s text (raises EmptyArticleError when nothing is left)."""
        source = article.job.source
        article.cleaned = clean_article(article.job.text, source.media_type, source.filename)
        article.removed = list(article.cleaned.removed)


class ParseStep:
    """Run spaCy over the body (in pieces of at most `chunk_chars`) and the headline."""

    name = "nlp"

    def __init__(self, chunk_chars: int, label_overrides: dict[str, str] | None = None) -> None:
        self.chunk_chars = chunk_chars
        self._overrides = label_overrides or {}
        self._nlp: Language | None = None
        self._labels: dict[str, Label | None] | None = None

    def setup(self, nlp: Language) -> None:
        """Keep the model; build the label map of its NER (None when it changes nothing)."""
        self._nlp = nlp
        ner_labels: set[str] = set()
        for name in nlp.pipe_names:
            if "doc.ents" in nlp.get_pipe_meta(name).assigns:
                ner_labels.update(getattr(nlp.get_pipe(name), "labels", ()))
        mapping = label_map(sorted(ner_labels), self._overrides)
        self._labels = None if is_identity(mapping) else mapping

    def run(self, article: ArticleState) -> None:
        """Parse the clean body piece by piece; the headline rides along with the first."""
        nlp = self._nlp
        if nlp is None:
            raise StepError("the nlp step was not set up")
        text, title = article.text, article.title
        pieces = split_text(text, min(self.chunk_chars, nlp.max_length))
        if len(pieces) > 1:
            log.info("long_text", chars=len(text), pieces=len(pieces), chunk_chars=self.chunk_chars)
        shelf = Shelf(pieces, nlp.vocab)
        title_doc: Doc | None = None
        for k, piece in enumerate(pieces):
            if k == 0 and title:
                # one call instead of two (a short text costs spaCy several ms of fixed
                # overhead alone); each Doc is parsed as it would be alone
                doc, title_doc = nlp.pipe(
                    [text[piece.start : piece.end], headline_for_ner(title, text)]
                )
            else:
                doc = nlp(text[piece.start : piece.end])
            shelf.put(k, self._mapped(doc))
        article.parsed = ParsedBody(
            pieces, shelf, self._mapped(title_doc) if title_doc is not None else None
        )

    def _mapped(self, doc: Doc) -> Doc:
        """`doc` with its entity labels in newswire's types (unmapped labels dropped)."""
        if self._labels is None:
            return doc
        labels = self._labels
        doc.ents = [
            Span(doc, ent.start, ent.end, label=str(labels[ent.label_]))
            for ent in doc.ents
            if labels.get(ent.label_) is not None
        ]
        return doc


class EntitiesStep:
    """Group the name mentions of the body and headline into the article's entities."""

    name = "entities"

    def __init__(self, *, trace: bool = False) -> None:
        self.trace = trace

    def setup(self, nlp: Language) -> None:
        """Nothing to prepare."""

    def run(self, article: ArticleState) -> None:
        """Fill ``article.entities`` (and, with `trace`, their type decisions)."""
        parsed = article.require_parse(self.name)
        text = article.text
        mentions: list[BodyMention] = []
        for piece, doc in parsed.docs():
            mentions += body_mentions(doc, piece.start, text[piece.start : piece.end])
        trace: list[TypeChange] | None = [] if self.trace else None
        article.entities = group_mentions(mentions, parsed.title_doc, len(text), trace=trace)
        article.type_changes = trace or []


class QuotesStep:
    """Find the quotes of the body and who said them (piece by piece for long bodies)."""

    name = "quotes"

    def __init__(self) -> None:
        self._plain_words: frozenset[str] = frozenset()

    def setup(self, nlp: Language) -> None:
        """Read the words the model knows only as modifiers (never a speaker's name)."""
        self._plain_words = plain_words_of(nlp)

    def run(self, article: ArticleState) -> None:
        """Fill ``article.quotes``; offsets point into the whole clean body."""
        parsed = article.require_parse(self.name)
        if len(parsed.pieces) == 1:
            ((_, doc),) = parsed.docs()
            article.quotes = extract_quotes(
                doc, article.entities, article.text, plain_words=self._plain_words
            )
            return
        index = MentionIndex(article.entities)
        quotes: list[Quote] = []
        for k, piece in enumerate(parsed.pieces):
            # the piece with the text around it: speakers named before a cut, a quote
            # running on into the next paragraphs
            around, begin, end = parsed.shelf.around(k, QUOTE_CONTEXT_CHARS)
            found = extract_quotes(around, index.within(begin, end), plain_words=self._plain_words)
            found = shift_quotes(found, begin)
            quotes += [q for q in found if piece.start <= q.start < piece.end]
        article.quotes = quotes


def default_steps(
    chunk_chars: int, label_overrides: dict[str, str] | None = None, *, explain: bool = False
) -> list[Step]:
    """The built-in steps, in order (`explain`: the entity step keeps its type decisions)."""
    return [
        CleanStep(),
        ParseStep(chunk_chars, label_overrides),
        EntitiesStep(trace=explain),
        QuotesStep(),
    ]


def load_steps(spec: str) -> list[Step]:
    """Build the steps named in ``NEWSWIRE_EXTRA_STEPS`` (comma-separated ``module:factory``)."""
    steps: list[Step] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        module_name, _, factory_name = item.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), factory_name)
        except (ImportError, AttributeError) as exc:
            raise StepError(f"step {item!r} cannot be imported: {exc}") from exc
        step = factory()
        if not isinstance(step, Step):
            raise StepError(f"step {item!r} has no name, setup(nlp) and run(article)")
        steps.append(step)
    return steps
