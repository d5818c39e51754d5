"""Ingest's batched sending (newswire_ingest._bulk_send) against a real Redis: the messages are
Celery's own, a batch is one pipeline, task-sent events still go out, and a batch lost to a
Redis failure is sent again."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import redis
from celery import Celery

from newswire.redis_server import RedisServer
from newswire_ingest._bulk_send import BulkSender, args_repr, task_id_for
from newswire_ingest._wire import direct_wire
from newswire_ingest.cli import build_service
from newswire_ingest.settings import IngestSettings
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import ENRICH_TASK
from newswire_shared.queueing import make_celery, time_limits_for
from newswire_shared.schemas import ArticleJob, MediaType
from tests.conftest import short_article, wait_until

QUEUE = "newswire.enrich"


def _settings(tmp_path: Path, server: RedisServer) -> IngestSettings:
    return IngestSettings(
        inbox=tmp_path / "inbox", stable_seconds=1.0, tick_seconds=0.01,
        heartbeat_file=tmp_path / "beat", redis_url=server.url,
    )  # fmt: skip


def _job(n: int, text: str | None = None) -> ArticleJob:
    data = (text or short_article(n)).encode()
    return job_from_bytes(data, f"a{n:04d}.txt", MediaType.TEXT)


def _without_tags(raw: bytes) -> dict[str, Any]:
    """A queued kombu message with its delivery tag (a fresh uuid per message) blanked."""
    message: dict[str, Any] = json.loads(raw)
    message["properties"]["delivery_tag"] = "-"
    return message


def _pop_all(client: redis.Redis) -> list[bytes]:
    """Every message of the queue, oldest first (kombu LPUSHes and BRPOPs)."""
    out: list[bytes] = []
    while (raw := client.rpop(QUEUE)) is not None:
        out.append(raw)  # type: ignore[arg-type]
    return out


def test_batched_message_is_what_send_task_writes(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """A message sent in a batch is byte for byte the one ``app.send_task`` writes for the same
    job (delivery tag aside); against the former enqueue only argsrepr/kwargsrepr differ."""
    settings = _settings(tmp_path, redis_server)
    app = make_celery(settings, "newswire-ingest")
    sender = BulkSender(app, settings.queue)
    jobs = [_job(1), _job(2, "A long article.\n\n" * 600_000)]  # the second gets time limits
    with sender.sending():
        for job in jobs:
            sender.enqueue(job)
    assert sender.direct, "the test configuration is the one built directly"
    batched = _pop_all(redis_client)
    for job in jobs:
        sender.enqueue(job)  # outside a batch: a batch of its own
    single = _pop_all(redis_client)
    assert [_without_tags(raw) for raw in batched] == [_without_tags(raw) for raw in single]
    for job in jobs:
        app.send_task(
            ENRICH_TASK, args=[job.model_dump(mode="json")], queue=settings.queue,
            task_id=task_id_for(job), argsrepr=args_repr(job), kwargsrepr="{}",
            **_limits(job),
        )  # fmt: skip
    plain = _pop_all(redis_client)
    for mine, theirs in zip(batched, plain, strict=True):
        a, b = json.loads(mine), json.loads(theirs)
        assert a["properties"]["delivery_tag"] != b["properties"]["delivery_tag"]
        a["properties"]["delivery_tag"] = b["properties"]["delivery_tag"]
        assert json.dumps(a) == json.dumps(b)
    # what the enqueue before batching wrote: the same but the repr of the whole article
    for job, mine in zip(jobs, batched, strict=True):
        app.send_task(
            ENRICH_TASK, args=[job.model_dump(mode="json")], queue=settings.queue,
            task_id=task_id_for(job), **_limits(job),
        )  # fmt: skip
        (before,) = _pop_all(redis_client)
        a, b = _without_tags(mine), _without_tags(before)
        assert a["body"] == b["body"]
        assert a["headers"]["argsrepr"] == args_repr(job)
        assert "'text': " in b["headers"]["argsrepr"]  # the whole article
        assert len(a["headers"]["argsrepr"]) < 100 < len(b["headers"]["argsrepr"])
        for message in (a, b):
            message["headers"].pop("argsrepr")
            message["headers"].pop("kwargsrepr")
            message["properties"].pop("argsrepr", None)
            message["properties"].pop("kwargsrepr", None)
        assert a == b
    first, long = (json.loads(raw) for raw in batched)
    assert (
        first["headers"]["id"] == f"{jobs[0].job_id}-{jobs[0].source.received_at.timestamp():.6f}"
    )
    assert first["headers"]["timelimit"] == [None, None]
    assert long["headers"]["timelimit"] == list(_limits(jobs[1]).values())
    assert first["properties"]["delivery_info"] == {"exchange": "", "routing_key": QUEUE}
    assert first["properties"]["body_encoding"] == "base64"


def _limits(job: ArticleJob) -> dict[str, int | None]:
    hard, soft = time_limits_for(len(job.text)) or (None, None)
    return {"time_limit": hard, "soft_time_limit": soft}


def test_a_batch_is_one_pipeline_written_when_it_ends(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Nothing of a batch reaches Redis before the batch ends (kombu's pipeline is in use, not
    its one-message-at-a-time fallback); then all of it is there, in order."""
    settings = _settings(tmp_path, redis_server)
    sender = BulkSender(make_celery(settings, "newswire-ingest"), settings.queue)
    jobs = [_job(n) for n in range(20)]
    with sender.sending() as producer:
        assert producer.supports_batch_publish  # type: ignore[attr-defined]
        for job in jobs:
            sender.enqueue(job)
        assert redis_client.llen(QUEUE) == 0
    ids = [json.loads(raw)["headers"]["id"] for raw in _pop_all(redis_client)]
    assert ids == [task_id_for(job) for job in jobs]


