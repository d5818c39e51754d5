"""examples/stream_consumer.py against a real redis-server: crash, resume, claim, revisions.

Entries are written to the results and stories streams with the fields the worker uses, the
JSON built with the schema models. The example is loaded by path (it is not a package).
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis

from newswire.redis_server import RedisServer, free_port
from newswire_shared.schemas import (
    EnrichedArticle,
    MediaType,
    PipelineInfo,
    Source,
    Story,
    StoryArticle,
)

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "stream_consumer.py"
RESULTS = "newswire:results"
STORIES = "newswire:stories"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stream_consumer", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


sc = _load_example()


class SimulatedCrashError(Exception):
    """Stands for the consumer process dying between its commit and its XACK."""


def _job(n: int) -> str:
    return f"{n:016x}"


def result_json(n: int, title: str, story_id: str | None = None, revision: int = 0) -> str:
    """A valid EnrichedArticle JSON for job `n`; `story_id` as the story step adds it."""
    article = EnrichedArticle(
        job_id=_job(n),
        source=Source(
            filename=f"a{n}.txt",
            size=100,
            sha256=f"{n:064x}",
            received_at=NOW,
            media_type=MediaType.TEXT,
        ),
        title=title,
        text=f"Body of article {n}.",
        publisher=f"Outlet {n}",
        pipeline=PipelineInfo(newswire_version="test"),
        enriched_at=NOW,
        revision=revision,
    )
    if story_id is None:
        return article.model_dump_json()
    record = article.model_dump(mode="json")
    record["story_id"] = story_id
    return json.dumps(record)


def story_json(story_id: str, members: list[int], absorbed: tuple[str, ...] = ()) -> str:
    """A valid Story JSON with articles `members`."""
    return Story(
        story_id=story_id,
        absorbed=list(absorbed),
        articles=[StoryArticle(job_id=_job(n), title=f"t{n}") for n in members],
        first_seen=NOW,
        last_seen=NOW,
    ).model_dump_json()


def add_result(
    client: redis.Redis, n: int, title: str, revision: int | None = None
) -> tuple[str, str]:
    """XADD a results entry as the worker does (``revision`` only on re-enrichment)."""
    fields = {"job_id": _job(n), "result": result_json(n, title, revision=revision or 0)}
    if revision is not None:
        fields["revision"] = str(revision)
    return RESULTS, str(client.xadd(RESULTS, fields))  # type: ignore[arg-type]


def add_story(
    client: redis.Redis,
    story: int,
    job: int,
    event: str,
    members: list[int],
    absorbed: tuple[int, ...] = (),
) -> tuple[str, str]:
    """XADD a stories entry: story `story`, caused by article `job`."""
    gone = tuple(_job(a) for a in absorbed)
    fields = {
        "story_id": _job(story),
        "job_id": _job(job),
        "event": event,
        "articles": str(len(members)),
        "absorbed": " ".join(gone),
        "story": story_json(_job(story), members, gone) if members else "",
    }
    return STORIES, str(client.xadd(STORIES, fields))  # type: ignore[arg-type]


@pytest.fixture
def client(redis_server: RedisServer) -> redis.Redis:
    """A decoding client as the example makes it."""
    return sc.connect(redis_server.url, 1000)  # type: ignore[no-any-return]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """The example's SQLite sink in a temporary file."""
    conn = sc.open_db(str(tmp_path / "out.sqlite"))
    yield conn
    conn.close()


def consumer(client: redis.Redis, db: sqlite3.Connection, name: str, **kw: Any) -> Any:
    """A StreamConsumer of group 'analytics' with small batches."""
    hook = kw.pop("after_commit", None)
    config = sc.Config(group="analytics", consumer=name, batch=2, **kw)
    return sc.StreamConsumer(client, db, config, after_commit=hook)


def pending(client: redis.Redis) -> int:
    """Entries delivered to the group and not acknowledged, over both streams."""
    return sum(int(client.xpending(s, "analytics")["pending"]) for s in (RESULTS, STORIES))


