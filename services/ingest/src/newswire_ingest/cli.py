"""Start the ingest service from settings (what ``newswire ingest`` and containers run)."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from pydantic import ValidationError

from newswire_ingest import __version__
from newswire_ingest._bulk_send import BulkSender
from newswire_ingest.service import IngestService
from newswire_ingest.settings import IngestSettings
from newswire_ingest.watch import InboxWatcher
from newswire_shared.logs import configure_logging
from newswire_shared.metrics import start_metrics_server
from newswire_shared.queueing import make_celery
from newswire_shared.redis_conn import RedisAuthError, redis_client
from newswire_shared.settings import settings_error_line


def build_service(settings: IngestSettings) -> IngestService:
    """Wire the service to Redis and a Celery producer that sends jobs by task name, a batch
    of messages in one Redis round trip (:mod:`newswire_ingest._bulk_send`)."""
    app = make_celery(settings, "newswire-ingest")
    client = redis_client(settings)
    sender = BulkSender(app, settings.queue)
    return IngestService(
        settings=settings, redis=client, enqueue=sender.enqueue, sending=sender.sending
    )


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
