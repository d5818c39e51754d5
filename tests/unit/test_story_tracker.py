"""Stories in the job runner: each result carries its story, records and stream stay exact."""

from __future__ import annotations

import random
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
from newswire_shared.schemas import (
    ArticleJob,
    EnrichedArticle,
    MediaType,
    PipelineInfo,
    Story,
)

KEYS = RedisKeys("t")
_WORDS = (
    "council bridge river mayor budget vote harbour school rail station port tax market "
    "court judge police storm flood election minister hospital union strike farmers"
).split()


def _text(seed: int, n: int = 160) -> str:
    """A text of `n` words of its own (same seed, same text)."""
    rnd = random.Random(seed)
    return " ".join(rnd.choice(_WORDS) + str(rnd.randint(0, 999)) for _ in range(n)) + "."


class EchoPipeline:
    """Enriches by copying the text."""

    def enrich(self, job: ArticleJob) -> EnrichedArticle:
        return EnrichedArticle(
            job_id=job.job_id, source=job.source, title=job.source.filename, text=job.text,
            pipeline=PipelineInfo(newswire_version="test"), enriched_at=datetime.now(UTC),
        )  # fmt: skip


class FlakyTracker(StoryTracker):
    """A tracker whose first story record fails as if Redis went away after publishing."""

    failures = 1

    def record(self, job_id: str, *, merged: bool = False) -> Story | None:
        if self.failures:
            self.failures -= 1
            raise StoryRecordError("Redis went away")
        return super().record(job_id, merged=merged)


def _tracker(
    client: redis.Redis, tmp_path: Path, cls: type[StoryTracker] = StoryTracker
) -> StoryTracker:
    return cls(StoryIndex(client, prefix=KEYS.story_index), KEYS, tmp_path / "results" / "stories")


def _runner(client: redis.Redis, tmp_path: Path, tracker: StoryTracker) -> JobRunner:
    return JobRunner(
        pipeline=EchoPipeline(), publisher=Publisher(client, KEYS, tmp_path / "results"),
        redis=client, keys=KEYS, stories=tracker,
    )  # fmt: skip


def _payload(text: str, name: str) -> dict[str, object]:
    return job_from_bytes(text.encode(), name, MediaType.TEXT).model_dump(mode="json")


def _result(tmp_path: Path, job_id: str) -> EnrichedArticle:
    return EnrichedArticle.model_validate_json(
        (tmp_path / "results" / f"{job_id}.json").read_text()
    )


def _told(client: redis.Redis) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in client.xrange(KEYS.stories)
    ]


