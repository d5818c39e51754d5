"""File names that fit the file system: free numbered names and shortened long names.

A name is at most ``NAME_MAX`` bytes (255 on common file systems), counted in the bytes on
disk: a name that is not valid UTF-8 is handled as its bytes (Python keeps the undecodable ones
as lone surrogates, one per byte). A name too long for a folder (a 250-byte name that must
also take ``.error.json`` beside it) is cut on a character boundary and given ``~`` and a short
hash of the whole name, so two long names never end up under the same short one; the suffix
is kept.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

#: ``NAME_MAX`` when the file system does not say.
DEFAULT_NAME_MAX = 255
#: A longer "suffix" is part of the name, not a file type.
_MAX_SUFFIX_BYTES = 16
_HASH_CHARS = 8
_NUMBERED = re.compile(r" \(\d+\)$")


def name_max(folder: Path) -> int:
    """Return the longest file name `folder` takes, in bytes."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return DEFAULT_NAME_MAX
    return limit if limit > 0 else DEFAULT_NAME_MAX


def byte_length(name: str) -> int:
    """Return the length of `name` on disk, in bytes."""
    return len(os.fsencode(name))


def _split(name: str) -> tuple[str, str]:
    suffix = Path(name).suffix
    if byte_length(suffix) > _MAX_SUFFIX_BYTES:
        suffix = ""
    return name[: len(name) - len(suffix)], suffix


def _truncate(text: str, max_bytes: int) -> str:
    """Return the longest start of `text` of at most `max_bytes` bytes, never cutting a
    character in two."""
    used = 0
    for index, char in enumerate(text):
        used += byte_length(char)
        if used > max_bytes:
            return text[:index]
    return text


def shorten(name: str, limit: int) -> str:
    """Return `name` if it fits in `limit` bytes; else its stem cut to fit, ``~``, a short
    hash of the whole name and its suffix."""
    if byte_length(name) <= limit:
        return name
    stem, suffix = _split(name)
    tag = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:_HASH_CHARS]
    return _truncate(stem, limit - byte_length(tag + suffix)) + tag + suffix


def free_name(folder: Path, name: str, *, reserve: int = 0) -> Path:
    """Return ``folder/name``, or ``folder/stem (2).ext`` etc. if that is taken.

    Every name returned fits in the folder's ``NAME_MAX`` less `reserve` bytes (room for a
    companion such as ``.error.json``): a longer one is shortened with :func:`shorten`, and
    the stem of a numbered one is cut to leave room for its number. Links count as taken.
    """
    limit = name_max(folder) - reserve
    name = shorten(name, limit)
    target = folder / name
    if not os.path.lexists(target):
        return target
    stem, suffix = _split(name)
    stem = _NUMBERED.sub("", stem)
    n = 2
    while True:
        tail = f" ({n}){suffix}"
        target = folder / (_truncate(stem, limit - byte_length(tail)) + tail)
        if not os.path.lexists(target):
            return target
        n += 1
