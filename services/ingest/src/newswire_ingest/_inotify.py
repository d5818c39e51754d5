"""Linux inotify, read directly: one thread, a few microseconds of Python per event.

Why: watchdog's inotify observer turns each kernel event into event objects that pass a
delayed queue, a move grouper and a second (dispatcher) thread. On a burst of files renamed
into the inbox its two threads held the GIL a third of the time (``make bench-ingest``,
``py-spy --gil``), and the ingest loop waited for the GIL again after each of its own system
calls. Here one thread waits in ``poll``, reads whole buffers of events and hands each one's
folder (as parts below the root), name and mask to a callback: no objects, no queues.

What it watches: the root and, when recursive, every sub-folder except those the caller
skips (the inbox's own folders), added as they are created or moved in (links are never
followed) and dropped as they go. What it reports: creation, writes, close after writing,
renames in and out, deletion (see :data:`MASK`); opens, reads and attribute changes are not
asked for. A kernel queue overflow is reported as such (the caller rescans); so is the loss of
the root (deleted or moved away): the reader then stops and :meth:`InotifyReader.alive` says so.

Errors: :meth:`InotifyReader.start` raises :class:`OSError` as the kernel gave it (``EMFILE``:
too many inotify instances; ``ENOSPC``: too many watches); the caller names the setting. A
sub-folder that finds no watch later is logged (``inbox_folder_unwatched``) and left to the
periodic rescan.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newswire_shared.logs import get_logger

log = get_logger(__name__)

IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_EXCL_UNLINK = 0x04000000
IN_ISDIR = 0x40000000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC

#: what each watch asks for: every change of an entry's content or name, nothing else
MASK = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
_WATCH_FLAGS = MASK | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, length of the name
_READ_BYTES = 256 * 1024

#: called with the folder's parts below the root, an entry's name and the event's mask
OnEvent = Callable[[tuple[str, ...], str, int], None]


def available() -> bool:
    """Whether this system has inotify (Linux with a C library that exports it)."""
    return _libc() is not None


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    names = ("inotify_init1", "inotify_add_watch", "inotify_rm_watch")
    if not all(hasattr(libc, name) for name in names):
        return None
    return libc


class InotifyReader:
    """Watches `root` (and its sub-folders when `recursive`, but not the top-level folders
    named in `skip`) and calls `on_event` from its own thread; `on_overflow` when the kernel
    dropped events."""

    def __init__(
        self,
        root: Path,
        on_event: OnEvent,
        on_overflow: Callable[[], None],
        *,
        recursive: bool,
        skip: frozenset[str] = frozenset(),
        libc: Any = None,
    ) -> None:
        self._root = root
        self._on_event = on_event
        self._on_overflow = on_overflow
        self._recursive = recursive
        self._skip = skip
        self._libc = libc if libc is not None else _libc()  # tests pass a stand-in
        self._fd = -1
        self._wake_r, self._wake_w = -1, -1
        self._folders: dict[int, tuple[str, ...]] = {}  # watch descriptor -> folder's parts
        self._watches: dict[tuple[str, ...], int] = {}
        self._thread: threading.Thread | None = None
        self._lost_root = False

    def start(self) -> None:
        """Watch the tree and start the reading thread (raises :class:`OSError`)."""
        if self._libc is None:
            raise OSError(errno.ENOSYS, "inotify is not available")
        fd = self._libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_init1: {os.strerror(code)}")
        self._fd = fd
        try:
            self._add_tree(())
            self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC)
        except BaseException:
            os.close(fd)
            self._fd = -1
            raise
        self._thread = threading.Thread(target=self._run, name="inotify", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """True while the thread reads events (False once stopped, on an error, or when the
        root itself went away)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop the thread and close the inotify descriptor."""
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in (self._fd, self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._fd = self._wake_r = self._wake_w = -1

    # -- watches ---------------------------------------------------------------------------

    def _add_tree(self, parts: tuple[str, ...]) -> None:
        """Watch the folder `parts` and, when recursive, every folder below it."""
        if not self._add(parts) or not self._recursive:
            return
        try:
            with os.scandir(self._root.joinpath(*parts)) as entries:
                inner = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:  # gone or unreadable meanwhile: the rescan looks again
            return
        for name in inner:
            if parts or name not in self._skip:
                self._add_tree((*parts, name))

    def _add(self, parts: tuple[str, ...]) -> bool:
        assert self._libc is not None
        path = os.fsencode(self._root.joinpath(*parts))
        wd = self._libc.inotify_add_watch(self._fd, path, _WATCH_FLAGS)
        if wd < 0:
            code = ctypes.get_errno()
            if parts and code in (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.ELOOP):
                return False  # a sub-folder gone, replaced or closed to us: skip it
            if parts and code == errno.ENOSPC:
                # out of watches: the folder is left to the periodic rescan (its files wait
                # the full stability window) rather than stopping ingest
                log.warning(
                    "inbox_folder_unwatched",
                    folder="/".join(parts),
                    hint="raise fs.inotify.max_user_watches (sysctl)",
                )
                return False
            raise OSError(code, f"inotify_add_watch {self._root.joinpath(*parts)}: "
                                f"{os.strerror(code)}")  # fmt: skip
        self._folders[wd] = parts
        self._watches[parts] = wd
        return True

    def _drop_tree(self, parts: tuple[str, ...]) -> None:
        """Stop watching the folder `parts` and everything below it (moved away)."""
        assert self._libc is not None
        depth = len(parts)
        for folder in [f for f in self._watches if f[:depth] == parts]:
            wd = self._watches.pop(folder)
            self._folders.pop(wd, None)
            self._libc.inotify_rm_watch(self._fd, wd)

    # -- reading ---------------------------------------------------------------------------

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        try:
            while not self._lost_root:
                ready = {fd for fd, _ in poller.poll()}
                if self._wake_r in ready:
                    return
                self._read_all()
        except Exception:
            log.exception("inotify_reader_failed")

    def _read_all(self) -> None:
        while True:
            try:
                data = os.read(self._fd, _READ_BYTES)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            self._parse(data)

    def _parse(self, data: bytes) -> None:
        offset, end = 0, len(data)
        unpack = _HEADER.unpack_from
        size = _HEADER.size
        while offset < end:
            wd, mask, _cookie, length = unpack(data, offset)
            raw = data[offset + size : offset + size + length]
            offset += size + length
            if mask & IN_Q_OVERFLOW:
                if self._recursive:  # folders made meanwhile went unheard: watch them now
                    self._add_tree(())
                self._on_overflow()
                continue
            parts = self._folders.get(wd)
            if parts is None:
                continue
            if mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF):
                if mask & IN_IGNORED:
                    self._folders.pop(wd, None)
                    if self._watches.get(parts) == wd:
                        del self._watches[parts]
                if not parts:
                    self._lost_root = True
                    log.warning("inbox_watch_lost", path=str(self._root))
                continue
            name = os.fsdecode(raw.rstrip(b"\0"))
            if mask & IN_ISDIR and self._recursive and (parts or name not in self._skip):
                if mask & (IN_CREATE | IN_MOVED_TO):
                    self._add_tree((*parts, name))
                elif mask & IN_MOVED_FROM:
                    self._drop_tree((*parts, name))
            self._on_event(parts, name, mask)
