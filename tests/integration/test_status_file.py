"""`newswire status --file`, `newswire stories`, `newswire story` against a real Redis (issue 12).

The name index is written by the real ingest service; the story index keys are written here
as the story index writes them (``{p}:stories:recent`` and ``size`` zsets, ``story:{id}`` and
``art:{job}`` hashes, ``absorbed:{id}`` strings), with story files built from the schema.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result

from newswire._story_store import StoryStore
from newswire.cli import cli
from newswire.lookup import find_jobs
from newswire.redis_server import RedisServer
from newswire_shared.keys import RedisKeys
from newswire_shared.name_index import record_names
from newswire_shared.schemas import ArticleJob, MediaType, Source, Story, StoryArticle
from tests.conftest import SEEDS, Services, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()
T0 = datetime(2025, 7, 14, 8, 0, tzinfo=UTC)


def run_cli(redis_url: str, *args: str) -> Result:
    """Run `newswire ARGS` in-process with the pipeline's Redis in REDIS_URL."""
    env = {"REDIS_URL": redis_url, "NEWSWIRE_REDIS_URL": None, "NEWSWIRE_RESULTS_DIR": None}
    return CliRunner().invoke(cli, list(args), env=env)


def _job(name: str, job_id: str) -> ArticleJob:
    folder, _, base = name.rpartition("/")
    source = Source(
        filename=base, path=name if folder else None, size=1, sha256="0" * 64,
        received_at=T0, media_type=MediaType.TEXT,
    )  # fmt: skip
    return ArticleJob(job_id=job_id, source=source, text="x")


def _jid(n: int) -> str:
    return f"{n:016x}"


def test_status_file_follows_a_dropped_file_from_queued_to_done(services: Services) -> None:
    """Ingest records each queued file's name: `status --file` finds a file by its path, its
    bare name or a pattern, queued before a worker runs and done (result, story) after; a
    copy under another name shares the job; a worker failure and an ingest refusal say why."""
    url = services.redis_url
    services.start_ingest(NEWSWIRE_RECURSIVE="true")
    (services.inbox / "agency").mkdir()
    body = (SEEDS / "000_8d2d9b48609b0421.txt").read_text(encoding="utf-8")
    (services.inbox / "agency" / "wire.txt").write_text(body, encoding="utf-8")
    (services.inbox / "odd.json").write_text('{"numbers": [1, 2, 3]}', encoding="utf-8")
    (services.inbox / "empty.txt").write_bytes(b"")
    client = redis.Redis.from_url(url)
    wait_until(lambda: client.hlen(KEYS.names) == 2, 30, what="2 names indexed")
    (services.inbox / "copy.txt").write_text(body, encoding="utf-8")  # joins wire.txt's job
    wait_until(lambda: client.hlen(KEYS.names) == 3, 30, what="copy indexed")

    queued = run_cli(url, "status", "--file", "wire.txt", "--json")  # bare name, in agency/
    assert queued.exit_code == 0, queued.output
    [wire] = json.loads(queued.stdout)
    assert (wire["name"], wire["state"], wire["result"]) == ("agency/wire.txt", "queued", None)
    job_id = wire["job_id"]

    services.start_worker()
    done = services.inbox / "done"
    wait_until(lambda: (done / "agency" / "wire.txt").exists(), 90, what="wire.txt done")
    wait_until(lambda: (services.inbox / "failed" / "odd.json").exists(), 60, what="odd failed")

    results = services.results
    out = run_cli(url, "status", "--file", "agency/*", "--results", str(results), "--json")
    assert out.exit_code == 0, out.output
    [report] = json.loads(out.stdout)
    assert (report["job_id"], report["state"]) == (job_id, "done")
    assert report["result"] == str(results / f"{job_id}.json") and report["result_exists"]
    story_id = json.loads((results / f"{job_id}.json").read_text())["story_id"]
    assert story_id is not None
    assert report["story_id"] == story_id

    copy = json.loads(run_cli(url, "status", "--file", "copy.txt", "--json").stdout)
    assert [(c["name"], c["job_id"]) for c in copy] == [("copy.txt", job_id)]

    text = run_cli(url, "status", "--file", "*.json", "--results", str(results)).stdout
    [line] = text.splitlines()
    assert line.split()[0] == "odd.json" and " failed " in line and "json" in line.lower()

    refused = run_cli(url, "status", "--file", "empty.txt").stdout
    assert refused.split()[:3] == ["empty.txt", "-", "failed"]
    assert "refused by ingest: EmptyFile: the file is empty" in refused

    missing = run_cli(url, "status", "--file", "nothing-*.txt")
    assert missing.exit_code == 1
    assert missing.stderr == (
        "newswire: no file 'nothing-*.txt' was queued or refused (see 'newswire status --help')\n"
    )

    via_job = run_cli(url, "story", job_id, "--results", str(results))
    assert via_job.exit_code == 0, via_job.output
    assert via_job.stdout.startswith(f"Story {story_id}: 1 article")
    assert f"[{job_id}]" in via_job.stdout
    listed = json.loads(run_cli(url, "stories", "--json", "--results", str(results)).stdout)
    assert [s["story_id"] for s in listed] == [story_id]


