"""The data contract between ingest, the enrichment workers and result consumers.

Messages travel as JSON (never pickle). Field names of :class:`EnrichedArticle` are the ones
read by the quality scorer: ``source.filename``, ``title``, ``text``, ``entities[].name`` and
``label``, ``quotes[].text``, ``kind`` and ``speaker.name``.

Bump :data:`SCHEMA_VERSION` on any incompatible change; the exported JSON Schemas in
``schemas/`` are kept in sync by a test (``newswire schema --write`` regenerates them).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

SCHEMA_VERSION: Literal[1] = 1

#: Length of a job id: the first hex digits of the content's SHA-256.
JOB_ID_LENGTH = 16


def content_sha256(data: bytes) -> str:
    """Return the hex SHA-256 of raw file bytes."""
    return hashlib.sha256(data).hexdigest()


def job_id_for(sha256: str) -> str:
    """Return the job id of a file: the same content always gets the same id."""
    return sha256[:JOB_ID_LENGTH]


class MediaType(StrEnum):
    """The kinds of file the inbox accepts."""

    TEXT = "text/plain"
    MARKDOWN = "text/markdown"
    HTML = "text/html"
    JSON = "application/json"

    @classmethod
    def from_suffix(cls, suffix: str) -> MediaType | None:
        """Return the media type of a file name suffix (``.html``), or None if not accepted."""
        return _SUFFIXES.get(suffix.lower())


_SUFFIXES: dict[str, MediaType] = {
    ".txt": MediaType.TEXT,
    ".text": MediaType.TEXT,
    ".md": MediaType.MARKDOWN,
    ".markdown": MediaType.MARKDOWN,
    ".html": MediaType.HTML,
    ".htm": MediaType.HTML,
    ".json": MediaType.JSON,
}

#: File name suffixes the inbox accepts.
ACCEPTED_SUFFIXES = frozenset(_SUFFIXES)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """Where an article came from: the file that was dropped into the inbox."""

    filename: str = Field(
        description="Name of the file as dropped into the inbox; bytes of the name that are "
        "not UTF-8 appear as backslash escapes (\\xff)."
    )
    path: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Path inside the inbox ('agency/2024/x.txt', '/'-separated) when the file "
        "was in a sub-folder (NEWSWIRE_RECURSIVE); absent for the inbox's top level.",
    )
    size: int = Field(ge=0, description="Size of the file in bytes.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file's bytes.")
    received_at: datetime = Field(description="When ingest saw the file finished (UTC).")
    media_type: MediaType
    encoding: str | None = Field(
        default=None, description="The encoding ingest detected and decoded the bytes from."
    )


class ArticleJob(_Model):
    """One article to enrich: the message ingest queues for the workers."""

    schema_version: Literal[1] = SCHEMA_VERSION
    job_id: str = Field(pattern=r"^[0-9a-f]{16}$", description="Content hash: same bytes, same id.")
    source: Source
    text: str = Field(description="The file's content decoded to text (sent as UTF-8 JSON).")
    revision: int = Field(
        default=0,
        ge=0,
        exclude_if=lambda value: value == 0,
        description="0 for a dropped file; 1, 2, ... when `newswire reprocess` enriches the "
        "same original again (absent when 0).",
    )


class Mention(_Model):
    """One occurrence of an entity: ``text[start:end]`` of the body, or of the title."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    source: Literal["text", "title"] = Field(
        default="text", description="Whether the offsets point into `text` or `title`."
    )


class Entity(_Model):
    """One real-world entity of an article, with all its mentions."""

    id: str = Field(description="Entity id unique within the article, e.g. 'E1'.")
    name: str = Field(description="Canonical name, e.g. 'Xi Jinping' for 'Xi' and 'Xi's'.")
    label: str = Field(description="spaCy label: PERSON, ORG, GPE, LOC, FAC, NORP, ...")
    mentions: list[Mention] = Field(default_factory=list)
    count: int = Field(ge=0, description="Number of mentions.")
    salience: float = Field(default=0.0, ge=0.0, le=1.0, description="Centrality to the article.")


class QuoteKind(StrEnum):
    """How a statement is reported."""

    DIRECT = "direct"
    MIXED = "mixed"
    INDIRECT = "indirect"


