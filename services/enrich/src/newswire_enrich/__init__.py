"""newswire enrichment: clean an article, find its entities and its quotes.

Usable three ways, all through the same code: as a library (:class:`Pipeline`), from the
one-shot command line (``newswire enrich FILE --out DIR``) and as Celery workers
(``newswire worker``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newswire-enrich")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
