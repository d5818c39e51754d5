"""Start the ingest service from settings (what ``newswire ingest`` and containers run)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from pydantic import ValidationError

from newswire_ingest import __version__
from newswire_ingest.service import IngestService
from newswire_ingest.settings import IngestSettings
from newswire_ingest.watch import InboxWatcher
from newswire_shared.keys import ENRICH_TASK
from newswire_shared.logs import configure_logging
from newswire_shared.metrics import start_metrics_server
from newswire_shared.queueing import make_celery, time_limits_for
from newswire_shared.redis_conn import RedisAuthError, redis_client
from newswire_shared.schemas import ArticleJob
from newswire_shared.settings import settings_error_line


def build_service(settings: IngestSettings) -> IngestService:
    """Wire the service to Redis and a Celery producer that sends jobs by task name."""
    app = make_celery(settings, "newswire-ingest")
    client = redis_client(settings)

    # the producer of the batch being sent (see `sending`), or None: one of the pool's
    producer: list[Any] = []

    def enqueue(job: ArticleJob) -> None:
        hard, soft = time_limits_for(len(job.text)) or (None, None)
        app.send_task(
            ENRICH_TASK,
            args=[job.model_dump(mode="json")],
            queue=settings.queue,
            task_id=f"{job.job_id}-{job.source.received_at.timestamp():.6f}",
            time_limit=hard,
            soft_time_limit=soft,
            producer=producer[-1] if producer else None,
        )

    @contextmanager
    def sending() -> Iterator[object]:
        """Send the messages of a batch through one producer (one broker connection)."""
        with app.producer_or_acquire() as shared:
            producer.append(shared)
            try:
                yield shared
            finally:
                producer.pop()

    return IngestService(settings=settings, redis=client, enqueue=enqueue, sending=sending)


def main(settings: IngestSettings | None = None) -> None:
    """Run the ingest service until SIGTERM or SIGINT; exit 1 if Redis refuses our credentials.

    Invalid settings (``python -m newswire_ingest`` in a container) are one line on stderr,
    naming the variable but not its value, and exit status 1.
    """
    if settings is None:
        try:
            settings = IngestSettings()
        except ValidationError as exc:
            print(f"newswire ingest: {settings_error_line(exc)}", file=sys.stderr)
            sys.exit(1)
    configure_logging(settings.log_level, settings.log_format)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    service = build_service(settings)
    start_metrics_server(
        settings.metrics_host, settings.metrics_port, service="ingest", version=__version__
    )
    watcher = InboxWatcher(
        settings.inbox,
        polling=settings.polling,
        poll_interval=settings.poll_interval,
        recursive=settings.recursive,
    )
    try:
        service.run(stop, watcher)
    except RedisAuthError as exc:
        print(f"newswire ingest: {exc}", file=sys.stderr)
        sys.exit(1)
