"""Read the pipeline's counters from Redis (``newswire status`` and ``newswire run``'s progress).

A job that is queued and not finished (the ``inflight`` set) is either **waiting** (its message
is in the broker's queue lists) or **running** (a worker took its message: kombu keeps it in
the ``unacked`` hash until the worker acknowledges it). With prefetch 1 a worker process takes
one message at a time, so ``unacked`` counts the jobs being enriched (a worker re-checking the
result of content published before runs a job that is not in ``inflight``: it counts as running,
so ``backlog`` is the larger of ``inflight`` and waiting + running).

``newswire status --file NAME`` shows the jobs of dropped files instead
(:func:`file_reports`, found by :mod:`newswire.lookup`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import redis

from newswire.lookup import FileJob
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
    #: re-enriched by ``newswire reprocess`` (a new revision published), failed revisions
    revised: int = 0
    revise_failed: int = 0

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
        line = (
            f"queued {self.queued} | waiting {self.waiting} | running {self.running} | "
            f"done {self.done} | failed {self.failed} | duplicates {self.duplicates}"
        )
        if self.revised or self.revise_failed:
            line += f" | revised {self.revised} ({self.revise_failed} failed)"
        return line


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
        revised=count("revised"),
        revise_failed=count("revise_failed"),
    )


@dataclass(frozen=True)
class FileReport:
    """A job of a dropped file, with its result file and story (``status --file``)."""

    job: FileJob
    result: Path | None
    result_exists: bool
    story_id: str | None

    def as_dict(self) -> dict[str, str | bool | None]:
        """The report as plain JSON-ready values."""
        return {
            **self.job.as_dict(),
            "result": str(self.result) if self.result is not None else None,
            "result_exists": self.result_exists,
            "story_id": self.story_id,
        }


def file_reports(
    jobs: Sequence[FileJob], results_dir: Path, stories: Mapping[str, str | None]
) -> list[FileReport]:
    """Reports of `jobs`: a done job's result file in `results_dir` and its story."""
    reports = []
    for job in jobs:
        result = results_dir / f"{job.job_id}.json" if job.job_id and job.state == "done" else None
        story = stories.get(job.job_id) if job.job_id else None
        reports.append(FileReport(job, result, result is not None and result.is_file(), story))
    return reports


def render_file_reports(reports: Sequence[FileReport]) -> str:
    """One line per job: name, job id, state, then the result and story, or the failure."""
    name_width = min(max((len(r.job.name) for r in reports), default=4), 40)
    lines = []
    for r in reports:
        parts = [f"{r.job.name:<{name_width}}", f"{r.job.job_id or '-':<16}", f"{r.job.state:<10}"]
        if r.result is not None:
            parts.append(str(r.result) + ("" if r.result_exists else " (missing)"))
        if r.story_id:
            parts.append(f"story {r.story_id}")
        if r.job.reason:
            parts.append(r.job.reason if r.job.job_id else f"refused by ingest: {r.job.reason}")
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
