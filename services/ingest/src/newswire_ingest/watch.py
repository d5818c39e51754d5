"""Native file events (inotify) or polling, feeding paths to the main loop.

The handler only records paths; every decision happens in the main loop, which also rescans
the whole inbox periodically, so a dropped event (kernel queue overflow) delays a file but
never loses it. The handler catches everything: an exception there would kill watchdog's
thread while the process looks alive.

Paths are reported below the inbox root as given (not resolved), the way the inbox lists
them; names of any bytes are kept (undecodable bytes as surrogate escapes). Events in the
inbox's own processing/, done/ and failed/ are dropped; so are events in sub-folders unless
the watcher is recursive.

With native events each path also comes with what its events said (:class:`Signal`): a file
closed after writing or renamed into the inbox (inotify's IN_CLOSE_WRITE and IN_MOVED_TO,
including renames from outside the watched tree) is announced complete; created or written
is a change; opened, closed without writing or attributes changed say nothing. Polling
announces nothing: its files always wait the full stability window.

Each path also carries how long ago its last event happened (:class:`Heard`), so that a
file's quiet period runs from its close, not from when the main loop got round to looking.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path
from typing import NamedTuple

from watchdog.events import (
    FileAttribEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver
from watchdog.utils import platform

from newswire_ingest.stability import Signal, merge
from newswire_shared.logs import get_logger

log = get_logger(__name__)

_OWN_FOLDERS = frozenset({"processing", "done", "failed"})
#: events that say nothing about a file's content
_SILENT = (FileOpenedEvent, FileClosedNoWriteEvent, FileAttribEvent)


class Heard(NamedTuple):
    """What the events of one path said since the last drain, and when the last one came."""

    #: the signals of the events folded into one (None: nothing about the content)
    signal: Signal | None
    #: seconds from the last event to the drain
    age: float


class WatchLimitError(RuntimeError):
    """The kernel refused another watch; the message names the setting to raise."""


class _Collector(FileSystemEventHandler):
    def __init__(self, watched: Path, root: Path, *, recursive: bool, announce: bool) -> None:
        self._watched = watched
        self._root = root
        self._recursive = recursive
        self._announce = announce
        self._lock = threading.Lock()
        # path -> (folded signal, time.monotonic() of its last event)
        self._paths: dict[Path, tuple[Signal | None, float]] = {}
        #: set when a path is collected, cleared by drain: what the ingest loop waits on
        self.arrived = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            src: Signal | None = Signal.CHANGED
            if isinstance(event, _SILENT):
                src = None
            elif isinstance(event, FileClosedEvent) and self._announce:
                src = Signal.COMPLETE
            if event.src_path:
                self._collect(Path(os.fsdecode(event.src_path)), src)
            dest = getattr(event, "dest_path", "")
            if dest:
                done = self._announce and not event.is_directory
                self._collect(Path(os.fsdecode(dest)), Signal.COMPLETE if done else Signal.CHANGED)
        except Exception:
            log.exception("watch_event_failed")

    def _collect(self, path: Path, signal: Signal | None) -> None:
        if not path.is_relative_to(self._watched):
            return
        parts = path.relative_to(self._watched).parts
        if not parts or parts[0] in _OWN_FOLDERS:
            return
        if len(parts) > 1 and not self._recursive:
            return
        key = self._root.joinpath(*parts)
        heard = time.monotonic()
        with self._lock:
            previous = self._paths.get(key)
            self._paths[key] = (merge(previous[0] if previous else None, signal), heard)
            self.arrived.set()

    def drain(self) -> dict[Path, Heard]:
        with self._lock:
            paths, self._paths = self._paths, {}
            self.arrived.clear()
        now = time.monotonic()
        return {path: Heard(signal, max(0.0, now - at)) for path, (signal, at) in paths.items()}


def _native_observer() -> BaseObserver:
    """inotify's observer reporting renames from outside the watched tree as moves (with an
    empty source), so that they announce their file; the platform's default elsewhere."""
    if platform.is_linux():
        from watchdog.observers.inotify import InotifyObserver

        return InotifyObserver(generate_full_events=True)
    return Observer()


class InboxWatcher:
    """Collects paths touched in the inbox since the last :meth:`drain`: its top level, or
    with `recursive` its sub-folders too (but not processing/, done/, failed/)."""

    def __init__(
        self, root: Path, *, polling: bool, poll_interval: float, recursive: bool = False
    ) -> None:
        self._watched = root.resolve()
        self._recursive = recursive
        self._collector = _Collector(self._watched, root, recursive=recursive, announce=not polling)
        self._observer: BaseObserver = (
            PollingObserver(timeout=poll_interval) if polling else _native_observer()
        )

    def start(self) -> None:
        """Start watching; raise :class:`WatchLimitError` when the kernel's limits are hit."""
        self._observer.schedule(self._collector, str(self._watched), recursive=self._recursive)
        try:
            self._observer.start()
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                raise WatchLimitError(
                    "the kernel refused an inotify watch; raise fs.inotify.max_user_watches / "
                    "fs.inotify.max_user_instances (sysctl) or set NEWSWIRE_POLLING=true"
                ) from exc
            raise

    def alive(self) -> bool:
        """Return True while the observer thread runs."""
        return self._observer.is_alive()

    def drain(self) -> dict[Path, Heard]:
        """Return and forget the paths seen since the last call, each with what its events
        said (signal None: nothing, it was only touched) and how long ago the last came."""
        return self._collector.drain()

    def wait(self, timeout: float) -> bool:
        """Wait until a path was seen since the last :meth:`drain`, at most `timeout`
        seconds; True if one was. A local wait: it ends on time (a blocking Redis read
        ends on Redis's next cron tick, up to 100 ms late)."""
        return self._collector.arrived.wait(timeout)

    def stop(self) -> None:
        """Stop the observer thread."""
        self._observer.stop()
        self._observer.join(timeout=5)
