"""Readiness rules of the stability tracker (manual clock, real files) and the signals the
inbox watcher gives it (real inotify)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from newswire_ingest.stability import Signal, StabilityTracker, merge
from newswire_ingest.watch import InboxWatcher


def _tracker() -> StabilityTracker:
    return StabilityTracker(quiet_seconds=2.0, settle_seconds=0.3)


def _append(path: Path, text: str) -> None:
    """Append `text` and move the mtime on (coarse file-system clocks could hide a write)."""
    with path.open("a") as fh:
        fh.write(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_announced_file_is_ready_after_the_settle_period(tmp_path: Path) -> None:
    """A file closed after writing (or renamed in) is taken after the short settle period,
    not the full window."""
    path = tmp_path / "a.txt"
    path.write_text("done\n")
    tracker = _tracker()
    tracker.observe(path, now=10.0, signal=Signal.COMPLETE)
    assert tracker.ready(now=10.2) == []
    assert tracker.ready(now=10.3) == [path]


def test_the_settle_period_runs_from_the_event_not_from_the_look(tmp_path: Path) -> None:
    """A close heard before the main loop looked counts from when it was heard: the file is
    due `settle` after the close, not `settle` after the look."""
    path = tmp_path / "a.txt"
    path.write_text("done\n")
    tracker = _tracker()
    tracker.observe(path, now=10.25, signal=Signal.COMPLETE, heard=10.0)
    assert tracker.next_due() == pytest.approx(10.3)
    assert tracker.ready(now=10.29) == []
    assert tracker.ready(now=10.3) == [path]


def test_an_event_time_after_the_look_is_capped_at_the_look(tmp_path: Path) -> None:
    """A `heard` later than `now` (clocks read in another order) never delays the file past
    `now` + settle."""
    path = tmp_path / "a.txt"
    path.write_text("done\n")
    tracker = _tracker()
    tracker.observe(path, now=5.0, signal=Signal.COMPLETE, heard=9.0)
    assert tracker.ready(now=5.3) == [path]


def test_changes_before_the_close_do_not_slow_an_announced_file(tmp_path: Path) -> None:
    """Writes seen before the announcement are the writer at work: the close still counts."""
    path = tmp_path / "a.txt"
    path.write_text("first part\n")
    tracker = _tracker()
    tracker.observe(path, now=0.0, signal=Signal.CHANGED)
    _append(path, "second part\n")
    tracker.observe(path, now=0.5, signal=Signal.COMPLETE)
    assert tracker.ready(now=0.7) == []
    assert tracker.ready(now=0.8) == [path]


def test_a_change_after_the_close_demotes_to_the_full_window_for_good(tmp_path: Path) -> None:
    """A writer that closes and opens the file again: from its next write the file waits the
    full window, and later closes no longer make it fast."""
    path = tmp_path / "slow.txt"
    path.write_text("piece 1\n")
    tracker = _tracker()
    tracker.observe(path, now=0.0, signal=Signal.COMPLETE)
    _append(path, "piece 2\n")
    tracker.observe(path, now=0.2, signal=Signal.CHANGED)
    assert tracker.ready(now=0.5) == []
    _append(path, "piece 3\n")
    tracker.observe(path, now=1.0, signal=Signal.COMPLETE)  # closed again
    assert tracker.ready(now=1.5) == []
    assert tracker.ready(now=2.9) == []
    assert tracker.ready(now=3.0) == [path]


def test_a_modify_event_after_the_close_demotes_even_without_a_visible_change(
    tmp_path: Path,
) -> None:
    """The event alone is enough: the writer may be between its open and its write."""
    path = tmp_path / "slow.txt"
    path.write_text("piece 1\n")
    tracker = _tracker()
    tracker.observe(path, now=0.0, signal=Signal.COMPLETE)
    tracker.observe(path, now=0.1, signal=Signal.CHANGED)
    assert tracker.ready(now=1.9) == []
    assert tracker.ready(now=2.0) == [path]


def test_a_change_seen_only_on_disk_after_the_close_demotes(tmp_path: Path) -> None:
    """Size or mtime moving after the announcement (no event seen) also means not finished."""
    path = tmp_path / "grow.txt"
    path.write_text("piece 1\n")
    tracker = _tracker()
    tracker.observe(path, now=0.0, signal=Signal.COMPLETE)
    _append(path, "piece 2\n")
    assert tracker.ready(now=0.3) == []  # re-checked on disk: changed
    assert tracker.ready(now=2.2) == []
    assert tracker.ready(now=2.3) == [path]


def test_reopened_within_one_batch_waits_the_full_window(tmp_path: Path) -> None:
    """Close then write again between two looks: the full window."""
    path = tmp_path / "slow.txt"
    path.write_text("x\n")
    tracker = _tracker()
    tracker.observe(path, now=0.0, signal=Signal.REOPENED)
    assert tracker.ready(now=1.9) == []
    assert tracker.ready(now=2.0) == [path]


@pytest.mark.parametrize("signal", [None, Signal.CHANGED])
def test_files_seen_by_a_rescan_or_only_written_wait_the_full_window(
    tmp_path: Path, signal: Signal | None
) -> None:
    """No announcement (a rescan, polling, a file still open): the full stability window."""
    path = tmp_path / "a.txt"
    path.write_text("x\n")
    tracker = _tracker()
    tracker.observe(path, now=0.0, signal=signal)
    assert tracker.ready(now=1.0) == []
    assert tracker.next_due() == 2.0
    assert tracker.ready(now=2.0) == [path]


def test_settle_period_never_exceeds_the_stability_window(tmp_path: Path) -> None:
    """A stability window shorter than the settle period is used for announced files too."""
    path = tmp_path / "a.txt"
    path.write_text("x\n")
    tracker = StabilityTracker(quiet_seconds=0.2, settle_seconds=0.5)
    tracker.observe(path, now=0.0, signal=Signal.COMPLETE)
    assert tracker.ready(now=0.2) == [path]


def test_merge_keeps_a_change_after_a_completion() -> None:
    """Events of one batch fold into one signal; a write after a close is never forgotten."""
    assert merge(None, Signal.CHANGED) is Signal.CHANGED
    assert merge(Signal.CHANGED, Signal.COMPLETE) is Signal.COMPLETE
    assert merge(Signal.COMPLETE, None) is Signal.COMPLETE
    assert merge(Signal.COMPLETE, Signal.CHANGED) is Signal.REOPENED
    assert merge(Signal.REOPENED, Signal.COMPLETE) is Signal.REOPENED
    assert merge(Signal.COMPLETE, Signal.COMPLETE) is Signal.COMPLETE


def _drain_for(watcher: InboxWatcher, seconds: float = 1.0) -> dict[Path, Signal | None]:
    seen: dict[Path, Signal | None] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path, heard in watcher.drain().items():
            seen[path] = merge(seen.get(path), heard.signal)
        time.sleep(0.05)
    return seen


def test_watcher_announces_closed_and_renamed_in_files(tmp_path: Path) -> None:
    """inotify: a file written and closed, one renamed inside the inbox and one renamed in
    from outside are announced complete; one still open for writing is only changed; one
    merely read is not announced."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("from outside\n")
    (inbox / "old.txt").write_text("read only\n")
    (inbox / "a.part").write_text("renamed\n")
    watcher = InboxWatcher(inbox, polling=False, poll_interval=1.0)
    watcher.start()
    try:
        (inbox / "closed.txt").write_text("closed\n")
        outside.rename(inbox / "moved-in.txt")
        (inbox / "a.part").rename(inbox / "renamed.txt")
        (inbox / "old.txt").read_text()
        with (inbox / "open.txt").open("w") as fh:
            fh.write("still writing")
            fh.flush()
            seen = _drain_for(watcher)
    finally:
        watcher.stop()
    assert seen[inbox / "closed.txt"] is Signal.COMPLETE
    assert seen[inbox / "moved-in.txt"] is Signal.COMPLETE
    assert seen[inbox / "renamed.txt"] is Signal.COMPLETE
    assert seen[inbox / "a.part"] is Signal.CHANGED  # its old name: gone
    assert seen[inbox / "open.txt"] is Signal.CHANGED
    assert seen.get(inbox / "old.txt") is None


