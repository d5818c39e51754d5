"""The inbox folders: junk filtering, collision-free moves, failure records, stability."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire_ingest.inbox import Inbox, free_name, is_accepted, is_junk
from newswire_ingest.stability import StabilityTracker
from newswire_shared.schemas import FailureRecord


@pytest.mark.parametrize(
    "name",
    [".DS_Store", "._article.txt", "Thumbs.db", "report.txt.part", "a.tmp", "b.crdownload",
     "~$draft.txt", "x.txt.error.json", ".hidden.html", "desktop.ini"],
)  # fmt: skip
def test_junk_names_are_ignored(name: str) -> None:
    """Files no person meant to drop are junk."""
    assert is_junk(Path(name))


@pytest.mark.parametrize("name", ["article.txt", "story.HTML", "feed.json", "notes.md", "a.htm"])
def test_article_names_are_accepted_and_not_junk(name: str) -> None:
    """Ordinary article files are neither junk nor refused."""
    assert not is_junk(Path(name))
    assert is_accepted(Path(name))


def test_pdf_is_not_accepted() -> None:
    """A suffix the pipeline cannot read is not accepted (ingest fails it with a reason)."""
    assert not is_accepted(Path("scan.pdf"))


def test_move_never_overwrites(tmp_path: Path) -> None:
    """A second file of the same name lands beside the first, numbered."""
    inbox = Inbox(tmp_path)
    inbox.create()
    for content in ("one", "two", "three"):
        path = tmp_path / "a.txt"
        path.write_text(content)
        inbox.move(path, inbox.done)
    assert sorted(p.name for p in inbox.done.iterdir()) == ["a (2).txt", "a (3).txt", "a.txt"]
    assert (inbox.done / "a (3).txt").read_text() == "three"
    assert free_name(inbox.done, "a (2).txt").name == "a (4).txt"


def test_fail_writes_error_record_beside_file(tmp_path: Path) -> None:
    """A failed file gets `<name>.error.json` that parses back into the record."""
    inbox = Inbox(tmp_path)
    inbox.create()
    path = tmp_path / "bad.txt"
    path.write_text("x")
    record = FailureRecord(
        filename="bad.txt", stage="ingest", error="Empty", reason="the file is empty",
        failed_at=datetime.now(UTC),
    )  # fmt: skip
    moved = inbox.fail(path, record)
    assert moved == inbox.failed / "bad.txt"
    saved = FailureRecord.model_validate_json((inbox.failed / "bad.txt.error.json").read_text())
    assert saved == record


def test_candidates_lists_top_level_files_only(tmp_path: Path) -> None:
    """Sub-folders (processing/, done/, ...) and junk are not candidates."""
    inbox = Inbox(tmp_path)
    inbox.create()
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".DS_Store").write_text("x")
    (inbox.done / "b.txt").write_text("b")
    assert inbox.candidates() == [tmp_path / "a.txt"]


def test_file_is_ready_only_after_quiet_period(tmp_path: Path) -> None:
    """A growing file is not ready; once unchanged for the quiet period, it is."""
    tracker = StabilityTracker(quiet_seconds=2.0)
    path = tmp_path / "a.txt"
    path.write_text("first")
    tracker.observe(path, now=0.0)
    assert tracker.ready(now=1.0) == []
    with path.open("a") as fh:
        fh.write(" more")
    os.utime(path, ns=(0, 10**9 * 5))
    tracker.observe(path, now=1.5)
    assert tracker.ready(now=3.0) == []
    assert tracker.ready(now=3.6) == [path]


def test_vanished_file_is_forgotten(tmp_path: Path) -> None:
    """A file deleted before it settled is dropped, not reported ready."""
    tracker = StabilityTracker(quiet_seconds=0.1)
    path = tmp_path / "a.txt"
    path.write_text("x")
    tracker.observe(path, now=0.0)
    path.unlink()
    assert tracker.ready(now=1.0) == []
    assert len(tracker) == 0
