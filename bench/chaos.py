"""Chaos benchmark: a burst of N articles through the real services while things are killed.

Starts a private Redis (AOF on), the ingest service and ``--workers`` enrichment workers as
real processes in a temporary folder, drops N distinct generated articles into the inbox in
two waves, and while the backlog is worked off injects, spaced by progress:

====  =================  ===========================================================
at    fault              what is done
====  =================  ===========================================================
10%   ``pool-kill``      SIGKILL of one prefork pool process of a worker
20%   ``worker-kill``    SIGKILL of a whole worker (main + pool), then a replacement
30%   ``redis-kill``     SIGKILL of redis-server, restarted on the same data and port
40%   ``ingest-kill``    SIGKILL of ingest, then restarted
50%   ``restart-all``    graceful restart of everything (SIGTERM, Redis SHUTDOWN)
60%   ``redis-outage``   second wave dropped; Redis stopped for a few seconds while
                         ingest is claiming it, then started again
====  =================  ===========================================================

(percentages are of N result files). It then waits until every file has left the inbox for
``done/`` or ``failed/`` (or progress stalls), lets the queue drain a little, and reports N in,
result files, stream entries, duplicates, lost, failed, files left in ``processing/`` and
messages left in the queue. The exit status is non-zero when a check fails::

    .venv/bin/python bench/chaos.py --n 300
    .venv/bin/python bench/chaos.py --n 300 --no-faults      # the same run without faults
    make chaos N=10000

See ``bench/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis

import _support
from _support import positive_int, say
from newswire.redis_server import RedisServer
from newswire_ingest._broker import BrokerView
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import content_sha256, job_id_for

KEYS = RedisKeys()
#: Celery's queue of enrichment jobs (read through ingest's :class:`BrokerView`: the Redis
#: lists of the queue and kombu's hash of unacknowledged deliveries, which are redelivered
#: only after the one-hour visibility timeout).
QUEUE = "newswire.enrich"

STABLE_SECONDS = 0.5
TICK_SECONDS = 0.2
POLL_SECONDS = 0.5
REPORT_EVERY = 10.0
READY_TIMEOUT = 300.0
STOP_TIMEOUT = 60.0
#: Our services' log events are snake_case names; Celery's and kombu's are sentences.
_EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*")
#: Share of N that may be left in the queue after settling.
LEFTOVER_LIMIT = 0.01
#: How long the check waits for the story record files to list every published article.
STORY_RECORD_WAIT = 60.0


class ChaosError(RuntimeError):
    """The benchmark could not run."""


# --------------------------------------------------------------------------- articles


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(";"))


_FIRST = _names(
    "Maria Okafor; James Lindqvist; Aisha Haddad; Tomasz Kowalski; Li Wei; Fatima Mensah;"
    "Daniel Brennan; Sofia Alvarez; Kwame Asante; Elena Novak; Rahul Sharma; Hannah Fischer;"
    "Diego Castillo; Ingrid Moreau; Yusuf Demir; Claire Whitfield; Kenji Takahashi;"
    "Olga Petrova; Samuel O'Connor; Amara Nwosu"
)
_CITIES = _names(
    "Riverton; Port Ellis; Ashford; Millbrook; Lakeside; Granton; Oakridge; Bayview;"
    "Northgate; Westfield; Cedar Falls"
)
_COMPANIES = _names(
    "Corvid Systems; Northwind Energy; Bluefield Foods; Altamira Bank; Kestrel Aerospace;"
    "Harbor Freight Lines; Solent Pharmaceuticals"
)
_PROJECTS = _names(
    "a new light-rail line; the riverside park; a bigger public library;"
    "the harbour flood wall; free school buses; a cycle lane network"
)
_MONTHS = _names(
    "January; February; March; April; May; June; July; August; September; October;"
    "November; December"
)
_DAYS = _names("Monday; Tuesday; Wednesday; Thursday; Friday")

_TEMPLATES = (
    """{city} council backs {project} after long debate

{CITY}, {month} {day} - The {city} city council voted {yes}-{no} on {weekday} to approve \
{project}, a plan that {count} residents had asked for in a petition.

"This is the most important decision we will make this year," Mayor {p1} said after the vote. \
"People have waited long enough."

Council member {p2}, who voted against the measure, said the cost had not been explained. \
{p2_last} said the council should have waited for an independent review.

Work on the first phase is expected to begin in {month2}, according to the city's planning \
office.
""",
    """{company} profit rises as orders recover

{company} said on {weekday} that it shipped {count} units in the quarter to {month}, and \
raised its forecast for the year.

"Demand came back faster than we expected," chief executive {p1} told analysts on a call. \
The company plans to hire in {city} and open a second plant there.

{p2}, an analyst at Altamira Bank, said the results were strong but warned that costs \
were still rising. Shares of {company} rose {yes} percent in early trading.
""",
    """{city} researchers test a cheaper flu vaccine