def test_name_index_keeps_the_newest_jobs_of_a_name_and_trims_the_oldest_names(
    redis_client: redis.Redis,
) -> None:
    """Per name, job ids newest last (a job queued again moves to the end, the oldest beyond
    the limit go); beyond the names kept, the least recently queued names are removed."""
    for n, (name, job) in enumerate([("a.txt", 1), ("a.txt", 2), ("a.txt", 1), ("a.txt", 3)]):
        record_names(redis_client, KEYS, [_job(name, _jid(job))], 100.0 + n, per_name=2)
    assert redis_client.hget(KEYS.names, "a.txt") == f"{_jid(1)} {_jid(3)}".encode()

    pipe = redis_client.pipeline()
    record_names(pipe, KEYS, [_job("b.txt", _jid(4)), _job("sub/c.txt", _jid(5))], 200.0, kept=3)
    pipe.execute()
    assert redis_client.hlen(KEYS.names) == 3
    record_names(redis_client, KEYS, [_job("d.txt", _jid(6))], 300.0, kept=3)
    record_names(redis_client, KEYS, [_job("a.txt", _jid(7))], 400.0, kept=3)  # touched again
    record_names(redis_client, KEYS, [_job("e.txt", _jid(8))], 500.0, kept=3)
    assert sorted(redis_client.hkeys(KEYS.names)) == [b"a.txt", b"d.txt", b"e.txt"]
    assert redis_client.zcard(KEYS.names_seen) == 3


def test_find_jobs_by_path_bare_name_and_pattern(redis_client: redis.Redis) -> None:
    """A path is one lookup; a bare name finds sub-folder files too; a pattern without '/'
    matches the last part of each name, one with '/' the whole name; states come along."""
    names = ["agency/2024/x.html", "agency/y.html", "x.html", "notes/x.html.txt", "a[1].txt"]
    jobs = [_job(name, _jid(n)) for n, name in enumerate(names)]
    record_names(redis_client, KEYS, jobs, 1.0)
    redis_client.hset(KEYS.job(_jid(0)), mapping={"state": "done"})
    redis_client.hset(KEYS.job(_jid(1)), mapping={"state": "queued", "started_at": "2.0"})
    redis_client.hset(KEYS.job(_jid(2)), mapping={"state": "queued"})

    def found(query: str) -> list[tuple[str, str]]:
        return [(j.name, j.state) for j in find_jobs(redis_client, KEYS, query)]

    assert found("agency/2024/x.html") == [("agency/2024/x.html", "done")]
    assert found("x.html") == [("x.html", "queued")]  # the exact name wins: no scan
    assert found("y.html") == [("agency/y.html", "processing")]
    assert [n for n, _ in found("*.html")] == ["agency/2024/x.html", "agency/y.html", "x.html"]
    assert [n for n, _ in found("agency/*")] == ["agency/2024/x.html", "agency/y.html"]
    assert [n for n, _ in found("x*")] == ["agency/2024/x.html", "notes/x.html.txt", "x.html"]
    assert found("a[1].txt") == []  # a pattern: the character class [1]
    assert found("a[[]1].txt") == [("a[1].txt", "unknown")]
    assert found("missing.txt") == [] and found("agency/missing.txt") == []


# ---- stories with the index --------------------------------------------------------------


def _story(story_id: str, n: int, last: datetime, absorbed: list[str] | None = None) -> Story:
    return Story(
        story_id=story_id,
        absorbed=absorbed or [],
        articles=[
            StoryArticle(job_id=_jid(int(story_id, 16) + k),
                         title=f"{story_id} article {k}", publisher=f"Outlet {k}",
                         received_at=last)
            for k in range(n)
        ],
        first_seen=last - timedelta(hours=1),
        last_seen=last,
    )  # fmt: skip


def _index(client: redis.Redis, results: Path, story: Story, *, size: bool = True) -> None:
    """Write `story` as the workers do: its file and its index entries."""
    folder = results / "stories"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{story.story_id}.json").write_text(story.model_dump_json(indent=2) + "\n")
    t = story.last_seen.timestamp()
    client.zadd(KEYS.stories_recent, {story.story_id: t})
    if size:
        client.zadd(KEYS.stories_size, {story.story_id: len(story.articles)})
    n = len(story.articles)
    client.hset(KEYS.story(story.story_id), mapping={"first": t - 3600, "last": t, "n": n})
    for article in story.articles:
        client.hset(KEYS.story_article(article.job_id), "story", story.story_id)


@pytest.fixture
def indexed(tmp_path: Path, redis_client: redis.Redis) -> Path:
    """A results folder with three live stories in the index and one absorbed chain:
    C0 absorbed F1, which had absorbed F2 (the job F1 still points to its old story)."""
    results = tmp_path / "results"
    _index(redis_client, results, _story(_jid(0xA0), 2, T0))
    _index(redis_client, results, _story(_jid(0xB0), 5, T0 + timedelta(days=1)))
    _index(redis_client, results, _story(_jid(0xC0), 3, T0 + timedelta(days=2), [_jid(0xF1)]))
    redis_client.hset(KEYS.story_article(_jid(0xF1)), "story", _jid(0xF1))
    redis_client.set(KEYS.story_absorbed(_jid(0xF2)), _jid(0xF1))
    redis_client.set(KEYS.story_absorbed(_jid(0xF1)), _jid(0xC0))
    return results


