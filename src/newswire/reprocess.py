"""Enrich chosen articles again from their originals in the inbox's done/ folder
(``newswire reprocess``, after an upgrade or a model change).

Selection (:meth:`Reprocessor.select`): by job id, by file name or glob pattern (the file-name
index of :mod:`newswire.lookup`, and the names of the files in done/), or every file in done/.
Each job's original is the file in done/ whose content hashes to the job id: looked for under
the name its result gives (``source.path`` or ``source.filename``, also as ``name (2).txt``,
the name ingest gives a second file of that name), else among all files of done/. A job with
no such file is reported ``missing``; one whose named file holds other bytes ``changed``; one
never published ``unpublished``: none of these is queued.

Queueing (:meth:`Reprocessor.queue`): each job gets the next revision number, handed out
atomically in Redis (field ``revision_queued`` of the job hash, above the revision published
and the one in its result file), so two runs never give out the same one; its message is the
job ingest would send (:func:`newswire_shared.jobs.job_from_bytes` of the original, with the
result's ``source``: same name, same time received) with ``revision`` set, sent by task name
to the enrichment queue. The workers replace the result file, add a results-stream entry with
``revision`` and update the stories (:mod:`newswire_enrich.jobs`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import redis
from celery import Celery
from pydantic import ValidationError

from newswire.lookup import find_names, is_pattern, name_matches
from newswire_shared.errors import RejectedFileError
from newswire_shared.fileio import display_name, read_regular_file
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import ENRICH_TASK, RedisKeys
from newswire_shared.queueing import time_limits_for
from newswire_shared.schemas import ArticleJob, MediaType, Source, content_sha256, job_id_for

_JOB_ID = re.compile(r"^[0-9a-f]{16}$")
#: ``stem (2).ext``: the name ingest gives a file whose name is taken in done/.
_NUMBERED = re.compile(r"^(?P<stem>.*) \(\d+\)(?P<suffix>\.[^.]*)?$")

#: KEYS: the job hash. ARGV: the revision in the job's result file. Returns the next revision
#: of the job: one above every revision published, handed out or in the result file.
_NEXT_REVISION = """
local top = tonumber(ARGV[1])
for _, f in ipairs({'revision', 'revision_queued'}) do
  local v = tonumber(redis.call('HGET', KEYS[1], f) or '0')
  if v > top then top = v end
end
redis.call('HSET', KEYS[1], 'revision_queued', top + 1)
return top + 1
"""

Status = Literal["queued", "missing", "changed", "unpublished", "unreadable"]

#: What each status means, for the output.
_REASONS: dict[Status, str] = {
    "queued": "",
    "missing": "no original in done/",
    "changed": "the file in done/ holds other content now",
    "unpublished": "never published: nothing to revise",
    "unreadable": "the original in done/ cannot be read",
}


class SelectionError(Exception):
    """The command line names no job, or a job id that is not one."""


@dataclass(frozen=True)
class Original:
    """A file of done/: its path, its name below done/ ('/'-separated) and its job id."""

    path: Path
    name: str
    job_id: str


@dataclass(frozen=True)
class Known:
    """What the results folder and Redis know of a job."""

    source: Source | None = None
    #: the newest revision published, handed out or in the result file
    revision: int = 0
    published: bool = False


@dataclass(frozen=True)
class Line:
    """One selected job and what happens to it."""

    job_id: str
    name: str
    status: Status
    revision: int = 0
    original: Original | None = field(default=None, repr=False, compare=False)
    source: Source | None = field(default=None, repr=False, compare=False)

    def text(self, *, dry_run: bool = False) -> str:
        """The line printed for this job."""
        if self.status == "queued":
            verb = "would queue" if dry_run else "queued"
            return f"{verb:<12} {self.job_id}  revision {self.revision}  {self.name}"
        return f"{self.status:<12} {self.job_id}  {self.name}: {_REASONS[self.status]}"


def check_job_ids(job_ids: Iterable[str]) -> list[str]:
    """The job ids given on the command line, each once; raise :class:`SelectionError` for one
    that is not 16 lower-case hex digits."""
    ids: list[str] = []
    for raw in job_ids:
        job = raw.strip().lower().removesuffix(".json")
        if not _JOB_ID.match(job):
            raise SelectionError(f"{raw!r} is not a job id (16 hex digits)")
        if job not in ids:
            ids.append(job)
    return ids


def is_numbered_copy(candidate: str, name: str) -> bool:
    """Whether done/ file name `candidate` is `name` or the numbered name ingest gives a
    second file of that name (``x.txt`` -> ``x (2).txt``); names without folders."""
    if candidate == name:
        return True
    match = _NUMBERED.match(candidate)
    if match is None:
        return False
    return f"{match['stem']}{match['suffix'] or ''}" == name


def source_name(source: Source) -> str:
    """The name of a job's file below the inbox (its name in done/ when it was not taken)."""
    return source.path or source.filename


