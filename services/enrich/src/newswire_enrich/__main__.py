"""``python -m newswire_enrich``: run an enrichment worker, as ``newswire worker`` does."""

from newswire_enrich.settings import WorkerSettings
from newswire_enrich.worker import run_worker

run_worker(WorkerSettings())