Scientists at the University of {city} have begun a trial of a low-cost flu vaccine with \
{count} volunteers, the university said on {weekday}.

"If it works, a dose could cost less than a cup of coffee," said {p1}, who leads the study. \
The first results are due in {month2}.

{p2} of the national health agency said the trial was promising. She said regulators \
would look closely at the data before any approval.
""",
    """{city} wins the derby in front of a record crowd

{CITY}, {month} {day} - {city} beat their neighbours {yes}-{no} on {weekday} in front of \
{count} fans, the biggest crowd the stadium has seen.

"The players gave everything tonight," coach {p1} said. "The supporters carried us."

Captain {p2} scored twice in the second half. {p2_last} said the team would now focus on the \
cup match in {month2}.
""",
)


@dataclass(frozen=True)
class Article:
    """One generated article file."""

    name: str
    data: bytes
    job_id: str


def make_article(index: int) -> Article:
    """Return article `index`: a short news story whose content no other index shares."""
    template = _TEMPLATES[index % len(_TEMPLATES)]
    step = index // len(_TEMPLATES)
    p1 = _FIRST[step % len(_FIRST)]
    p2 = _FIRST[(step * 7 + 3) % len(_FIRST)]
    if p2 == p1:
        p2 = _FIRST[(step + 1) % len(_FIRST)]
    city = _CITIES[(step // 3) % len(_CITIES)]
    text = template.format(
        city=city,
        CITY=city.upper(),
        company=_COMPANIES[step % len(_COMPANIES)],
        project=_PROJECTS[step % len(_PROJECTS)],
        month=_MONTHS[step % 12],
        month2=_MONTHS[(step + 5) % 12],
        day=1 + step % 28,
        weekday=_DAYS[step % len(_DAYS)],
        yes=4 + step % 5,
        no=1 + step % 3,
        # unique per index within a template: distinct content, distinct job ids
        count=f"{1000 + step:,}",
        p1=p1,
        p2=p2,
        p2_last=p2.split()[-1],
    )
    data = text.encode("utf-8")
    return Article(f"article-{index:05d}.txt", data, job_id_for(content_sha256(data)))


def make_articles(n: int) -> list[Article]:
    """Return `n` articles with distinct job ids."""
    articles = [make_article(i) for i in range(n)]
    if len({a.job_id for a in articles}) != n:
        raise ChaosError("generated articles are not distinct; ingest would deduplicate them")
    return articles


# --------------------------------------------------------------------------- processes


@dataclass
class Event:
    """Something that happened during the run (a fault injected, a process exiting)."""

    t: float
    kind: str
    detail: str
    results: int | None = None
    seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the event as JSON-able data."""
        out: dict[str, Any] = {"t": round(self.t, 1), "kind": self.kind, "detail": self.detail}
        if self.results is not None:
            out["results"] = self.results
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 1)
        return out