def articles(db: sqlite3.Connection) -> dict[str, tuple[str, str | None, int]]:
    """job id -> (title, story id, revision)."""
    rows = db.execute("SELECT job_id, title, story_id, revision FROM articles").fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_crash_between_commit_and_ack_resumes_without_loss_or_duplicates(
    client: redis.Redis, db: sqlite3.Connection
) -> None:
    """A crash after the commit leaves the batch pending; the restart re-reads it first, and
    every entry ends stored once: revisions replace, merged stories redirect, nothing pending."""
    written = [
        add_result(client, 1, "One"),
        add_result(client, 2, "Two"),
        add_result(client, 3, "Three"),
        add_story(client, 1, 1, "article", [1]),
        add_story(client, 1, 2, "article", [1, 2]),
        add_story(client, 3, 3, "article", [3]),
        add_result(client, 4, "Four"),
        add_story(client, 1, 4, "merged", [1, 2, 3, 4], absorbed=(3,)),
        add_result(client, 2, "Two, corrected", revision=1),
        add_story(client, 1, 2, "revised", [1, 2, 3, 4]),
    ]
    committed: list[list[tuple[str, str]]] = []

    def record(entries: list[Any]) -> None:
        committed.append([(e.stream, e.entry_id) for e in entries])

    def crash_on_second_batch(entries: list[Any]) -> None:
        record(entries)
        if len(committed) == 2:
            raise SimulatedCrashError

    first = consumer(client, db, "host-1", after_commit=crash_on_second_batch)
    with pytest.raises(SimulatedCrashError):
        first.run(once=True)
    crashed = set(committed[1])
    assert pending(client) == len(crashed) > 0

    second = consumer(client, db, "host-1", after_commit=record)
    counts = second.run(once=True)

    assert counts.reread == len(crashed)
    handled = [entry for batch in committed for entry in batch]
    assert sorted(set(handled)) == sorted(written)
    again = {e for e in handled if handled.count(e) > 1}
    assert again == crashed  # only the crashed batch was handled twice
    assert articles(db) == {
        _job(1): ("One", _job(1), 0),
        _job(2): ("Two, corrected", _job(1), 1),
        _job(3): ("Three", _job(1), 0),
        _job(4): ("Four", _job(1), 0),
    }
    stories = db.execute("SELECT story_id, articles FROM stories").fetchall()
    assert stories == [(_job(1), 4)]
    assert db.execute("SELECT story_id, survivor FROM absorbed").fetchall() == [(_job(3), _job(1))]
    assert pending(client) == 0


def test_entries_of_a_dead_consumer_are_claimed_and_trimmed_ones_acknowledged(
    client: redis.Redis, db: sqlite3.Connection
) -> None:
    """Entries read by a consumer that died are taken over with XAUTOCLAIM and stored; one
    deleted from the stream meanwhile is acknowledged without being stored."""
    for n in range(1, 6):
        add_result(client, n, f"Article {n}")
    add_story(client, 1, 1, "article", [1, 2, 3, 4, 5])
    client.xgroup_create(RESULTS, "analytics", id="0")
    client.xgroup_create(STORIES, "analytics", id="0")
    taken = sc._entries(client.xreadgroup("analytics", "dead-host", {RESULTS: ">", STORIES: ">"}))
    assert len(taken) == 6
    client.xdel(RESULTS, next(e.entry_id for e in taken if e.fields.get("job_id") == _job(5)))

    counts = consumer(client, db, "live-host", claim_idle_ms=0).run(once=True)

    # Redis 6.2 claims the deleted entry and the consumer acknowledges it ('gone'); Redis 7
    # drops it from the pending list itself: either way five entries are claimed and stored.
    assert counts.claimed - counts.gone == 5
    assert counts.handled == 5
    assert sorted(articles(db)) == [_job(n) for n in range(1, 5)]
    assert {story for _, story, _ in articles(db).values()} == {_job(1)}
    assert pending(client) == 0


def test_a_story_entry_claimed_late_does_not_undo_a_newer_one(
    client: redis.Redis, db: sqlite3.Connection
) -> None:
    """A dead consumer's old story entry, taken over after the newer one was stored, leaves
    the newer record in place (and is acknowledged)."""
    add_story(client, 1, 1, "article", [1])
    client.xgroup_create(STORIES, "analytics", id="0")
    client.xgroup_create(RESULTS, "analytics", id="0", mkstream=True)
    assert len(sc._entries(client.xreadgroup("analytics", "dead-host", {STORIES: ">"}))) == 1
    add_result(client, 1, "One")
    add_result(client, 2, "Two")
    add_story(client, 1, 2, "article", [1, 2])
    consumer(client, db, "live-host", claim_idle_ms=3_600_000).run(once=True)
    assert pending(client) == 1  # the dead consumer's entry, not idle long enough yet

    counts = consumer(client, db, "live-host", claim_idle_ms=0).run(once=True)

    assert counts.claimed == 1
    assert db.execute("SELECT story_id, articles FROM stories").fetchall() == [(_job(1), 2)]
    assert {story for _, story, _ in articles(db).values()} == {_job(1)}
    assert pending(client) == 0


