"""The inbox watcher's own inotify reader (newswire_ingest._inotify) on real folders: what a
recursive watch follows as folders come and go, what it never reports, a dropped-events
notice, and the loss of the inbox itself."""

from __future__ import annotations

import ctypes
import errno
import shutil
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from newswire_ingest import _inotify
from newswire_ingest.stability import Signal, merge
from newswire_ingest.watch import InboxWatcher
from tests.conftest import wait_until

pytestmark = pytest.mark.skipif(not _inotify.available(), reason="inotify is Linux only")


class _Seen:
    """What a watcher reported, collected over several drains."""

    def __init__(self, watcher: InboxWatcher) -> None:
        self.watcher = watcher
        self.paths: dict[Path, Signal | None] = {}

    def until(self, path: Path, signal: Signal | None = None, timeout: float = 10.0) -> bool:
        """Drain until `path` was reported (with `signal`, folded over its events)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p, heard in self.watcher.drain().items():
                self.paths[p] = merge(self.paths.get(p), heard.signal)
            if path in self.paths and signal in (None, self.paths[path]):
                return True
            time.sleep(0.02)
        return False


def _watch(root: Path, *, recursive: bool = True) -> InboxWatcher:
    watcher = InboxWatcher(root, polling=False, poll_interval=1.0, recursive=recursive)
    watcher.start()
    return watcher


def test_folders_made_after_the_start_are_followed(tmp_path: Path) -> None:
    """Recursive: a folder tree made after the watch began (several levels at once) is
    watched; a file closed in its deepest folder is announced complete."""
    watcher = _watch(tmp_path)
    seen = _Seen(watcher)
    try:
        deep = tmp_path / "agency" / "2026" / "11"
        deep.mkdir(parents=True)
        assert seen.until(tmp_path / "agency")
        time.sleep(0.2)  # the reader adds the new folders' watches as it hears of them
        (deep / "story.txt").write_text("text\n")
        assert seen.until(deep / "story.txt", Signal.COMPLETE)
    finally:
        watcher.stop()
    assert seen.paths[deep / "story.txt"] is Signal.COMPLETE


def test_a_folder_moved_in_is_followed_and_one_moved_out_is_dropped(tmp_path: Path) -> None:
    """A folder renamed into the inbox is reported (not announced: folders are never complete)
    and watched from then on; once renamed out of the inbox, writes in it are not reported."""
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    (outside / "batch").mkdir(parents=True)
    (outside / "batch" / "old.txt").write_text("already here\n")
    watcher = _watch(inbox)
    seen = _Seen(watcher)
    try:
        (outside / "batch").rename(inbox / "batch")
        assert seen.until(inbox / "batch")
        assert seen.paths[inbox / "batch"] is Signal.CHANGED
        time.sleep(0.2)
        (inbox / "batch" / "new.txt").write_text("new\n")
        assert seen.until(inbox / "batch" / "new.txt", Signal.COMPLETE)
        seen.paths.clear()
        (inbox / "batch").rename(outside / "gone")
        assert seen.until(inbox / "batch")
        (outside / "gone" / "later.txt").write_text("later\n")
        (inbox / "marker.txt").write_text("marker\n")
        assert seen.until(inbox / "marker.txt", Signal.COMPLETE)
    finally:
        watcher.stop()
    assert not any(p.name == "later.txt" for p in seen.paths)


def test_own_folders_and_links_are_never_watched(tmp_path: Path) -> None:
    """processing/, done/ and failed/ at the top are not watched at all, nor is a folder
    reached through a link (its target lies outside the inbox)."""
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    for folder in ("processing", "done", "failed"):
        (inbox / folder).mkdir(parents=True)
    outside.mkdir()
    (inbox / "linked").symlink_to(outside, target_is_directory=True)
    watcher = _watch(inbox)
    seen = _Seen(watcher)
    try:
        for folder in ("processing", "done", "failed"):
            (inbox / folder / "x.txt").write_text("x\n")
        (outside / "secret.txt").write_text("secret\n")
        (inbox / "marker.txt").write_text("marker\n")
        assert seen.until(inbox / "marker.txt", Signal.COMPLETE)
        time.sleep(0.3)
        seen.until(inbox / "never", timeout=0.2)
    finally:
        watcher.stop()
    assert set(seen.paths) == {inbox / "marker.txt"}


def test_not_recursive_watches_the_top_level_only(tmp_path: Path) -> None:
    """Without recursion a sub-folder's files are not reported; the folder itself is."""
    watcher = _watch(tmp_path, recursive=False)
    seen = _Seen(watcher)
    try:
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "x.txt").write_text("x\n")
        (tmp_path / "top.txt").write_text("x\n")
        assert seen.until(tmp_path / "top.txt", Signal.COMPLETE)
    finally:
        watcher.stop()
    assert tmp_path / "sub" in seen.paths
    assert tmp_path / "sub" / "x.txt" not in seen.paths


