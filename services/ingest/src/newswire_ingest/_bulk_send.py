"""Send a batch of Celery job messages in one Redis round trip.

Why: ``app.send_task`` writes each message at once, and with ``task_send_sent_event`` on it
also publishes a task-sent event, so every job cost two Redis round trips (an ``LPUSH`` of the
message, a ``PUBLISH`` on the ``celeryev`` fanout) plus the repr of its whole article for
``argsrepr``. That was three quarters of what ingest spent per file (``make bench-ingest``).

How: by default the Redis commands of each message are built directly
(:mod:`newswire_ingest._wire`: the same bytes as ``send_task``, a fifth of the Python) and
written when the batch ends in one non-transactional pipeline of two commands: one ``LPUSH``
of all its messages (the list is the same as after one ``LPUSH`` each, in order) and one
script that publishes each task-sent event as ``PUBLISH`` would. Where the
configuration is not one ``_wire`` reproduces (it logs ``sending_through_send_task`` with the
reason once), or with ``direct=False``, the messages are built and published by Celery and
kombu, unchanged (``app.send_task``: ``amqp.create_task_message``/``as_task_v2`` for headers
and body, kombu's Redis channel for the envelope with ``delivery_info``, priority queue name,
``body_encoding`` and ``delivery_tag``, and the task-sent event through the same producer),
but inside kombu's publish batch (:meth:`kombu.Producer.batch`), which buffers each final
``LPUSH`` and ``PUBLISH`` in one pipeline the same way. Either way a batch costs one round
trip, and what reaches Redis is byte for byte what ``send_task`` would have written
(``tests/unit/test_bulk_send.py`` checks both). ``argsrepr`` is the job id and file name only,
so task-sent events and worker logs stay small.

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

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from celery import Celery

from newswire_ingest._wire import Wire, direct_wire
from newswire_shared.keys import ENRICH_TASK
from newswire_shared.logs import get_logger
from newswire_shared.queueing import time_limits_for
from newswire_shared.schemas import ArticleJob

log = get_logger(__name__)

#: Commands kombu may buffer before flushing on its own: far above a batch (two commands a
#: message), so each batch is exactly one pipeline and the caller knows what was sent.
_MAX_COMMANDS = 1_000_000


def task_id_for(job: ArticleJob) -> str:
    """The Celery task id of `job`'s message: ``<job id>-<received time>``."""
    return f"{job.job_id}-{job.source.received_at.timestamp():.6f}"


def args_repr(job: ArticleJob) -> str:
    """A short ``argsrepr`` for `job` (its id and file name, not the article)."""
    return repr([{"job_id": job.job_id, "filename": job.source.filename}])


#: PUBLISH of each ARGV on the channel KEYS[1], in order: one command for a batch's events
_PUBLISH_EACH = """
for i = 1, #ARGV do
    redis.call('PUBLISH', KEYS[1], ARGV[i])
end
return #ARGV
"""


@dataclass
class _DirectBatch:
    """The messages and task-sent events of one direct batch, written when it ends."""

    messages: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def write(self, client: Any, wire: Wire | None) -> None:
        """One pipeline: an LPUSH of all messages (the same list as one LPUSH each, in
        order) and one script publishing each event (as one PUBLISH each would)."""
        if wire is None or not self.messages:
            return
        pipe = client.pipeline(transaction=False)
        pipe.lpush(wire.queue_key, *self.messages)
        if wire.event_topic is not None and self.events:
            pipe.eval(_PUBLISH_EACH, 1, wire.event_topic, *self.events)
        pipe.execute()


class BulkSender:
    """Sends job messages by task name; those sent within :meth:`sending` go out together.

    `direct`: build the Redis commands of each message here (:mod:`newswire_ingest._wire`)
    when the configuration allows it; otherwise, or with ``direct=False``, each message goes
    through ``app.send_task`` inside kombu's publish batch.
    """

    def __init__(self, app: Celery, queue: str, *, direct: bool = True) -> None:
        self.app = app
        self.queue = queue
        self._direct = direct
        self._wire: Wire | None = None
        self._producers: list[Any] = []  # the producer of the batch being sent, innermost last
        self._batches: list[_DirectBatch] = []  # the direct batch being sent, innermost last

    @property
    def direct(self) -> bool:
        """Whether messages are built here (known after the first :meth:`sending`)."""
        return self._wire is not None

    @contextmanager
    def sending(self) -> Iterator[object]:
        """Buffer the messages sent inside in one Redis pipeline, executed on a normal exit.

        Raises if the pipeline fails: then no message of the batch counts as sent. On an
        exception inside, the messages not yet written are discarded.
        """
        with self.app.producer_or_acquire() as producer:
            if self._wire_for(producer) is not None:
                # the client kombu's own publish uses (the channel's connection pool)
                with producer.channel.conn_or_acquire() as client:
                    direct = _DirectBatch()
                    self._batches.append(direct)
                    try:
                        yield producer
                    finally:
                        self._batches.pop()
                    direct.write(client, self._wire)
                return
            batch = producer.batch(_MAX_COMMANDS) if hasattr(producer, "batch") else nullcontext()
            with batch:
                self._producers.append(producer)
                try:
                    yield producer
                finally:
                    self._producers.pop()

    def _wire_for(self, producer: Any) -> Wire | None:
        """The direct wire, worked out on first use (None: send through ``send_task``)."""
        if self._wire is None and self._direct:
            wire = direct_wire(self.app, self.queue, producer.channel)
            if isinstance(wire, str):
                log.info("sending_through_send_task", reason=wire)
                self._direct = False
                return None
            producer.maybe_declare(self.app.amqp.queues[self.queue])  # as send_task does
            self._wire = wire
        return self._wire

    def enqueue(self, job: ArticleJob) -> None:
        """Send `job`'s message (buffered when inside :meth:`sending`)."""
        if self._direct and not self._batches and not self._producers:
            with self.sending():  # decides the wire; then one pipeline for this message
                self._enqueue(job)
        else:
            self._enqueue(job)

    def _enqueue(self, job: ArticleJob) -> None:
        hard, soft = time_limits_for(len(job.text)) or (None, None)
        task_id, argsrepr = task_id_for(job), args_repr(job)
        args = [job.model_dump(mode="json")]
        if self._batches and self._wire is not None:
            wire, batch = self._wire, self._batches[-1]
            batch.messages.append(wire.message(task_id, args, argsrepr, [hard, soft]))
            if wire.event_topic is not None:
                batch.events.append(wire.event(task_id, argsrepr, time.time()))
            return
        self.app.send_task(
            ENRICH_TASK,
            args=args,
            queue=self.queue,
            task_id=task_id,
            time_limit=hard,
            soft_time_limit=soft,
            producer=self._producers[-1] if self._producers else None,
            argsrepr=argsrepr,
            kwargsrepr="{}",
        )
