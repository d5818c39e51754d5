"""Revisions and stories: a reprocessed article is assigned again; the story it left and the
story it is in are rebuilt and announced (``forgotten``, ``revised``), once per revision."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from newswire_enrich.jobs import JobRunner, Retry
from newswire_enrich.publish import Publisher
from newswire_enrich.stories import StoryIndex
from newswire_enrich.story_tracker import StoryRecordError, StoryTracker
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import ArticleJob, EnrichedArticle, MediaType, PipelineInfo, Story
from tests.unit.test_story_tracker import _text

KEYS = RedisKeys("t")


class ModelChangePipeline:
    """Enriches by copying the text, except that revision N of a job listed in `changed`
    comes out as that text (what a new model might make of the same file)."""

    def __init__(self) -> None:
        self.changed: dict[tuple[str, int], str] = {}

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        text = self.changed.get((job.job_id, job.revision), job.text)
        return EnrichedArticle(
            job_id=job.job_id, source=job.source, title=job.source.filename, text=text,
            pipeline=PipelineInfo(newswire_version="test"), enriched_at=datetime.now(UTC),
        )  # fmt: skip


class FlakyTracker(StoryTracker):
    """A tracker whose first revision record fails as if Redis went away after publishing."""

    failures = 1

    def record_revision(self, job_id: str, revision: int) -> Story | None:
        if self.failures:
            self.failures -= 1
            raise StoryRecordError("Redis went away")
        return super().record_revision(job_id, revision)


def _runner(
    client: redis.Redis, tmp_path: Path, cls: type[StoryTracker] = StoryTracker
) -> tuple[JobRunner, ModelChangePipeline]:
    pipeline = ModelChangePipeline()
    tracker = cls(StoryIndex(client, prefix=KEYS.story_index), KEYS, tmp_path / "results/stories")
    runner = JobRunner(
        pipeline=pipeline, publisher=Publisher(client, KEYS, tmp_path / "results"),
        redis=client, keys=KEYS, stories=tracker,
    )  # fmt: skip
    return runner, pipeline


def _payload(text: str, name: str, revision: int = 0) -> dict[str, object]:
    job = job_from_bytes(text.encode(), name, MediaType.TEXT)
    return job.model_copy(update={"revision": revision}).model_dump(mode="json")


def _result(tmp_path: Path, job_id: str) -> EnrichedArticle:
    return EnrichedArticle.model_validate_json(
        (tmp_path / "results" / f"{job_id}.json").read_text()
    )


def _story(tmp_path: Path, story_id: str) -> Story:
    return Story.model_validate_json(
        (tmp_path / "results/stories" / f"{story_id}.json").read_text()
    )


def _told(client: redis.Redis) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in client.xrange(KEYS.stories)
    ]


def _copy_of(text: str) -> str:
    return text.replace(text.split()[40], "corrected", 1) + " Updated at noon."


def test_article_changing_story_leaves_the_old_one(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A copy joined the first article's story; its revision (the new model reads it as
    another text) leaves that story, whose record keeps the first article alone ('forgotten'),
    and founds its own ('revised'); a redelivery adds no entry."""
    runner, pipeline = _runner(redis_client, tmp_path)
    original = _text(1)
    first = runner.run(_payload(original, "wire.txt")).job_id
    copy = _payload(_copy_of(original), "wire-fixed.txt")
    job = str(copy["job_id"])
    runner.run(copy)
    assert _result(tmp_path, job).story_id == first
    pipeline.changed[(job, 1)] = _text(7)
    assert runner.run(_payload(_copy_of(original), "wire-fixed.txt", 1)).kind == "revised"
    revised = _result(tmp_path, job)
    assert revised.revision == 1
    assert revised.story_id not in (None, first)
    assert revised.duplicate_of is None
    assert [a.job_id for a in _story(tmp_path, first).articles] == [first]
    assert [a.job_id for a in _story(tmp_path, str(revised.story_id)).articles] == [job]
    told = _told(redis_client)
    assert [(t["event"], t["story_id"], t["job_id"], t["articles"]) for t in told[2:]] == [
        ("forgotten", first, job, "1"), ("revised", revised.story_id, job, "1"),
    ]  # fmt: skip
    assert runner.run(_payload(_copy_of(original), "wire-fixed.txt", 1), retries=1).kind == (
        "duplicate"
    )
    assert len(_told(redis_client)) == 4


