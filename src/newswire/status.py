"""Read the pipeline's counters from Redis (``newswire status`` and the progress line)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import redis

from newswire_shared.keys import RedisKeys


@dataclass(frozen=True)
class PipelineStatus:
    """Where articles are right now."""

    waiting: int
    in_flight: int
    queued: int
    done: int
    failed: int
    duplicates: int
    results_stream: int
    failures_stream: int
    ingest_alive: bool

    def as_dict(self) -> dict[str, int | bool]:
        """Return the fields as a plain dict (for JSON output)."""
        return asdict(self)

    def line(self) -> str:
        """Return a one-line summary for a terminal."""
        return (
            f"queued {self.queued} | waiting {self.waiting} | in flight {self.in_flight} | "
            f"done {self.done} | failed {self.failed} | duplicates {self.duplicates}"
        )


def read_status(client: redis.Redis, keys: RedisKeys, queue: str) -> PipelineStatus:
    """Return the current :class:`PipelineStatus` in one round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.llen(queue)
    pipe.scard(keys.inflight)
    pipe.hgetall(keys.stats)
    pipe.xlen(keys.results)
    pipe.xlen(keys.failures)
    pipe.exists(keys.ingest_alive)
    waiting, in_flight, stats, results, failures, alive = pipe.execute()

    def count(name: str) -> int:
        return int(stats.get(name.encode(), 0))

    return PipelineStatus(
        waiting=int(waiting),
        in_flight=int(in_flight),
        queued=count("queued"),
        done=count("done"),
        failed=count("failed"),
        duplicates=count("duplicates"),
        results_stream=int(results),
        failures_stream=int(failures),
        ingest_alive=bool(alive),
    )
