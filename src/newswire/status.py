"""Read the pipeline's counters from Redis (``newswire status`` and ``newswire run``'s progress).

A job that is queued and not finished (the ``inflight`` set) is either **waiting** (its message
is in the broker's queue lists) or **running** (a worker took its message: kombu keeps it in
the ``unacked`` hash until the worker acknowledges it). With prefetch 1 a worker process takes
one message at a time, so ``unacked`` counts the jobs being enriched (a worker re-checking the
result of content published before runs a job that is not in ``inflight``: it counts as running,
so ``backlog`` is the larger of ``inflight`` and waiting + running).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import redis

from newswire_ingest._broker import BrokerView
from newswire_shared.keys import RedisKeys

#: kombu's hash of messages taken by a consumer and not acknowledged yet.
UNACKED_KEY = "unacked"


@dataclass(frozen=True)
class PipelineStatus:
    """Where articles are right now.

    ``in_flight`` keeps its old meaning for ``--json`` readers: every job queued and not yet
    finished, waiting or running (the same number as ``backlog``).
    """

    waiting: int
    in_flight: int
    queued: int
    done: int
    failed: int
    duplicates: int
    results_stream: int
    failures_stream: int
    ingest_alive: bool
    running: int = 0

    @property
    def backlog(self) -> int:
        """Jobs queued and not finished: waiting in the queue or being enriched."""
        return max(self.in_flight, self.waiting + self.running)

    @property
    def finished(self) -> int:
        """Files with an outcome (published or failed)."""
        return self.done + self.failed

    def as_dict(self) -> dict[str, int | bool]:
        """Return the fields as a plain dict (for JSON output)."""
        return {**asdict(self), "backlog": self.backlog}

    def line(self) -> str:
        """Return a one-line summary for a terminal."""
        return (
            f"queued {self.queued} | waiting {self.waiting} | running {self.running} | "
            f"done {self.done} | failed {self.failed} | duplicates {self.duplicates}"
        )


def read_status(client: redis.Redis, keys: RedisKeys, queue: str) -> PipelineStatus:
    """Return the current :class:`PipelineStatus` in one round trip."""
    queue_keys = BrokerView(client, queue).queue_keys()
    pipe = client.pipeline(transaction=False)
    for key in queue_keys:
        pipe.llen(key)
    pipe.hlen(UNACKED_KEY)
    pipe.scard(keys.inflight)
    pipe.hgetall(keys.stats)
    pipe.xlen(keys.results)
    pipe.xlen(keys.failures)
    pipe.exists(keys.ingest_alive)
    replies = pipe.execute()
    lengths, rest = replies[: len(queue_keys)], replies[len(queue_keys) :]
    unacked, in_flight, stats, results, failures, alive = rest

    def count(name: str) -> int:
        return int(stats.get(name.encode(), 0))

    return PipelineStatus(
        waiting=sum(int(n) for n in lengths),
        running=int(unacked),
        in_flight=int(in_flight),
        queued=count("queued"),
        done=count("done"),
        failed=count("failed"),
        duplicates=count("duplicates"),
        results_stream=int(results),
        failures_stream=int(failures),
        ingest_alive=bool(alive),
    )
