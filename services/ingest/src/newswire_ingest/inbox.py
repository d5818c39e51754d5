"""The inbox folder and its sub-folders, which together are the recovery log.

::

    inbox/              files people drop (sub-folders too with NEWSWIRE_RECURSIVE)
    inbox/processing/   claimed: a job is queued for each file here
    inbox/done/         its result is published
    inbox/failed/       no result; ``<name>.error.json`` beside it says why

Files move by ``os.replace`` inside one filesystem, so a move is atomic and a crash leaves each
file in exactly one folder. A move takes the entry itself (a link moves as the link) and keeps
the file's path below the inbox: ``inbox/agency/x.txt`` goes to ``processing/agency/x.txt``.

What the inbox takes: every entry but folders, junk and ignored names. Only regular files are
read (:meth:`Inbox.read`); links, FIFOs, sockets and devices are refused unread, so ingest
moves them to failed/. Folders are walked in recursive mode (links to folders are not
followed) and otherwise left alone with one log line each.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Literal

from newswire_ingest.filenames import free_name
from newswire_shared.errors import NotRegularFileError
from newswire_shared.fileio import display_name, file_kind, write_text_atomic
from newswire_shared.jobs import read_job
from newswire_shared.logs import get_logger
from newswire_shared.schemas import ACCEPTED_SUFFIXES, ArticleJob, FailureRecord

__all__ = ["Inbox", "free_name", "is_accepted", "is_junk"]

log = get_logger(__name__)

_JUNK_NAMES = frozenset(
    {"thumbs.db", "desktop.ini", "@eadir", ".ds_store", ".stfolder", "__macosx", "icon\r"}
)
_JUNK_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")
_ERROR_SUFFIX = ".error.json"
#: The inbox's own folders at its top level: never taken from, never walked.
_OWN_FOLDERS = frozenset({"processing", "done", "failed"})

Kind = Literal["file", "folder", "skip"]


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
    """An inbox root and its sub-folders.

    `recursive`: take files from sub-folders too. `ignore`: globs (``fnmatch``, ``*`` also
    matches ``/``) of names or paths inside the inbox to leave alone, like junk; a folder
    matches as ``name`` or ``name/``.
    """

    root: Path
    recursive: bool = False
    ignore: Sequence[str] = ()
    _bases: tuple[Path, ...] = field(init=False, repr=False, compare=False)
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _noted: set[Path] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = tuple(p.strip().removeprefix("./").lstrip("/") for p in self.ignore)
        object.__setattr__(self, "ignore", tuple(p for p in patterns if p))
        bases = dict.fromkeys((self.root, self.root.absolute(), self.root.resolve()))
        object.__setattr__(self, "_bases", tuple(bases))
        # str(base) + "/": a normalised path starts with it exactly when it is below base
        prefixes = tuple(str(b).rstrip("/") + "/" for b in bases if os.sep == "/")
        object.__setattr__(self, "_prefixes", prefixes)

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

    # -- what the inbox takes --------------------------------------------------------------

    def kind(self, path: Path) -> Kind:
        """Say what `path` is to the inbox, without following links: a ``"file"`` to claim
        (any entry but a folder: claiming refuses all but regular files), a ``"folder"`` of
        the inbox, or ``"skip"`` (gone, junk, ignored, outside the watched levels, or in
        processing/, done/ or failed/)."""
        rel = self._relative_to_root(path)
        if rel is None or not rel.parts:
            return "skip"
        if len(rel.parts) > 1 and not self.recursive:
            return "skip"
        try:
            mode = path.lstat().st_mode
        except OSError:
            return "skip"
        if self._linked_folder(path) is not None:
            return "skip"  # reached through a link to a folder: not in the inbox
        is_dir = stat.S_ISDIR(mode)
        if self._skipped(rel, is_dir=is_dir):
            return "skip"
        return "folder" if is_dir else "file"

    def candidates(self, below: Path | None = None) -> list[Path]:
        """Return the entries to claim, sorted, from the whole inbox or from folder `below`.

        Folders are walked in recursive mode (never through a link, never into processing/,
        done/, failed/ or hidden, junk or ignored folders); otherwise each folder is logged
        once and left alone.
        """
        found: list[Path] = []
        if below is None:
            self._walk(self.root, found)
        elif self.kind(below) == "folder":
            if self.recursive:
                self._walk(below, found)
            else:
                self._note_folder(below)
        return sorted(found)

    def _walk(self, folder: Path, found: list[Path]) -> None:
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:  # vanished or unreadable meanwhile: the next scan sees it
            log.warning("inbox_folder_unreadable", folder=display_name(str(folder)), error=str(exc))
            return
        for entry in entries:
            path = folder / entry.name
            rel = self._relative_to_root(path)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if rel is None or self._skipped(rel, is_dir=is_dir):
                continue
            if not is_dir:
                found.append(path)
            elif self.recursive:
                self._walk(path, found)
            else:
                self._note_folder(path)

    def _note_folder(self, path: Path) -> None:
        if path in self._noted:
            return
        self._noted.add(path)
        log.info(
            "folder_left_alone",
            folder=self.relative_path(path) or self.display_name(path),
            hint="sub-folders are taken only with NEWSWIRE_RECURSIVE=true",
        )

    def _skipped(self, rel: PurePosixPath, *, is_dir: bool) -> bool:
        """True for the inbox's own folders, and for junk or ignored names at any level."""
        if rel.parts[0] in _OWN_FOLDERS and (is_dir or len(rel.parts) > 1):
            return True
        last = len(rel.parts) - 1
        for index, part in enumerate(rel.parts):
            if is_junk(Path(part)):
                return True
            prefix = PurePosixPath(*rel.parts[: index + 1])
            if self.ignore and self._ignored(prefix, folder=is_dir or index < last):
                return True
        return False

    def _ignored(self, rel: PurePosixPath, *, folder: bool) -> bool:
        texts = [display_name(rel.as_posix()), display_name(rel.name)]
        if folder:
            texts += [text + "/" for text in texts]
        return any(fnmatchcase(text, pattern) for pattern in self.ignore for text in texts)

    def in_processing(self) -> list[Path]:
        """Return the files left in processing/ and its sub-folders, sorted (after a
        restart: to finish or requeue)."""
        found: list[Path] = []
        stack = [self.processing]
        while stack:
            try:
                with os.scandir(stack.pop()) as it:
                    entries = list(it)
            except OSError:
                continue
            for entry in entries:
                path = Path(entry.path)
                if is_junk(path):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                else:
                    found.append(path)
        return sorted(found)

    # -- names ------------------------------------------------------------------------------

    def display_name(self, path: Path) -> str:
        """The file's name as valid Unicode (bytes that are not UTF-8 as ``\\xff``)."""
        return display_name(path.name)

    def relative_path(self, path: Path) -> str | None:
        """The file's path below the inbox (``agency/2024/x.txt``), also for a file in
        processing/, done/ or failed/; None at the top level."""
        located = self._locate(path)
        if located is None or len(located[1].parts) < 2:
            return None
        return display_name(located[1].as_posix())

    def _relative_to_root(self, path: Path) -> PurePosixPath | None:
        text = str(path)  # the common case by text: a path below the root as given
        for prefix in self._prefixes:
            if text.startswith(prefix):
                rel = PurePosixPath(text[len(prefix) :])
                return None if ".." in rel.parts else rel
        for candidate in (path, path.absolute()):
            for base in self._bases:
                if candidate.is_relative_to(base):
                    rel = PurePosixPath(*candidate.relative_to(base).parts)
                    return None if ".." in rel.parts else rel
        return None

    def _linked_folder(self, path: Path) -> tuple[Path, int] | None:
        """Return the first folder between the root and `path` that is a link (or no longer
        a folder), with its mode, if any: what lies below it is not in the inbox."""
        rel = self._relative_to_root(path)
        if rel is None:
            return None
        folder = self.root
        for part in rel.parts[:-1]:
            folder = folder / part
            try:
                mode = folder.lstat().st_mode
            except OSError:
                return None  # gone: so is `path`, which its own check finds
            if not stat.S_ISDIR(mode):
                return folder, mode
        return None

    def _locate(self, path: Path) -> tuple[Path, PurePosixPath] | None:
        """Return the folder `path` is in (the root, processing/, done/ or failed/) and its
        path below that folder."""
        rel = self._relative_to_root(path)
        if rel is None or not rel.parts:
            return None
        if len(rel.parts) > 1 and rel.parts[0] in _OWN_FOLDERS:
            return self.root / rel.parts[0], PurePosixPath(*rel.parts[1:])
        return self.root, rel

    # -- reading and moving ------------------------------------------------------------------

    def read(self, path: Path, max_bytes: int) -> ArticleJob:
        """Read a regular file of the inbox (or of processing/) into its job.

        Never follows a link and never blocks (see :func:`newswire_shared.jobs.read_job`);
        raises a :class:`~newswire_shared.errors.RejectedFileError` saying why not.
        """
        linked = self._linked_folder(path)
        if linked is not None:
            folder, mode = linked
            raise NotRegularFileError(
                f"its folder '{display_name(folder.name)}' is {file_kind(mode)}; it was not read"
            )
        return read_job(
            path,
            max_bytes=max_bytes,
            original_name=self.display_name(path),
            source_path=self.relative_path(path),
        )

    def move(self, path: Path, folder: Path) -> Path:
        """Move `path` into `folder` (keeping its sub-path below the inbox) without
        overwriting anything; return the new path."""
        return self._move(path, folder, reserve=0)

    def _move(self, path: Path, folder: Path, *, reserve: int) -> Path:
        located = self._locate(path)
        parts = located[1].parts[:-1] if located else ()
        target = free_name(_mirror(folder, parts), path.name, reserve=reserve)
        path.replace(target)
        return target

    def fail(self, path: Path, record: FailureRecord) -> Path:
        """Move `path` to failed/ and write its failure record beside it.

        A name too long to take ``.error.json`` is stored shortened (see
        :mod:`newswire_ingest.filenames`); the record keeps the original name.
        """
        target = self._move(path, self.failed, reserve=len(_ERROR_SUFFIX))
        filename = display_name(record.filename)
        if filename != record.filename:
            record = record.model_copy(update={"filename": filename})
        write_text_atomic(
            target.with_name(target.name + _ERROR_SUFFIX),
            json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        )
        return target


def _mirror(folder: Path, parts: Sequence[str]) -> Path:
    """Return ``folder/<parts>``, creating it; `folder` itself if something that is not a
    folder (a file, a link) is in the way: nothing is ever moved through a link."""
    current = folder
    for part in parts:
        current = current / part
        try:
            current.mkdir()
        except FileExistsError:
            if not stat.S_ISDIR(current.lstat().st_mode):
                return folder
    return current
