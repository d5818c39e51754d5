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

Concurrent workers may rebuild the same story at once: each bumps the story's record version
before reading the members and checks it after writing; whoever finds it moved builds again,
so the last file written holds every member.
"""

from __future__ import annotations

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

#: Rebuilds of one story record before giving up on a story that keeps changing (the writer
#: that changed it rebuilds it itself).
_REBUILDS = 5
#: How long the once-per-article marker of the stories stream is kept (seconds).
_TOLD_TTL = 30 * 86_400

_TELL = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
  return 1
end
return 0
"""


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

    def __post_init__(self) -> None:
        self._tell = self.index.client.register_script(_TELL)

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
        try:
            assignment = self.index.assign(article_features(result))
            self.client.hset(self._art(result.job_id), "digest", digest(result).model_dump_json())
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise StoryRecordError(f"cannot reach Redis to assign the story: {exc}") from exc
        if assignment.absorbed:
            log.info("stories_merged", story_id=assignment.story_id, absorbed=assignment.absorbed)
        return _with_assignment(result, assignment), assignment

    def reassign(self, result: EnrichedArticle) -> tuple[EnrichedArticle, Assignment]:
        """Assign revision ``result.revision`` of an article again: note the story it is in
        (kept from the first attempt of this revision), forget it in the index, then
        :meth:`assign` it as a new article."""
        left = self._left(result.job_id, result.revision)
        try:
            before = self.index.story_of_job(result.job_id)
            if before is not None:
                self.client.set(left, before, nx=True, ex=_TOLD_TTL)
            self.index.forget(result.job_id)
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise StoryRecordError(f"cannot reach Redis to forget the article: {exc}") from exc
        return self.assign(result)

    def record_revision(self, job_id: str, revision: int) -> Story | None:
        """After revision `revision` of `job_id` is published: rebuild the record of the story
        it left (if it changed story) and of the story it is in, and announce both (events
        ``forgotten`` and ``revised``, once per revision). Returns the record of its story."""
        try:
            raw = self.client.get(self._left(job_id, revision))
            before = self.index.live_story(_text(raw)) if raw is not None else None
            now = self.index.story_of_job(job_id)
            if before is not None and before != now:
                left = self._write(before)
                if left is None:  # its last article left: no record any more
                    self.story_file(before).unlink(missing_ok=True)
                self._announce(job_id, before, left, "forgotten", f"r{revision}:forgotten")
            if now is None:
                return None
            story = self._write(now)
            if story is not None:
                self._announce(job_id, now, story, "revised", f"r{revision}")
            return story
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise StoryRecordError(f"cannot reach Redis to record the story: {exc}") from exc
        except OSError as exc:
            raise StoryRecordError(f"cannot write the story record: {exc}") from exc

    def record(self, job_id: str, *, merged: bool = False) -> Story | None:
        """Rewrite the record of the story of `job_id` and announce the article on the stories
        stream (once per article; event ``merged`` when its assignment merged stories).
        Returns the record, or None when the article is no longer in the index."""
        try:
            story_id = self.index.story_of_job(job_id)
            if story_id is None:
                return None
            story = self._write(story_id)
            if story is not None:
                self._announce(job_id, story_id, story, "merged" if merged else "article")
            return story
        except redis.RedisError as exc:
            if not is_redis_away(exc):
                raise
            raise StoryRecordError(f"cannot reach Redis to record the story: {exc}") from exc
        except OSError as exc:
            raise StoryRecordError(f"cannot write the story record: {exc}") from exc

    def story_file(self, story_id: str) -> Path:
        """Where the record of `story_id` is written."""
        return self.stories_dir / f"{story_id}.json"

    def _write(self, story_id: str) -> Story | None:
        version_key = f"{self.index.prefix}:story:{story_id}:v"
        version = self.client.incr(version_key)
        story: Story | None = None
        for _ in range(_REBUILDS):
            story = self._build(story_id)
            if story is None:
                return None
            self.stories_dir.mkdir(parents=True, exist_ok=True)
            record = story.model_dump_json(indent=2) + "\n"
            # rebuilt from the index on the next change: no fsync needed
            write_text_atomic(self.story_file(story_id), record, durable=False)
            for gone in story.absorbed:
                self.story_file(gone).unlink(missing_ok=True)
            now = int(self.client.get(version_key) or 0)
            if now == version:
                break
            version = now  # another worker changed the story meanwhile: build it again
        return story

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
        return build_story(story_id, articles, absorbed=absorbed, duplicates=duplicates)

    def _announce(
        self, job_id: str, story_id: str, story: Story | None, event: str, once: str = ""
    ) -> None:
        """Add the stories-stream entry of `event` once per article (and per `once`, a
        revision's tag); `story` None: the story has no article left."""
        fields = {
            "story_id": story_id,
            "job_id": job_id,
            "event": event,
            "articles": str(len(story.articles)) if story else "0",
            "absorbed": " ".join(story.absorbed) if story else "",
            "story": story.model_dump_json() if story else "",
        }
        flat = [item for pair in fields.items() for item in pair]
        marker = f"{self.index.prefix}:told:{job_id}" + (f":{once}" if once else "")
        self._tell(keys=[marker, self.keys.stories], args=[_TOLD_TTL, self.maxlen, *flat])


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
