"""Find the jobs of dropped files by name (``newswire status --file``, ``newswire reprocess``).

Ingest records every queued file in the name index (:mod:`newswire_shared.name_index`): the
hash ``{p}:names`` maps a name below the inbox (``agency/2024/x.html``, or ``x.html`` at the
top level) to its job ids, newest last. :func:`find_jobs` looks a name up:

- an exact name is one ``HGET``; a bare name not found there (``x.html`` for a file dropped
  in ``agency/``, recursive mode) is looked for as the last part of a path, with one
  ``HSCAN`` of the index;
- a glob pattern (``*.html``, ``agency/*``, ``report-2024-??.txt``) is an ``HSCAN`` with
  ``MATCH``; a pattern without ``/`` is matched against the last part of each name
  (``*.html`` finds ``agency/x.html`` too), one with ``/`` against the whole name.

Files refused by ingest (empty, binary, too large, ...) never get a job: :func:`find_rejected`
looks for them among the latest records of the failures stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from posixpath import basename

import redis

from newswire_shared.keys import RedisKeys

#: Characters that make a name a glob pattern.
_GLOB = frozenset("*?[")
#: Job hash fields read for a job's state.
_JOB_FIELDS = ("state", "started_at", "failure")
_SCAN_COUNT = 1000
#: Failure records read (newest first) when looking for files refused by ingest.
REJECTED_SCAN = 10_000


@dataclass(frozen=True)
class FileJob:
    """One job of a dropped file.

    `state` is ``queued`` (waiting for a worker), ``processing`` (a worker started it),
    ``done``, ``failed`` or ``unknown`` (the job's record is gone). `job_id` is None for a
    file ingest refused before it had a job (always ``failed``).
    """

    name: str
    job_id: str | None
    state: str
    reason: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The fields as a plain dict (JSON output)."""
        return {
            "name": self.name,
            "job_id": self.job_id,
            "state": self.state,
            "reason": self.reason,
        }


def is_pattern(name: str) -> bool:
    """Whether `name` is a glob pattern rather than a plain name."""
    return any(c in _GLOB for c in name)


def glob_escape(text: str) -> str:
    """`text` as a Redis ``MATCH`` pattern matching exactly itself."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def name_matches(name: str, pattern: str) -> bool:
    """Whether an indexed `name` matches `pattern` (see the module docstring)."""
    return fnmatchcase(name if "/" in pattern else basename(name), pattern)


def job_ids(raw: bytes | str | None) -> list[str]:
    """The job ids of one index entry, newest last."""
    if raw is None:
        return []
    return (raw.decode() if isinstance(raw, bytes) else raw).split()


def failure_reason(raw: bytes | str | None) -> str | None:
    """The reason of a failure record (JSON), or its text if it is not one."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        record = json.loads(text)
    except ValueError:
        return text
    if not isinstance(record, dict):
        return text
    error, reason = record.get("error"), record.get("reason")
    return f"{error}: {reason}" if error and reason else str(reason or error or text)


def job_state(fields: Mapping[str, bytes | None]) -> tuple[str, str | None]:
    """(state, failure reason) of a job from its hash fields ``state``, ``started_at``,
    ``failure``."""
    state = (fields.get("state") or b"").decode()
    if state == "queued":
        return ("processing" if fields.get("started_at") else "queued"), None
    if state == "failed":
        return "failed", failure_reason(fields.get("failure"))
    if state == "done":
        return "done", None
    return "unknown", None


def _scan(client: redis.Redis, keys: RedisKeys, match: str) -> Iterator[tuple[str, bytes]]:
    for field, value in client.hscan_iter(keys.names, match=match, count=_SCAN_COUNT):
        yield (field.decode("utf-8", "replace") if isinstance(field, bytes) else field), value


def find_names(client: redis.Redis, keys: RedisKeys, name_or_pattern: str) -> dict[str, list[str]]:
    """The indexed names matching `name_or_pattern` and their job ids (newest last)."""
    if not is_pattern(name_or_pattern):
        ids = job_ids(client.hget(keys.names, name_or_pattern))
        if ids or "/" in name_or_pattern:
            return {name_or_pattern: ids} if ids else {}
        found = _scan(client, keys, "*/" + glob_escape(name_or_pattern))
        return {name: job_ids(value) for name, value in found}
    match = name_or_pattern if "/" in name_or_pattern else "*" + name_or_pattern
    return {
        name: job_ids(value)
        for name, value in _scan(client, keys, match)
        if name_matches(name, name_or_pattern)
    }


def find_jobs(client: redis.Redis, keys: RedisKeys, name_or_pattern: str) -> list[FileJob]:
    """The jobs of the files named `name_or_pattern` (a name below the inbox, a bare file
    name, or a glob pattern), sorted by name, each name's jobs oldest first; empty if none.

    One ``HGET`` (or ``HSCAN``) of the name index, then one pipeline for the jobs' states.
    """
    names = find_names(client, keys, name_or_pattern)
    pairs = [(name, job) for name in sorted(names) for job in names[name]]
    pipe = client.pipeline(transaction=False)
    for _, job in pairs:
        pipe.hmget(keys.job(job), list(_JOB_FIELDS))
    replies = pipe.execute() if pairs else []
    found: list[FileJob] = []
    for (name, job), values in zip(pairs, replies, strict=True):
        state, reason = job_state(dict(zip(_JOB_FIELDS, values, strict=True)))
        found.append(FileJob(name, job, state, reason))
    return found


def find_rejected(
    client: redis.Redis, keys: RedisKeys, name_or_pattern: str, *, scan: int = REJECTED_SCAN
) -> list[FileJob]:
    """Files named `name_or_pattern` that ingest refused (no job), from the last `scan`
    records of the failures stream, newest first (one entry per record)."""
    found: list[FileJob] = []
    last: bytes | str = "+"
    read = 0
    while read < scan:
        page: list[tuple[bytes, dict[bytes, bytes]]] = client.xrevrange(  # type: ignore[assignment]
            keys.failures, max=last, count=min(1000, scan - read)
        )
        entries = [e for e in page if e[0] != last]
        if not entries:
            break
        for entry_id, fields in entries:
            last = entry_id
            if fields.get(b"job_id"):
                continue
            hit = _rejected(fields.get(b"failure"), name_or_pattern)
            if hit is not None:
                found.append(hit)
        read += len(entries)
    return found


def _rejected(raw: bytes | None, name_or_pattern: str) -> FileJob | None:
    try:
        record = json.loads(raw or b"")
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("job_id"):
        return None
    name = str(record.get("path") or record.get("filename") or "")
    wanted = (
        name_matches(name, name_or_pattern)
        if is_pattern(name_or_pattern)
        else name_or_pattern in (name, basename(name))
    )
    if not name or not wanted:
        return None
    return FileJob(name, None, "failed", failure_reason(raw))