def test_losing_the_inbox_stops_the_watcher(tmp_path: Path) -> None:
    """The inbox folder deleted under the watcher: it says it is no longer alive (the ingest
    loop then exits and is restarted, which makes the folder again)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watcher = _watch(inbox)
    try:
        assert watcher.alive()
        shutil.rmtree(inbox)
        wait_until(lambda: not watcher.alive(), 10, interval=0.02, what="watcher stopped")
    finally:
        watcher.stop()


def test_a_kernel_overflow_notice_asks_for_a_rescan(tmp_path: Path) -> None:
    """IN_Q_OVERFLOW (the kernel dropped events: its queue was full) wakes the ingest loop
    and is reported once by ``overflowed()``; events around it are still reported."""
    watcher = _watch(tmp_path, recursive=False)
    reader = watcher._source
    assert isinstance(reader, _inotify.InotifyReader)
    name = b"late.txt".ljust(16, b"\0")
    events = struct.pack("iIII", -1, _inotify.IN_Q_OVERFLOW, 0, 0) + struct.pack(
        "iIII", 1, _inotify.IN_CLOSE_WRITE, 0, len(name)
    ) + name  # fmt: skip
    try:
        assert not watcher.wait(0.05)
        reader._parse(events)  # what the kernel writes after an overflow
        assert watcher.wait(0.0)
        drained = watcher.drain()
        assert watcher.wait(0.0), "the notice keeps the loop awake until it is taken"
        assert watcher.overflowed() is True
        assert watcher.overflowed() is False
    finally:
        watcher.stop()
    assert drained[tmp_path / "late.txt"].signal is Signal.COMPLETE


class _FewWatches:
    """The C library's inotify, but giving out only `left` watches (then ENOSPC, as the
    kernel does at fs.inotify.max_user_watches)."""

    def __init__(self, left: int) -> None:
        self._libc: Any = _inotify._libc()
        self.left = left

    def inotify_init1(self, flags: int) -> int:
        return int(self._libc.inotify_init1(flags))

    def inotify_rm_watch(self, fd: int, wd: int) -> int:
        return int(self._libc.inotify_rm_watch(fd, wd))

    def inotify_add_watch(self, fd: int, path: bytes, mask: int) -> int:
        if self.left == 0:
            ctypes.set_errno(errno.ENOSPC)
            return -1
        self.left -= 1
        return int(self._libc.inotify_add_watch(fd, path, mask))


def test_a_folder_past_the_watch_limit_is_left_to_the_rescan(tmp_path: Path) -> None:
    """Out of watches for a new sub-folder: the reader logs it and goes on watching the rest
    (the folder's files are found by the periodic rescan) instead of stopping ingest."""
    heard: list[tuple[tuple[str, ...], str]] = []
    reader = _inotify.InotifyReader(
        tmp_path, lambda folder, name, _mask: heard.append((folder, name)), lambda: None,
        recursive=True, libc=_FewWatches(left=1),
    )  # fmt: skip
    reader.start()
    try:
        with capture_logs() as logs:
            (tmp_path / "agency").mkdir()
            wait_until(lambda: ((), "agency") in heard, 10, interval=0.02, what="folder heard")
            (tmp_path / "agency" / "x.txt").write_text("x\n")
            (tmp_path / "top.txt").write_text("x\n")
            wait_until(lambda: ((), "top.txt") in heard, 10, interval=0.02, what="file heard")
        assert reader.alive()
    finally:
        reader.stop()
    assert (("agency",), "x.txt") not in heard
    assert [e["folder"] for e in logs if e["event"] == "inbox_folder_unwatched"] == ["agency"]


def test_after_an_overflow_unheard_folders_are_watched(tmp_path: Path) -> None:
    """Recursive: a folder made while the kernel was dropping events (its creation never
    heard) is watched once the overflow notice is read."""
    watcher = _watch(tmp_path)
    reader = watcher._source
    assert isinstance(reader, _inotify.InotifyReader)
    seen = _Seen(watcher)
    try:
        (tmp_path / "unheard").mkdir()
        assert seen.until(tmp_path / "unheard")
        reader._drop_tree(("unheard",))  # as if its creation had been dropped
        (tmp_path / "unheard" / "before.txt").write_text("x\n")
        (tmp_path / "marker.txt").write_text("x\n")
        assert seen.until(tmp_path / "marker.txt", Signal.COMPLETE)
        assert tmp_path / "unheard" / "before.txt" not in seen.paths
        reader._parse(struct.pack("iIII", -1, _inotify.IN_Q_OVERFLOW, 0, 0))
        (tmp_path / "unheard" / "after.txt").write_text("x\n")
        assert seen.until(tmp_path / "unheard" / "after.txt", Signal.COMPLETE)
    finally:
        watcher.stop()
