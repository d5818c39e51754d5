"""Job messages and their task-sent events, built as ``app.send_task`` builds them.

Why: through ``send_task`` a job message costs some 0.8 ms of Python (routing, the task
message, kombu's producer, its retry wrapper, the event dispatcher and a second producer
publish for the task-sent event): about a third of what ingest spent per file of a burst
(``make bench-ingest``). Built here, the same two Redis commands cost a fifth of that.

What: the Redis writes of one ``send_task`` on the Redis transport, byte for byte (the
delivery tags, fresh uuids, and the event's clock and timestamp aside): an ``LPUSH`` of the
kombu envelope of a Celery protocol-2 task message onto the queue's list, and a ``PUBLISH`` of
the task-sent event's envelope on the ``celeryev`` fanout topic. ``tests/unit/test_bulk_send.py``
compares both with what ``send_task`` writes.

When: only for celery and kombu 5.7 and the configuration whose bytes are reproduced
(:func:`direct_wire` says why not otherwise, and :class:`~newswire_ingest._bulk_send.BulkSender`
then sends through ``send_task``): the Redis transport without a global key prefix or queue
expiry, task protocol 2, JSON without compression for tasks and events, a direct queue without
priorities, no task routes and no publish signal receivers.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from typing import Any

import celery
import kombu
from celery import Celery, signals
from celery.utils.nodenames import anon_nodename
from celery.utils.time import utcoffset
from kombu.utils.json import dumps

from newswire_shared.keys import ENRICH_TASK

#: The celery and kombu release series whose bytes tests/unit/test_bulk_send.py checks.
_CHECKED_MINOR = "5.7."
_JSON = "application/json"
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
_PERSISTENT = 2
_TRANSIENT = 1


def _envelope(body: str, headers: dict[str, Any], properties: dict[str, Any]) -> str:
    """kombu's Redis envelope of a JSON `body`, as JSON text: what ``prepare_message`` and
    ``basic_publish`` add to the producer's `properties` (priority 0, base64 body encoding, a
    fresh delivery tag)."""
    return dumps(
        {
            "body": base64.b64encode(body.encode("utf-8")).decode("ascii"),
            "content-encoding": "utf-8",
            "content-type": _JSON,
            "headers": headers,
            "properties": {
                **properties,
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
    )


@dataclass(frozen=True)
class Wire:
    """Where and how the messages of one queue go: what ``send_task`` would work out."""

    app: Celery
    queue: str
    #: the queue's Redis list (priority 0: the plain list)
    queue_key: str
    #: the task-sent fanout topic (``/<db>.celeryev/task.sent``), None when events are off
    event_topic: str | None
    event_exchange: str
    origin: str
    pid: int
    #: the app's Lamport clock, which Celery's event dispatcher forwards for each event
    clock: Any

    def message(self, task_id: str, args: list[Any], argsrepr: str, limits: list[Any]) -> str:
        """The kombu envelope of the task message for `args`, as JSON text."""
        headers: dict[str, Any] = {
            "lang": "py",
            "task": ENRICH_TASK,
            "id": task_id,
            "shadow": None,
            "eta": None,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": limits,
            "root_id": task_id,
            "parent_id": None,
            "argsrepr": argsrepr,
            "kwargsrepr": "{}",
            "origin": self.origin,
            "ignore_result": None,
            "replaced_task_nesting": 0,
            "stamped_headers": None,
            "stamps": {},
        }
        properties = {
            "correlation_id": task_id,
            "reply_to": self.app.thread_oid,
            "argsrepr": argsrepr,
            "kwargsrepr": "{}",
            "delivery_mode": _PERSISTENT,
            "delivery_info": {"exchange": "", "routing_key": self.queue},
        }
        return _envelope(dumps((args, {}, _EMBED)), headers, properties)

    def event(self, task_id: str, argsrepr: str, timestamp: float) -> str:
        """The kombu envelope of the task-sent event of `task_id`, as JSON text."""
        event = {
            "hostname": self.origin,
            "utcoffset": utcoffset(),
            "pid": self.pid,
            "clock": self.clock.forward(),
            "uuid": task_id,
            "root_id": task_id,
            "parent_id": None,
            "name": ENRICH_TASK,
            "args": argsrepr,
            "kwargs": "{}",
            "retries": 0,
            "eta": None,
            "expires": None,
            "queue": self.queue,
            "exchange": "",
            "routing_key": self.queue,
            "timestamp": timestamp,
            "type": "task-sent",
        }
        properties = {
            "delivery_mode": _TRANSIENT,
            "delivery_info": {"exchange": self.event_exchange, "routing_key": "task.sent"},
        }
        return _envelope(dumps(event), {"hostname": self.origin}, properties)


def direct_wire(app: Celery, queue: str, channel: Any) -> Wire | str:
    """The :class:`Wire` of `queue` on the broker `channel` (a kombu channel), or why its
    messages must go through ``send_task`` (a configuration this module does not reproduce)."""
    conf = app.conf
    from kombu.transport import redis as kombu_redis  # the transport's channel type

    versions = (str(getattr(celery, "__version__", "")), str(getattr(kombu, "__version__", "")))
    if not all(v.startswith(_CHECKED_MINOR) for v in versions):
        return f"celery {versions[0]} / kombu {versions[1]}: bytes checked for {_CHECKED_MINOR}x"

    if type(channel) is not kombu_redis.Channel:
        return f"transport channel {type(channel).__module__}.{type(channel).__name__}"
    redis_channel: Any = channel  # kombu's naming of keys and topics, used as is
    if channel.global_keyprefix or getattr(channel, "_expires", None):
        return "a global key prefix or queue expiry is set"
    if conf.task_protocol != 2 or conf.task_serializer != "json" or conf.task_compression:
        return "task protocol, serializer or compression differ"
    if conf.event_serializer != "json" or conf.task_routes or conf.task_queue_max_priority:
        return "event serializer, task routes or queue priorities are set"
    if conf.task_default_priority is not None:
        return "a default priority is set"
    if signals.before_task_publish.receivers or signals.after_task_publish.receivers:
        return "task publish signals have receivers"
    if signals.task_sent.receivers:
        return "task_sent signal has receivers"
    declared = app.amqp.queues.get(queue)
    if declared is None or declared.exchange.type != "direct":
        return f"queue {queue!r} is not a direct queue of the app"
    mode = declared.exchange.delivery_mode or conf.task_default_delivery_mode
    if mode not in ("persistent", _PERSISTENT):
        return "messages would not be persistent"
    arguments = declared.queue_arguments or {}
    if getattr(declared, "max_priority", None) or arguments.get("x-max-priority"):
        return "the queue has priorities"
    topic = None
    if conf.task_send_sent_event:
        topics = redis_channel._get_publish_topics(conf.event_exchange, "task.sent")
        if len(topics) != 1:
            return "task-sent events go to several topics"
        topic = topics[0]
    return Wire(
        app=app,
        queue=queue,
        queue_key=redis_channel._q_for_pri(queue, 0),
        event_topic=topic,
        event_exchange=conf.event_exchange,
        origin=anon_nodename(),
        pid=os.getpid(),
        clock=app.clock,  # type: ignore[attr-defined]
    )
