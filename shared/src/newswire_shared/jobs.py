"""Read a finished file and turn it into an :class:`ArticleJob` (pure but for the read)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newswire_shared.decoding import decode_bytes
from newswire_shared.errors import EmptyFileError, RejectedFileError
from newswire_shared.fileio import check_regular, display_name, read_regular_file
from newswire_shared.schemas import ArticleJob, MediaType, Source, content_sha256, job_id_for


def read_job(
    path: Path,
    *,
    max_bytes: int,
    original_name: str | None = None,
    source_path: str | None = None,
) -> ArticleJob:
    """Read `path` and return its job; raise a :class:`RejectedFileError` saying why not.

    Only a regular file is read (never through a link, never blocking: see
    :func:`~newswire_shared.fileio.read_regular_file`). The job names the file by
    `original_name`, else by :func:`~newswire_shared.fileio.display_name` of its name;
    `source_path` is its path inside the inbox when it sat in a sub-folder.
    """
    check_regular(path)  # the type first: a link named x.pdf is refused as a link
    media_type = MediaType.from_suffix(path.suffix)
    if media_type is None:
        suffix = display_name(path.suffix) or "(no suffix)"
        raise RejectedFileError(
            f"unsupported file type '{suffix}': accepted are .txt .md .html .htm .json"
        )
    data = read_regular_file(path, max_bytes)
    name = original_name or display_name(path.name)
    return job_from_bytes(data, name, media_type, path=source_path)


def job_from_bytes(
    data: bytes, filename: str, media_type: MediaType, *, path: str | None = None
) -> ArticleJob:
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
            path=path,
            size=len(data),
            sha256=sha,
            received_at=datetime.now(UTC),
            media_type=media_type,
            encoding=encoding,
        ),
        text=text,
    )
