"""Stories in the worker: assign each result to a story, then keep the story record current.

The I/O shell around :mod:`newswire_enrich.stories` (pure features and records, and the shared
index in Redis). Per article, in :class:`~newswire_enrich.jobs.JobRunner`:

1. :meth:`StoryTracker.assign` (before the result is published): one atomic index step gives
   the article's ``story_id``, ``duplicate_of`` and ``similarity``; the article's *digest*
   (the result without its text and mentions: what a story record needs) is stored beside its
   index record. Both are idempotent: a redelivered job gets the same assignment.
2. :meth:`StoryTracker.record` (after the result is published): the story record is rebuilt
   from its members' digests and written to ``<results>/stories/<story id>.json`` atomically;
   files of stories it absorbed are removed; one entry per article goes to the stream
   ``{prefix}:stories`` (a marker makes it once, also when a crash repeats the step).

Revisions (``newswire reprocess``): :meth:`StoryTracker.reassign` notes the article's story
(that of the first attempt of the revision, kept for redeliveries), forgets the article in the
index and assigns it again; :meth:`StoryTracker.record_revision` rebuilds the story it left,
if it changed story (event ``forgotten``, with the story's record, or an empty ``story`` and
``articles`` 0 when no article is left; its file is then removed), and the story it is in now
(event ``revised``): once per (article, revision) each.

Rebuilds are coalesced, so a story of thousands of near-identical articles (a wire story
republished everywhere, a flood of copies) costs one rebuild at a time, not one per article:
a worker marks the story *dirty* and takes its rebuild lock if free; the holder rebuilds
until no change came in since its last rebuild (a Lua step lets go of the lock only when the
story is not dirty), so the last record written holds every member. A worker that finds the
lock taken just marks the story dirty and announces its article without the record.

Stories of more than ``sync_rebuild_max`` articles (50) are not rebuilt by each article: the
article schedules a rebuild (a due time in the zset ``{p}:due``, at least ``sweep_delay``
seconds and ten times the story's last rebuild away) and :meth:`StoryTracker.sweep`, run
every second by a thread of each worker's main process, rebuilds the stories due. A change
made during a rebuild schedules the story again, so the last record holds every member
within seconds of the last change. Very large stories merge entities and quotes over their
first and latest articles (``_MERGE_LIMIT``); stream entries carry the record only for
stories rebuilt in step (at most ``sync_rebuild_max`` articles).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from newswire_enrich.errors import TransientError
from newswire_enrich.stories import Assignment, StoryIndex, article_features, build_story
from newswire_shared.fileio import write_text_atomic
from newswire_shared.keys import RedisKeys
from newswire_shared.logs import get_logger
from newswire_shared.redis_conn import is_redis_away
from newswire_shared.schemas import EnrichedArticle, Story

log = get_logger(__name__)

#: How long the once-per-article marker of the stories stream is kept (seconds).
_TOLD_TTL = 30 * 86_400

#: How long a worker may hold a story's rebuild (milliseconds; renewed on each round).
_BUILD_LOCK_MS = 60_000
#: Stories with more articles merge entities and quotes over this many (first and latest).
_MERGE_LIMIT = 200
#: Stories with more articles are not carried whole on the stories stream.
_STREAM_STORY_MAX = 100

#: KEYS: the rebuild lock, the dirty flag; ARGV: the holder's token. Lets go of the lock
#: only when no change came in since the last rebuild (returns 1), else returns 0.
_RELEASE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

_TELL = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
  return 1
end
return 0
"""


@dataclass(frozen=True)
class Written:
    """The outcome of a story record update: the record written (None: the story has no
    article left, or another worker is rebuilding it) and whether this worker built it."""

    story: Story | None
    built: bool


class StoryRecordError(TransientError):
    """The story index or the stories folder could not be reached; the job is retried."""


def digest(result: EnrichedArticle) -> EnrichedArticle:
    """What a story record needs of an article: the result without text, mentions and
    explanation (a few KB instead of the whole result)."""
    return result.model_copy(
        update={
            "text": "",
            "entities": [e.model_copy(update={"mentions": []}) for e in result.entities],
            "explanation": None,
            "extensions": {},
        }
    )


