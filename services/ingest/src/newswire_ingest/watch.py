"""Native file events or polling, feeding paths to the main loop.

Sources: on Linux, inotify read directly (:mod:`newswire_ingest._inotify`: one thread, a few
microseconds per event); elsewhere watchdog's native observer; in polling mode watchdog's
polling observer. The handler only records paths; every decision happens in the main loop,
which also rescans the whole inbox periodically, and at once when the kernel says it dropped
events (queue overflow), so a dropped event delays a file but never loses it. The handlers
catch everything: an exception there would kill the watching thread while the process looks
alive.

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

from newswire_ingest import _inotify
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
        self._overflowed = False
        #: set when a path is collected, cleared by drain: what the ingest loop waits on
        self.arrived = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        """watchdog's events (polling, and native events outside Linux)."""
        try:
            src: Signal | None = Signal.CHANGED
            if isinstance(event, _SILENT):
                src = None
            elif isinstance(event, FileClosedEvent) and self._announce:
                src = Signal.COMPLETE
            if event.src_path:
                self._collect_path(Path(os.fsdecode(event.src_path)), src)
            dest = getattr(event, "dest_path", "")
            if dest:
                done = self._announce and not event.is_directory
                self._collect_path(
                    Path(os.fsdecode(dest)), Signal.COMPLETE if done else Signal.CHANGED
                )
        except Exception:
            log.exception("watch_event_failed")

    def on_inotify(self, folder: tuple[str, ...], name: str, mask: int) -> None:
        """An event read by :class:`~newswire_ingest._inotify.InotifyReader`: a close after
        writing, or a file renamed in, announces it; anything else it reports is a change."""
        try:
            signal = Signal.CHANGED
            if mask & _inotify.IN_CLOSE_WRITE or (
                mask & _inotify.IN_MOVED_TO and not mask & _inotify.IN_ISDIR
            ):
                signal = Signal.COMPLETE
            self._collect((*folder, name), signal)
        except Exception:
            log.exception("watch_event_failed")

    def on_overflow(self) -> None:
        """The kernel dropped events: the next :meth:`overflowed` says so."""
        with self._lock:
            self._overflowed = True
            self.arrived.set()

    def overflowed(self) -> bool:
        """Whether events were dropped since the last call."""
        with self._lock:
            dropped, self._overflowed = self._overflowed, False
        return dropped

    def _collect_path(self, path: Path, signal: Signal | None) -> None:
        if path.is_relative_to(self._watched):
            self._collect(path.relative_to(self._watched).parts, signal)

    def _collect(self, parts: tuple[str, ...], signal: Signal | None) -> None:
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
            if self._overflowed:
                self.arrived.set()  # until overflowed() is asked
        now = time.monotonic()
        return {path: Heard(signal, max(0.0, now - at)) for path, (signal, at) in paths.items()}


class _ObserverSource:
    """watchdog's observer thread feeding the collector."""

    def __init__(
        self, observer: BaseObserver, collector: _Collector, watched: Path, *, recursive: bool
    ) -> None:
        self._observer = observer
        self._collector = collector
        self._watched = watched
        self._recursive = recursive

    def start(self) -> None:
        self._observer.schedule(self._collector, str(self._watched), recursive=self._recursive)
        self._observer.start()

    def alive(self) -> bool:
        return self._observer.is_alive()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)


class InboxWatcher:
    """Collects paths touched in the inbox since the last :meth:`drain`: its top level, or
    with `recursive` its sub-folders too (but not processing/, done/, failed/).

    Native events come from inotify read directly on Linux
    (:class:`~newswire_ingest._inotify.InotifyReader`), from watchdog's native observer
    elsewhere; `polling` uses watchdog's polling observer (announces nothing).
    """

    def __init__(
        self, root: Path, *, polling: bool, poll_interval: float, recursive: bool = False
    ) -> None:
        self._watched = root.resolve()
        self._collector = _Collector(self._watched, root, recursive=recursive, announce=not polling)
        self._source: _ObserverSource | _inotify.InotifyReader
        if polling:
            observer: BaseObserver = PollingObserver(timeout=poll_interval)
        elif _inotify.available():
            self._source = _inotify.InotifyReader(
                self._watched,
                self._collector.on_inotify,
                self._collector.on_overflow,
                recursive=recursive,
                skip=_OWN_FOLDERS,
            )
            return
        else:
            observer = Observer()
        self._source = _ObserverSource(
            observer, self._collector, self._watched, recursive=recursive
        )

    def start(self) -> None:
        """Start watching; raise :class:`WatchLimitError` when the kernel's limits are hit."""
        try:
            self._source.start()
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                raise WatchLimitError(
                    "the kernel refused an inotify watch; raise fs.inotify.max_user_watches / "
                    "fs.inotify.max_user_instances (sysctl) or set NEWSWIRE_POLLING=true"
                ) from exc
            raise

    def alive(self) -> bool:
        """Return True while events are watched (False once the inbox itself went away)."""
        return self._source.alive()

    def drain(self) -> dict[Path, Heard]:
        """Return and forget the paths seen since the last call, each with what its events
        said (signal None: nothing, it was only touched) and how long ago the last came."""
        return self._collector.drain()

    def overflowed(self) -> bool:
        """Whether the kernel dropped events since the last call (the inbox needs a rescan)."""
        return self._collector.overflowed()

    def wait(self, timeout: float) -> bool:
        """Wait until a path was seen since the last :meth:`drain`, at most `timeout`
        seconds; True if one was. A local wait: it ends on time (a blocking Redis read
        ends on Redis's next cron tick, up to 100 ms late)."""
        return self._collector.arrived.wait(timeout)

    def stop(self) -> None:
        """Stop watching."""
        self._source.stop()