def next_revision(known: Known) -> int:
    """The revision a job would get now (what :data:`_NEXT_REVISION` hands out)."""
    return known.revision + 1


def decide(
    job_id: str,
    name: str,
    original: Original | None,
    known: Known,
    *,
    named_file_exists: bool,
) -> Line:
    """What to do with a selected job: queue its next revision, or say why not."""
    if original is None:
        return Line(job_id, name, "changed" if named_file_exists else "missing")
    if not known.published:
        return Line(job_id, name, "unpublished", original=original)
    return Line(
        job_id, name, "queued", next_revision(known), original=original, source=known.source
    )


def summary(lines: Sequence[Line], *, dry_run: bool = False) -> str:
    """The last line of the output: how many jobs of each status."""
    counts = {status: sum(1 for line in lines if line.status == status) for status in _REASONS}
    queued = counts.pop("queued")
    head = f"{queued} would be queued" if dry_run else f"{queued} queued"
    rest = [f"{n} {status}" for status, n in counts.items() if n]
    return "reprocess: " + ", ".join([head, *rest])


def build_job(line: Line, data: bytes) -> ArticleJob:
    """The message of a queued line whose original holds `data`: decoded as ingest does,
    named and timed as its result says, with the line's revision; raise
    :class:`RejectedFileError` if the bytes are not usable."""
    original = line.original
    if original is None:
        raise ValueError("only a line with an original can be queued")
    media_type = MediaType.from_suffix(PurePosixPath(original.name).suffix)
    if media_type is None:
        raise RejectedFileError(f"unsupported file type: {original.name}")
    name = PurePosixPath(original.name)
    job = job_from_bytes(
        data,
        display_name(name.name),
        media_type,
        path=original.name if len(name.parts) > 1 else None,
    )
    source = line.source
    if source is not None and source.sha256 == job.source.sha256:
        job = job.model_copy(update={"source": source})
    return job.model_copy(update={"revision": line.revision})


def _files(folder: Path) -> Iterator[tuple[Path, str]]:
    """The regular files below `folder` (links are not followed) and their names below it,
    sorted by name."""
    found: list[tuple[Path, str]] = []
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            path = Path(top) / name
            if path.is_symlink() or not path.is_file():
                continue
            found.append((path, display_name(path.relative_to(folder).as_posix())))
    yield from sorted(found, key=lambda item: item[1])