def test_repeated_copy_joins_the_story_as_duplicate(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A corrected copy gets duplicate_of and the first article's story; an unrelated article
    founds its own; each story has a record file and each article one stream entry."""
    runner = _runner(redis_client, tmp_path, _tracker(redis_client, tmp_path))
    original = _text(1)
    corrected = original.replace(original.split()[40], "corrected", 1) + " Updated at noon."
    first = runner.run(_payload(original, "wire.txt")).job_id
    copy = runner.run(_payload(corrected, "wire-fixed.txt")).job_id
    other = runner.run(_payload(_text(2), "other.txt")).job_id
    a, b, c = (_result(tmp_path, j) for j in (first, copy, other))
    assert a.story_id == b.story_id == first
    assert a.duplicate_of is None
    assert b.duplicate_of == first and b.similarity is not None and b.similarity > 0.5
    assert c.story_id == other and c.duplicate_of is None
    assert [t.step for t in b.pipeline.timings][-1] == "stories"
    story = Story.model_validate_json((tmp_path / "results/stories" / f"{first}.json").read_text())
    assert [x.job_id for x in story.articles] == [first, copy]
    assert story.articles[1].duplicate_of == first
    assert (tmp_path / "results/stories" / f"{other}.json").is_file()
    told = _told(redis_client)
    assert [(t["job_id"], t["story_id"], t["articles"]) for t in told] == [
        (first, first, "1"), (copy, first, "2"), (other, other, "1"),
    ]  # fmt: skip
    assert Story.model_validate_json(told[1]["story"]).story_id == first


def test_redelivery_keeps_the_assignment_and_announces_once(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The same job delivered again (results file lost meanwhile) is rewritten with the same
    story; the stories stream still has one entry for it."""
    runner = _runner(redis_client, tmp_path, _tracker(redis_client, tmp_path))
    payload = _payload(_text(3), "a.txt")
    job = runner.run(payload).job_id
    before = _result(tmp_path, job)
    (tmp_path / "results" / f"{job}.json").unlink()
    assert runner.run(payload, retries=1).kind == "duplicate"
    after = _result(tmp_path, job)
    assert (after.story_id, after.duplicate_of) == (before.story_id, before.duplicate_of)
    assert [t["job_id"] for t in _told(redis_client)] == [job]


def test_story_record_lost_to_a_fault_is_made_on_the_retry(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Redis going away during the story record asks for a retry before anything is
    published (a published job is never redelivered); the retry records the story, tells
    the stream once and publishes."""
    runner = _runner(redis_client, tmp_path, _tracker(redis_client, tmp_path, FlakyTracker))
    payload = _payload(_text(4), "b.txt")
    with pytest.raises(Retry):
        runner.run(payload)
    job = str(payload["job_id"])
    assert not (tmp_path / "results" / f"{job}.json").exists()
    assert redis_client.xlen(KEYS.results) == 0
    assert runner.run(payload, retries=1).kind == "published"
    assert (tmp_path / "results/stories" / f"{job}.json").is_file()
    assert [t["job_id"] for t in _told(redis_client)] == [job]
    assert redis_client.xlen(KEYS.results) == 1


def test_article_linking_two_stories_merges_them(redis_client: redis.Redis, tmp_path: Path) -> None:
    """An article sharing text with two stories merges them: the earlier story survives and
    names the other as absorbed, whose record file is removed; the stream says 'merged'."""
    runner = _runner(redis_client, tmp_path, _tracker(redis_client, tmp_path))
    left, right = _text(5), _text(6)
    a = runner.run(_payload(left, "left.txt")).job_id
    b = runner.run(_payload(right, "right.txt")).job_id
    assert _result(tmp_path, b).story_id == b
    half = lambda t: " ".join(t.split()[:90])  # noqa: E731
    c = runner.run(_payload(half(left) + " " + half(right), "both.txt")).job_id
    survivor = _result(tmp_path, c).story_id
    absorbed = b if survivor == a else a
    story = Story.model_validate_json(
        (tmp_path / "results/stories" / f"{survivor}.json").read_text()
    )
    assert story.absorbed == [absorbed]
    assert sorted(x.job_id for x in story.articles) == sorted([a, b, c])
    assert not (tmp_path / "results/stories" / f"{absorbed}.json").exists()
    assert _told(redis_client)[-1]["event"] == "merged"


class ConcurrentTracker(StoryTracker):
    """A tracker during whose first rebuild another worker adds a change to the story."""

    builds = 0

    def _build(self, story_id: str) -> Story | None:
        self.builds += 1
        if self.builds == 1:
            self.client.set(f"{self.index.prefix}:story:{story_id}:dirty", "1")
        return super()._build(story_id)


def test_rebuild_is_left_to_the_worker_holding_it(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """While another worker rebuilds a story, an article joining it is announced without the
    record (its count from the index) and marks the story dirty for that worker."""
    tracker = _tracker(redis_client, tmp_path)
    runner = _runner(redis_client, tmp_path, tracker)
    text = _text(7)
    first = runner.run(_payload(text, "a.txt")).job_id
    lock = f"{KEYS.story_index}:story:{first}:building"
    redis_client.set(lock, "another-worker")
    second = runner.run(_payload(text + " Updated.", "b.txt")).job_id
    told = _told(redis_client)[-1]
    assert (told["job_id"], told["story_id"], told["articles"], told["story"]) == (
        second, first, "2", ""
    )  # fmt: skip
    assert redis_client.exists(f"{KEYS.story_index}:story:{first}:dirty")
    on_disk = Story.model_validate_json(
        (tmp_path / "results/stories" / f"{first}.json").read_text()
    )
    assert [a.job_id for a in on_disk.articles] == [first]  # not rebuilt by the second worker
    redis_client.delete(lock)  # that worker is gone: the next change rebuilds everything
    third = runner.run(_payload(text + " Corrected.", "c.txt")).job_id
    on_disk = Story.model_validate_json(
        (tmp_path / "results/stories" / f"{first}.json").read_text()
    )
    assert sorted(a.job_id for a in on_disk.articles) == sorted([first, second, third])
    assert not redis_client.exists(lock)


def test_builder_rebuilds_until_no_change_came_in(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A change arriving during a rebuild makes the builder rebuild once more before it lets
    go of the lock: the last record written is never behind."""
    tracker = _tracker(redis_client, tmp_path, ConcurrentTracker)
    runner = _runner(redis_client, tmp_path, tracker)
    job = runner.run(_payload(_text(8), "a.txt")).job_id
    assert isinstance(tracker, ConcurrentTracker) and tracker.builds == 2
    assert not redis_client.exists(f"{KEYS.story_index}:story:{job}:building")
    assert not redis_client.exists(f"{KEYS.story_index}:story:{job}:dirty")


def test_large_story_is_rebuilt_by_the_sweep_not_by_each_article(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Past the in-step size, an article joining a story schedules its rebuild instead of
    doing it; the sweep rebuilds due stories only, with every member, once per due time."""
    tracker = _tracker(redis_client, tmp_path)
    tracker.sync_rebuild_max, tracker.sweep_delay = 2, 0.0
    runner = _runner(redis_client, tmp_path, tracker)
    text = _text(9)
    jobs = [runner.run(_payload(text + f" Edition {i}.", f"{i}.txt")).job_id for i in range(4)]
    story_file = tmp_path / "results/stories" / f"{jobs[0]}.json"
    on_disk = Story.model_validate_json(story_file.read_text())
    assert len(on_disk.articles) == 2  # in step up to the size, then left to the sweep
    told = _told(redis_client)
    assert [t["articles"] for t in told] == ["1", "2", "3", "4"]
    assert [bool(t["story"]) for t in told] == [True, True, False, False]
    assert tracker.sweep() == 1
    on_disk = Story.model_validate_json(story_file.read_text())
    assert sorted(a.job_id for a in on_disk.articles) == sorted(jobs)
    assert tracker.sweep() == 0  # nothing due any more
    tracker.sweep_delay = 3600.0
    runner.run(_payload(text + " Edition 9.", "9.txt"))
    assert tracker.sweep() == 0  # scheduled, not yet due
