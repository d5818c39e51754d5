"""The one logging setup: levels filter before rendering, removed lines logged at debug."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from newswire_enrich.clean import clean_article
from newswire_shared.logs import configure_logging, get_logger

ARTICLE = "Share on Facebook\n\nThe council voted on Tuesday to close the old bridge for repairs.\n"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put structlog and the root logger back as they were after the test."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.usefixtures("restore_logging")
def test_removed_lines_are_logged_at_debug() -> None:
    """At DEBUG each line cleaning removed is one JSON line naming its rule and the file."""
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    article = clean_article(ARTICLE, "text/plain", "bridge.txt")
    removed = [e for e in _lines(stream) if e["event"] == "line removed"]
    assert article.removed, "the share line is boilerplate"
    assert [e["line"] for e in removed] == [r.text for r in article.removed]
    assert {e["filename"] for e in removed} == {"bridge.txt"}


@pytest.mark.usefixtures("restore_logging")
def test_lines_below_the_level_are_not_rendered() -> None:
    """At INFO neither the removed lines nor any other debug line reach the stream."""
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    clean_article(ARTICLE, "text/plain", "bridge.txt")
    get_logger("test").debug("hidden")
    get_logger("test").info("shown", n=1)
    assert [e["event"] for e in _lines(stream)] == ["shown"]