class Speaker(_Model):
    """Who made a statement: a resolved name, or ``name=None`` when nobody is named."""

    name: str | None = None
    entity_id: str | None = Field(default=None, description="Id of the entity in `entities`.")


class Quote(_Model):
    """One attributed statement."""

    text: str = Field(description="The quoted or reported words, without quotation marks.")
    kind: QuoteKind
    speaker: Speaker = Field(default_factory=Speaker)
    cue: str | None = Field(default=None, description="The speech verb or phrase, e.g. 'said'.")
    start: int = Field(ge=0, description="Offset of `text` in the clean text.")
    end: int = Field(ge=0)
    rule: str | None = Field(
        default=None, description="Which extraction rule found it (the same as `found_by`)."
    )
    found_by: str | None = Field(
        default=None, description="The strategy that found the statement, e.g. 'quote-marks'."
    )
    resolved_by: str | None = Field(
        default=None,
        description="How the speaker was resolved to a name, e.g. 'entity', 'coreference', "
        "'carried' (from the statement before); None when nobody is named.",
    )


class RemovedText(_Model):
    """A piece of the input the cleaning step dropped, and the rule that dropped it."""

    rule: str = Field(description="Name of the cleaning rule, e.g. 'share-buttons'.")
    reason: str = Field(description="What kind of text it was, e.g. 'navigation', 'byline'.")
    text: str = Field(description="The text removed (long pieces are cut at 300 characters).")


class TypeDecision(_Model):
    """One step of deciding an entity's type: what a rule changed, and why."""

    entity_id: str | None = Field(
        default=None, description="Id in `entities` (None: the name was dropped as no entity)."
    )
    name: str = Field(description="The name as the rule saw it.")
    step: str = Field(description="The rule, e.g. 'model' (the model's own label), 'honorific'.")
    previous: str | None = Field(default=None, description="Type before the rule.")
    label: str | None = Field(description="Type after the rule (None: not an entity).")
    reason: str = Field(description="Why, for a person.")


class Explanation(_Model):
    """Why the result is what it is (on request: ``NEWSWIRE_EXPLAIN=true`` or ``--explain``)."""

    removed: list[RemovedText] = Field(default_factory=list)
    entity_types: list[TypeDecision] = Field(default_factory=list)


class StepTiming(_Model):
    """How long one pipeline step took."""

    step: str
    seconds: float = Field(ge=0.0)


class PipelineInfo(_Model):
    """What produced a result, for reproducibility."""

    newswire_version: str
    spacy_version: str | None = None
    model: str | None = None
    model_version: str | None = None
    timings: list[StepTiming] = Field(default_factory=list)
    worker: str | None = Field(default=None, description="Host and process that ran the job.")


class EnrichedArticle(_Model):
    """The structured result of one article."""

    schema_version: Literal[1] = SCHEMA_VERSION
    job_id: str
    source: Source
    title: str | None = None
    text: str = Field(description="Clean body: paragraphs separated by one blank line.")
    authors: list[str] = Field(default_factory=list)
    publisher: str | None = None
    published: str | None = Field(default=None, description="Publication date, ISO 8601.")
    language: str | None = None
    url: str | None = None
    entities: list[Entity] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    story_id: str | None = Field(
        default=None,
        description="The story this article belongs to (see `Story`); None when stories are "
        "off (`NEWSWIRE_STORIES=false`, one-shot `newswire enrich`). A story later merged "
        "into another keeps its id here; `newswire story ID` resolves it.",
    )
    duplicate_of: str | None = Field(
        default=None,
        description="Job id of the earlier article whose text this one (almost) repeats.",
    )
    similarity: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Text similarity to `duplicate_of`."
    )
    extensions: dict[str, JsonValue] = Field(
        default_factory=dict,
        exclude_if=lambda value: not value,
        description="What steps added to the pipeline found, under each step's name.",
    )
    revision: int = Field(
        default=0,
        ge=0,
        exclude_if=lambda value: value == 0,
        description="0 for the first enrichment (absent when 0); 1, 2, ... for results of "
        "`newswire reprocess`, each replacing the one before (same job id).",
    )
    pipeline: PipelineInfo
    enriched_at: datetime
    explanation: Explanation | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Removed text and entity-type decisions; only when explanations are on.",
    )