@dataclass
class StoryTracker:
    """Story assignment and story records for the results of one worker process."""

    index: StoryIndex
    keys: RedisKeys
    stories_dir: Path
    maxlen: int = 100_000
    #: stories with more articles are rebuilt by :meth:`sweep`, not by each new article
    sync_rebuild_max: int = 50
    #: a large story is rebuilt at most this often (seconds), and not more often than ten
    #: times the duration of its last rebuild
    sweep_delay: float = 2.0

    def __post_init__(self) -> None:
        self._tell = self.index.client.register_script(_TELL)
        self._release = self.index.client.register_script(_RELEASE)

    @property
    def client(self) -> redis.Redis:
        """The Redis client of the index."""
        return self.index.client

    def _art(self, job_id: str) -> str:
        return f"{self.index.prefix}:art:{job_id}"

    def _left(self, job_id: str, revision: int) -> str:
        """Key of the story an article was in before revision `revision` was assigned."""
        return f"{self.index.prefix}:left:{job_id}:r{revision}"

    def assign(self, result: EnrichedArticle) -> tuple[EnrichedArticle, Assignment]:
        """Return `result` with its story, duplicate and similarity set, and the index's
        assignment; store the article's digest."""
        with _converted("assign the story"):
            assignment = self.index.assign(article_features(result))
            self.client.hset(self._art(result.job_id), "digest", digest(result).model_dump_json())
        if assignment.absorbed:
            log.info("stories_merged", story_id=assignment.story_id, absorbed=assignment.absorbed)
        return _with_assignment(result, assignment), assignment

    def reassign(self, result: EnrichedArticle) -> tuple[EnrichedArticle, Assignment]:
        """Assign revision ``result.revision`` of an article again: note the story it is in
        (kept from the first attempt of this revision), forget it in the index, then
        :meth:`assign` it as a new article."""
        left = self._left(result.job_id, result.revision)
        with _converted("forget the article"):
            before = self.index.story_of_job(result.job_id)
            if before is not None:
                self.client.set(left, before, nx=True, ex=_TOLD_TTL)
            self.index.forget(result.job_id)
        return self.assign(result)

    def record_revision(self, job_id: str, revision: int) -> Story | None:
        """After revision `revision` of `job_id` is published: rebuild the record of the story
        it left (if it changed story) and of the story it is in, and announce both (events
        ``forgotten`` and ``revised``, once per revision). Returns the record of its story."""
        with _converted("record the story"):
            raw = self.client.get(self._left(job_id, revision))
            before = self.index.live_story(_text(raw)) if raw is not None else None
            now = self.index.story_of_job(job_id)
            if before is not None and before != now:
                left = self._write(before)
                if left.built and left.story is None:  # its last article left: no record
                    self.story_file(before).unlink(missing_ok=True)
                self._announce(job_id, before, left, "forgotten", f"r{revision}:forgotten")
            if now is None:
                return None
            written = self._write(now)
            self._announce(job_id, now, written, "revised", f"r{revision}")
            return written.story

    def record(self, job_id: str, *, merged: bool = False) -> Story | None:
        """Rewrite the record of the story of `job_id` and announce the article on the stories
        stream (once per article; event ``merged`` when its assignment merged stories).
        Returns the record, or None when the article is no longer in the index."""
        with _converted("record the story"):
            story_id = self.index.story_of_job(job_id)
            if story_id is None:
                return None
            written = self._write(story_id)
            self._announce(job_id, story_id, written, "merged" if merged else "article")
            return written.story

    def story_file(self, story_id: str) -> Path:
        """Where the record of `story_id` is written."""
        return self.stories_dir / f"{story_id}.json"

    def _write(self, story_id: str) -> Written:
        """Rebuild and write the record of `story_id`, or leave it to the worker rebuilding it
        right now (coalescing: see the module docstring)."""
        p = self.index.prefix
        size = int(self.client.hget(f"{p}:story:{story_id}", "n") or 0)
        if size > self.sync_rebuild_max:
            self._schedule(story_id)
            return Written(None, built=False)
        lock, dirty = f"{p}:story:{story_id}:building", f"{p}:story:{story_id}:dirty"
        token = secrets.token_hex(8)
        self.client.set(dirty, "1", px=_BUILD_LOCK_MS)  # a change to take in
        if not self.client.set(lock, token, nx=True, px=_BUILD_LOCK_MS):
            return Written(None, built=False)  # the builder sees `dirty` before it lets go
        try:
            while True:
                self.client.delete(dirty)
                self.client.pexpire(lock, _BUILD_LOCK_MS)
                story = self._build(story_id)
                if story is not None:
                    self._store(story_id, story)
                if self._release(keys=[lock, dirty], args=[token]):
                    return Written(story, built=True)
        except BaseException:
            self._release(keys=[lock, f"{dirty}:none"], args=[token])
            raise

    @property
    def _due(self) -> str:
        return f"{self.index.prefix}:due"

    def _schedule(self, story_id: str) -> None:
        """Mark a large story for :meth:`sweep`: due after the sweep delay (or ten times its
        last rebuild); an earlier due time already set is kept."""
        cost = float(self.client.get(f"{self.index.prefix}:story:{story_id}:cost") or 0)
        due = time.time() + max(self.sweep_delay, 10 * cost)
        self.client.zadd(self._due, {story_id: due}, nx=True)

    def sweep(self, limit: int = 10) -> int:
        """Rebuild the large stories whose rebuild is due (a worker's main process calls it
        every second); returns how many were rebuilt. A story changed during its rebuild is
        due again later (its change scheduled it anew after the rebuild took it off)."""
        p = self.index.prefix
        rebuilt = 0
        try:
            due: list[bytes] = self.client.zrangebyscore(  # type: ignore[assignment]
                self._due, "-inf", time.time(), start=0, num=limit
            )
            for raw in due:
                story_id = _text(raw)
                lock = f"{p}:story:{story_id}:building"
                token = secrets.token_hex(8)
                if not self.client.set(lock, token, nx=True, px=_BUILD_LOCK_MS):
                    continue  # being rebuilt elsewhere; stays due
                try:
                    self.client.zrem(self._due, story_id)
                    started = time.perf_counter()
                    story = self._build(story_id)
                    if story is not None:
                        self._store(story_id, story)
                    cost = time.perf_counter() - started
                    self.client.set(f"{p}:story:{story_id}:cost", f"{cost:.3f}", ex=86_400)
                    rebuilt += 1
                finally:
                    self._release(keys=[lock, f"{lock}:none"], args=[token])
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            log.warning("story_sweep_failed", error=str(exc))
        except OSError as exc:
            log.warning("story_sweep_failed", error=str(exc))
        return rebuilt

    def _store(self, story_id: str, story: Story) -> None:
        """Write the record of a story (atomically; no fsync: it is rebuilt from the index on
        the next change) and remove the records of the stories it absorbed."""
        self.stories_dir.mkdir(parents=True, exist_ok=True)
        record = story.model_dump_json(indent=2) + "\n"
        write_text_atomic(self.story_file(story_id), record, durable=False)
        for gone in story.absorbed:
            self.story_file(gone).unlink(missing_ok=True)

    def _build(self, story_id: str) -> Story | None:
        members = sorted(
            _text(m) for m in self.client.smembers(f"{self.index.prefix}:story:{story_id}:articles")
        )
        pipe = self.client.pipeline(transaction=False)
        for job in members:
            pipe.hmget(self._art(job), ["digest", "dup", "sim"])
        articles: list[EnrichedArticle] = []
        duplicates: dict[str, tuple[str, float | None]] = {}
        for job, (raw, dup, sim) in zip(members, pipe.execute(), strict=True):
            if raw is None:
                continue  # its worker has not stored it yet (and will rebuild the record)
            articles.append(EnrichedArticle.model_validate_json(raw))
            if dup:
                duplicates[job] = (dup.decode(), float(sim) if sim else None)
        if not articles:
            return None
        absorbed = sorted(
            m.decode() if isinstance(m, bytes) else str(m)
            for m in self.client.smembers(f"{self.index.prefix}:story:{story_id}:absorbed")
        )
        return build_story(
            story_id,
            articles,
            absorbed=absorbed,
            duplicates=duplicates,
            merge_limit=_MERGE_LIMIT,
        )

    def _announce(
        self, job_id: str, story_id: str, written: Written, event: str, once: str = ""
    ) -> None:
        """Add the stories-stream entry of `event` once per article (and per `once`, a
        revision's tag). The Story JSON goes with it when this worker built the record and
        the story is small; otherwise ``story`` is empty and ``articles`` is the count in the
        index (the record is in the stories folder, and the next entry of the story may carry
        it). ``articles`` 0: the story has no article left."""
        story = written.story
        carried = story is not None and len(story.articles) <= _STREAM_STORY_MAX
        if story is not None:
            count = len(story.articles)
        elif written.built:
            count = 0
        else:
            count = int(self.client.hget(f"{self.index.prefix}:story:{story_id}", "n") or 0)
        fields = {
            "story_id": story_id,
            "job_id": job_id,
            "event": event,
            "articles": str(count),
            "absorbed": " ".join(story.absorbed) if story else "",
            "story": story.model_dump_json() if story is not None and carried else "",
        }
        flat = [item for pair in fields.items() for item in pair]
        marker = f"{self.index.prefix}:told:{job_id}" + (f":{once}" if once else "")
        self._tell(keys=[marker, self.keys.stories], args=[_TOLD_TTL, self.maxlen, *flat])


@contextmanager
def _converted(doing: str) -> Iterator[None]:
    """Turn Redis being away and file-system errors into :class:`StoryRecordError` (the job
    is retried); other Redis errors (a bug, a wrong password) pass as they are."""
    try:
        yield
    except redis.RedisError as exc:
        if not is_redis_away(exc):
            raise
        raise StoryRecordError(f"cannot reach Redis to {doing}: {exc}") from exc
    except OSError as exc:
        raise StoryRecordError(f"cannot {doing}: {exc}") from exc


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _with_assignment(result: EnrichedArticle, assignment: Assignment) -> EnrichedArticle:
    return result.model_copy(
        update={
            "story_id": assignment.story_id,
            "duplicate_of": assignment.duplicate_of,
            "similarity": assignment.similarity,
        }
    )
