"""``newswire run``'s progress: rate and ETA, waiting vs running against a real broker, the
plain lines and the live panel."""

from __future__ import annotations

import errno
import io
import json
import re
import threading
from datetime import UTC, datetime

import pytest
import redis
from kombu import Connection
from rich.console import Console

from newswire.local import _progress
from newswire.progress import (
    FailureLine,
    LiveDisplay,
    PlainDisplay,
    RateEstimator,
    Snapshot,
    display_for,
    format_eta,
    format_rate,
    read_failures,
    read_snapshot,
    render_panel,
)
from newswire.redis_server import RedisServer
from newswire.status import PipelineStatus, read_status
from newswire_shared.keys import ENRICH_TASK, RedisKeys
from newswire_shared.queueing import make_celery
from newswire_shared.schemas import FailureRecord
from newswire_shared.settings import CommonSettings

QUEUE = "newswire.enrich"
KEYS = RedisKeys()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _status(**fields: int) -> PipelineStatus:
    values: dict[str, int] = {
        "waiting": 0,
        "in_flight": 0,
        "queued": 0,
        "done": 0,
        "failed": 0,
        "duplicates": 0,
        "results_stream": 0,
        "failures_stream": 0,
        "running": 0,
    }
    values.update(fields)
    return PipelineStatus(ingest_alive=True, **values)


# -- rate and ETA ----------------------------------------------------------------------------


def test_rate_is_finished_files_per_second_over_the_samples() -> None:
    """Done + failed rising by 10 over 5 s is 2 files/s; a backlog of 30 is then 15 s away."""
    clock = FakeClock()
    est = RateEstimator(window=60, min_span=2, clock=clock)
    for finished in (0, 2, 4, 6, 8, 10):
        est.add(finished)
        clock.now += 1
    assert est.rate() == pytest.approx(2.0)
    assert est.eta(30) == pytest.approx(15.0)


def test_no_rate_before_the_window_has_a_span() -> None:
    """One sample, or samples closer together than min_span, give no rate and no ETA."""
    clock = FakeClock()
    est = RateEstimator(window=60, min_span=2, clock=clock)
    est.add(5)
    assert est.rate() is None
    clock.now += 1
    est.add(7)
    assert est.rate() is None
    assert est.eta(10) is None
    clock.now += 1
    est.add(9)
    assert est.rate() == pytest.approx(2.0)


def test_rate_forgets_what_left_the_window() -> None:
    """A burst long ago no longer counts: after a quiet minute the rate is 0 and there is no
    ETA (idle), though files are still waiting."""
    clock = FakeClock()
    est = RateEstimator(window=10, min_span=2, clock=clock)
    est.add(0)
    clock.now += 2
    est.add(100)  # a burst: 50/s
    assert est.rate() == pytest.approx(50.0)
    for _ in range(12):
        clock.now += 1
        est.add(100)
    assert est.rate() == 0.0
    assert est.eta(25) is None


def test_rate_interpolates_at_the_window_start() -> None:
    """Sparse samples: the count at the window's start is interpolated between the samples
    around it, so the rate is measured over exactly the window."""
    clock = FakeClock()
    est = RateEstimator(window=10, min_span=2, clock=clock)
    est.add(0)
    clock.now += 20
    est.add(40)  # 2 files/s all along
    assert est.rate() == pytest.approx(2.0)
    clock.now += 5
    est.add(40)  # then 5 quiet seconds: 10 files over the last 10 s
    assert est.rate() == pytest.approx(1.0)


def test_counters_reset_start_the_rate_over() -> None:
    """A finished count going down (a fresh Redis) does not give a negative rate."""
    clock = FakeClock()
    est = RateEstimator(window=60, min_span=2, clock=clock)
    est.add(500)
    clock.now += 3
    est.add(3)
    assert est.rate() is None
    clock.now += 3
    est.add(9)
    assert est.rate() == pytest.approx(2.0)


