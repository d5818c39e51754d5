"""One logging setup for every newswire process.

structlog renders every line, including the stdlib records of Celery, kombu and redis, which
are routed through the same processors. JSON when the stream is not a terminal (containers,
CI), a readable console otherwise. Per-job context (``job_id``, ``filename``) is bound with
:func:`structlog.contextvars.bind_contextvars` and appears on every line of that job.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog
from structlog.typing import Processor

LogFormat = Literal["auto", "json", "console"]


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


def configure_logging(
    level: str | int = "INFO", fmt: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Configure structlog and the stdlib root logger to render through one formatter."""
    stream = stream or sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    shared = _shared_processors()
    structlog.configure(
        processors=[
            # first: a line below the level costs one level check, not the whole chain
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if isinstance(level, int) else level.upper())
    for noisy in ("kombu", "amqp", "urllib3", "watchdog"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.WARNING))
    for chatty in ("trafilatura", "htmldate", "courlan", "justext"):
        # their warnings are about the page's markup ("empty link"), not about us
        logging.getLogger(chatty).setLevel(max(root.level, logging.ERROR))


def _identity(
    logger: object, method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    return event_dict


def _route_to_stdlib_until_configured() -> None:
    """Send structlog events through stdlib logging when no process configured logging.

    Library users (``from newswire_enrich.pipeline import Pipeline``) then get stdlib
    semantics: warnings and errors only, until they configure logging themselves; debug
    lines such as each removed boilerplate line stay silent.
    """
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


_route_to_stdlib_until_configured()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger named `name` (usually ``__name__``)."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
