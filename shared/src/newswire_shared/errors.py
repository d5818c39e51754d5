"""Why a file cannot become a job (ingest fails such files at once).

::

    RejectedFileError        the file goes to failed/ at once, with this reason
    ├── UnreadableFileError  the file could not be read (permissions, vanished)
    ├── EmptyFileError       zero bytes, or only white space
    ├── FileTooLargeError    over the size limit
    └── UndecodableFileError bytes that decode as no text encoding we accept
"""

from __future__ import annotations


class RejectedFileError(Exception):
    """A file that cannot become a job; ``str(error)`` is the reason for a person."""


class UnreadableFileError(RejectedFileError):
    """The file could not be read."""


class EmptyFileError(RejectedFileError):
    """The file has no content."""


class FileTooLargeError(RejectedFileError):
    """The file is over the configured size limit."""


class UndecodableFileError(RejectedFileError):
    """The bytes are not text in any encoding we detect."""