@dataclass
class Reprocessor:
    """Selects jobs from done/, the results folder and Redis, and queues their revisions."""

    client: redis.Redis
    keys: RedisKeys
    done: Path
    results: Path
    max_bytes: int
    _scanned: dict[str, Original] | None = field(default=None, init=False, repr=False)

    # -- reading -------------------------------------------------------------------------------

    def _read(self, path: Path, name: str) -> Original | None:
        try:
            data = read_regular_file(path, self.max_bytes)
        except RejectedFileError:
            return None
        return Original(path, name, job_id_for(content_sha256(data)))

    def _scan(self, pattern: str | None = None) -> dict[str, Original]:
        """Job id -> original for the files of done/ (matching `pattern`), the first name of
        each content."""
        if pattern is None and self._scanned is not None:
            return self._scanned
        found: dict[str, Original] = {}
        for path, name in _files(self.done):
            if pattern is not None and not name_matches(name, pattern):
                continue
            original = self._read(path, name)
            if original is not None:
                found.setdefault(original.job_id, original)
        if pattern is None:
            self._scanned = found
        return found

    def _result_source(self, job_id: str) -> tuple[Source | None, int]:
        """The source and revision in the job's result file (None, 0 without one)."""
        try:
            data: Any = json.loads((self.results / f"{job_id}.json").read_text(encoding="utf-8"))
            return Source.model_validate(data["source"]), int(data.get("revision") or 0)
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            return None, 0

    def _known(self, job_ids: Sequence[str]) -> dict[str, Known]:
        pipe = self.client.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hmget(self.keys.job(job_id), ["revision", "revision_queued"])
            pipe.exists(self.keys.published(job_id))
        replies = pipe.execute() if job_ids else []
        known: dict[str, Known] = {}
        for job_id, revisions, published in zip(job_ids, replies[0::2], replies[1::2], strict=True):
            source, in_file = self._result_source(job_id)
            top = max([in_file, *(int(r) for r in revisions if r)])
            known[job_id] = Known(source, top, bool(published) or source is not None)
        return known

    def _locate(self, job_id: str, names: Sequence[str]) -> tuple[Original | None, bool]:
        """The job's original in done/, looked for under `names` (and their numbered copies)
        first, then among all files; and whether a file of one of those names exists."""
        exists = False
        for name in names:
            wanted = PurePosixPath(name)
            folder = self.done.joinpath(*wanted.parts[:-1])
            try:
                entries = sorted(entry.name for entry in folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                if not is_numbered_copy(entry, wanted.name):
                    continue
                exists = exists or entry == wanted.name
                below = "/".join([*wanted.parts[:-1], entry])
                original = self._read(folder / entry, below)
                if original is not None and original.job_id == job_id:
                    return original, True
        return self._scan().get(job_id), exists

    # -- selecting -----------------------------------------------------------------------------

    def select(
        self, job_ids: Sequence[str] = (), name: str | None = None, *, everything: bool = False
    ) -> list[Line]:
        """The lines of the jobs chosen by id, by name or pattern, or all of done/."""
        wanted: dict[str, list[str]] = {job: [] for job in check_job_ids(job_ids)}
        hashed: dict[str, Original] = {}
        if everything:
            hashed = self._scan()
        elif name is not None:
            for indexed, ids in find_names(self.client, self.keys, name).items():
                for job in ids:
                    wanted.setdefault(job, []).append(indexed)
            hashed = self._scan(name if is_pattern(name) else _exact(name))
        for job in hashed:
            wanted.setdefault(job, [])
        known = self._known(list(wanted))
        lines: list[Line] = []
        for job, names in wanted.items():
            source = known[job].source
            if source is not None:
                names = [source_name(source), *names]
            original, exists = (hashed[job], True) if job in hashed else self._locate(job, names)
            shown = names[0] if names else (original.name if original else "(unknown)")
            lines.append(decide(job, shown, original, known[job], named_file_exists=exists))
        return sorted(lines, key=lambda line: (line.name, line.job_id))

    # -- queueing ------------------------------------------------------------------------------

    def queue(self, lines: Iterable[Line], send: Callable[[ArticleJob], None]) -> Iterator[Line]:
        """Hand out the next revision of each ``queued`` line and send its job; yield the
        lines as done, with the revisions given (``unreadable``: an original no longer usable;
        the other lines as they were)."""
        script = self.client.register_script(_NEXT_REVISION)
        for line in lines:
            if line.status != "queued" or line.original is None:
                yield line
                continue
            try:  # read again (the selection keeps no file in memory), checked again
                data = read_regular_file(line.original.path, self.max_bytes)
                if job_id_for(content_sha256(data)) != line.job_id:
                    yield replace(line, status="changed")
                    continue
                job = build_job(line, data)
            except RejectedFileError:
                yield replace(line, status="unreadable")
                continue
            revision = int(script(keys=[self.keys.job(line.job_id)], args=[line.revision - 1]))
            send(job.model_copy(update={"revision": revision}))
            yield replace(line, revision=revision)


def _exact(name: str) -> str:
    """A glob pattern matching exactly `name` (``[`` and ``]`` escaped as fnmatch does)."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def task_sender(app: Celery, queue: str) -> Callable[[ArticleJob], None]:
    """A function sending a job's message the way ingest does: by task name, its JSON as the
    only argument, the long-article time limits; task id ``<job id>-r<revision>``."""

    def send(job: ArticleJob) -> None:
        hard, soft = time_limits_for(len(job.text)) or (None, None)
        app.send_task(
            ENRICH_TASK,
            args=[job.model_dump(mode="json")],
            queue=queue,
            task_id=f"{job.job_id}-r{job.revision}",
            time_limit=hard,
            soft_time_limit=soft,
            argsrepr=repr(
                [{"job_id": job.job_id, "filename": job.source.filename, "revision": job.revision}]
            ),
            kwargsrepr="{}",
        )

    return send


def count_queued(lines: Iterable[Line]) -> int:
    """How many lines are (or would be) queued."""
    return sum(1 for line in lines if line.status == "queued")