def test_article_staying_in_its_story_is_announced_revised(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A revision that keeps the article in its story rebuilds that story once: one
    'revised' entry with every article, nothing forgotten."""
    runner, _ = _runner(redis_client, tmp_path)
    original = _text(2)
    first = runner.run(_payload(original, "a.txt")).job_id
    copy = runner.run(_payload(_copy_of(original), "b.txt")).job_id
    assert runner.run(_payload(_copy_of(original), "b.txt", 1)).kind == "revised"
    assert _result(tmp_path, str(copy)).story_id == first
    assert sorted(a.job_id for a in _story(tmp_path, str(first)).articles) == sorted([first, copy])
    told = _told(redis_client)
    assert [(t["event"], t["story_id"], t["articles"]) for t in told[2:]] == [
        ("revised", first, "2")
    ]
    assert Story.model_validate_json(told[-1]["story"]).story_id == first


def test_story_left_by_its_last_article_is_removed(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The founder leaves its story (the copy keeps it, under the same id); then the copy
    leaves too: the story's file is removed and 'forgotten' says no article is left."""
    runner, pipeline = _runner(redis_client, tmp_path)
    original = _text(3)
    first = str(runner.run(_payload(original, "a.txt")).job_id)
    copy = str(runner.run(_payload(_copy_of(original), "b.txt")).job_id)
    pipeline.changed[(first, 1)] = _text(8)
    pipeline.changed[(copy, 1)] = _text(9)
    runner.run(_payload(original, "a.txt", 1))
    moved = str(_result(tmp_path, first).story_id)
    assert moved != first  # the id is still the story's that the copy is in
    assert [a.job_id for a in _story(tmp_path, first).articles] == [copy]
    runner.run(_payload(_copy_of(original), "b.txt", 1))
    assert not (tmp_path / "results/stories" / f"{first}.json").exists()
    assert (tmp_path / "results/stories" / f"{moved}.json").is_file()
    forgotten = [t for t in _told(redis_client) if t["event"] == "forgotten"]
    assert [(t["job_id"], t["story_id"], t["articles"]) for t in forgotten] == [
        (first, first, "1"), (copy, first, "0"),
    ]  # fmt: skip
    assert forgotten[-1]["story"] == ""


def test_story_records_lost_to_a_fault_are_made_on_the_retry(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Redis away during the story records of a revision: the revision is not published
    (the old result stays); the retry rebuilds both stories, announces each change once,
    with the story the article left before, and publishes the revision."""
    runner, pipeline = _runner(redis_client, tmp_path, FlakyTracker)
    original = _text(4)
    first = runner.run(_payload(original, "a.txt")).job_id
    copy = str(runner.run(_payload(_copy_of(original), "b.txt")).job_id)
    pipeline.changed[(copy, 1)] = _text(10)
    with pytest.raises(Retry):
        runner.run(_payload(_copy_of(original), "b.txt", 1))
    assert _result(tmp_path, copy).revision == 0  # not published: stories come first
    assert sorted(a.job_id for a in _story(tmp_path, str(first)).articles) == sorted(
        [first, copy]
    )  # not rebuilt yet
    assert runner.run(_payload(_copy_of(original), "b.txt", 1), retries=1).kind == "revised"
    assert _result(tmp_path, copy).revision == 1
    assert [a.job_id for a in _story(tmp_path, str(first)).articles] == [first]
    events = [(t["event"], t["job_id"]) for t in _told(redis_client)[2:]]
    assert events == [("forgotten", copy), ("revised", copy)]
