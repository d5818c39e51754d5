"""newswire ingest: watch the inbox and queue one enrichment job per finished file.

The inbox is the recovery log. A file moves to ``processing/`` when its job is queued, and to
``done/`` (or ``failed/`` with a ``.error.json`` beside it) only once its result (or failure
record) has been published. This service never imports the enrichment code: it sends jobs to
Celery by task name.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newswire-ingest")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