def test_no_eta_when_nothing_is_left() -> None:
    """An empty backlog has no ETA even while files were finishing."""
    clock = FakeClock()
    est = RateEstimator(window=60, min_span=1, clock=clock)
    est.add(0)
    clock.now += 4
    est.add(8)
    assert est.eta(0) is None
    assert est.eta(4) == pytest.approx(2.0)


def test_estimator_refuses_a_window_shorter_than_its_min_span() -> None:
    """A window that can never span min_span is a programming error."""
    with pytest.raises(ValueError, match="min_span"):
        RateEstimator(window=1, min_span=5)


def test_formats() -> None:
    """Rates per second from 1/s up, per minute below; ETAs in s, m+s, h+m; '-' for none."""
    assert format_rate(None) == "-"
    assert format_rate(2.5) == "2.5/s"
    assert format_rate(0.5) == "30.0/min"
    assert format_eta(None) == "-"
    assert format_eta(42.4) == "42s"
    assert format_eta(185) == "3m05s"
    assert format_eta(7620) == "2h07m"


# -- waiting vs running against a real broker ------------------------------------------------


def _send(url: str, *job_ids: str) -> None:
    app = make_celery(CommonSettings(redis_url=url), "test-producer")
    for job_id in job_ids:
        app.send_task(ENRICH_TASK, args=[{"job_id": job_id}], task_id=f"{job_id}-1700000000.5")


def _queue_jobs(client: redis.Redis, url: str, *job_ids: str) -> None:
    """What ingest does: record the job in the inflight set, then send its message."""
    client.sadd(KEYS.inflight, *job_ids)
    client.hincrby(KEYS.stats, "queued", len(job_ids))
    _send(url, *job_ids)


