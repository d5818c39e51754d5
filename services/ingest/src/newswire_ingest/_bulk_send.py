"""Send a batch of Celery job messages in one Redis round trip.

Why: ``app.send_task`` writes each message at once, and with ``task_send_sent_event`` on it
also publishes a task-sent event, so every job cost two Redis round trips (an ``LPUSH`` of the
message, a ``PUBLISH`` on the ``celeryev`` fanout) plus the repr of its whole article for
``argsrepr``. That was three quarters of what ingest spent per file (``make bench-ingest``).

How: the messages are still built and published by Celery and kombu, unchanged
(``app.send_task``: ``amqp.create_task_message``/``as_task_v2`` for headers and body, kombu's
Redis channel for the envelope with ``delivery_info``, priority queue name, ``body_encoding``
and ``delivery_tag``, and the task-sent event through the same producer), but inside
kombu's publish batch (:meth:`kombu.Producer.batch`): the Redis channel buffers each final
``LPUSH`` and ``PUBLISH`` in one non-transactional pipeline, executed when the batch ends. So a
batch costs one round trip, and what reaches Redis is byte for byte what ``send_task`` would
have written (``tests/unit/test_bulk_send.py`` checks this). ``argsrepr`` is the job id and file
name only, so task-sent events and worker logs stay small.

Failure: if the pipeline fails (Redis away), the batch context raises and *none* of its jobs
counts as sent; the caller keeps them to send again (Redis may have executed part of the
pipeline before the failure, so a re-send can duplicate a message, never lose one; workers
publish each job's result once).

Versions: ``Producer.batch`` and the Redis channel's ``create_publish_batch`` are kombu 5.7
(the pinned version: celery 5.7.0, kombu 5.7.0 in ``constraints.txt``). An older kombu has no
``Producer.batch``, and a transport or connection option that would replay a pipeline
(``retry_on_timeout``) makes kombu publish at once instead: either way each message is then
sent on its own, correct but one round trip per message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from celery import Celery

from newswire_shared.keys import ENRICH_TASK
from newswire_shared.queueing import time_limits_for
from newswire_shared.schemas import ArticleJob

#: Commands kombu may buffer before flushing on its own: far above a batch (two commands a
#: message), so each batch is exactly one pipeline and the caller knows what was sent.
_MAX_COMMANDS = 1_000_000


def task_id_for(job: ArticleJob) -> str:
    """The Celery task id of `job`'s message: ``<job id>-<received time>``."""
    return f"{job.job_id}-{job.source.received_at.timestamp():.6f}"


def args_repr(job: ArticleJob) -> str:
    """A short ``argsrepr`` for `job` (its id and file name, not the article)."""
    return repr([{"job_id": job.job_id, "filename": job.source.filename}])


class BulkSender:
    """Sends job messages by task name; those sent within :meth:`sending` go out together."""

    def __init__(self, app: Celery, queue: str) -> None:
        self.app = app
        self.queue = queue
        self._producers: list[Any] = []  # the producer of the batch being sent, innermost last

    @contextmanager
    def sending(self) -> Iterator[object]:
        """Buffer the messages sent inside in one Redis pipeline, executed on a normal exit.

        Raises if the pipeline fails: then no message of the batch counts as sent. On an
        exception inside, the messages not yet written are discarded.
        """
        with self.app.producer_or_acquire() as producer:
            batch = producer.batch(_MAX_COMMANDS) if hasattr(producer, "batch") else nullcontext()
            with batch:
                self._producers.append(producer)
                try:
                    yield producer
                finally:
                    self._producers.pop()

    def enqueue(self, job: ArticleJob) -> None:
        """Send `job`'s message (buffered when inside :meth:`sending`)."""
        hard, soft = time_limits_for(len(job.text)) or (None, None)
        self.app.send_task(
            ENRICH_TASK,
            args=[job.model_dump(mode="json")],
            queue=self.queue,
            task_id=task_id_for(job),
            time_limit=hard,
            soft_time_limit=soft,
            producer=self._producers[-1] if self._producers else None,
            argsrepr=args_repr(job),
            kwargsrepr="{}",
        )
