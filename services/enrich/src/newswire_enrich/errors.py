"""Errors of the enrichment steps.

::

    EnrichError                 anything the pipeline raises on purpose
    ├── BadInputError           the file itself is at fault: retrying cannot help
    │   ├── UnsupportedJSONError   JSON that is not an article shape we know
    │   ├── EmptyArticleError      nothing left after cleaning
    │   ├── UnprocessableTextError spaCy or a step cannot process the text
    │   └── InvalidJobError        a queue message that is not a valid ArticleJob
    └── TransientError          worth retrying later (Redis away, disk full, ...)

Library errors are converted at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class EnrichError(Exception):
    """Base class of the errors the enrichment raises on purpose."""


class BadInputError(EnrichError):
    """The input cannot be enriched; the reason is for a person to read."""


class UnsupportedJSONError(BadInputError):
    """A JSON file that has no article text in any shape we accept."""


class EmptyArticleError(BadInputError):
    """The article has no body text left after cleaning."""


class UnprocessableTextError(BadInputError):
    """spaCy or an extraction step fails on this text: the same text fails the same way."""


class InvalidJobError(BadInputError):
    """A queue message that does not validate as an ArticleJob."""


class TransientError(EnrichError):
    """A failure outside the input (network, disk): the job is retried with backoff."""