def test_waiting_and_running_are_told_apart(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Three queued jobs, one taken by a consumer: 2 waiting, 1 running, backlog 3; once the
    taken one is acknowledged and finished, 2 waiting, 0 running, backlog 2."""
    ids = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"]
    _queue_jobs(redis_client, redis_server.url, *ids)
    before = read_status(redis_client, KEYS, QUEUE)
    assert (before.waiting, before.running, before.backlog, before.in_flight) == (3, 0, 3, 3)

    with Connection(redis_server.url) as conn:
        queue = conn.SimpleQueue(QUEUE)
        message = queue.get(timeout=5)
        taken = message.headers["id"].split("-")[0]
        running = read_status(redis_client, KEYS, QUEUE)
        assert (running.waiting, running.running, running.backlog) == (2, 1, 3)
        assert "waiting 2 | running 1" in running.line()
        assert "in flight" not in running.line()

        # the worker publishes (done, out of inflight), then acknowledges
        redis_client.srem(KEYS.inflight, taken)
        redis_client.hincrby(KEYS.stats, "done", 1)
        message.ack()
        queue.close()
    after = read_status(redis_client, KEYS, QUEUE)
    assert (after.waiting, after.running, after.backlog, after.done) == (2, 0, 2, 1)


def test_status_json_keeps_old_keys_and_adds_new_ones(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """`status --json` still has in_flight (jobs not finished) and gains running and backlog."""
    _queue_jobs(redis_client, redis_server.url, "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb")
    data = read_status(redis_client, KEYS, QUEUE).as_dict()
    assert {"waiting", "in_flight", "queued", "done", "failed", "duplicates"} <= set(data)
    assert (data["in_flight"], data["waiting"], data["running"], data["backlog"]) == (2, 2, 0, 2)
    json.dumps(data)  # plain JSON types only


def _add_failure(client: redis.Redis, filename: str, reason: str) -> None:
    record = FailureRecord(
        job_id="0123456789abcdef",
        filename=filename,
        stage="enrich",
        error="BadInput",
        reason=reason,
        failed_at=datetime.now(UTC),
    )
    client.xadd(KEYS.failures, {"job_id": "0123456789abcdef", "failure": record.model_dump_json()})
    client.hincrby(KEYS.stats, "failed", 1)


def test_last_failures_are_read_newest_first(redis_client: redis.Redis) -> None:
    """The last five failure records, newest first, with file name and reason; an entry that is
    not a record is shown, not fatal."""
    for n in range(7):
        _add_failure(redis_client, f"story-{n}.txt", f"reason {n}")
    redis_client.xadd(KEYS.failures, {"job_id": "ffffffffffffffff", "failure": "not json"})
    failures = read_failures(redis_client, KEYS)
    assert len(failures) == 5
    assert failures[0] == FailureLine(
        failures[0].entry_id, "ffffffffffffffff", "(unreadable record)"
    )
    assert [(f.filename, f.reason) for f in failures[1:]] == [
        (f"story-{n}.txt", f"reason {n}") for n in (6, 5, 4, 3)
    ]


def test_snapshot_reads_counters_failures_and_rate(redis_client: redis.Redis) -> None:
    """A snapshot combines the counters, the failures and the estimator fed with done+failed."""
    clock = FakeClock()
    est = RateEstimator(window=60, min_span=1, clock=clock)
    redis_client.sadd(KEYS.inflight, *[f"{n:016x}" for n in range(4)])  # their messages taken
    first = read_snapshot(redis_client, KEYS, QUEUE, est)
    assert (first.status.backlog, first.rate, first.eta, first.failures) == (4, None, None, ())
    clock.now += 2
    redis_client.hincrby(KEYS.stats, "done", 1)
    _add_failure(redis_client, "bad.html", "no article text found")
    redis_client.srem(KEYS.inflight, f"{0:016x}", f"{1:016x}")
    second = read_snapshot(redis_client, KEYS, QUEUE, est)
    assert second.rate == pytest.approx(1.0)
    assert second.eta == pytest.approx(2.0)  # 2 left at 1/s
    assert [(f.filename, f.reason) for f in second.failures] == [
        ("bad.html", "no article text found")
    ]


# -- renderers -------------------------------------------------------------------------------


def _snapshot(failures: tuple[FailureLine, ...] = (), **fields: int) -> Snapshot:
    status = _status(**fields)
    return Snapshot(status, rate=2.0, eta=45.0, failures=failures)


def test_plain_display_prints_one_line_per_change_with_rate_and_eta() -> None:
    """Unchanged counters print nothing (even when the rate moves); a change prints one line
    with backlog, waiting, running, done, failed, rate and ETA."""
    out = io.StringIO()
    display = PlainDisplay(out)
    snap = _snapshot(in_flight=5, waiting=3, running=2, done=10)
    display.show(snap)
    display.show(Snapshot(snap.status, rate=9.0, eta=1.0))
    display.show(_snapshot(in_flight=4, waiting=2, running=2, done=11))
    lines = out.getvalue().splitlines()
    assert lines == [
        "newswire: backlog 5 (waiting 3, running 2) | done 10 | failed 0 | duplicates 0 "
        "| rate 2.0/s | ETA 45s",
        "newswire: backlog 4 (waiting 2, running 2) | done 11 | failed 0 | duplicates 0 "
        "| rate 2.0/s | ETA 45s",
    ]


def test_plain_display_prints_new_failures_once_oldest_first() -> None:
    """Failures already recorded when the run starts are not repeated; new ones get one line
    each, oldest first, and only once."""
    out = io.StringIO()
    display = PlainDisplay(out)
    old = FailureLine("1-0", "old.txt", "old reason")
    display.show(_snapshot((old,), failed=1))
    a = FailureLine("2-0", "a.txt", "empty file")
    b = FailureLine("3-0", "b.html", "no article text found")
    display.show(_snapshot((b, a, old), failed=3))
    display.show(_snapshot((b, a, old), failed=3))
    failure_lines = [
        line for line in out.getvalue().splitlines() if "failed " in line.split("|")[0]
    ]
    assert failure_lines == [
        "newswire: failed a.txt: empty file",
        "newswire: failed b.html: no article text found",
    ]


def _rendered(snapshot: Snapshot) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100, color_system=None)
    console.print(render_panel(snapshot))
    return buffer.getvalue()


def test_panel_shows_counters_rate_eta_and_failure_reasons() -> None:
    """The live panel holds backlog (with waiting and running), done, failed, rate, ETA and
    the last failures with their reasons."""
    failure = FailureLine("5-0", "broken.json", "JSON has no article body")
    text = _rendered(_snapshot((failure,), in_flight=7, waiting=5, running=2, done=40, failed=3))
    flat = re.sub(r"\s+", " ", text)
    for label, value in [("backlog", "7"), ("waiting", "5"), ("running", "2"), ("done", "40"),
                         ("failed", "3"), ("rate", "2.0/s"), ("ETA", "45s")]:  # fmt: skip
        assert re.search(rf"{label}\s+{re.escape(value)}\b", flat), (label, text)
    assert "broken.json" in text
    assert "JSON has no article body" in text
    assert "last failures" in text


def test_panel_without_rate_says_so() -> None:
    """No rate yet and nothing left: rate and ETA show '-'; no failures table."""
    text = _rendered(Snapshot(_status(done=3)))
    assert re.search(r"rate\s+-", text)
    assert re.search(r"ETA\s+-", text)
    assert "last failures" not in text


# -- live display and closed terminals -------------------------------------------------------


class DeadTerminal(io.StringIO):
    """A terminal that was closed: every write fails like a hung-up tty (EIO) or a pipe."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error
        self.alive = True

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not self.alive:
            raise self.error
        return super().write(text)

    def flush(self) -> None:
        if not self.alive:
            raise self.error


def test_display_for_chooses_by_tty() -> None:
    """A terminal gets the live panel, anything else plain lines."""
    assert isinstance(display_for(io.StringIO()), PlainDisplay)
    assert isinstance(display_for(DeadTerminal(OSError(errno.EIO, "EIO"))), LiveDisplay)


def test_live_display_redraws_and_leaves_last_frame() -> None:
    """The live panel is drawn on each show and its last frame stays after close."""
    out = DeadTerminal(OSError(errno.EIO, "EIO"))
    display = LiveDisplay(out)
    display.show(_snapshot(in_flight=2, waiting=2, done=1))
    display.show(_snapshot(in_flight=1, waiting=1, done=2))
    display.message("newswire: stopping")
    display.close()
    text = out.getvalue()
    assert "newswire: stopping" in text
    assert text.count("backlog") >= 2
    assert "\x1b[?25h" in text  # cursor shown again


@pytest.mark.parametrize(
    "error", [OSError(errno.EIO, "Input/output error"), BrokenPipeError(errno.EPIPE, "pipe")]
)
def test_live_display_survives_a_closed_terminal(error: OSError) -> None:
    """After a hang-up every write fails: show, message and close neither raise nor exit."""
    out = DeadTerminal(error)
    display = LiveDisplay(out)
    display.show(_snapshot(in_flight=2, waiting=2))
    out.alive = False
    display.show(_snapshot(in_flight=1, waiting=1, done=1))
    display.message("newswire: stopping")
    display.close()
    display.show(_snapshot(done=2))  # and stays quiet afterwards


def test_progress_loop_stops_cleanly_on_a_closed_terminal(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """`newswire run`'s progress loop on a terminal that closes (the hang-up sets `stop`)
    returns normally, so the services are stopped after it."""
    _queue_jobs(redis_client, redis_server.url, "aaaaaaaaaaaaaaaa")
    out = DeadTerminal(OSError(errno.EIO, "EIO"))
    stop = threading.Event()

    def hang_up() -> None:
        out.alive = False
        stop.set()

    timer = threading.Timer(1.2, hang_up)
    timer.start()
    try:
        _progress(redis_server.url, [], stop, out)
    finally:
        timer.cancel()
    assert "backlog" in out.getvalue()


def test_progress_loop_plain_lines_end_with_stopping(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Not on a terminal: the loop prints plain lines and one `stopping` line at the end."""
    _queue_jobs(redis_client, redis_server.url, "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb")
    out = io.StringIO()
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    try:
        _progress(redis_server.url, [], stop, out)
    finally:
        timer.cancel()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("newswire: backlog 2 (waiting 2, running 0) | done 0")
    assert lines[-1].startswith("newswire: stopping; backlog 2 (waiting 2, running 0)")
