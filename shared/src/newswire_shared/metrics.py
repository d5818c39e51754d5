"""Prometheus metrics plumbing shared by the services: the HTTP endpoint, build info, and the
multiprocess mode of the prefork workers.

Ingest is one process: its metrics live in ``prometheus_client``'s default registry, served
as they are. A worker is a Celery main process plus forked pool processes, each counting on
its own: in multiprocess mode every process writes its values to memory-mapped files in
``PROMETHEUS_MULTIPROC_DIR`` and the main process serves a registry whose
``MultiProcessCollector`` adds them up (counters and histograms summed over every process
that ever ran, gauges by their ``multiprocess_mode``). ``prometheus_client`` picks its value
store when it is first imported, so :func:`use_multiprocess_dir` must run before that: metric
objects are therefore created lazily (the ``_metrics`` modules build them on first use).
"""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswire_shared.logs import get_logger

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge

log = get_logger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir() -> Path:
    """Put this process (and the processes it forks) in multiprocess mode; return the folder.

    Uses ``PROMETHEUS_MULTIPROC_DIR`` if set (emptied of earlier files: a restart must not
    add a dead run's counts), else a fresh private temporary folder. Raises RuntimeError if
    ``prometheus_client`` was imported already without it (values would stay per process).
    """
    values = sys.modules.get("prometheus_client.values")
    given = os.environ.get(MULTIPROC_ENV)
    if values is not None and not getattr(values.ValueClass, "_multiprocess", False):
        raise RuntimeError(f"{MULTIPROC_ENV} must be set before prometheus_client is imported")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="newswire-metrics-"))
        os.environ[MULTIPROC_ENV] = str(path)
        atexit.register(_remove, path, os.getpid())
    return path


def _remove(path: Path, owner: int) -> None:
    """Remove our private folder when its owner exits (not when a forked child does)."""
    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


def process_exited(pid: int) -> None:
    """Forget the live gauges of pool process `pid` (call as it exits)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


@cache
def failures() -> Counter:
    """``newswire_failures_total{stage,error}``: failure records written (ingest and workers
    share it: one registration when both run in one process, as in tests)."""
    from prometheus_client import Counter

    return Counter(
        "newswire_failures",
        "Failure records written, by stage (ingest, enrich) and error (Empty, TooLarge, "
        "NotRegularFile, BadInput, Poison, TooSlow, ...).",
        ["stage", "error"],
    )


@cache
def _build_info() -> Gauge:
    from prometheus_client import Gauge

    return Gauge(
        "newswire_build_info",
        "Always 1; the labels say which newswire service and version runs.",
        ["service", "version", "python"],
        multiprocess_mode="max",
    )


def set_build_info(service: str, version: str) -> None:
    """Set ``newswire_build_info{service,version,python} 1``."""
    _build_info().labels(service, version, platform.python_version()).set(1)


def start_metrics_server(host: str, port: int, *, service: str, version: str) -> Any | None:
    """Serve ``/metrics`` on `host`:`port` from a daemon thread; return the server.

    Port 0 disables metrics (returns None). In multiprocess mode (see
    :func:`use_multiprocess_dir`) every process's values are served, added up. A port that
    cannot be bound is one warning line, not a failed service.
    """
    if port == 0:
        return None
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

    registry = REGISTRY
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    set_build_info(service, version)
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.warning("metrics_unavailable", host=host, port=port, error=str(exc))
        return None
    log.info("metrics_serving", host=host, port=port)
    return server
