"""Decide when a file is finished being written.

Never act on "file created": scanners and uploads create a file first and write it later. A
file is ready when its size and modification time have not changed for a quiet period. The
tracker never gives up on a file that keeps changing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


@dataclass
class StabilityTracker:
    """Remembers each candidate's last size/mtime and when it last changed."""

    quiet_seconds: float
    _seen: dict[Path, _Seen] = field(default_factory=dict)

    def observe(self, path: Path, now: float) -> None:
        """Record the current state of `path` (a vanished file is forgotten). A link is not
        followed: it is judged, and later refused, as the link itself."""
        try:
            stat = path.lstat()
        except FileNotFoundError:
            self._seen.pop(path, None)
            return
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)

    def ready(self, now: float) -> list[Path]:
        """Return files unchanged for the quiet period, re-checking each one on disk."""
        out = []
        for path, seen in list(self._seen.items()):
            if now - seen.since < self.quiet_seconds:
                continue
            self.observe(path, now)
            current = self._seen.get(path)
            if current is not None and now - current.since >= self.quiet_seconds:
                out.append(path)
        return sorted(out)

    def forget(self, path: Path) -> None:
        """Stop tracking `path` (claimed, moved or deleted)."""
        self._seen.pop(path, None)

    def __len__(self) -> int:
        return len(self._seen)
