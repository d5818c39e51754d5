"""The inbox folders: junk filtering, collision-free moves, failure records, stability; odd
entries (links, FIFOs, folders), sub-folders, ignore globs, long and non-UTF-8 names."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire_ingest.inbox import Inbox, free_name, is_accepted, is_junk
from newswire_ingest.settings import IngestSettings
from newswire_ingest.stability import StabilityTracker
from newswire_ingest.watch import InboxWatcher
from newswire_shared.errors import NotRegularFileError
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


def _record(name: str) -> FailureRecord:
    return FailureRecord(
        filename=name, stage="ingest", error="Empty", reason="the file is empty",
        failed_at=datetime.now(UTC),
    )  # fmt: skip


def _touch_bytes(folder: Path, name: bytes, data: bytes = b"Words.") -> Path:
    """Create a file whose name is any bytes; return its path as Python sees it."""
    raw = os.fsencode(folder) + b"/" + name
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, data)
    os.close(fd)
    return Path(os.fsdecode(raw))


def test_candidates_include_links_and_fifos_but_not_folders(tmp_path: Path) -> None:
    """Every entry but folders is a candidate (claiming refuses what is not a regular file);
    a link to a folder is a link, not a folder."""
    inbox = Inbox(tmp_path)
    inbox.create()
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "link.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "dirlink").symlink_to(inbox.done)
    os.mkfifo(tmp_path / "x.txt")
    (tmp_path / "d.txt").mkdir()
    names = [p.name for p in inbox.candidates()]
    assert names == ["a.txt", "dirlink", "link.txt", "x.txt"]
    assert inbox.kind(tmp_path / "d.txt") == "folder"
    assert inbox.kind(tmp_path / "dirlink") == "file"
    assert inbox.kind(tmp_path / "missing.txt") == "skip"
    assert inbox.kind(inbox.done) == "skip"


def test_folder_is_logged_once_when_not_recursive(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A sub-folder is left alone with one log line, not one per rescan; its files are not
    taken."""
    caplog.set_level(logging.INFO)
    inbox = Inbox(tmp_path)
    inbox.create()
    (tmp_path / "agency").mkdir()
    (tmp_path / "agency" / "x.txt").write_text("x")
    for _ in range(3):
        assert inbox.candidates() == []
    assert inbox.candidates(tmp_path / "agency") == []
    assert inbox.kind(tmp_path / "agency" / "x.txt") == "skip"
    lines = [r.getMessage() for r in caplog.records if "folder_left_alone" in r.getMessage()]
    assert len(lines) == 1
    assert "agency" in lines[0]


def test_recursive_inbox_walks_sub_folders_but_not_its_own(tmp_path: Path) -> None:
    """Recursive: files of sub-folders are candidates; processing/, done/, failed/, hidden
    and junk folders are not walked, and a link to a folder is not followed."""
    inbox = Inbox(tmp_path, recursive=True)
    inbox.create()
    (tmp_path / "agency" / "2024").mkdir(parents=True)
    (tmp_path / "agency" / "2024" / "x.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "y.txt").write_text("y")
    (inbox.processing / "agency").mkdir()
    (inbox.processing / "agency" / "z.txt").write_text("z")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s")
    (tmp_path / "agency" / "elsewhere").symlink_to(outside)
    found = [p.relative_to(tmp_path).as_posix() for p in inbox.candidates()]
    assert found == ["agency/2024/x.txt", "agency/elsewhere"]
    assert inbox.candidates(tmp_path / "agency" / "2024") == [tmp_path / "agency/2024/x.txt"]
    assert inbox.kind(tmp_path / "agency" / "2024" / "x.txt") == "file"
    assert inbox.kind(inbox.processing / "agency" / "z.txt") == "skip"


@pytest.mark.parametrize(
    ("pattern", "left_alone"),
    [
        ("a*.txt", ["a1.txt", "drafts/a2.txt"]),
        ("drafts/**", ["drafts/a2.txt", "drafts/b.txt"]),
        ("drafts", ["drafts/a2.txt", "drafts/b.txt"]),
        ("drafts/", ["drafts/a2.txt", "drafts/b.txt"]),
        ("*.md", ["notes.md"]),
    ],
)
def test_ignore_patterns_match_names_and_paths(
    tmp_path: Path, pattern: str, left_alone: list[str]
) -> None:
    """Globs match a file's bare name or its path inside the inbox, and whole folders."""
    inbox = Inbox(tmp_path, recursive=True, ignore=[pattern])
    inbox.create()
    every = ["a1.txt", "b1.txt", "notes.md", "drafts/a2.txt", "drafts/b.txt"]
    (tmp_path / "drafts").mkdir()
    for rel in every:
        (tmp_path / rel).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in inbox.candidates()]
    assert found == sorted(set(every) - set(left_alone))
    for rel in left_alone:
        assert inbox.kind(tmp_path / rel) == "skip"


