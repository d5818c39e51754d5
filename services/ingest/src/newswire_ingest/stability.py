"""Decide when a file is finished being written.

Never act on "file created": scanners and uploads create a file first and write it later. A
file is ready when its size and modification time have not changed for a quiet period. The
tracker never gives up on a file that keeps changing.

Native events can say more (:class:`Signal`). A file announced complete, closed after
writing or renamed into the inbox, is ready after a short settle period without any change
or event since the announcement. A file changed after an announcement (a slow writer that
closes and opens it again) falls back to the full quiet period for as long as it is tracked.
Files with no announcement (seen by a rescan, by polling, or still being written) always
wait the full quiet period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class Signal(Enum):
    """What native events said about a path since the last look."""

    #: created or written to: still being written, as far as anyone knows
    CHANGED = "changed"
    #: closed after writing, or renamed into the inbox, with no change after
    COMPLETE = "complete"
    #: changed after it was announced complete
    REOPENED = "reopened"


def merge(previous: Signal | None, new: Signal | None) -> Signal | None:
    """Fold the signal of a later event into the earlier ones of the same path (None: an
    event that says nothing, like an open for reading)."""
    if new is None:
        return previous
    if previous is Signal.REOPENED or (previous is Signal.COMPLETE and new is Signal.CHANGED):
        return Signal.REOPENED
    return new


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float
    announced: float | None = None
    demoted: bool = False


@dataclass
class StabilityTracker:
    """Remembers each candidate's last size/mtime, when it last changed, and whether it was
    announced complete (then `settle_seconds` is enough, capped at `quiet_seconds`)."""

    quiet_seconds: float
    settle_seconds: float | None = None
    _seen: dict[Path, _Seen] = field(default_factory=dict)

    @property
    def settle(self) -> float:
        """The quiet period of an announced file: never longer than the full one."""
        if self.settle_seconds is None:
            return self.quiet_seconds
        return min(self.settle_seconds, self.quiet_seconds)

    def observe(
        self, path: Path, now: float, signal: Signal | None = None, *, heard: float | None = None
    ) -> None:
        """Record the current state of `path` (a vanished file is forgotten) and what events
        said about it (None: nothing, as for a rescan). `heard` is when the last of those
        events came (at most `now`): a change or an announcement counts from then. A link is
        not followed: it is judged, and later refused, as the link itself."""
        at = now if heard is None else min(heard, now)
        try:
            stat = path.lstat()
        except FileNotFoundError:
            self._seen.pop(path, None)
            return
        seen = self._seen.get(path)
        if seen is None:
            seen = self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, at)
        elif (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            seen.size, seen.mtime_ns, seen.since = stat.st_size, stat.st_mtime_ns, at
            if seen.announced is not None:
                seen.announced, seen.demoted = None, True
        if signal is Signal.REOPENED or (signal is Signal.CHANGED and seen.announced is not None):
            seen.announced, seen.demoted = None, True
        elif signal is Signal.COMPLETE and not seen.demoted:
            seen.announced = at

    def _due(self, seen: _Seen) -> float:
        if seen.announced is not None:
            return max(seen.since, seen.announced) + self.settle
        return seen.since + self.quiet_seconds

    def ready(self, now: float) -> list[Path]:
        """Return files quiet for long enough, re-checking each one on disk."""
        out = []
        for path, seen in list(self._seen.items()):
            if now < self._due(seen):
                continue
            self.observe(path, now)
            current = self._seen.get(path)
            if current is not None and now >= self._due(current):
                out.append(path)
        return sorted(out)

    def next_due(self) -> float | None:
        """When the next tracked file may become ready (None: nothing tracked)."""
        return min((self._due(seen) for seen in self._seen.values()), default=None)

    def forget(self, path: Path) -> None:
        """Stop tracking `path` (claimed, moved or deleted)."""
        self._seen.pop(path, None)

    def __len__(self) -> int:
        return len(self._seen)