def test_listing_reads_the_index_and_only_the_files_it_shows(
    indexed: Path, redis_client: redis.Redis
) -> None:
    """Recent and largest come from the index's sorted sets; only the files shown are read
    (a broken file further down does no harm); a story whose file is gone is skipped."""
    store = StoryStore(indexed, redis_client, KEYS)
    (indexed / "stories" / f"{_jid(0xA0)}.json").write_text("not a story")  # never opened
    assert [s.story_id for s in store.listing("recent", 2)] == [_jid(0xC0), _jid(0xB0)]
    assert [s.story_id for s in store.listing("largest", 2)] == [_jid(0xB0), _jid(0xC0)]
    redis_client.zadd(KEYS.stories_recent, {_jid(0xD0): (T0 + timedelta(days=3)).timestamp()})
    assert [s.story_id for s in store.listing("recent", 1)] == [_jid(0xC0)]  # D0 has no file


def test_largest_without_the_size_set_uses_each_story_hash(
    indexed: Path, redis_client: redis.Redis
) -> None:
    """Before the ``size`` set exists, the ``n`` of each live story's hash ranks them."""
    redis_client.delete(KEYS.stories_size)
    store = StoryStore(indexed, redis_client, KEYS)
    assert [s.story_id for s in store.listing("largest", 3)] == [
        _jid(x) for x in (0xB0, 0xC0, 0xA0)
    ]


def test_an_empty_index_falls_back_to_the_stories_folder(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    """Redis reachable but without stories (an index expired, another prefix): the files."""
    results = tmp_path / "results"
    (results / "stories").mkdir(parents=True)
    story = _story(_jid(0xE0), 1, T0)
    (results / "stories" / f"{story.story_id}.json").write_text(story.model_dump_json())
    store = StoryStore(results, redis_client, KEYS)
    assert [s.story_id for s in store.listing("largest", 5)] == [_jid(0xE0)]


def test_story_command_follows_absorbed_chains_and_job_ids(
    indexed: Path, redis_server: RedisServer
) -> None:
    """`newswire story` takes a live id, an absorbed id (through the chain) or a job id, says
    on stderr which story it shows; --json prints the stored record; an unknown id is one line
    and exit status 1."""
    redis_url = redis_server.url
    live = run_cli(redis_url, "story", _jid(0xC0), "--results", str(indexed))
    assert live.exit_code == 0 and live.stderr == ""
    assert live.stdout.startswith(f"Story {_jid(0xC0)}: 3 articles, 3 outlets: Outlet 0,")
    assert f"absorbed: {_jid(0xF1)}" in live.stdout

    absorbed = run_cli(redis_url, "story", _jid(0xF2), "--results", str(indexed), "--json")
    assert absorbed.exit_code == 0
    assert absorbed.stderr == f"newswire: story {_jid(0xF2)} was merged into {_jid(0xC0)}\n"
    stored = (indexed / "stories" / f"{_jid(0xC0)}.json").read_text()
    assert absorbed.stdout == stored

    job = _story(_jid(0xB0), 5, T0).articles[3].job_id
    by_job = run_cli(redis_url, "story", job, "--results", str(indexed))
    assert by_job.stderr == f"newswire: job {job} is in story {_jid(0xB0)}\n"
    assert by_job.stdout.startswith(f"Story {_jid(0xB0)}: 5 articles")

    unknown = run_cli(redis_url, "story", "0123456789abcdef", "--results", str(indexed))
    assert unknown.exit_code == 1
    assert unknown.stderr == (
        f"newswire: no story or job '0123456789abcdef' in {indexed / 'stories'} "
        "or the story index\n"
    )

    listed = run_cli(redis_url, "stories", "--largest", "--limit", "2", "--results", str(indexed))
    rows = [line.split()[0] for line in listed.stdout.splitlines()[1:] if line[:1] != " "]
    assert rows == [_jid(0xB0), _jid(0xC0)]


def test_stories_command_without_redis_reads_the_files(indexed: Path, tmp_path: Path) -> None:
    """With the configured Redis away, the stories folder is read, and stderr says so."""
    closed = f"redis://127.0.0.1:{_free_port()}/0"
    out = run_cli(closed, "stories", "--json", "--results", str(indexed))
    assert out.exit_code == 0, out.output
    assert [s["story_id"] for s in json.loads(out.stdout)] == [_jid(x) for x in (0xC0, 0xB0, 0xA0)]
    assert out.stderr.startswith(f"newswire: Redis at {closed} not reachable")
    assert out.stderr.rstrip().endswith(f"reading {indexed / 'stories'}")
    absorbed = run_cli(closed, "story", _jid(0xF1), "--results", str(indexed))
    assert absorbed.exit_code == 0  # the survivor's file names it
    assert absorbed.stderr.endswith(f"newswire: story {_jid(0xF1)} was merged into {_jid(0xC0)}\n")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
