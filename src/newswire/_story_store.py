"""Reading story records for the CLI: ``<results>/stories/<id>.json`` and the story index.

With Redis (the index in ``{prefix}:stories:*``) a listing reads the ids it needs from the
``recent`` or ``size`` sorted set and opens only the files it shows; an absorbed story id is
followed to its survivor through ``absorbed:{id}``, a job id to its story through
``art:{job}``. Without Redis (or with an index that has no stories) everything is read from
the files: the stories folder, and a result's ``story_id``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import redis
from pydantic import ValidationError

from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import Story

Order = Literal["recent", "largest"]

#: What a story or job id looks like (a file name in the stories or results folder).
_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
#: Absorbed links followed before giving up (a chain, never a cycle, in a sane index).
_MAX_HOPS = 64
_PAGE = 200


class StoryNotFoundError(LookupError):
    """No story, absorbed story or job has the id asked for."""


class StoryFileError(ValueError):
    """A story file exists but is not a story record."""


@dataclass(frozen=True)
class Resolved:
    """The story an id led to: its record, its file's text, and how the id was taken."""

    story: Story
    text: str
    asked: str
    via: Literal["story", "absorbed", "job"]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _parse(path: Path, text: str) -> Story:
    try:
        return Story.model_validate_json(text)
    except ValidationError as exc:
        raise StoryFileError(f"{path}: not a story record ({exc.error_count()} errors)") from exc


