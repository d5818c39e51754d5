"""``newswire run``'s progress: backlog, done, failed, rate, ETA and the last failures.

Pure pieces, each testable alone:

* :class:`RateEstimator` turns samples of the finished count (done + failed) into a rate over
  a sliding window and an ETA (backlog / rate); no rate before the window has some span, no
  ETA when nothing finishes or nothing is left.
* :func:`read_snapshot` reads one :class:`Snapshot` from Redis: the counters of
  :func:`newswire.status.read_status` (waiting and running apart) and the last failures of the
  ``failures`` stream (``XREVRANGE``).
* :func:`render_panel` is the rich renderable shown live on a terminal; :class:`PlainDisplay`
  prints one line per change (and one per new failure) when the output is not a terminal.

:class:`LiveDisplay` never lets a write to a closed terminal (a hang-up) raise: it goes quiet
instead, so stopping the services still happens.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

import redis
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from newswire.status import PipelineStatus, read_status
from newswire_shared.keys import RedisKeys

#: How many recent failures the display lists.
LAST_FAILURES = 5
#: Seconds of history the rate is measured over.
RATE_WINDOW = 60.0
#: Seconds the samples must span before a rate is given.
RATE_MIN_SPAN = 2.0


class RateEstimator:
    """Files finished per second over a sliding window of samples, and the ETA of a backlog."""

    def __init__(
        self,
        window: float = RATE_WINDOW,
        min_span: float = RATE_MIN_SPAN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window <= 0 or min_span < 0 or min_span > window:
            raise ValueError("need 0 <= min_span <= window and window > 0")
        self.window = window
        self.min_span = min_span
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, finished: int) -> None:
        """Record the finished count (done + failed) now."""
        now = self._clock()
        if self._samples and finished < self._samples[-1][1]:
            self._samples.clear()  # the counters were reset (a fresh Redis): start over
        self._samples.append((now, finished))
        # keep one sample at or before the window's start, so the window is always covered
        while len(self._samples) > 1 and self._samples[1][0] <= now - self.window:
            self._samples.popleft()

    def rate(self) -> float | None:
        """Files finished per second over the window, or None until it spans ``min_span``."""
        if len(self._samples) < 2:
            return None
        now = self._samples[-1][0]
        start_t, first_n = self._samples[0]
        start_n = float(first_n)
        if start_t < now - self.window:
            # interpolate the count at the window's start (the sample before it is older)
            next_t, next_n = self._samples[1]
            share = (now - self.window - start_t) / (next_t - start_t)
            start_t, start_n = now - self.window, first_n + (next_n - first_n) * share
        span = now - start_t
        if span < self.min_span or span <= 0:
            return None
        return max(0.0, (self._samples[-1][1] - start_n) / span)

    def eta(self, backlog: int) -> float | None:
        """Seconds until `backlog` files are finished at the current rate; None when idle."""
        rate = self.rate()
        if backlog <= 0 or not rate:
            return None
        return backlog / rate


@dataclass(frozen=True)
class FailureLine:
    """One entry of the failures stream, as the display shows it."""

    entry_id: str
    filename: str
    reason: str


@dataclass(frozen=True)
class Snapshot:
    """What the display shows at one moment."""

    status: PipelineStatus
    rate: float | None = None
    eta: float | None = None
    failures: tuple[FailureLine, ...] = ()

    def counts_line(self) -> str:
        """The counters, without rate and ETA (what decides whether a plain line is due)."""
        s = self.status
        return (
            f"backlog {s.backlog} (waiting {s.waiting}, running {s.running}) | done {s.done} | "
            f"failed {s.failed} | duplicates {s.duplicates}"
        )

    def line(self) -> str:
        """One plain line: counters, rate and ETA."""
        return f"{self.counts_line()} | rate {format_rate(self.rate)} | ETA {format_eta(self.eta)}"


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def _failure_line(entry_id: bytes | str, fields: dict[bytes, bytes]) -> FailureLine:
    raw = fields.get(b"failure", b"")
    try:
        record = json.loads(raw)
        filename = str(record.get("filename") or record.get("job_id") or "?")
        reason = str(record.get("reason") or record.get("error") or "?")
    except (ValueError, AttributeError):
        filename, reason = _text(fields.get(b"job_id", b"?")) or "?", "(unreadable record)"
    return FailureLine(_text(entry_id), filename, reason)


def read_failures(
    client: redis.Redis, keys: RedisKeys, count: int = LAST_FAILURES
) -> tuple[FailureLine, ...]:
    """Return the last `count` failure records, newest first."""
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrevrange(  # type: ignore[assignment]
        keys.failures, count=count
    )
    return tuple(_failure_line(entry_id, fields) for entry_id, fields in entries)


def read_snapshot(
    client: redis.Redis, keys: RedisKeys, queue: str, estimator: RateEstimator
) -> Snapshot:
    """Read the counters and last failures, feed the estimator and return the snapshot."""
    status = read_status(client, keys, queue)
    failures = read_failures(client, keys) if status.failures_stream else ()
    estimator.add(status.finished)
    return Snapshot(status, estimator.rate(), estimator.eta(status.backlog), failures)


def format_rate(rate: float | None) -> str:
    """``4.2/s`` from one per second up, ``12.0/min`` below, ``-`` when unknown."""
    if rate is None:
        return "-"
    if rate >= 1:
        return f"{rate:.1f}/s"
    return f"{rate * 60:.1f}/min"


def format_eta(seconds: float | None) -> str:
    """``42s``, ``3m05s``, ``2h07m``; ``-`` when there is none."""
    if seconds is None:
        return "-"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def render_panel(snapshot: Snapshot, title: str = "newswire") -> RenderableType:
    """The live panel: counters, rate, ETA and the last failures with their reasons."""
    s = snapshot.status
    counters = Table.grid(padding=(0, 2))
    for _ in range(4):
        counters.add_column()
    counters.add_row(
        Text("backlog", style="bold"),
        Text(str(s.backlog), style="bold cyan"),
        Text("rate", style="bold"),
        Text(format_rate(snapshot.rate)),
    )
    counters.add_row(
        "  waiting", str(s.waiting), Text("ETA", style="bold"), Text(format_eta(snapshot.eta))
    )
    counters.add_row("  running", str(s.running), "duplicates", str(s.duplicates))
    counters.add_row(
        Text("done", style="bold"),
        Text(str(s.done), style="green"),
        Text("failed", style="bold"),
        Text(str(s.failed), style="red" if s.failed else ""),
    )
    parts: list[RenderableType] = [counters]
    if not s.ingest_alive:
        parts.append(Text("ingest not seen", style="yellow"))
    if snapshot.failures:
        failures = Table(title="last failures", title_justify="left", box=None)
        failures.add_column("file", style="red", overflow="fold")
        failures.add_column("reason", overflow="fold")
        for failure in snapshot.failures:
            failures.add_row(failure.filename, failure.reason)
        parts.append(failures)
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


class Display(Protocol):
    """Where progress goes: a live panel or plain lines."""

    def show(self, snapshot: Snapshot) -> None:
        """Show the latest snapshot."""

    def message(self, text: str) -> None:
        """Print one line of its own (a service exited, stopping)."""

    def close(self) -> None:
        """Stop showing; leave the last state on screen."""


def _write_line(out: TextIO, text: str) -> bool:
    """Print `text`; False when the output is gone (closed terminal, closed pipe)."""
    try:
        print(text, file=out, flush=True)
    except (OSError, ValueError):
        return False
    return True


@dataclass
class PlainDisplay:
    """One ``newswire:`` line per change of the counters, with rate and ETA, and one line
    per new failure; for logs and pipes."""

    out: TextIO
    _last: str | None = None
    _seen_failure: str | None = None
    _started: bool = False

    def show(self, snapshot: Snapshot) -> None:
        """Print the snapshot's line if the counters changed, and any new failures."""
        new = self._new_failures(snapshot.failures)
        counts = snapshot.counts_line()
        if counts != self._last:
            self._last = counts
            _write_line(self.out, f"newswire: {snapshot.line()}")
        for failure in new:
            _write_line(self.out, f"newswire: failed {failure.filename}: {failure.reason}")

    def _new_failures(self, failures: tuple[FailureLine, ...]) -> list[FailureLine]:
        # failures recorded before the run started are not news
        newest = failures[0].entry_id if failures else None
        if not self._started:
            self._started = True
            self._seen_failure = newest
            return []
        new: list[FailureLine] = []
        for failure in failures:
            if failure.entry_id == self._seen_failure:
                break
            if self._seen_failure is not None and _stream_id(failure.entry_id) <= _stream_id(
                self._seen_failure
            ):
                break
            new.append(failure)
        if newest is not None:
            self._seen_failure = newest
        return list(reversed(new))  # oldest first

    def message(self, text: str) -> None:
        """Print one line."""
        _write_line(self.out, text)

    def close(self) -> None:
        """Nothing to tear down."""