class Cluster:
    """Redis, ingest and the workers as child processes, each in its own session."""

    def __init__(self, work: Path, args: argparse.Namespace) -> None:
        self.work = work
        self.args = args
        self.inbox = work / "inbox"
        self.results = work / "results"
        self.logs = work / "logs"
        self.redis_dir = work / "redis"
        self.server = RedisServer(self.redis_dir)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.exited: dict[str, int] = {}
        self.workers: list[str] = []
        self._next_worker = 1
        self.started = time.monotonic()
        self.events: list[Event] = []
        self._client: redis.Redis | None = None

    # -- bookkeeping --

    def now(self) -> float:
        """Seconds since the cluster was created."""
        return time.monotonic() - self.started

    def event(self, kind: str, detail: str, **extra: Any) -> Event:
        """Record and print an event."""
        ev = Event(self.now(), kind, detail, **extra)
        self.events.append(ev)
        say(f"[{ev.t:7.1f}s] {kind}: {detail}")
        return ev

    @property
    def client(self) -> redis.Redis:
        """A client of the Redis server (it reconnects after a restart on the same port)."""
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.server.url, socket_timeout=10, socket_connect_timeout=2
            )
        return self._client

    @property
    def broker(self) -> BrokerView:
        """The broker's copy of the enrichment queue, read through :attr:`client`."""
        return BrokerView(self.client, QUEUE)

    # -- Redis --

    def start_redis(self) -> None:
        """Start redis-server on the data folder and port of the run (AOF on)."""
        self.server = RedisServer(self.redis_dir, port=self.server.port).start()

    def kill_redis(self) -> int:
        """SIGKILL redis-server; return its pid."""
        pid = int(self.client.info("server")["process_id"])
        os.kill(pid, signal.SIGKILL)
        with suppress(psutil.Error):
            psutil.Process(pid).wait(timeout=10)
        self.server.stop()  # reaps the child; it is dead already
        return pid

    # -- services --

    def env(self, name: str) -> dict[str, str]:
        """Environment of service `name`, as a container would get it."""
        return _support.service_env(
            redis_url=self.server.url,
            inbox=self.inbox,
            results=self.results,
            heartbeat=self.work / f"{name}.heartbeat",
            ready=self.ready_file(name),
            stable_seconds=STABLE_SECONDS,
            tick_seconds=TICK_SECONDS,
            concurrency=self.args.concurrency,
            log_level="INFO",
            NEWSWIRE_RESCAN_SECONDS=str(self.args.rescan_seconds),
            NEWSWIRE_LOST_AFTER_SECONDS=str(self.args.lost_after),
        )

    def ready_file(self, name: str) -> Path:
        """The ready file of worker `name`."""
        return self.work / f"{name}.ready"

    def start(self, name: str, module: str) -> subprocess.Popen[bytes]:
        """Start ``python -m module`` as service `name`, appending to ``logs/<name>.log``."""
        self.logs.mkdir(exist_ok=True)
        proc = _support.start_service(module, self.env(name), self.logs / f"{name}.log")
        self.procs[name] = proc
        self.exited.pop(name, None)
        return proc

    def start_ingest(self) -> None:
        """Start the ingest service."""
        self.start("ingest", "newswire_ingest")

    def start_worker(self, name: str | None = None) -> str:
        """Start a worker (a new one unless `name` is given); return its name."""
        if name is None:
            name = f"worker{self._next_worker}"
            self._next_worker += 1
            self.workers.append(name)
        self.ready_file(name).unlink(missing_ok=True)
        self.start(name, "newswire_enrich")
        return name

    def wait_ready(self, names: list[str], timeout: float = READY_TIMEOUT) -> None:
        """Wait for the ready files of workers `names` (and ingest's heartbeat)."""
        deadline = time.monotonic() + timeout
        beat = self.work / "ingest.heartbeat"
        while True:
            missing = [n for n in names if not self.ready_file(n).exists()]
            if "ingest" in self.procs and not beat.exists():
                missing.append("ingest")
            if not missing:
                return
            for name in missing:
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise ChaosError(f"{name} exited at start-up:\n{self.log_tail(name)}")
            if time.monotonic() > deadline:
                raise ChaosError(f"not ready after {timeout:.0f}s: {', '.join(missing)}")
            time.sleep(0.2)

    def pool_processes(self, name: str) -> list[psutil.Process]:
        """The prefork pool processes of worker `name`."""
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return []
        try:
            return list(psutil.Process(proc.pid).children())
        except psutil.Error:
            return []

    def kill(self, name: str) -> list[int]:
        """SIGKILL service `name` and all its descendants; return their pids."""
        proc = self.procs.pop(name)
        try:
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        except psutil.Error:
            tree = []
        for member in tree:
            with suppress(psutil.Error):
                member.kill()
        proc.wait()
        psutil.wait_procs(tree, timeout=10)
        return [p.pid for p in tree]

    def terminate(self, name: str, timeout: float = STOP_TIMEOUT) -> float:
        """Stop service `name` with SIGTERM (SIGKILL after `timeout`); return seconds taken."""
        proc = self.procs.pop(name)
        started = time.monotonic()

        def timed_out() -> None:
            self.event("stop-timeout", f"{name} did not stop {timeout:.0f}s after SIGTERM")

        _support.stop_tree(proc, timeout, grace=10, on_timeout=timed_out)
        return time.monotonic() - started

    def check_exits(self) -> None:
        """Record services that exited without being told to."""
        for name, proc in list(self.procs.items()):
            code = proc.poll()
            if code is not None and name not in self.exited:
                self.exited[name] = code
                self.event(
                    "unexpected-exit",
                    f"{name} exited with status {code}; last log lines:\n"
                    + self.log_tail(name, 1500),
                )

    def log_tail(self, name: str, chars: int = 2000) -> str:
        """The end of service `name`'s log."""
        return _support.log_tail(self.logs / f"{name}.log", chars)

    def stop_all(self) -> None:
        """Stop every service, then Redis; nothing is left running."""
        for name in list(self.procs):
            with suppress(Exception):
                self.terminate(name, timeout=30)
        self.server.stop()


# --------------------------------------------------------------------------- observing


