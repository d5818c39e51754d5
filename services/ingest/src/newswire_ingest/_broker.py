"""What the Celery broker (kombu's Redis transport) holds for each job, read without Celery.

kombu keeps a queue as Redis lists (the queue name, plus ``<queue>\\x06\\x16<n>`` for priority
steps) of JSON messages whose ``headers.id`` is the Celery task id, and a message a worker has
taken but not acknowledged in the hash ``unacked`` (delivery tag -> ``[message, exchange,
routing key]``) with the time it was taken in the sorted set ``unacked_index``. Ingest names
each task ``<job id>-<time>``, so a message maps back to its job.

Ingest reads this to decide whether a job still has a live message before sending another
(a restart, a lost attempt), and removes the ``unacked`` entries of jobs that are settled or
re-sent, which kombu would otherwise hand out again after its one-hour visibility timeout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import redis

from newswire_shared.keys import ENRICH_TASK

_UNACKED = "unacked"
_UNACKED_INDEX = "unacked_index"
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)
_CHUNK = 500


@dataclass(frozen=True)
class Unacked:
    """A message a worker took and has not acknowledged."""

    tag: str
    job_id: str
    taken_at: float


def job_id_of_task(task_id: str) -> str:
    """Return the job id of a task id ``<job id>-<time>`` (or the task id itself)."""
    return task_id.split("-", 1)[0]


def _job_id_of_message(raw: Any) -> str | None:
    """Return the job id of one kombu message (a dict or its JSON), or None if not ours."""
    try:
        message = json.loads(raw) if isinstance(raw, bytes | str) else raw
        headers = message.get("headers") or {}
    except (ValueError, AttributeError):
        return None
    if headers.get("task") != ENRICH_TASK or not isinstance(headers.get("id"), str):
        return None
    return job_id_of_task(headers["id"])


def _job_id_of_unacked(raw: bytes | str) -> str | None:
    """Return the job id of an ``unacked`` entry ``[message, ...]``, or None if not ours."""
    try:
        message = json.loads(raw)[0]
    except (ValueError, IndexError, TypeError):
        return None
    return _job_id_of_message(message)


@dataclass
class BrokerView:
    """Reads and tidies the broker's copy of the enrichment queue."""

    redis: redis.Redis
    queue: str

    def queue_keys(self) -> list[str]:
        """The Redis lists of the queue, one per priority step."""
        return [self.queue] + [
            f"{self.queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS[1:]
        ]

    def waiting(self) -> int:
        """Return how many messages wait in the queue."""
        pipe = self.redis.pipeline(transaction=False)
        for key in self.queue_keys():
            pipe.llen(key)
        return sum(int(n) for n in pipe.execute())

    def _waiting_raw(self) -> Iterator[bytes | str]:
        """Every message waiting in the queue, as stored, read in chunks."""
        for key in self.queue_keys():
            start = 0
            while True:
                chunk = self.redis.lrange(key, start, start + _CHUNK - 1)
                yield from chunk
                if len(chunk) < _CHUNK:
                    break
                start += _CHUNK

    def waiting_job_ids(self) -> set[str]:
        """Return the job ids of every message waiting in the queue (read in chunks)."""
        found: set[str] = set()
        for raw in self._waiting_raw():
            job_id = _job_id_of_message(raw)
            if job_id:
                found.add(job_id)
        return found

    def waiting_messages(self) -> list[str | None]:
        """Return the job id of each message waiting in the queue, one per message in queue
        order (None for a message that is not one of our jobs)."""
        return [_job_id_of_message(raw) for raw in self._waiting_raw()]

    def unacked(self) -> list[Unacked]:
        """Return the messages of our task taken by workers and not acknowledged."""
        entries: dict[bytes, bytes] = self.redis.hgetall(_UNACKED)  # type: ignore[assignment]
        if not entries:
            return []
        scores = dict(self.redis.zrange(_UNACKED_INDEX, 0, -1, withscores=True))  # type: ignore[arg-type]
        out = []
        for tag, raw in entries.items():
            job_id = _job_id_of_unacked(raw)
            if job_id:
                out.append(Unacked(tag.decode(), job_id, float(scores.get(tag, 0.0))))
        return out

    def unacked_messages(self) -> list[str | None]:
        """Return the job id of each message taken and not acknowledged, one per message
        (None for a message that is not one of our jobs)."""
        return [_job_id_of_unacked(raw) for raw in self.redis.hvals(_UNACKED)]

    def unacked_count(self) -> int:
        """Return how many messages are taken and not acknowledged (of any task)."""
        return int(self.redis.hlen(_UNACKED))

    def drop_unacked(self, tags: Iterable[str]) -> int:
        """Forget unacknowledged messages (their job is settled or was sent again)."""
        tags = list(tags)
        if not tags:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        pipe.zrem(_UNACKED_INDEX, *tags)
        pipe.hdel(_UNACKED, *tags)
        return int(pipe.execute()[1])