def test_read_keeps_the_path_below_the_inbox(tmp_path: Path) -> None:
    """A file in a sub-folder keeps its path in the job, also once in processing/; a file at
    the top level has none."""
    inbox = Inbox(tmp_path, recursive=True)
    inbox.create()
    (tmp_path / "agency" / "2024").mkdir(parents=True)
    path = tmp_path / "agency" / "2024" / "x.txt"
    path.write_text("Some words.")
    (tmp_path / "top.txt").write_text("Other words.")
    job = inbox.read(path, max_bytes=100)
    assert (job.source.filename, job.source.path) == ("x.txt", "agency/2024/x.txt")
    claimed = inbox.move(path, inbox.processing)
    assert claimed == inbox.processing / "agency" / "2024" / "x.txt"
    assert inbox.in_processing() == [claimed]
    assert inbox.read(claimed, max_bytes=100).source.path == "agency/2024/x.txt"
    assert inbox.read(tmp_path / "top.txt", max_bytes=100).source.path is None
    assert "path" not in inbox.read(tmp_path / "top.txt", max_bytes=100).model_dump_json()
    done = inbox.move(claimed, inbox.done)
    assert done == inbox.done / "agency" / "2024" / "x.txt"


def test_mirror_never_goes_through_a_link(tmp_path: Path) -> None:
    """If a link sits where a mirrored folder belongs, the file stays at the folder's top
    rather than being moved into the link's target."""
    inbox = Inbox(tmp_path, recursive=True)
    inbox.create()
    outside = tmp_path.parent / f"{tmp_path.name}-target"
    outside.mkdir()
    (inbox.failed / "agency").symlink_to(outside)
    (tmp_path / "agency").mkdir()
    path = tmp_path / "agency" / "x.txt"
    path.write_text("x")
    moved = inbox.fail(path, _record("x.txt"))
    assert moved == inbox.failed / "x.txt"
    assert list(outside.iterdir()) == []


def test_fail_moves_a_link_itself_and_keeps_its_target(tmp_path: Path) -> None:
    """A refused link moves to failed/ as a link; what it points to stays where it is."""
    inbox = Inbox(tmp_path)
    inbox.create()
    outside = tmp_path.parent / f"{tmp_path.name}-passwd"
    outside.write_text("root:x:0:0")
    link = tmp_path / "passwd.txt"
    link.symlink_to(outside)
    moved = inbox.fail(link, _record("passwd.txt"))
    assert moved.is_symlink()
    assert outside.read_text() == "root:x:0:0"
    assert (inbox.failed / "passwd.txt.error.json").exists()


def test_long_names_are_shortened_in_failed_with_a_hash(tmp_path: Path) -> None:
    """A 250-byte name cannot take `.error.json`: it is stored shortened (suffix kept, a hash
    keeps two such names apart) and the record keeps the whole name."""
    inbox = Inbox(tmp_path)
    inbox.create()
    names = ["é" * 123 + "a.txt", "é" * 123 + "b.txt"]
    stored = []
    for name in names:
        assert len(name.encode()) == 251
        path = tmp_path / name
        path.write_text("")
        stored.append(inbox.fail(path, _record(name)))
    assert stored[0] != stored[1]
    for name, target in zip(names, stored, strict=True):
        assert target.suffix == ".txt"
        assert len(os.fsencode(target.name + ".error.json")) <= 255
        target.name.encode("utf-8")  # cut on a character boundary
        error = target.with_name(target.name + ".error.json")
        assert FailureRecord.model_validate_json(error.read_text()).filename == name


def test_numbered_free_names_respect_the_name_limit(tmp_path: Path) -> None:
    """`name (2).txt` of a 255-byte name is cut to fit rather than failing."""
    name = "n" * 251 + ".txt"
    (tmp_path / name).write_text("first")
    second = free_name(tmp_path, name)
    assert second.name.endswith(" (2).txt")
    assert len(os.fsencode(second.name)) <= 255
    second.write_text("second")
    third = free_name(tmp_path, name)
    assert third.name.endswith(" (3).txt")
    assert third != second


def test_free_name_counts_dangling_links_as_taken(tmp_path: Path) -> None:
    """A dangling link is never overwritten by a move."""
    (tmp_path / "a.txt").symlink_to(tmp_path / "nowhere")
    assert free_name(tmp_path, "a.txt").name == "a (2).txt"