def _stream_id(entry_id: str) -> tuple[int, int]:
    millis, _, seq = entry_id.partition("-")
    try:
        return int(millis), int(seq or 0)
    except ValueError:
        return 0, 0


class _TerminalConsole(Console):
    """A rich console whose closed pipe raises like any other failed write.

    rich's own answer to a broken pipe is to point stdout at /dev/null and exit the process,
    which would skip stopping the services.
    """

    def on_broken_pipe(self) -> None:
        """Go quiet and let the caller see the error."""
        self.quiet = True
        raise BrokenPipeError("the terminal is gone")


@dataclass
class LiveDisplay:
    """A rich Live panel redrawn on each :meth:`show`.

    No refresh thread (``auto_refresh=False``): every write happens in the caller's thread,
    and the first write that fails (the terminal was closed) turns the display off for good.
    """

    out: TextIO
    console: Console = field(init=False)
    _live: Live | None = field(init=False, default=None)
    _dead: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.console = _TerminalConsole(file=self.out, force_terminal=True)

    def _guard(self, action: Callable[[], object]) -> None:
        if self._dead:
            return
        try:
            action()
        except (OSError, ValueError):
            self._dead = True
            self.console.quiet = True

    def show(self, snapshot: Snapshot) -> None:
        """Redraw the panel with `snapshot`."""
        panel = render_panel(snapshot)
        if self._live is None:
            live = Live(
                panel,
                console=self.console,
                auto_refresh=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live = live
            self._guard(lambda: live.start(refresh=True))
            return
        live = self._live
        self._guard(lambda: live.update(panel, refresh=True))

    def message(self, text: str) -> None:
        """Print one line above the panel."""
        self._guard(lambda: self.console.print(text, markup=False, highlight=False))

    def close(self) -> None:
        """Stop the live panel, leaving its last frame on screen."""
        live, self._live = self._live, None
        if live is None:
            return
        # once the terminal is gone the console is quiet: stop() writes nothing, raises nothing
        with contextlib.suppress(OSError, ValueError):
            live.stop()


def display_for(out: TextIO) -> Display:
    """A live panel when `out` is a terminal, plain lines otherwise."""
    try:
        tty = out.isatty()
    except (OSError, ValueError):
        tty = False
    return LiveDisplay(out) if tty else PlainDisplay(out)