class FailureRecord(_Model):
    """Why a file produced no result: written to the failure stream and beside the file."""

    schema_version: Literal[1] = SCHEMA_VERSION
    job_id: str | None = Field(default=None, description="None when the file could not be read.")
    filename: str = Field(description="Name of the file, as in `Source.filename`.")
    path: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Path inside the inbox, as in `Source.path` (sub-folders only).",
    )
    stage: Literal["ingest", "enrich"]
    error: str = Field(description="Short machine-readable error class, e.g. 'DecodeError'.")
    reason: str = Field(description="What went wrong, for a person.")
    retryable: bool = Field(default=False, description="Would dropping it again help?")
    attempts: int = Field(default=1, ge=0)
    failed_at: datetime


class StoryArticle(_Model):
    """One article of a story."""

    job_id: str
    title: str | None = None
    publisher: str | None = None
    published: str | None = Field(default=None, description="Publication date, ISO 8601.")
    received_at: datetime | None = Field(default=None, description="When ingest saw the file.")
    url: str | None = None
    duplicate_of: str | None = Field(
        default=None, description="Job id of an earlier article with (almost) the same text."
    )
    similarity: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Shingle Jaccard with `duplicate_of`."
    )


class EntityRef(_Model):
    """An entity of one article: the job id and the entity's id in that article."""

    job_id: str
    entity_id: str


class StoryEntity(_Model):
    """A real-world entity of a story: one id for all the articles that name it."""

    id: str = Field(description="Entity id unique within the story, e.g. 'S1'.")
    name: str = Field(description="The longest name the articles use.")
    label: str
    aliases: list[str] = Field(default_factory=list, description="Other names used.")
    salience: float = Field(ge=0.0, le=1.0, description="Mean salience over the story's articles.")
    articles: int = Field(ge=0, description="Number of articles naming it.")
    refs: list[EntityRef] = Field(default_factory=list)


class QuoteInstance(_Model):
    """One article's wording of a statement."""

    job_id: str
    text: str = Field(description="The exact words this article used.")
    kind: QuoteKind
    start: int = Field(ge=0, description="Offset in that article's clean text.")
    end: int = Field(ge=0)
    speaker_name: str | None = Field(
        default=None, description="The speaker as the article named them."
    )


class QuoteCluster(_Model):
    """The same statement by the same speaker, as reported by one or more articles."""

    id: str = Field(description="Cluster id unique within the story, e.g. 'Q1'.")
    speaker: str | None = Field(default=None, description="Speaker name (the story entity's).")
    speaker_entity_id: str | None = Field(default=None, description="Id in the story's entities.")
    first_job_id: str = Field(description="The article that had it first (earliest date).")
    articles: int = Field(ge=1, description="Number of distinct articles carrying it.")
    instances: list[QuoteInstance]


class Story(_Model):
    """Articles about the same event, their merged entities and their quote clusters."""

    schema_version: Literal[1] = SCHEMA_VERSION
    story_id: str = Field(description="Job id of the story's first article.")
    absorbed: list[str] = Field(
        default_factory=list, description="Ids of stories merged into this one."
    )
    articles: list[StoryArticle]
    entities: list[StoryEntity] = Field(default_factory=list)
    quotes: list[QuoteCluster] = Field(default_factory=list)
    first_seen: datetime
    last_seen: datetime


#: Models whose JSON Schema is exported into the package (``schemas/<name>.schema.json``).
EXPORTED_MODELS: dict[str, type[BaseModel]] = {
    "article_job": ArticleJob,
    "enriched_article": EnrichedArticle,
    "failure_record": FailureRecord,
    "story": Story,
}


def json_schema_text(model: type[BaseModel]) -> str:
    """Return the JSON Schema of `model` as stable, pretty-printed text."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def exported_schema_text(name: str) -> str:
    """Return the JSON Schema file shipped in the package for `name`."""
    path = resources.files("newswire_shared") / "schemas" / f"{name}.schema.json"
    return path.read_text(encoding="utf-8")