def test_invalid_utf8_name_keeps_its_bytes_on_disk(tmp_path: Path) -> None:
    """A name that is not UTF-8 keeps its bytes in processing/ and failed/; the record and
    the job name it with escapes."""
    inbox = Inbox(tmp_path)
    inbox.create()
    path = _touch_bytes(tmp_path, b"caf\xe9.txt")
    assert inbox.display_name(path) == "caf\\xe9.txt"
    assert inbox.read(path, max_bytes=100).source.filename == "caf\\xe9.txt"
    claimed = inbox.move(path, inbox.processing)
    assert os.fsencode(claimed.name) == b"caf\xe9.txt"
    failed = inbox.fail(claimed, _record(claimed.name))
    assert os.fsencode(failed.name) == b"caf\xe9.txt"
    error = failed.with_name(failed.name + ".error.json")
    assert FailureRecord.model_validate_json(error.read_bytes()).filename == "caf\\xe9.txt"


def test_ignore_setting_accepts_commas_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """NEWSWIRE_IGNORE takes comma-separated globs or a JSON list; recursion is off unless
    NEWSWIRE_RECURSIVE says so."""
    monkeypatch.setenv("NEWSWIRE_IGNORE", "a*.txt, drafts/**")
    settings = IngestSettings()
    assert settings.ignore == ["a*.txt", "drafts/**"]
    assert settings.recursive is False
    monkeypatch.setenv("NEWSWIRE_IGNORE", '["a,b.txt"]')
    monkeypatch.setenv("NEWSWIRE_RECURSIVE", "true")
    settings = IngestSettings()
    assert (settings.ignore, settings.recursive) == (["a,b.txt"], True)


def test_stability_does_not_follow_links(tmp_path: Path) -> None:
    """A dangling link is tracked (as the link) so that it can be claimed and refused."""
    tracker = StabilityTracker(quiet_seconds=0.1)
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere")
    tracker.observe(link, now=0.0)
    assert tracker.ready(now=1.0) == [link]


def _drain_until(watcher: InboxWatcher, wanted: Path, timeout: float = 5.0) -> set[Path]:
    seen: set[Path] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and wanted not in seen:
        seen |= set(watcher.drain())
        time.sleep(0.05)
    return seen


@pytest.mark.parametrize("recursive", [False, True])
def test_watcher_reports_sub_folders_only_when_recursive(tmp_path: Path, recursive: bool) -> None:
    """Native events from sub-folders are reported in recursive mode only, under the root as
    given; events in processing/ never are."""
    inbox = Inbox(tmp_path, recursive=recursive)
    inbox.create()
    (tmp_path / "agency").mkdir()
    watcher = InboxWatcher(tmp_path, polling=False, poll_interval=1.0, recursive=recursive)
    watcher.start()
    try:
        (inbox.processing / "busy.txt").write_text("x")
        (tmp_path / "agency" / "x.txt").write_text("x")
        top = tmp_path / "top.txt"
        top.write_text("x")
        seen = _drain_until(watcher, top)
        if recursive:
            seen |= _drain_until(watcher, tmp_path / "agency" / "x.txt")
    finally:
        watcher.stop()
    assert top in seen
    assert ((tmp_path / "agency" / "x.txt") in seen) is recursive
    assert not any(p.is_relative_to(inbox.processing) for p in seen)


def test_files_below_a_linked_folder_are_not_in_the_inbox(tmp_path: Path) -> None:
    """A path through a link to a folder outside (as a recursive watch might report) is
    skipped, and reading it is refused without opening the file behind the link."""
    inbox = Inbox(tmp_path / "inbox", recursive=True)
    inbox.create()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (inbox.root / "linked").symlink_to(outside)
    through = inbox.root / "linked" / "secret.txt"
    assert inbox.kind(through) == "skip"
    assert inbox.kind(inbox.root / "linked") == "file"  # the link itself: claimed, refused
    with pytest.raises(NotRegularFileError, match="'linked' is a symbolic link"):
        inbox.read(through, max_bytes=100)


def test_paths_climbing_out_of_the_inbox_are_skipped(tmp_path: Path) -> None:
    """A path with '..' is never taken for a path inside the inbox."""
    inbox = Inbox(tmp_path / "inbox", recursive=True)
    inbox.create()
    (tmp_path / "x.txt").write_text("x")
    assert inbox.kind(inbox.root / ".." / "x.txt") == "skip"
    assert inbox.relative_path(inbox.root / "a" / ".." / ".." / "x.txt") is None
