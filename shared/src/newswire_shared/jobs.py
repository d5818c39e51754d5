"""Read a finished file and turn it into an :class:`ArticleJob` (pure but for the read)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newswire_shared.decoding import decode_bytes
from newswire_shared.errors import (
    EmptyFileError,
    FileTooLargeError,
    RejectedFileError,
    UnreadableFileError,
)
from newswire_shared.schemas import ArticleJob, MediaType, Source, content_sha256, job_id_for


def read_job(path: Path, *, max_bytes: int, original_name: str | None = None) -> ArticleJob:
    """Read `path` and return its job; raise a :class:`RejectedFileError` saying why not."""
    media_type = MediaType.from_suffix(path.suffix)
    if media_type is None:
        raise RejectedFileError(
            f"unsupported file type {path.suffix or '(no suffix)'!r}: "
            "accepted are .txt .md .html .htm .json"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FileTooLargeError(f"file is {size} bytes, over the limit of {max_bytes} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the file: {exc.strerror or exc}") from exc
    return job_from_bytes(data, original_name or path.name, media_type)


def job_from_bytes(data: bytes, filename: str, media_type: MediaType) -> ArticleJob:
    """Return the job for a file's bytes; raise a :class:`RejectedFileError` if unusable."""
    if not data.strip():
        raise EmptyFileError("the file is empty")
    text, encoding = decode_bytes(data)
    if not text.strip():
        raise EmptyFileError("the file contains only white space")
    sha = content_sha256(data)
    return ArticleJob(
        job_id=job_id_for(sha),
        source=Source(
            filename=filename,
            size=len(data),
            sha256=sha,
            received_at=datetime.now(UTC),
            media_type=media_type,
            encoding=encoding,
        ),
        text=text,
    )