def test_polling_watcher_announces_nothing(tmp_path: Path) -> None:
    """Polling cannot see closes: a file closed or renamed in is only changed."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.part").write_text("renamed\n")
    watcher = InboxWatcher(inbox, polling=True, poll_interval=0.1)
    watcher.start()
    try:
        time.sleep(0.3)
        (inbox / "closed.txt").write_text("closed\n")
        (inbox / "a.part").rename(inbox / "renamed.txt")
        seen = _drain_for(watcher)
    finally:
        watcher.stop()
    assert seen[inbox / "closed.txt"] is Signal.CHANGED
    assert seen[inbox / "renamed.txt"] is Signal.CHANGED


def test_watcher_tells_how_long_ago_a_path_was_heard(tmp_path: Path) -> None:
    """A drain reports the age of each path's last event, so a close heard while the main
    loop was busy still counts from the close."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watcher = InboxWatcher(inbox, polling=False, poll_interval=1.0)
    watcher.start()
    try:
        (inbox / "closed.txt").write_text("closed\n")
        time.sleep(0.5)  # inotify delivers within milliseconds; the loop looks later
        heard = watcher.drain()[inbox / "closed.txt"]
    finally:
        watcher.stop()
    assert heard.signal is Signal.COMPLETE
    assert 0.3 <= heard.age < 5.0


def test_watcher_wait_ends_when_a_file_arrives(tmp_path: Path) -> None:
    """The ingest loop waits on the watcher, not in Redis: the wait ends as soon as a file
    is seen (long before its timeout), returns False when nothing came, and a drain resets
    it."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watcher = InboxWatcher(inbox, polling=False, poll_interval=1.0)
    watcher.start()
    try:
        assert watcher.wait(0.2) is False
        threading.Timer(0.2, (inbox / "late.txt").write_text, args=("late\n",)).start()
        started = time.monotonic()
        assert watcher.wait(30.0) is True
        assert time.monotonic() - started < 15.0
        assert inbox / "late.txt" in _drain_for(watcher)
        assert watcher.wait(0.2) is False
    finally:
        watcher.stop()
