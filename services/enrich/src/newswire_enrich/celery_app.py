"""The workers' Celery app, importable by Celery's own tools.

::

    celery -A newswire_enrich.celery_app -b "$REDIS_URL" inspect ping
    celery -A newswire_enrich.celery_app -b "$REDIS_URL" events --dump
    celery -A newswire_enrich.celery_app -b "$REDIS_URL" flower     # with flower installed

The app is built from the worker's settings (``REDIS_URL``, ``NEWSWIRE_QUEUE``, ...) exactly as
the workers build it, so it names the same task, queue and serializers. Importing it loads no
model and opens no connection. It lives in the enrichment package (the worker image); the
ingest image has no such module, so run these tools where ``newswire_enrich`` is installed.
"""

from __future__ import annotations

from newswire_enrich.settings import WorkerSettings
from newswire_enrich.worker import create_app

app = create_app(WorkerSettings())

__all__ = ["app"]