def _files(folder: Path) -> list[str]:
    """Names of the input files in `folder` (no sub-folders, error records or temp files)."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        return [
            e.name
            for e in entries
            if e.is_file(follow_symlinks=False)
            and not e.name.startswith(".")
            and not e.name.endswith(".error.json")
        ]


@dataclass
class Snapshot:
    """Counts at one moment."""

    results: int
    inbox: int
    processing: int
    done: int
    failed: int
    queue: int | None
    unacked: int | None

    @property
    def settled(self) -> int:
        """Files in done/ or failed/."""
        return self.done + self.failed

    def line(self, n: int) -> str:
        """One progress line."""
        queue = "?" if self.queue is None else str(self.queue)
        unacked = "?" if self.unacked is None else str(self.unacked)
        return (
            f"results {self.results}/{n}  settled {self.settled}/{n} (failed {self.failed})  "
            f"inbox {self.inbox}  processing {self.processing}  queue {queue}  unacked {unacked}"
        )


def queue_lengths(broker: BrokerView) -> tuple[int, int]:
    """Return (messages waiting in the Celery queue lists, entries of kombu's unacked hash)."""
    return broker.waiting(), broker.unacked_count()


def snapshot(cluster: Cluster) -> Snapshot:
    """Count files in every folder and messages in Redis (None while Redis is down)."""
    queue: int | None
    unacked: int | None
    try:
        queue, unacked = queue_lengths(cluster.broker)
    except redis.RedisError:
        queue = unacked = None
    results = sum(1 for name in _files(cluster.results) if name.endswith(".json"))
    inbox = cluster.inbox
    return Snapshot(
        results=results,
        inbox=len(_files(inbox)),
        processing=len(_files(inbox / "processing")),
        done=len(_files(inbox / "done")),
        failed=len(_files(inbox / "failed")),
        queue=queue,
        unacked=unacked,
    )


def _recorded(folder: Path) -> set[str]:
    """The job ids listed in the story record files of `folder`."""
    jobs: set[str] = set()
    for path in folder.glob("*.json") if folder.is_dir() else []:
        with suppress(OSError, ValueError):
            record = json.loads(path.read_text(encoding="utf-8"))
            jobs.update(a.get("job_id") for a in record.get("articles", []))
    return jobs


def _wait_story_records(folder: Path, published: set[str]) -> set[str]:
    """Published job ids in no story record file, after giving the workers' sweepers (large
    stories are rebuilt every few seconds) up to STORY_RECORD_WAIT seconds."""
    deadline = time.monotonic() + STORY_RECORD_WAIT
    while True:
        missing = published - _recorded(folder)
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(2.0)


def _story_id(path: Path) -> str | None:
    """The ``story_id`` of a result file (None when absent or unreadable)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("story_id")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, str) else None


def leftover_messages(broker: BrokerView) -> dict[str, list[str | None]]:
    """Return the job ids of the messages in the queue lists and the unacked hash."""
    return {"queue": broker.waiting_messages(), "unacked": broker.unacked_messages()}


def stream_job_ids(client: redis.Redis, stream: str) -> list[str]:
    """Return the ``job_id`` of every entry of `stream`, in order."""
    ids: list[str] = []
    start = "-"
    while True:
        entries: Any = client.xrange(stream, min=start, max="+", count=500)
        if not entries:
            return ids
        ids.extend(fields.get(b"job_id", b"").decode() for _, fields in entries)
        last = entries[-1][0].decode()
        start = "(" + last


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """A fault injected once `fraction` of N results exist."""

    fraction: float
    name: str
    action: Callable[[], str]
    event: Event | None = None


@dataclass
class Run:
    """The whole run: cluster, inputs, faults and what was seen."""

    args: argparse.Namespace
    cluster: Cluster
    articles: list[Article]
    staging: Path
    wave2: list[Article] = field(default_factory=list)
    drop_started: float = 0.0
    settled_at: float | None = None
    stalled: bool = False
    last: Snapshot | None = None

    @property
    def n(self) -> int:
        """N, the number of articles."""
        return len(self.articles)

    def drop(self, articles: list[Article]) -> None:
        """Move `articles` from the staging folder into the inbox (each appears complete)."""
        for article in articles:
            (self.staging / article.name).rename(self.cluster.inbox / article.name)

    # -- the faults --

    def pool_kill(self) -> str:
        """SIGKILL one prefork pool process of a live worker."""
        for name in self.cluster.workers:
            pool = self.cluster.pool_processes(name)
            if pool:
                victim = pool[0]
                with suppress(psutil.Error):
                    victim.kill()
                return f"SIGKILL pool process {victim.pid} of {name} ({len(pool)} in its pool)"
        return "no worker had a pool process: nothing killed"

    def worker_kill(self) -> str:
        """SIGKILL a whole worker (main + pool) and start a replacement."""
        live = [n for n in self.cluster.workers if n in self.cluster.procs]
        if not live:
            return "no live worker: nothing killed"
        victim = live[0]
        pids = self.cluster.kill(victim)
        self.cluster.workers.remove(victim)
        replacement = self.cluster.start_worker()
        return f"SIGKILL {victim} (pids {', '.join(map(str, pids))}); started {replacement}"

    def redis_kill(self) -> str:
        """SIGKILL redis-server and start it again on the same data folder and port."""
        pid = self.cluster.kill_redis()
        time.sleep(1.0)
        started = time.monotonic()
        self.cluster.start_redis()
        return (
            f"SIGKILL redis-server {pid}; restarted on port {self.cluster.server.port} "
            f"(AOF loaded in {time.monotonic() - started:.1f}s)"
        )

    def ingest_kill(self) -> str:
        """SIGKILL ingest and start it again."""
        pids = self.cluster.kill("ingest")
        processing = len(_files(self.cluster.inbox / "processing"))
        self.cluster.start_ingest()
        return f"SIGKILL ingest (pid {pids[0]}) with {processing} files in processing/; restarted"

    def restart_all(self) -> str:
        """Stop everything gracefully (SIGTERM, Redis SHUTDOWN), then start it all again."""
        cluster = self.cluster
        live = [n for n in cluster.workers if n in cluster.procs]
        taken = {name: cluster.terminate(name) for name in [*live, "ingest"]}
        cluster.server.stop()
        processing = len(_files(cluster.inbox / "processing"))
        cluster.start_redis()
        for name in live:
            cluster.start_worker(name)
        cluster.start_ingest()
        stops = ", ".join(f"{name} {secs:.1f}s" for name, secs in taken.items())
        return (
            f"SIGTERM to {', '.join(live)} and ingest (stopped in: {stops}), Redis SHUTDOWN; "
            f"all started again with {processing} files in processing/"
        )

    def redis_outage(self) -> str:
        """Drop the second wave and stop Redis while ingest is claiming it."""
        before = len(_files(self.cluster.inbox))
        self.drop(self.wave2)
        if not self.args.faults:
            return f"dropped wave 2 ({len(self.wave2)} files), no outage (--no-faults)"
        # stop Redis as soon as ingest has claimed the first files of the wave
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if before + len(self.wave2) - len(_files(self.cluster.inbox)) > 0:
                break
            time.sleep(0.001)
        self.cluster.server.stop()
        at_stop = before + len(self.wave2) - len(_files(self.cluster.inbox))
        time.sleep(self.args.outage_seconds)
        at_start = before + len(self.wave2) - len(_files(self.cluster.inbox))
        self.cluster.start_redis()
        if at_stop == 0:
            window = " (before ingest claimed any: window missed)"
        elif at_stop >= len(self.wave2):
            window = " (after ingest had claimed all: window missed)"
        else:
            window = ""
        return (
            f"dropped wave 2 ({len(self.wave2)} files); Redis SHUTDOWN after {at_stop} of them "
            f"were claimed{window}, down {self.args.outage_seconds:g}s "
            f"({at_start} claimed when it came back)"
        )

    def faults(self) -> list[Fault]:
        """The fault schedule (with --no-faults: only the second wave)."""
        schedule = [
            Fault(0.10, "pool-kill", self.pool_kill),
            Fault(0.20, "worker-kill", self.worker_kill),
            Fault(0.30, "redis-kill", self.redis_kill),
            Fault(0.40, "ingest-kill", self.ingest_kill),
            Fault(0.50, "restart-all", self.restart_all),
            Fault(0.60, "redis-outage", self.redis_outage),
        ]
        if not self.args.faults:
            schedule = [Fault(0.60, "wave-2", self.redis_outage)]
        return schedule


# --------------------------------------------------------------------------- the run


def execute(run: Run) -> None:
    """Start the services, drop the articles, inject the faults and wait until settled."""
    args, cluster = run.args, run.cluster
    cluster.inbox.mkdir(parents=True)
    cluster.start_redis()
    cluster.start_ingest()
    workers = [cluster.start_worker() for _ in range(args.workers)]
    say(f"waiting for ingest and {args.workers} workers (x{args.concurrency} pool processes)")
    cluster.wait_ready(workers)
    wave2_size = round(run.n * args.wave2) if run.n > 1 else 0
    wave1 = run.articles[: run.n - wave2_size]
    run.wave2 = run.articles[run.n - wave2_size :]
    cluster.started = time.monotonic()
    cluster.event("drop", f"wave 1: {len(wave1)} files (wave 2: {len(run.wave2)} files at 60%)")
    run.drop(wave1)
    faults = run.faults()
    started = last_report = last_change = time.monotonic()
    last_fault = float("-inf")
    last_key: tuple[int, ...] = ()
    deadline = started + args.timeout
    while True:
        cluster.check_exits()
        snap = snapshot(cluster)
        run.last = snap
        now = time.monotonic()
        quiet = now - last_fault >= args.gap
        for fault in faults:
            if quiet and fault.event is None and snap.results >= fault.fraction * run.n:
                at = snap.results
                t0 = time.monotonic()
                detail = fault.action()
                last_fault = time.monotonic()
                fault.event = cluster.event(fault.name, detail, results=at, seconds=last_fault - t0)
                break  # one fault per round: the next waits for fresh counts
        key = (snap.results, snap.settled, snap.processing, snap.inbox)
        if key != last_key:
            last_key, last_change = key, now
        if snap.settled >= run.n and all(f.event is not None for f in faults):
            run.settled_at = cluster.now()
            cluster.event("settled", snap.line(run.n))
            return
        if now - last_report >= REPORT_EVERY:
            say(f"[{cluster.now():7.1f}s] {snap.line(run.n)}")
            last_report = now
        if now - last_change > args.stall:
            run.stalled = True
            cluster.event("stalled", f"no progress for {args.stall:.0f}s: {snap.line(run.n)}")
            return
        if now > deadline:
            run.stalled = True
            cluster.event("timeout", f"after {args.timeout:.0f}s: {snap.line(run.n)}")
            return
        time.sleep(POLL_SECONDS)


def drain(run: Run) -> dict[str, int | None]:
    """Return the queue at settling, then let the workers drain it for up to --drain s."""
    cluster = run.cluster
    at_settle: dict[str, int | None] = {"queue": None, "unacked": None}
    with suppress(redis.RedisError):
        queue, unacked = queue_lengths(cluster.broker)
        at_settle = {"queue": queue, "unacked": unacked}
    deadline = time.monotonic() + run.args.drain
    while time.monotonic() < deadline:
        with suppress(redis.RedisError):
            if sum(queue_lengths(cluster.broker)) == 0:
                break
        time.sleep(POLL_SECONDS)
    return at_settle


# --------------------------------------------------------------------------- report


def service_log_summary(logs: Path) -> dict[str, Any]:
    """Count the services' own log events (``queued``, ``job_lost_requeued``, ...) by name.

    Workers' ``job_finished`` lines are counted by outcome; Celery's and kombu's lines (free
    text) are not counted. ``queued`` in ingest's log is the number of messages it sent.
    """
    counts: dict[str, Counter[str]] = {"ingest": Counter(), "workers": Counter()}
    requeued_on_start: list[int] = []
    tracebacks: Counter[str] = Counter()
    if not logs.is_dir():
        return {}
    for path in sorted(logs.glob("*.log")):
        service = "ingest" if path.stem == "ingest" else "workers"
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("Traceback"):
                tracebacks[path.stem] += 1
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            event = str(record.get("event", ""))
            if event == "job_finished":
                counts[service][f"job_finished:{record.get('outcome')}"] += 1
            elif _EVENT_NAME.fullmatch(event):
                counts[service][event] += 1
            if event == "recovered_processing":
                requeued_on_start.append(int(record.get("requeued", 0)))
            if record.get("exception") or record.get("exc_info"):
                tracebacks[path.stem] += 1
    return {
        "ingest": dict(sorted(counts["ingest"].items())),
        "workers": dict(sorted(counts["workers"].items())),
        "ingest_requeued_at_startup": requeued_on_start,
        "tracebacks": dict(sorted(tracebacks.items())),
    }


def failure_reasons(failed: Path) -> dict[str, int]:
    """Count the reasons in ``failed/*.error.json``."""
    reasons: Counter[str] = Counter()
    for path in failed.glob("*.error.json") if failed.is_dir() else []:
        with suppress(ValueError, OSError):
            reasons[str(json.loads(path.read_text(encoding="utf-8")).get("reason"))] += 1
    return dict(reasons.most_common())


def summarize(run: Run, at_settle: dict[str, int | None], wall: float) -> dict[str, Any]:
    """Compute the figures and checks."""
    cluster, args, n = run.cluster, run.args, run.n
    client = cluster.client
    by_id = {a.job_id: a for a in run.articles}
    names = {a.name for a in run.articles}
    inbox = cluster.inbox
    done = set(_files(inbox / "done"))
    failed = set(_files(inbox / "failed"))
    processing = set(_files(inbox / "processing"))
    unclaimed = set(_files(inbox))
    result_ids = {name.removesuffix(".json") for name in _files(cluster.results)}
    stream = stream_job_ids(client, KEYS.results)
    failure_stream = set(stream_job_ids(client, KEYS.failures))
    ours = [j for j in stream if j in by_id]
    distinct = set(ours)
    failed_ids = {a.job_id for a in run.articles if a.name in failed} | (
        failure_stream & set(by_id)
    )
    lost = [
        a.name
        for a in run.articles
        if a.job_id not in result_ids and a.job_id not in distinct and a.job_id not in failed_ids
    ]
    not_on_stream = sorted(by_id[j].name for j in result_ids & set(by_id) - distinct)
    per_id = Counter(ours)
    duplicated = sorted(by_id[j].name for j, c in per_id.items() if c > 1)
    messages = leftover_messages(cluster.broker)
    finished = result_ids | distinct | failed_ids
    left_queue = len(messages["queue"]) + len(messages["unacked"])
    redundant = sum(
        1 for j in messages["queue"] + messages["unacked"] if j is not None and j in finished
    )
    unsettled = names - done - failed
    told = Counter(j for j in stream_job_ids(client, KEYS.stories) if j in by_id)
    published = result_ids & set(by_id)
    unrecorded = _wait_story_records(cluster.results / "stories", published)
    no_story = sorted(
        by_id[j].name for j in published if _story_id(cluster.results / f"{j}.json") is None
    )
    raw_stats: dict[bytes, bytes] = client.hgetall(KEYS.stats)  # type: ignore[assignment]
    stats = {k.decode(): v.decode() for k, v in raw_stats.items()}
    figures: dict[str, Any] = {
        "n_in": n,
        "results": len(result_ids & set(by_id)),
        "stream_entries": int(client.xlen(KEYS.results)),
        "stream_distinct_job_ids": len(distinct),
        "duplicates": len(ours) - len(distinct),
        "lost": len(lost),
        "failed": len(names & failed),
        "done": len(names & done),
        "left_in_processing": len(processing),
        "left_in_inbox": len(unclaimed),
        "not_settled": len(unsettled),
        "results_not_on_stream": len(not_on_stream),
        "stories_stream_entries": sum(told.values()),
        "stories_stream_duplicates": sum(c - 1 for c in told.values() if c > 1),
        "results_without_story": len(no_story),
        "results_not_on_stories_stream": len(published - set(told)),
        "results_in_no_story_record": len(unrecorded),
        "queue_at_settle": at_settle,
        "queue_left": {
            "queue": len(messages["queue"]),
            "unacked": len(messages["unacked"]),
            "total": left_queue,
            "redundant": redundant,
            "pct_of_n": round(100 * left_queue / n, 2) if n else 0.0,
        },
    }
    checks = {
        "every file out of the inbox": not unsettled,
        "0 lost": not lost,
        "0 duplicates": figures["duplicates"] == 0,
        "every result on the stream": not not_on_stream,
        f"queue left <= {LEFTOVER_LIMIT:.0%} of N": left_queue <= LEFTOVER_LIMIT * n,
        "no service exited by itself": not cluster.exited,
        "every result in a story, told once": not no_story
        and figures["stories_stream_duplicates"] == 0
        and figures["results_not_on_stories_stream"] == 0,
        "every result in a story record file": not unrecorded,
    }
    return {
        "config": {
            "n": n,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "faults": args.faults,
            "wave2": len(run.wave2),
            "stable_seconds": STABLE_SECONDS,
            "rescan_seconds": args.rescan_seconds,
            "lost_after_seconds": args.lost_after,
            "outage_seconds": args.outage_seconds,
            "cpus": os.cpu_count(),
        },
        "figures": figures,
        "timing": {
            "wall_seconds": round(wall, 1),
            "settled_seconds": None if run.settled_at is None else round(run.settled_at, 1),
            "stalled": run.stalled,
            "throughput_per_second": round(figures["results"] / run.settled_at, 2)
            if run.settled_at
            else None,
        },
        "events": [e.as_dict() for e in cluster.events],
        "examples": {
            "lost": lost[:10],
            "duplicated": duplicated[:10],
            "left_in_processing": sorted(processing)[:10],
            "left_in_inbox": sorted(unclaimed)[:10],
            "not_on_stream": not_on_stream[:10],
        },
        "failure_reasons": failure_reasons(inbox / "failed"),
        "redis_stats": stats,
        "service_logs": service_log_summary(cluster.logs),
        "checks": checks,
        "ok": all(checks.values()),
    }


def render_table(report: dict[str, Any]) -> str:
    """Return the report as text."""
    cfg, fig, timing = report["config"], report["figures"], report["timing"]
    left, settle = fig["queue_left"], fig["queue_at_settle"]
    logs = report["service_logs"]
    rows: list[tuple[str, str]] = [
        (
            "setup",
            f"{cfg['workers']} workers x {cfg['concurrency']} pool processes, {cfg['cpus']} CPUs;"
            f" stable {cfg['stable_seconds']}s, rescan {cfg['rescan_seconds']:g}s, lost after "
            f"{cfg['lost_after_seconds']:g}s; faults {'on' if cfg['faults'] else 'off'}",
        ),
    ]
    for index, ev in enumerate(report["events"]):
        head = ev["detail"].splitlines()[0]
        rows.append(("events" if index == 0 else "", f"{ev['t']:7.1f}s {ev['kind']}: {head}"))
    rows += [
        ("N in", str(fig["n_in"])),
        ("results", f"{fig['results']} files"),
        (
            "stream",
            f"{fig['stream_entries']} entries, {fig['stream_distinct_job_ids']} distinct job ids"
            f" ({fig['results_not_on_stream']} result files not on the stream)",
        ),
        ("duplicates", str(fig["duplicates"])),
        ("lost", f"{fig['lost']}  (inputs with no result file, stream entry or failure record)"),
        ("failed", str(fig["failed"])),
        ("done", str(fig["done"])),
        (
            "stories",
            f"{fig['stories_stream_entries']} entries on the stories stream, "
            f"{fig['stories_stream_duplicates']} twice, {fig['results_without_story']} results "
            f"without story_id, {fig['results_not_on_stories_stream']} results never told, "
            f"{fig['results_in_no_story_record']} in no story record file",
        ),
        ("processing/", f"{fig['left_in_processing']} files left"),
        ("inbox/", f"{fig['left_in_inbox']} files never claimed"),
        (
            "queue left",
            f"{left['total']} = {left['pct_of_n']}% of N ({left['queue']} waiting + "
            f"{left['unacked']} unacked; {left['redundant']} for jobs already finished); "
            f"at settling: {settle['queue']} waiting + {settle['unacked']} unacked",
        ),
        (
            "time",
            f"{timing['wall_seconds']}s wall; "
            + (
                f"settled after {timing['settled_seconds']}s "
                f"({timing['throughput_per_second']} results/s)"
                if timing["settled_seconds"] is not None
                else "did not settle"
            ),
        ),
    ]
    if logs:
        rows.append(("ingest log", _counts(logs["ingest"])))
        rows.append(("", f"requeued at each start: {logs['ingest_requeued_at_startup']}"))
        rows.append(("workers log", _counts(logs["workers"])))
        rows.append(("tracebacks", _counts(logs["tracebacks"]) or "none"))
    if report["failure_reasons"]:
        rows.append(("failures", _counts(report["failure_reasons"])))
    for kind, names in report["examples"].items():
        if names:
            rows.append(("e.g.", f"{kind}: {', '.join(names)}"))
    verdict = [name for name, ok in report["checks"].items() if not ok]
    rows.append(("verdict", "PASS" if not verdict else "FAIL: " + "; ".join(verdict)))
    return _support.table(rows)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    ap = _support.arg_parser(__doc__)
    ap.add_argument("--n", type=positive_int, default=10_000, help="articles to drop (10000)")
    ap.add_argument("--workers", type=positive_int, default=2, help="worker processes (2)")
    ap.add_argument(
        "--concurrency", type=positive_int, default=1, help="pool processes per worker (1)"
    )
    ap.add_argument("--timeout", type=float, default=7200.0, help="seconds to wait in all (7200)")
    ap.add_argument(
        "--stall",
        type=float,
        default=None,
        help="give up after this many seconds without progress "
        "(default: rescan + lost-after + 120)",
    )
    ap.add_argument(
        "--gap",
        type=float,
        default=1.0,
        help="at least this many seconds between two faults (1)",
    )
    ap.add_argument(
        "--drain",
        type=float,
        default=15.0,
        help="seconds the queue may drain after settling before it is counted (15)",
    )
    ap.add_argument(
        "--rescan-seconds", type=float, default=60.0, help="NEWSWIRE_RESCAN_SECONDS (60)"
    )
    ap.add_argument(
        "--lost-after", type=float, default=30.0, help="NEWSWIRE_LOST_AFTER_SECONDS (30)"
    )
    ap.add_argument(
        "--outage-seconds", type=float, default=5.0, help="length of the Redis outage (5)"
    )
    ap.add_argument(
        "--wave2", type=float, default=0.3, help="share of N dropped in the second wave (0.3)"
    )
    ap.add_argument("--no-faults", dest="faults", action="store_false", help="baseline: no faults")
    ap.add_argument("--json", action="store_true", help="JSON on stdout, the table on stderr")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and logs")
    args = ap.parse_args(argv)
    if args.stall is None:
        args.stall = args.rescan_seconds + args.lost_after + 120
    if not 0 <= args.wave2 < 0.4:
        ap.error("--wave2 must be in [0, 0.4): wave 2 is dropped at 60% of N results")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status (0: every check passed)."""
    args = parse_args(argv)
    try:
        articles = make_articles(args.n)
    except ChaosError as exc:
        say(f"chaos failed: {exc}")
        return 2
    work = Path(tempfile.mkdtemp(prefix="newswire-chaos-"))
    staging = work / "staging"
    staging.mkdir()
    for article in articles:
        (staging / article.name).write_bytes(article.data)
    cluster = Cluster(work, args)
    run = Run(args, cluster, articles, staging)
    t0 = time.monotonic()

    def body() -> dict[str, Any]:
        try:
            execute(run)
            at_settle = drain(run)
            return summarize(run, at_settle, time.monotonic() - t0)
        finally:
            cluster.stop_all()

    report = _support.run_in_work_folder(
        work,
        body,
        keep=args.keep,
        kept=f"{work} (service logs in {cluster.logs})",
        error=ChaosError,
        error_status=2,
        name="chaos",
    )
    if isinstance(report, int):
        return report
    _support.print_report(report, render_table(report), args.json)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
