"""The inbox folder and its sub-folders, which together are the recovery log.

::

    inbox/              files people drop (only the top level is watched)
    inbox/processing/   claimed: a job is queued for each file here
    inbox/done/         its result is published
    inbox/failed/       no result; ``<name>.error.json`` beside it says why

Files move by ``os.replace`` inside one filesystem, so a move is atomic and a crash leaves each
file in exactly one folder.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from newswire_shared.fileio import write_text_atomic
from newswire_shared.schemas import ACCEPTED_SUFFIXES, FailureRecord

_JUNK_NAMES = frozenset(
    {"thumbs.db", "desktop.ini", "@eadir", ".ds_store", ".stfolder", "__macosx", "icon\r"}
)
_JUNK_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")
_ERROR_SUFFIX = ".error.json"


def is_junk(path: Path) -> bool:
    """Return True for files no person meant to drop: hidden, temporary, OS metadata."""
    name = path.name
    lowered = name.lower()
    return (
        name.startswith((".", "~$", "._"))
        or lowered in _JUNK_NAMES
        or lowered.endswith(_JUNK_SUFFIXES)
        or lowered.endswith(_ERROR_SUFFIX)
    )


def is_accepted(path: Path) -> bool:
    """Return True if `path` has a suffix the pipeline reads (.txt .md .html .htm .json)."""
    return path.suffix.lower() in ACCEPTED_SUFFIXES


@dataclass(frozen=True)
class Inbox:
    """An inbox root and its sub-folders."""

    root: Path

    @property
    def processing(self) -> Path:
        """Claimed files whose job is queued."""
        return self.root / "processing"

    @property
    def done(self) -> Path:
        """Files whose result is published."""
        return self.root / "done"

    @property
    def failed(self) -> Path:
        """Files that produced a failure record."""
        return self.root / "failed"

    def create(self) -> None:
        """Create the root and sub-folders if missing."""
        for folder in (self.root, self.processing, self.done, self.failed):
            folder.mkdir(parents=True, exist_ok=True)

    def candidates(self) -> list[Path]:
        """Return the regular files at the inbox's top level, junk excluded."""
        found = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and not is_junk(Path(entry.name)):
                    found.append(Path(entry.path))
        return sorted(found)

    def in_processing(self) -> list[Path]:
        """Return the files left in processing/ (after a restart: to finish or requeue)."""
        return sorted(p for p in self.processing.iterdir() if p.is_file() and not is_junk(p))

    def move(self, path: Path, folder: Path) -> Path:
        """Move `path` into `folder` without overwriting anything; return the new path."""
        target = free_name(folder, path.name)
        path.replace(target)
        return target

    def fail(self, path: Path, record: FailureRecord) -> Path:
        """Move `path` to failed/ and write its failure record beside it."""
        target = self.move(path, self.failed)
        write_text_atomic(
            target.with_name(target.name + _ERROR_SUFFIX),
            json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        )
        return target


def free_name(folder: Path, name: str) -> Path:
    """Return ``folder/name``, or ``folder/stem (2).ext`` etc. if that is taken."""
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = Path(name).stem, Path(name).suffix
    stem = re.sub(r" \(\d+\)$", "", stem)
    n = 2
    while (folder / f"{stem} ({n}){suffix}").exists():
        n += 1
    return folder / f"{stem} ({n}){suffix}"
