"""Readiness rules with a real Redis server and the real ingest (no worker: a claimed file
sits in inbox/processing/ with its message in the queue) and the default 2 s stability
window: files closed after writing or renamed in are taken quickly, a file written in
pieces is taken only complete, polling waits the full window (issue 10)."""

from __future__ import annotations

import time

import pytest
import redis

from tests.conftest import Services, wait_until

pytestmark = pytest.mark.integration
QUEUE = "newswire.enrich"
ARTICLE = "Mayor Ana Ruiz said on Monday that the Elm Street bridge would reopen in May.\n"


def _start(services: Services, **extra: str) -> None:
    services.start_ingest(NEWSWIRE_STABLE_SECONDS="2", **extra)
    wait_until(lambda: '"ingest_started"' in services.log("ingest"), 30, what="ingest started")


def _claimed_within(services: Services, name: str, start: float, timeout: float) -> float:
    """Seconds from `start` until `name` is in inbox/processing/ (fails after `timeout`)."""
    target = services.inbox / "processing" / name
    while not target.exists():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{name} not claimed after {timeout}s\n{services.log('ingest')[-2000:]}")
        time.sleep(0.01)
    return time.monotonic() - start


def test_file_written_and_closed_is_taken_quickly(
    services: Services, redis_client: redis.Redis
) -> None:
    """A file closed after writing is claimed and queued well before the 2 s window."""
    _start(services)
    start = time.monotonic()
    (services.inbox / "closed.txt").write_text(ARTICLE, encoding="utf-8")
    elapsed = _claimed_within(services, "closed.txt", start, 10)
    assert elapsed < 1.5, elapsed
    wait_until(lambda: redis_client.llen(QUEUE) == 1, 5, what="one message queued")
    assert (services.inbox / "processing" / "closed.txt").read_text(encoding="utf-8") == ARTICLE


@pytest.mark.parametrize("source", ["outside", "junk-name"])
def test_file_renamed_in_is_taken_quickly(
    services: Services, redis_client: redis.Redis, source: str
) -> None:
    """A file renamed into the inbox, from outside it or from a junk name inside it (the way
    careful writers publish), is claimed well before the 2 s window."""
    _start(services)
    staged = services.tmp_path / "staged.txt"
    if source == "junk-name":
        staged = services.inbox / "renamed.txt.part"
    staged.write_text(ARTICLE, encoding="utf-8")
    time.sleep(0.5)  # the staged file's own events are long past
    start = time.monotonic()
    staged.rename(services.inbox / "renamed.txt")
    elapsed = _claimed_within(services, "renamed.txt", start, 10)
    assert elapsed < 1.5, elapsed
    wait_until(lambda: redis_client.llen(QUEUE) == 1, 5, what="one message queued")
    assert not staged.exists()


def test_file_appended_in_pieces_is_taken_only_complete(
    services: Services, redis_client: redis.Redis
) -> None:
    """A slow writer opening, appending and closing the file every 0.2 s for 3 s: every close
    announces the file, yet it is not taken before its last write, and then whole, after the
    full window."""
    _start(services)
    path = services.inbox / "slow.txt"
    claimed = services.inbox / "processing" / "slow.txt"
    pieces = [f"Paragraph {i}: {ARTICLE}" for i in range(15)]
    for piece in pieces:
        assert not claimed.exists(), f"taken early, before {piece!r}"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(piece)
        time.sleep(0.2)
    last_write = time.monotonic() - 0.2
    elapsed = _claimed_within(services, "slow.txt", last_write, 10)
    assert elapsed >= 1.5, elapsed  # the full 2 s window after its last change
    assert claimed.read_text(encoding="utf-8") == "".join(pieces)
    assert not path.exists()
    wait_until(lambda: redis_client.llen(QUEUE) == 1, 5, what="one message queued")


def test_polling_mode_waits_the_full_window(services: Services, redis_client: redis.Redis) -> None:
    """Polling sees no closes: a file written and closed still waits the 2 s window."""
    _start(services, NEWSWIRE_POLLING="true", NEWSWIRE_POLL_INTERVAL="0.2")
    start = time.monotonic()
    (services.inbox / "polled.txt").write_text(ARTICLE, encoding="utf-8")
    elapsed = _claimed_within(services, "polled.txt", start, 10)
    assert elapsed >= 1.8, elapsed
    wait_until(lambda: redis_client.llen(QUEUE) == 1, 5, what="one message queued")