@contextmanager
def _task_sent_events(app: Celery, client: redis.Redis, count: int) -> Iterator[list[Any]]:
    """A list that a celery EventReceiver, subscribed on entry, fills with task-sent events
    (until `count`)."""
    got: list[Any] = []
    with app.connection_for_read() as conn:
        receiver = app.events.Receiver(conn, handlers={"task-sent": got.append})
        thread = threading.Thread(
            target=receiver.capture, kwargs={"limit": count, "timeout": 30}, daemon=True
        )
        thread.start()
        wait_until(
            lambda: bool(client.pubsub_numpat() or client.pubsub_channels()), 10,
            interval=0.02, what="event receiver subscribed",
        )  # fmt: skip
        yield got
        thread.join(30)


def test_task_sent_events_are_published(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """A batch publishes one task-sent event per message, which celery's own event receiver
    (what Flower and ``celery events`` use) reads, with the short argsrepr."""
    settings = _settings(tmp_path, redis_server)
    app = make_celery(settings, "newswire-ingest")
    sender = BulkSender(app, settings.queue)
    jobs = [_job(n) for n in range(3)]
    with _task_sent_events(make_celery(settings, "monitor"), redis_client, len(jobs)) as got:
        with sender.sending():
            for job in jobs:
                sender.enqueue(job)
        wait_until(lambda: len(got) == len(jobs), 20, interval=0.05, what="3 task-sent events")
    assert [e["uuid"] for e in got] == [task_id_for(job) for job in jobs]
    for event, job in zip(got, jobs, strict=True):
        assert event["type"] == "task-sent"
        assert event["name"] == ENRICH_TASK
        assert event["queue"] == QUEUE
        assert event["args"] == args_repr(job)


class RedisStopsBeforeTheFlush:
    """A `sending` double: the real batch, but Redis stops once the messages are buffered and
    before the pipeline runs (once)."""

    def __init__(
        self, real: Callable[[], AbstractContextManager[object]], server: RedisServer
    ) -> None:
        self.real = real
        self.server = server
        self.armed = True

    @contextmanager
    def __call__(self) -> Iterator[object]:
        with self.real() as producer:
            yield producer
            if self.armed:
                self.armed = False
                self.server.stop()


def test_batch_lost_to_a_redis_failure_is_sent_again(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Redis stops while a batch's pipeline is pending: no job of it counts as sent; once
    Redis is back, the next round sends each of them exactly once."""
    service = build_service(_settings(tmp_path, redis_server))
    service.startup()
    double = RedisStopsBeforeTheFlush(service.sending, redis_server)
    service.sending = double
    names = [f"a{n:04d}.txt" for n in range(5)]
    for n, name in enumerate(names):
        (service.inbox.root / name).write_text(short_article(n), encoding="utf-8")
    service.claim_many(sorted(service.inbox.root.glob("*.txt")))
    assert not double.armed
    assert sorted(j.source.filename for j in service._unsent.values()) == names
    assert sorted(p.name for p in service.inbox.processing.iterdir()) == names
    redis_server.start()
    assert redis_client.llen(QUEUE) == 0
    service.tick()
    assert service._unsent == {}
    messages = [json.loads(raw) for raw in _pop_all(redis_client)]
    assert len(messages) == len({m["headers"]["id"] for m in messages}) == len(names)
    assert sorted(m["headers"]["id"].split("-")[0] for m in messages) == sorted(service.in_flight)


def _raw_events(client: redis.Redis) -> Any:
    """A pattern subscription on every channel, to read events as Redis carries them."""
    sub = client.pubsub()
    sub.psubscribe("*")
    wait_until(lambda: sub.get_message(timeout=0.1) is not None, 5, what="subscribed")
    return sub


def _next_event(sub: Any) -> tuple[bytes, bytes]:
    message = None
    deadline = 50
    while message is None or message["type"] != "pmessage":
        message = sub.get_message(timeout=0.1)
        deadline -= 1
        assert deadline, "no event published"
    return message["channel"], message["data"]


def _same_but_tags(mine: bytes, theirs: bytes, *, event: bool = False) -> None:
    """`mine` is `theirs` byte for byte once the fresh uuids (and an event's clock and time)
    of `theirs` are put into `mine`."""
    a, b = json.loads(mine), json.loads(theirs)
    mine_text = mine.decode()
    mine_text = mine_text.replace(a["properties"]["delivery_tag"], b["properties"]["delivery_tag"])
    if event:
        body_a, body_b = (json.loads(base64.b64decode(m["body"])) for m in (a, b))
        assert body_a["clock"] != body_b["clock"]
        body_a["clock"], body_a["timestamp"] = body_b["clock"], body_b["timestamp"]
        assert json.dumps(body_a) == base64.b64decode(b["body"]).decode()
        mine_text = mine_text.replace(a["body"], b["body"])
    assert mine_text.encode() == theirs


def test_direct_bytes_are_send_task_bytes(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Built directly, the queued message and the published task-sent event (channel and
    payload) are the bytes ``send_task`` writes, fresh uuids, clock and time aside."""
    settings = _settings(tmp_path, redis_server)
    app = make_celery(settings, "newswire-ingest")
    direct, via_celery = (
        BulkSender(app, settings.queue),
        BulkSender(app, settings.queue, direct=False),
    )
    sub = _raw_events(redis_client)
    for job in (_job(7), _job(8, "Long text.\n\n" * 700_000)):
        with direct.sending():
            direct.enqueue(job)
        (mine,), (mine_channel, mine_event) = _pop_all(redis_client), _next_event(sub)
        with via_celery.sending():
            via_celery.enqueue(job)
        (theirs,), (their_channel, their_event) = _pop_all(redis_client), _next_event(sub)
        _same_but_tags(mine, theirs)
        assert mine_channel == their_channel == b"/0.celeryev/task.sent"
        _same_but_tags(mine_event, their_event, event=True)
    assert direct.direct and not via_celery.direct
    sub.close()


def test_other_configurations_go_through_send_task(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """With a setting whose bytes are not reproduced (task routes here), the sender says why
    and sends through ``send_task``: the message still reaches the queue."""
    settings = _settings(tmp_path, redis_server)
    app = make_celery(settings, "newswire-ingest")
    app.conf.task_routes = {ENRICH_TASK: {"queue": settings.queue}}
    with app.producer_or_acquire() as producer:
        reason = direct_wire(app, settings.queue, producer.channel)
    assert reason == "event serializer, task routes or queue priorities are set"
    sender = BulkSender(app, settings.queue)
    job = _job(3)
    with sender.sending():
        sender.enqueue(job)
    assert not sender.direct
    (raw,) = _pop_all(redis_client)
    assert json.loads(raw)["headers"]["id"] == task_id_for(job)
