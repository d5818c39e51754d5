"""The Celery side of the enrichment workers: app, task, and process life cycle.

The spaCy model is loaded once, in the main process, before Celery starts (before the wait
for Redis too): a model that cannot be loaded is one ``model_unavailable`` line naming
``NEWSWIRE_SPACY_MODEL`` and exit status 1, never a worker that takes jobs it cannot do. The
pool processes are forked from the loaded process, so each holds the model from its first
instruction (and shares its memory copy-on-write); the ready file, written when the worker
accepts jobs, therefore means every pool process holds the model. A stale ready file is
removed at start. The main process also touches a heartbeat file; both are for container
probes (``newswire health``). ``celery -A newswire_enrich.celery_app worker`` gets the same
behaviour through ``worker_init``.

Task events and worker heartbeats are on (Flower, ``celery events``, exporters); gossip and
mingle stay off: ``inspect``, Flower and exporters do not need them (they use the broadcast
mailbox and events), mingle adds about a second to every start for revoked-task syncing we
never use, and gossip makes every worker follow every other worker's heartbeats (N² messages)
for elections and revokes we never use either.

Before Celery starts, the worker waits for Redis (one ``redis_unavailable`` line per attempt)
and checks its credentials: a password Redis refuses is one error line and exit status 1, not
Celery retrying a hundred times.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from celery import Celery, Task
from celery.exceptions import SecurityWarning
from celery.signals import (
    setup_logging,
    worker_init,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)
from pydantic import ValidationError
from redis import Redis

from newswire_enrich import _metrics
from newswire_enrich.jobs import JobRunner, Retry
from newswire_enrich.pipeline import Pipeline
from newswire_enrich.publish import Publisher
from newswire_enrich.settings import WorkerSettings
from newswire_enrich.steps import StepError
from newswire_enrich.stories import StoryIndex
from newswire_enrich.story_tracker import StoryTracker
from newswire_shared.keys import ENRICH_TASK, RedisKeys
from newswire_shared.logs import configure_logging, get_logger
from newswire_shared.queueing import make_celery
from newswire_shared.redis_conn import RedisAuthError, redis_client, wait_for_redis
from newswire_shared.settings import settings_error_line

log = get_logger(__name__)

_HEARTBEAT_SECONDS = 10.0
_SWEEP_SECONDS = 1.0


def load_pipeline(settings: WorkerSettings) -> Pipeline:
    """Return a pipeline with the model of `settings` loaded; exit 1 with one line if it cannot.

    The line names the setting at fault (``NEWSWIRE_SPACY_MODEL``, ``NEWSWIRE_EXTRA_STEPS``,
    ``NEWSWIRE_LABEL_MAP``, ...); the traceback is logged only at DEBUG level.
    """
    try:
        pipeline = Pipeline(settings.spacy_model)
    except ValidationError as exc:
        log.error("invalid_settings", error=settings_error_line(exc))
        sys.exit(1)
    try:
        pipeline.setup()
    except StepError as exc:
        _exit_unusable(settings, "step_unavailable", f"NEWSWIRE_EXTRA_STEPS: {exc}")
    except Exception as exc:
        error = (
            f"NEWSWIRE_SPACY_MODEL={settings.spacy_model!r} cannot be loaded: "
            f"{exc or type(exc).__name__}"
        )
        _exit_unusable(settings, "model_unavailable", error)
    return pipeline


def story_tracker(settings: WorkerSettings, client: Redis, keys: RedisKeys) -> StoryTracker:
    """The story assignment of a worker: the shared index, records in ``results/stories``."""
    return StoryTracker(
        StoryIndex(client, prefix=keys.story_index),
        keys,
        settings.results_dir / "stories",
        settings.results_stream_maxlen,
    )


def _exit_unusable(settings: WorkerSettings, event: str, error: str) -> NoReturn:
    if settings.log_level.upper() == "DEBUG":
        log.exception(event, error=error)
    else:
        log.error(event, error=error)
    sys.exit(1)


def create_app(settings: WorkerSettings, pipeline: Pipeline | None = None) -> Celery:
    """Return the worker's Celery app with the enrichment task registered.

    `pipeline` is one already loaded in this (the main) process; without it, a worker started
    from this app loads the model at ``worker_init``, still before the pool forks. Merely
    creating the app (``celery -A newswire_enrich.celery_app inspect``) loads nothing.
    """
    app = make_celery(settings, "newswire-enrich", task_time_limit=settings.task_time_limit)
    app.conf.update(
        worker_proc_alive_timeout=120,
        worker_max_tasks_per_child=settings.max_tasks_per_child,
        worker_max_memory_per_child=settings.max_memory_per_child_mb * 1024,
    )
    loaded: dict[str, Pipeline] = {} if pipeline is None else {"pipeline": pipeline}
    state: dict[str, JobRunner] = {}

    def runner() -> JobRunner:
        if "runner" not in state:
            client = redis_client(settings)
            keys = RedisKeys(settings.key_prefix)
            if "pipeline" not in loaded:  # only when the app is used without a worker
                loaded["pipeline"] = load_pipeline(settings)
            state["runner"] = JobRunner(
                pipeline=loaded["pipeline"],
                publisher=Publisher(
                    client, keys, settings.results_dir, settings.results_stream_maxlen
                ),
                redis=client,
                keys=keys,
                max_retries=settings.max_retries,
                max_deliveries=settings.max_deliveries,
                stories=story_tracker(settings, client, keys) if settings.stories else None,
            )
        return state["runner"]

    @app.task(name=ENRICH_TASK, bind=True, acks_late=True, max_retries=None)
    def enrich_article(self: Task[Any, Any], payload: dict[str, Any]) -> str:
        try:
            outcome = runner().run(payload, retries=self.request.retries)
        except Retry as retry:
            raise self.retry(exc=retry.cause, countdown=retry.countdown) from retry
        return outcome.kind

    @worker_init.connect(weak=False)
    def _load_model(**_: Any) -> None:
        # main process, before the pool forks: every pool process inherits the loaded model
        if "pipeline" not in loaded:
            loaded["pipeline"] = load_pipeline(settings)

    @worker_process_init.connect(weak=False)
    def _start_process(**_: Any) -> None:
        configure_logging(settings.log_level, settings.log_format)
        runner()  # its own Redis connections; the model came with the fork

    @setup_logging.connect(weak=False)
    def _logging(**_: Any) -> None:
        configure_logging(settings.log_level, settings.log_format)

    @worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        _touch(settings.ready_file)
        _start_heartbeat(settings.heartbeat_file)
        if settings.stories:
            _start_story_sweeper(settings)
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
        # heartbeats on (Flower, exporters); gossip and mingle off: see the module docstring
        "--without-gossip",
        "--without-mingle",
    ]


def run_worker(settings: WorkerSettings) -> None:
    """Run a Celery worker in this process until it is told to stop."""
    configure_logging(settings.log_level, settings.log_format)
    settings.ready_file.unlink(missing_ok=True)  # left by a worker killed outright
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    _metrics.serve(settings.metrics_host, settings.metrics_port)  # before the model loads
    pipeline = load_pipeline(settings)
    if not _redis_ready(settings):
        return
    app = create_app(settings, pipeline)
    _quiet_root_warning(app)
    app.worker_main(worker_argv(settings))


def _quiet_root_warning(app: Celery) -> None:
    """Silence Celery's 5-line SecurityWarning about running as root (containers often do).

    Celery *refuses* to run as root when the worker accepts pickle (a message could run code
    as root); with JSON only it just warns, on every start. We accept JSON only, so the
    warning says nothing actionable; it stays on should pickle ever be accepted.
    """
    if not {"pickle", "application/x-python-serialize"} & set(app.conf.accept_content):
        warnings.filterwarnings(
            "ignore",
            message="You're running the worker with superuser privileges",
            category=SecurityWarning,
        )


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


def _start_story_sweeper(settings: WorkerSettings) -> None:
    """Rebuild the records of large stories that are due, every second, in a thread of the
    main process (see :meth:`StoryTracker.sweep`); errors are logged, never fatal."""
    tracker = story_tracker(settings, redis_client(settings), RedisKeys(settings.key_prefix))

    def sweep() -> None:
        while True:
            try:
                tracker.sweep()
            except Exception:  # a thread that must outlive any one failure
                log.exception("story_sweep_failed")
            threading.Event().wait(_SWEEP_SECONDS)

    threading.Thread(target=sweep, name="story-sweeper", daemon=True).start()


def _start_heartbeat(path: Path) -> None:
    def beat() -> None:
        while True:
            _touch(path)
            threading.Event().wait(_HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