def test_a_late_older_revision_does_not_replace_a_newer_one(
    client: redis.Redis, db: sqlite3.Connection
) -> None:
    """Revision 2 replaces the original; revision 1 arriving after it is stored nowhere."""
    add_result(client, 7, "Original")
    add_result(client, 7, "Second revision", revision=2)
    add_result(client, 7, "First revision", revision=1)

    consumer(client, db, "host-1").run(once=True)

    assert articles(db) == {_job(7): ("Second revision", None, 2)}
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (1,)
    assert pending(client) == 0


def test_forgotten_article_leaves_its_story_and_late_events_follow_the_survivor(
    client: redis.Redis, db: sqlite3.Connection
) -> None:
    """A story whose only article is forgotten disappears; the article's re-enriched revision
    joins another story; an entry about a story merged away lands on its survivor."""
    add_result(client, 1, "A")
    add_result(client, 2, "B")
    add_story(client, 1, 1, "article", [1])
    add_story(client, 2, 2, "article", [2])
    add_story(client, 1, 1, "forgotten", [])
    add_story(client, 2, 1, "merged", [1, 2], absorbed=(1,))
    client.xadd(RESULTS, {"job_id": _job(1), "result": result_json(1, "A2", _job(1), 1),
                          "revision": "1"})  # fmt: skip
    add_story(client, 1, 1, "article", [1])  # a worker's late entry about absorbed story 1

    consumer(client, db, "host-1").run(once=True)

    assert articles(db) == {_job(1): ("A2", _job(2), 1), _job(2): ("B", _job(2), 0)}
    assert db.execute("SELECT story_id, articles FROM stories").fetchall() == [(_job(2), 2)]
    assert pending(client) == 0


def test_command_line_once_stores_skips_bad_entries_and_exits(
    redis_server: RedisServer, client: redis.Redis, tmp_path: Path
) -> None:
    """`python examples/stream_consumer.py ... --once` stores the entries, logs and
    acknowledges an unreadable one, and exits 0; a second run finds nothing new."""
    add_result(client, 1, "One")
    client.xadd(RESULTS, {"job_id": _job(9), "result": "not json"})
    add_story(client, 1, 1, "article", [1])
    command = [sys.executable, str(EXAMPLE), "--redis-url", redis_server.url, "--db",
               str(tmp_path / "cli.sqlite"), "--group", "analytics", "--consumer", "cron",
               "--once"]  # fmt: skip

    done = subprocess.run(command, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert "skipping newswire:results entry" in done.stderr
    assert "Traceback" not in done.stderr
    assert pending(client) == 0
    with sqlite3.connect(tmp_path / "cli.sqlite") as conn:
        assert articles(conn) == {_job(1): ("One", _job(1), 0)}
    again = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "handled 0 entries" in again.stderr


def test_command_line_gives_up_on_unreachable_redis_with_one_line(tmp_path: Path) -> None:
    """With nothing listening, --once retries with a log line, then exits 1 without a
    traceback."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    db_file = str(tmp_path / "x.sqlite")
    command = [sys.executable, str(EXAMPLE), "--redis-url", url, "--db", db_file,
               "--consumer", "c", "--once", "--max-retries", "1"]  # fmt: skip

    done = subprocess.run(command, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert "Redis unreachable" in done.stderr
    assert "retrying in 0.5 s" in done.stderr
    assert "giving up" in done.stderr
    assert "Traceback" not in done.stderr


def test_entry_without_the_record_keeps_the_stored_story(
    client: redis.Redis, db: sqlite3.Connection
) -> None:
    """An entry that does not carry the record (a very large story, or one being rebuilt by
    another worker) moves the article into the story and updates the count, keeping the
    stored record."""
    add_result(client, 1, "A")
    add_result(client, 2, "B")
    add_story(client, 1, 1, "article", [1])
    client.xadd(STORIES, {"story_id": _job(1), "job_id": _job(2), "event": "article",
                          "articles": "2", "absorbed": "", "story": ""})  # fmt: skip

    consumer(client, db, "host-1").run(once=True)

    assert articles(db) == {_job(1): ("A", _job(1), 0), _job(2): ("B", _job(1), 0)}
    (row,) = db.execute("SELECT story_id, articles, json FROM stories").fetchall()
    assert row[:2] == (_job(1), 2) and json.loads(row[2])["story_id"] == _job(1)
    assert pending(client) == 0