@dataclass
class StoryStore:
    """The stories of one results folder, with the story index when `client` is given."""

    results_dir: Path
    client: redis.Redis | None
    keys: RedisKeys

    @property
    def folder(self) -> Path:
        """Where the story records are."""
        return self.results_dir / "stories"

    def path(self, story_id: str) -> Path:
        """The record file of `story_id`."""
        return self.folder / f"{story_id}.json"

    def load(self, story_id: str) -> tuple[Story, str] | None:
        """The record of `story_id` and its text, or None if it has no file."""
        path = self.path(story_id)
        text = _read(path)
        return None if text is None else (_parse(path, text), text)

    # ---- one story ------------------------------------------------------------------------
    def resolve(self, ident: str) -> Resolved:
        """The live story of `ident`: a story id, an absorbed story's id, or a job id."""
        if not _ID.match(ident):
            raise StoryNotFoundError(f"'{ident}' is not a story or job id")
        found = self.load(ident)
        if found is not None:
            return Resolved(found[0], found[1], ident, "story")
        survivor = self.survivor(ident)
        if survivor != ident and (found := self.load(survivor)) is not None:
            return Resolved(found[0], found[1], ident, "absorbed")
        story_id = self.story_of_job(ident)
        if story_id is not None and (found := self.load(story_id)) is not None:
            return Resolved(found[0], found[1], ident, "job")
        where = f"{self.folder}" + (" or the story index" if self.client is not None else "")
        raise StoryNotFoundError(f"no story or job '{ident}' in {where}")

    def survivor(self, story_id: str) -> str:
        """The live story that absorbed `story_id` (following the chain), else `story_id`."""
        if self.client is None:
            return self._survivor_in_files(story_id)
        current, hops = story_id, 0
        while hops < _MAX_HOPS:
            nxt = self.client.get(self.keys.story_absorbed(current))
            if nxt is None:
                break
            current, hops = _text(nxt), hops + 1
        return current

    def story_of_job(self, job_id: str) -> str | None:
        """The live story of a job: from the index, else from its result's ``story_id``, else
        the story file listing it."""
        if self.client is not None:
            story = self.client.hget(self.keys.story_article(job_id), "story")
            if story is not None:
                return self.survivor(_text(story))
        story_id = self._result_story(job_id)
        if story_id is not None:
            return self.survivor(story_id)
        for record, _ in self._scan(job_id):
            if any(a.job_id == job_id for a in record.articles):
                return record.story_id
        return None

    def stories_of_jobs(self, job_ids: list[str]) -> dict[str, str | None]:
        """:meth:`story_of_job` of many jobs: one pipeline to the index for all of them."""
        found: dict[str, str | None] = dict.fromkeys(job_ids)
        if self.client is not None and job_ids:
            pipe = self.client.pipeline(transaction=False)
            for job in job_ids:
                pipe.hget(self.keys.story_article(job), "story")
            for job, story in zip(job_ids, pipe.execute(), strict=True):
                found[job] = None if story is None else _text(story)
        for job in job_ids:
            if found[job] is None:
                found[job] = self._result_story(job)
        survivors = {s: self.survivor(s) for s in {s for s in found.values() if s is not None}}
        return {job: survivors[s] if s is not None else None for job, s in found.items()}

    def _result_story(self, job_id: str) -> str | None:
        text = _read(self.results_dir / f"{job_id}.json")
        if text is None:
            return None
        try:
            story = json.loads(text).get("story_id")
        except (ValueError, AttributeError):
            return None
        return story if isinstance(story, str) and story else None

    def _survivor_in_files(self, story_id: str) -> str:
        for story, _ in self._scan(story_id):
            if story_id in story.absorbed:
                return story.story_id
        return story_id

    def _scan(self, needle: str = "") -> Iterator[tuple[Story, str]]:
        """Every readable story record (those whose text holds `needle`)."""
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.json")):
            if path.name.startswith("."):
                continue
            text = _read(path)
            if text is None or needle not in text:
                continue
            try:
                yield _parse(path, text), text
            except StoryFileError:
                continue

    # ---- listings -------------------------------------------------------------------------
    def listing(self, order: Order, limit: int) -> list[Story]:
        """The `limit` most recent (last event first) or largest stories."""
        if self.client is not None:
            stories = self._listing_from_index(order, limit)
            if stories is not None:
                return stories
        every = [story for story, _ in self._scan()]
        if order == "recent":
            every.sort(key=lambda s: (s.last_seen, s.story_id), reverse=True)
        else:
            every.sort(key=lambda s: (len(s.articles), s.last_seen, s.story_id), reverse=True)
        return every[:limit]

    def _listing_from_index(self, order: Order, limit: int) -> list[Story] | None:
        """The listing from the index, opening only the files shown; None if the index has no
        stories (the files are read instead)."""
        assert self.client is not None
        ids = self._ranked_ids(order)
        stories: list[Story] = []
        seen_any = False
        for page in ids:
            seen_any = True
            for story_id in page:
                found = self.load(story_id)  # absorbed meanwhile: its file is gone, skip it
                if found is not None:
                    stories.append(found[0])
                if len(stories) == limit:
                    return stories
        return stories if seen_any else None

    def _ranked_ids(self, order: Order) -> Iterator[list[str]]:
        """Live story ids, best first, a page at a time."""
        assert self.client is not None
        key = self.keys.stories_recent
        if order == "largest":
            if self.client.exists(self.keys.stories_size):
                key = self.keys.stories_size
            else:
                yield from self._ranked_by_hash_size()
                return
        start = 0
        while True:
            members: list[bytes] = self.client.zrevrange(key, start, start + _PAGE - 1)  # type: ignore[assignment]
            page = [_text(m) for m in members]
            if not page:
                return
            yield page
            start += _PAGE

    def _ranked_by_hash_size(self) -> Iterator[list[str]]:
        """Without the ``size`` set: every live story's ``n`` from its hash, largest first."""
        assert self.client is not None
        members: list[bytes] = self.client.zrevrange(self.keys.stories_recent, 0, -1)  # type: ignore[assignment]
        ids = [_text(m) for m in members]
        pipe = self.client.pipeline(transaction=False)
        for story_id in ids:
            pipe.hget(self.keys.story(story_id), "n")
        sizes = [int(n or 0) for n in pipe.execute()] if ids else []
        ranked = [s for _, s in sorted(zip(sizes, ids, strict=True), key=lambda p: -p[0])]
        for start in range(0, len(ranked), _PAGE):
            yield ranked[start : start + _PAGE]
