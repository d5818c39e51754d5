"""``newswire reprocess``: choosing jobs from done/, the results folder and the name index, and
queueing their next revisions (real Redis; messages captured, or read from the broker list)."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from newswire.cli import cli
from newswire.redis_server import RedisServer
from newswire.reprocess import (
    Line,
    Reprocessor,
    SelectionError,
    check_job_ids,
    is_numbered_copy,
    summary,
)
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import ENRICH_TASK, RedisKeys
from newswire_shared.name_index import record_names
from newswire_shared.schemas import ArticleJob, EnrichedArticle, MediaType, PipelineInfo

KEYS = RedisKeys("newswire")
RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _drop_done(inbox: Path, name: str, text: str) -> ArticleJob:
    """Put `name` in done/ as ingest leaves it; return its job (received at RECEIVED)."""
    path = inbox / "done" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    below = name if "/" in name else None
    job = job_from_bytes(text.encode(), Path(name).name, MediaType.TEXT, path=below)
    return job.model_copy(
        update={"source": job.source.model_copy(update={"received_at": RECEIVED})}
    )


def _publish(
    client: redis.Redis, results: Path, job: ArticleJob, revision: int = 0, *, file: bool = True
) -> None:
    """What a worker leaves of a published job: the marker, the job state, the result file."""
    client.set(KEYS.published(job.job_id), "1")
    client.hset(KEYS.job(job.job_id), mapping={"state": "done", "revision": revision})
    if file:
        result = EnrichedArticle(
            job_id=job.job_id, source=job.source, text=job.text, revision=revision,
            pipeline=PipelineInfo(newswire_version="old"), enriched_at=RECEIVED,
        )  # fmt: skip
        results.mkdir(exist_ok=True)
        (results / f"{job.job_id}.json").write_text(result.model_dump_json(), encoding="utf-8")


def _tool(client: redis.Redis, tmp_path: Path) -> Reprocessor:
    return Reprocessor(client, KEYS, tmp_path / "inbox/done", tmp_path / "results", 1_000_000)


def _by_status(lines: list[Line]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in lines:
        out.setdefault(line.status, []).append(line.name)
    return out


def test_all_queues_every_published_original_with_its_next_revision(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """--all: each file of done/ (sub-folders too) with a published result is queued as the
    job ingest sent (same id, text and source, received time kept) with revision = the
    previous one + 1; a file never published is reported, not queued."""
    inbox, results = tmp_path / "inbox", tmp_path / "results"
    first = _drop_done(inbox, "a.txt", "First article.")
    second = _drop_done(inbox, "agency/b.txt", "Second article.")
    _drop_done(inbox, "c.txt", "Never published.")
    _publish(redis_client, results, first)
    _publish(redis_client, results, second, revision=2)
    tool = _tool(redis_client, tmp_path)
    lines = tool.select(everything=True)
    assert [(x.name, x.status, x.revision) for x in lines] == [
        ("a.txt", "queued", 1), ("agency/b.txt", "queued", 3), ("c.txt", "unpublished", 0),
    ]  # fmt: skip
    sent: list[ArticleJob] = []
    done = list(tool.queue(lines, sent.append))
    assert [x.revision for x in done if x.status == "queued"] == [1, 3]
    assert [(j.job_id, j.revision) for j in sent] == [(first.job_id, 1), (second.job_id, 3)]
    assert sent[0].text == first.text
    assert sent[1].source == second.source  # path, name and time received as in the result
    assert sent[1].source.path == "agency/b.txt"
    assert redis_client.hget(KEYS.job(first.job_id), "revision_queued") == b"1"


def test_two_runs_never_hand_out_the_same_revision(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Two runs chosen before either queued (both see revision 0 published) queue revisions
    1 and 2: the number is handed out in Redis, not taken from what was read."""
    job = _drop_done(tmp_path / "inbox", "a.txt", "An article.")
    _publish(redis_client, tmp_path / "results", job)
    one, two = _tool(redis_client, tmp_path), _tool(redis_client, tmp_path)
    lines_one, lines_two = one.select([job.job_id]), two.select([job.job_id])
    assert lines_one[0].revision == lines_two[0].revision == 1
    sent: list[ArticleJob] = []
    list(one.queue(lines_one, sent.append))
    list(two.queue(lines_two, sent.append))
    assert [j.revision for j in sent] == [1, 2]
    assert _tool(redis_client, tmp_path).select([job.job_id])[0].revision == 3


