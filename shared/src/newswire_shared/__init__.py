"""newswire's common package: the message schemas, settings, logging and Redis wiring.

Both services import this package and nothing of each other: the ingest service queues
:class:`~newswire_shared.schemas.ArticleJob` messages by task name, the enrichment workers
answer with :class:`~newswire_shared.schemas.EnrichedArticle` results.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newswire-shared")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
