"""The Celery application both services build from the same settings.

JSON only (pickle over a reachable Redis is remote code execution), late acknowledgement,
prefetch 1, tasks requeued when their worker process dies, and a visibility timeout well above
the task time limit so Redis does not hand a running job to a second worker. Task events are
on (task-sent from ingest, the rest from the workers) for Flower and ``celery events``. With ``rediss://``
the broker verifies Redis's certificate (kombu alone would not).
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Queue

from newswire_shared.redis_conn import redis_ssl_options
from newswire_shared.settings import CommonSettings

#: Seconds after which Redis redelivers an unacknowledged message.
VISIBILITY_TIMEOUT = 3600


#: The workers' task time limit unless configured otherwise (seconds).
DEFAULT_TASK_TIME_LIMIT = 600

#: The enrichment speed planned for on long articles: characters per second of one worker
#: process, well under what a loaded 2-core machine does (``make bench-long``).
LONG_TEXT_CHARS_PER_SECOND = 10_000


def time_limits_for(chars: int) -> tuple[int, int] | None:
    """Return ``(hard, soft)`` time limits in seconds for an article of `chars` characters
    that the default limit would not fit, or None to keep the worker's own limits.

    Ingest puts them on the message of a long article, so that a 15 MB text is enriched
    rather than killed; they stay below half the visibility timeout.
    """
    needed = int(chars / LONG_TEXT_CHARS_PER_SECOND) + 60
    if needed <= DEFAULT_TASK_TIME_LIMIT:
        return None
    hard = min(needed, VISIBILITY_TIMEOUT // 2)
    return hard, hard - 30


def celery_config(
    settings: CommonSettings, *, task_time_limit: int = DEFAULT_TASK_TIME_LIMIT
) -> dict[str, Any]:
    """Return the Celery configuration for `settings`."""
    if task_time_limit * 2 > VISIBILITY_TIMEOUT:
        raise ValueError("task_time_limit must stay well below the Redis visibility timeout")
    url = str(settings.redis_url)
    config: dict[str, Any] = {
        "broker_url": url,
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_default_queue": settings.queue,
        "task_queues": [Queue(settings.queue, routing_key=settings.queue)],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": task_time_limit,
        "task_soft_time_limit": max(1, task_time_limit - 30),
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT},
        "broker_connection_retry_on_startup": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        # task events (and the worker's heartbeats, on by default) feed Flower, `celery events`
        # and the common Celery exporters; task-sent comes from ingest
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "enable_utc": True,
    }
    ssl_options = redis_ssl_options(settings)
    if ssl_options is not None:
        config["broker_use_ssl"] = ssl_options
    return config


def make_celery(settings: CommonSettings, name: str, **config: Any) -> Celery:
    """Return a Celery app configured for newswire; `config` overrides single options."""
    app = Celery(name)
    app.conf.update(celery_config(settings, **config))
    return app