def test_missing_and_changed_originals_are_reported(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """By job id: an original found under its numbered name ('x (2).txt') is queued; one gone
    from done/ is 'missing'; one whose file in done/ now holds other bytes is 'changed'."""
    inbox, results = tmp_path / "inbox", tmp_path / "results"
    kept = _drop_done(inbox, "x.txt", "The first x.")
    renamed = _drop_done(inbox, "x (2).txt", "The second x.")
    renamed = renamed.model_copy(
        update={"source": renamed.source.model_copy(update={"filename": "x.txt"})}
    )
    gone = _drop_done(inbox, "gone.txt", "Gone.")
    (inbox / "done/gone.txt").unlink()
    edited = _drop_done(inbox, "edited.txt", "Before the edit.")
    (inbox / "done/edited.txt").write_text("After the edit.", encoding="utf-8")
    for job in (kept, renamed, gone, edited):
        _publish(redis_client, results, job)
    ids = [kept.job_id, renamed.job_id, gone.job_id, edited.job_id]
    lines = _tool(redis_client, tmp_path).select(ids)
    assert _by_status(lines) == {
        "changed": ["edited.txt"], "missing": ["gone.txt"], "queued": ["x.txt", "x.txt"],
    }  # fmt: skip
    found = {x.job_id: x.original.name for x in lines if x.original is not None}
    assert found == {kept.job_id: "x.txt", renamed.job_id: "x (2).txt"}


def test_name_pattern_uses_the_name_index_and_the_files_in_done(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """--name: a pattern finds the files of done/ matching it and the jobs the name index
    holds for matching names (an edited file dropped twice: both contents, the second under
    its numbered name in done/); other names are left alone."""
    inbox, results = tmp_path / "inbox", tmp_path / "results"
    v1 = _drop_done(inbox, "agency/story.html", "<p>Version one.</p>")
    v2 = _drop_done(inbox, "agency/story (2).html", "<p>Version two.</p>")
    v2 = v2.model_copy(
        update={"source": v2.source.model_copy(update={"path": "agency/story.html"})}
    )
    other = _drop_done(inbox, "note.txt", "A note.")
    for job in (v1, v2, other):
        _publish(redis_client, results, job)
    record_names(redis_client, KEYS, [v1, v2], 1.0)
    tool = _tool(redis_client, tmp_path)
    assert {x.job_id for x in tool.select(name="*.html")} == {v1.job_id, v2.job_id}
    exact = tool.select(name="agency/story.html")
    assert sorted(x.job_id for x in exact) == sorted([v1.job_id, v2.job_id])
    assert all(x.status == "queued" for x in exact)
    assert [x.job_id for x in tool.select(name="note.txt")] == [other.job_id]
    assert tool.select(name="nothing*") == []


def test_original_changed_after_selection_is_not_sent(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The original is read again when queued: bytes changed since the selection are
    reported 'changed' and nothing is sent or handed out."""
    job = _drop_done(tmp_path / "inbox", "a.txt", "An article.")
    _publish(redis_client, tmp_path / "results", job)
    tool = _tool(redis_client, tmp_path)
    lines = tool.select([job.job_id])
    (tmp_path / "inbox/done/a.txt").write_text("Edited meanwhile.", encoding="utf-8")
    sent: list[ArticleJob] = []
    assert [x.status for x in tool.queue(lines, sent.append)] == ["changed"]
    assert sent == []
    assert redis_client.hget(KEYS.job(job.job_id), "revision_queued") is None


def test_job_ids_are_checked() -> None:
    """Job ids are 16 hex digits (a result file name is accepted); anything else is refused."""
    assert check_job_ids(["0123456789ABCDEF", "0123456789abcdef.json"]) == ["0123456789abcdef"]
    with pytest.raises(SelectionError):
        check_job_ids(["a.txt"])


@pytest.mark.parametrize(
    ("candidate", "name", "same"),
    [
        ("x.txt", "x.txt", True),
        ("x (2).txt", "x.txt", True),
        ("x (12).txt", "x.txt", True),
        ("x (2)", "x", True),
        ("x (a).txt", "x.txt", False),
        ("y (2).txt", "x.txt", False),
        ("x (2).md", "x.txt", False),
    ],
)
def test_numbered_copies(candidate: str, name: str, same: bool) -> None:
    """The names ingest gives a file whose name is taken in done/ count as that name."""
    assert is_numbered_copy(candidate, name) is same


def test_summary_counts_each_status() -> None:
    """The summary line counts queued lines and names the others that occurred."""
    lines = [Line("a" * 16, "a", "queued", 1), Line("b" * 16, "b", "missing")]
    assert summary(lines) == "reprocess: 1 queued, 1 missing"
    assert summary(lines[1:], dry_run=True) == "reprocess: 0 would be queued, 1 missing"


def _cli(redis_server: RedisServer, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env["REDIS_URL"] = redis_server.url
    result = CliRunner(env=env).invoke(
        cli,
        ["reprocess", "--inbox", str(tmp_path / "inbox"), "--results", str(tmp_path / "results"),
         "--data", str(tmp_path / "data"), *args],
    )  # fmt: skip
    return result.exit_code, result.output


def test_command_queues_on_the_enrichment_queue(
    redis_server: RedisServer, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """`newswire reprocess --dry-run` lists and sends nothing; without it the job's message
    (the enrichment task, the job's JSON with its revision) is in the workers' queue."""
    job = _drop_done(tmp_path / "inbox", "a.txt", "An article.")
    _publish(redis_client, tmp_path / "results", job)
    code, out = _cli(redis_server, tmp_path, "--dry-run", job.job_id)
    assert code == 0, out
    assert f"would queue  {job.job_id}  revision 1  a.txt" in out
    assert redis_client.llen("newswire.enrich") == 0
    code, out = _cli(redis_server, tmp_path, job.job_id)
    assert code == 0, out
    assert out.splitlines()[-1] == "reprocess: 1 queued"
    (raw,) = redis_client.lrange("newswire.enrich", 0, -1)
    message = json.loads(raw)
    assert message["headers"]["task"] == ENRICH_TASK
    assert message["headers"]["id"] == f"{job.job_id}-r1"
    (payload,), _, _ = json.loads(base64.b64decode(message["body"]))  # args, kwargs, embed
    assert ArticleJob.model_validate(payload).revision == 1


def test_command_exits_1_when_nothing_is_queued(
    redis_server: RedisServer, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Nothing to queue (only a missing original) is exit status 1 with the reason; no
    selection at all is a usage error."""
    (tmp_path / "inbox/done").mkdir(parents=True)
    job = _drop_done(tmp_path / "inbox", "a.txt", "An article.")
    _publish(redis_client, tmp_path / "results", job)
    (tmp_path / "inbox/done/a.txt").unlink()
    code, out = _cli(redis_server, tmp_path, job.job_id)
    assert code == 1
    assert "missing" in out and "no original in done/" in out
    code, out = _cli(redis_server, tmp_path)
    assert code == 2
    assert "--all" in out
