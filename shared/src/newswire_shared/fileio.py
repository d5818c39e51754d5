"""Safe reads of dropped files, crash-safe writes, and file names fit for JSON.

Reading never follows a link and never blocks: the entry's type is checked without following
links (``lstat``), the file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and the opened
descriptor is checked again (a regular file, the very inode that was checked, within the size
limit). A FIFO, socket, device, directory or symbolic link is refused with
:class:`~newswire_shared.errors.NotRegularFileError` and never opened for reading.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from newswire_shared.errors import (
    FileTooLargeError,
    NotRegularFileError,
    UnreadableFileError,
)

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1 << 20
#: How often a file replaced between the type check and the open is checked again.
_ATTEMPTS = 3


def file_kind(mode: int) -> str:
    """Say, for a person, what kind of file system entry `mode` (``st_mode``) is."""
    kinds = (
        (stat.S_ISLNK, "a symbolic link (links are never followed)"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISREG, "a regular file"),
    )
    return next((kind for test, kind in kinds if test(mode)), "not a regular file")


def _not_regular(mode: int) -> NotRegularFileError:
    return NotRegularFileError(f"not a regular file but {file_kind(mode)}; it was not read")


def check_regular(path: Path) -> os.stat_result:
    """Return the ``lstat`` of `path`; raise :class:`NotRegularFileError` unless it is a
    regular file (a link is not followed), :class:`UnreadableFileError` if it is gone."""
    try:
        info = path.lstat()
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(info.st_mode)
    return info


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileTooLargeError(f"file is {size} bytes, over the limit of {max_bytes} bytes")


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """Return the bytes of the regular file `path`, reading at most ``max_bytes + 1``.

    Raises :class:`NotRegularFileError` for anything else (nothing is opened for reading but
    regular files; a link is never followed), :class:`FileTooLargeError` over `max_bytes`,
    :class:`UnreadableFileError` when it cannot be read.
    """
    for _ in range(_ATTEMPTS):
        expected = check_regular(path)
        _check_size(expected.st_size, max_bytes)
        try:
            fd = os.open(path, _READ_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # O_NOFOLLOW: it became a link
                raise _not_regular(stat.S_IFLNK) from exc
            check_regular(path)  # replaced by a socket (ENXIO) and the like
            raise UnreadableFileError(f"cannot read the file: {exc.strerror or exc}") from exc
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise _not_regular(opened.st_mode)
            if (opened.st_dev, opened.st_ino) != (expected.st_dev, expected.st_ino):
                continue  # replaced between the check and the open: check the new one
            _check_size(opened.st_size, max_bytes)
            data = _read_at_most(fd, max_bytes + 1)
        except OSError as exc:
            raise UnreadableFileError(f"cannot read the file: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)
        _check_size(len(data), max_bytes)
        return data
    raise UnreadableFileError("the file kept being replaced while it was opened")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(_CHUNK, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def display_name(name: str | bytes) -> str:
    """Return `name` as valid Unicode: bytes that are not UTF-8 become ``\\xff`` escapes.

    File names are any bytes; Python keeps undecodable ones as lone surrogates, which JSON,
    Redis and UTF-8 files refuse. Valid names come back unchanged (newlines included: JSON
    escapes them).
    """
    if isinstance(name, bytes):
        return name.decode("utf-8", "backslashreplace")
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone surrogates that did not come from a file name
        raw = name.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Write `text` to `path` via a temporary file in the same folder, fsync and rename.

    Readers see the old file or the new one, never a half-written one. The temporary name is
    short (``.nw-<random>.tmp``), so it fits wherever `path` itself fits. ``durable=False``
    skips the fsync, for files rebuilt from other data (story records): still atomic, but a
    power cut may leave the previous version.
    """
    tmp = path.with_name(f".nw-{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(tmp, _WRITE_FLAGS, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
