"""Why a file cannot become a job (ingest fails such files at once).

::

    RejectedFileError        the file goes to failed/ at once, with this reason
    ├── NotRegularFileError  a link, FIFO, socket, device or directory: never opened for reading
    ├── UnreadableFileError  the file could not be read (permissions, vanished, kept changing)
    ├── EmptyFileError       zero bytes, or only white space
    ├── FileTooLargeError    over the size limit
    └── UndecodableFileError bytes that decode as no text encoding we accept
"""

from __future__ import annotations


class RejectedFileError(Exception):
    """A file that cannot become a job; ``str(error)`` is the reason for a person."""


class NotRegularFileError(RejectedFileError):
    """Not a regular file (a symbolic link, FIFO, socket, device or directory): never read."""


class UnreadableFileError(RejectedFileError):
    """The file could not be read."""


class EmptyFileError(RejectedFileError):
    """The file has no content."""


class FileTooLargeError(RejectedFileError):
    """The file is over the configured size limit."""


class UndecodableFileError(RejectedFileError):
    """The bytes are not text in any encoding we detect."""
