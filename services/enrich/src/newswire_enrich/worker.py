"""The Celery side of the enrichment workers: app, task, and process life cycle.

The spaCy model is loaded once per pool process, right after the fork
(``worker_process_init``, with Celery's start-up allowance raised to fit a model load). The
main process writes a ready file when the worker accepts jobs and touches a heartbeat file,
both for container probes (``newswire health``).

Before Celery starts, the worker waits for Redis (one ``redis_unavailable`` line per attempt)
and checks its credentials: a password Redis refuses is one error line and exit status 1, not
Celery retrying a hundred times.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from celery import Celery, Task
from celery.signals import setup_logging, worker_process_init, worker_ready, worker_shutdown

from newswire_enrich.jobs import JobRunner, Retry
from newswire_enrich.pipeline import Pipeline
from newswire_enrich.publish import Publisher
from newswire_enrich.settings import WorkerSettings
from newswire_shared.keys import ENRICH_TASK, RedisKeys
from newswire_shared.logs import configure_logging, get_logger
from newswire_shared.queueing import make_celery
from newswire_shared.redis_conn import RedisAuthError, redis_client, wait_for_redis

log = get_logger(__name__)

_HEARTBEAT_SECONDS = 10.0


def create_app(settings: WorkerSettings) -> Celery:
    """Return the worker's Celery app with the enrichment task registered."""
    app = make_celery(settings, "newswire-enrich", task_time_limit=settings.task_time_limit)
    app.conf.update(
        worker_proc_alive_timeout=120,
        worker_max_tasks_per_child=settings.max_tasks_per_child,
        worker_max_memory_per_child=settings.max_memory_per_child_mb * 1024,
    )
    state: dict[str, JobRunner] = {}

    def runner() -> JobRunner:
        if "runner" not in state:
            client = redis_client(settings)
            keys = RedisKeys(settings.key_prefix)
            pipeline = Pipeline(settings.spacy_model)
            pipeline.setup()
            state["runner"] = JobRunner(
                pipeline=pipeline,
                publisher=Publisher(
                    client, keys, settings.results_dir, settings.results_stream_maxlen
                ),
                redis=client,
                keys=keys,
                max_retries=settings.max_retries,
                max_deliveries=settings.max_deliveries,
            )
        return state["runner"]

    @app.task(name=ENRICH_TASK, bind=True, acks_late=True, max_retries=None)
    def enrich_article(self: Task[Any, Any], payload: dict[str, Any]) -> str:
        try:
            outcome = runner().run(payload, retries=self.request.retries)
        except Retry as retry:
            raise self.retry(exc=retry.cause, countdown=retry.countdown) from retry
        return outcome.kind

    @worker_process_init.connect(weak=False)
    def _load_model(**_: Any) -> None:
        configure_logging(settings.log_level, settings.log_format)
        runner()

    @setup_logging.connect(weak=False)
    def _logging(**_: Any) -> None:
        configure_logging(settings.log_level, settings.log_format)

    @worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        _touch(settings.ready_file)
        _start_heartbeat(settings.heartbeat_file)
        log.info("worker_ready", queue=settings.queue, concurrency=settings.concurrency)

    @worker_shutdown.connect(weak=False)
    def _shutdown(**_: Any) -> None:
        settings.ready_file.unlink(missing_ok=True)

    return app


def worker_argv(settings: WorkerSettings) -> list[str]:
    """Return the ``celery worker`` arguments for `settings`."""
    return [
        "--quiet",
        "worker",
        f"--loglevel={settings.log_level}",
        f"--concurrency={settings.concurrency}",
        "--pool=prefork",
        f"--queues={settings.queue}",
        "--hostname=enrich@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def run_worker(settings: WorkerSettings) -> None:
    """Run a Celery worker in this process until it is told to stop."""
    configure_logging(settings.log_level, settings.log_format)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    if not _redis_ready(settings):
        return
    create_app(settings).worker_main(worker_argv(settings))


def _redis_ready(settings: WorkerSettings) -> bool:
    """Wait for Redis before Celery starts; False if told to stop, exit 1 on refused login."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return wait_for_redis(redis_client(settings), stop=stop, what="worker", log=log)
    except RedisAuthError as exc:
        log.error("redis_auth_failed", error=str(exc))
        sys.exit(1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _touch(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError as exc:
        log.warning("touch_failed", path=str(path), error=str(exc))


def _start_heartbeat(path: Path) -> None:
    def beat() -> None:
        while True:
            _touch(path)
            threading.Event().wait(_HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
