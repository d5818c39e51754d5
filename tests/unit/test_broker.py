"""Reading kombu's Redis structures: messages sent by a real Celery producer, taken by a real
kombu consumer."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from kombu import Connection

from newswire.redis_server import RedisServer
from newswire_ingest._broker import BrokerView, job_id_of_task
from newswire_shared.keys import ENRICH_TASK
from newswire_shared.queueing import make_celery
from newswire_shared.settings import CommonSettings

QUEUE = "newswire.enrich"


@pytest.fixture
def settings(redis_server: RedisServer) -> CommonSettings:
    """Settings pointing at the test's Redis."""
    return CommonSettings(redis_url=redis_server.url)


@pytest.fixture
def connection(redis_server: RedisServer) -> Iterator[Connection]:
    """A kombu connection, as a worker holds one."""
    with Connection(redis_server.url) as conn:
        yield conn


def _send(settings: CommonSettings, *job_ids: str) -> None:
    app = make_celery(settings, "test-producer")
    for job_id in job_ids:
        app.send_task(ENRICH_TASK, args=[{"job_id": job_id}], task_id=f"{job_id}-1700000000.5")


def test_task_id_maps_to_job_id() -> None:
    """Ingest's task ids are ``<job id>-<time>``."""
    assert job_id_of_task("0123456789abcdef-1700000000.123456") == "0123456789abcdef"


def test_waiting_messages_are_found_by_job(
    settings: CommonSettings, redis_client: redis.Redis
) -> None:
    """Every message waiting in the queue is found, also past one read chunk."""
    ids = [f"{n:016x}" for n in range(1200)]
    _send(settings, *ids)
    view = BrokerView(redis_client, QUEUE)
    assert view.waiting() == 1200
    assert view.waiting_job_ids() == set(ids)
    redis_client.lpush(QUEUE, b"not a kombu message")
    assert view.waiting_job_ids() == set(ids)


def test_taken_message_is_unacked_until_dropped(
    settings: CommonSettings, redis_client: redis.Redis, connection: Connection
) -> None:
    """A message a consumer took is listed with when it was taken, until dropped or acked."""
    _send(settings, "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb")
    queue = connection.SimpleQueue(QUEUE)
    message = queue.get(timeout=5)
    taken = message.headers["id"].split("-")[0]
    view = BrokerView(redis_client, QUEUE)
    [entry] = view.unacked()
    assert entry.job_id == taken
    assert abs(entry.taken_at - time.time()) < 30
    assert view.waiting_job_ids() == {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"} - {taken}
    assert view.drop_unacked([entry.tag]) == 1
    assert view.unacked() == []
    message.ack()  # the worker acknowledging later is harmless
    assert view.unacked() == []
    queue.close()


def test_every_message_is_listed_by_job(
    settings: CommonSettings, redis_client: redis.Redis, connection: Connection
) -> None:
    """One job id per waiting or unacknowledged message; None for a message not of our task."""
    _send(settings, "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa")
    redis_client.lpush(QUEUE, b"not a kombu message")
    queue = connection.SimpleQueue(QUEUE)
    message = queue.get(timeout=5)
    taken = message.headers["id"].split("-")[0]
    view = BrokerView(redis_client, QUEUE)
    assert view.unacked_messages() == [taken]
    assert view.unacked_count() == 1
    waiting = view.waiting_messages()
    assert len(waiting) == view.waiting() == 3
    assert sorted(j or "" for j in [*waiting, taken]) == [
        "",
        "aaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaa",
        "bbbbbbbbbbbbbbbb",
    ]
    message.ack()
    assert view.unacked_messages() == []
    assert view.unacked_count() == 0
    queue.close()
