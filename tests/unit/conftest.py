"""Fixtures shared by the unit tests of the ingest service (real Redis, manual clock)."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from newswire.redis_server import RedisServer
from newswire_ingest.service import IngestService
from newswire_ingest.settings import IngestSettings
from newswire_shared.schemas import ArticleJob


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sent() -> list[ArticleJob]:
    """Jobs the service enqueued."""
    return []


@pytest.fixture
def service(
    tmp_path: Path, redis_client: redis.Redis, redis_server: RedisServer, sent: list[ArticleJob]
) -> IngestService:
    """An ingest service on tmp_path/inbox whose enqueue appends to `sent`."""
    settings = IngestSettings(
        inbox=tmp_path / "inbox", stable_seconds=1.0, tick_seconds=0.01,
        heartbeat_file=tmp_path / "beat", redis_url=redis_server.url,
    )  # fmt: skip
    svc = IngestService(settings=settings, redis=redis_client, enqueue=sent.append, clock=Clock())
    svc.startup()
    return svc
