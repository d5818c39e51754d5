"""End-to-end throughput, latency and memory of the newswire pipeline, against bare spaCy.

Runs the real services on this machine: a private Redis, the ingest service and one enrichment
worker (Celery prefork pool of ``--workers`` processes). Drops ``--articles`` unique copies of
the corpus articles into the inbox at once, waits for every result, and reports articles/s,
drop-to-result latency, per-step times, the worker's peak memory and failures. Before and after
each pipeline run it times ``nlp.pipe(texts, n_process=--workers)`` over the same cleaned texts
with the same model as a baseline and prints the ratio of the run to the mean of the two.
Then (``--idle-drops``) it measures drop-to-result latency at idle: services with their default
settings, one ~6-paragraph article written into the inbox at a time. It ends with the summary
table of issue 10 (idle latency, ingest files/s with ``--ingest``, pipeline/baseline ratio,
peak RSS). See ``bench/README.md`` for how to read the numbers::

    .venv/bin/python bench/pipeline_bench.py --articles 60
    .venv/bin/python bench/pipeline_bench.py --articles 20 --idle-drops 5
    .venv/bin/python bench/pipeline_bench.py --json > bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import redis
import spacy.util

import _support
from _support import positive_int, say
from newswire.redis_server import RedisServer
from newswire_enrich.clean import clean_article
from newswire_enrich.errors import BadInputError
from newswire_enrich.nlp import load_model
from newswire_enrich.settings import DEFAULT_MODEL
from newswire_shared.errors import RejectedFileError
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import RedisKeys
from newswire_shared.logs import configure_logging
from newswire_shared.schemas import MediaType, content_sha256, job_id_for

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
CORPUS_SUFFIXES = frozenset({".txt", ".html", ".json", ".md"})
STEPS = ("clean", "nlp", "entities", "quotes")

#: Ingest settings of the run; both are part of the measured latency.
STABLE_SECONDS = 0.2
TICK_SECONDS = 0.1
#: Memory of the worker process tree is sampled this often.
SAMPLE_SECONDS = 0.2
#: The worker's process tree is listed again every this many samples.
TREE_EVERY = 10
READY_TIMEOUT = 300.0
MIB = 1024 * 1024
#: Idle phase: paragraphs per article, pause between drops (seconds, uniform), result polling.
IDLE_PARAGRAPHS = 6
IDLE_PAUSE = (0.5, 1.5)
IDLE_POLL_SECONDS = 0.02
IDLE_RESULT_TIMEOUT = 120.0
INGEST_BENCH = Path(__file__).resolve().parent / "ingest_bench.py"
#: The issue-10 goals, shown in the summary table.
GOAL_IDLE = "p50 <= 0.5 s, p95 <= 0.8 s"
GOAL_INGEST = ">= 1,000 files/s"
GOAL_RATIO = ">= 0.92"

_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


class BenchError(RuntimeError):
    """The benchmark could not run to the end."""


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class BenchInput:
    """One file to drop into the inbox."""

    name: str
    data: bytes
    media_type: MediaType
    job_id: str
    origin: str


def corpus_files(corpus: Path) -> list[Path]:
    """Return the article files of `corpus`: its ``*/articles`` folders, else the folder itself."""
    if not corpus.is_dir():
        raise BenchError(f"corpus folder {corpus} does not exist (see --corpus)")
    folders = sorted(p for p in corpus.glob("*/articles") if p.is_dir()) or [corpus]
    files = sorted(
        path
        for folder in folders
        for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in CORPUS_SUFFIXES
    )
    if not files:
        raise BenchError(f"no .txt/.html/.json/.md articles found under {corpus}")
    return files


def unique_marker(index: int, media_type: MediaType, data: bytes) -> bytes:
    """Return a harmless trailer that makes copy `index` of a file unique.

    HTML gets a trailing comment; text, Markdown and JSON a final line of spaces and tabs
    (the binary digits of the index), which cleaning drops and JSON parsers ignore.
    """
    if media_type is MediaType.HTML:
        marker = f"\n\n<!-- bench {index} -->\n"
    else:
        marker = "\n" + "".join(" \t"[bit == "1"] for bit in format(index + 1, "b")) + "\n"
    encoding = _UTF16_BOMS.get(data[:2], "utf-8")
    return marker.encode(encoding)


def build_inputs(files: list[Path], count: int, seed: int) -> list[BenchInput]:
    """Return `count` unique inputs cycling through `files` in a fixed shuffled order."""
    order = list(files)
    random.Random(seed).shuffle(order)
    inputs: list[BenchInput] = []
    for index in range(count):
        source = order[index % len(order)]
        media_type = MediaType.from_suffix(source.suffix)
        assert media_type is not None
        raw = source.read_bytes()
        data = raw + unique_marker(index, media_type, raw)
        inputs.append(
            BenchInput(
                name=f"bench{index:05d}-{source.name}",
                data=data,
                media_type=media_type,
                job_id=job_id_for(content_sha256(data)),
                origin=f"{source.parent.parent.name}/{source.name}",
            )
        )
    if len({i.job_id for i in inputs}) != len(inputs):
        raise BenchError("generated inputs are not unique; ingest would deduplicate them")
    return inputs


# --------------------------------------------------------------------------- processes


class Services:
    """The ingest service and one enrichment worker, as child processes in their own sessions."""

    def __init__(
        self, work: Path, redis_url: str, args: argparse.Namespace, *, stories: bool = True
    ) -> None:
        self.stories = stories
        self.work = work
        self.inbox = work / "inbox"
        self.results = work / "results"
        self.ready_file = work / "worker.ready"
        self.redis_url = redis_url
        self.args = args
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def env(self) -> dict[str, str]:
        """Environment of a service process, as a container would get it."""
        return _support.service_env(
            redis_url=self.redis_url,
            inbox=self.inbox,
            results=self.results,
            heartbeat=self.work / "heartbeat",
            ready=self.ready_file,
            stable_seconds=STABLE_SECONDS,
            tick_seconds=TICK_SECONDS,
            concurrency=self.args.workers,
            log_level=self.args.log_level,
            NEWSWIRE_SPACY_MODEL=self.args.model,
            NEWSWIRE_STORIES="true" if self.stories else "false",
        )

    def start(self, name: str, module: str) -> subprocess.Popen[bytes]:
        """Start ``python -m module`` as service `name`, logging to ``<work>/<name>.log``."""
        proc = _support.start_service(module, self.env(), self.work / f"{name}.log")
        self.procs[name] = proc
        return proc

    def check_alive(self) -> None:
        """Raise if a service has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise BenchError(
                    f"{name} exited with status {proc.returncode}:\n{self.log_tail(name)}"
                )

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Wait for the worker's ready file; return the seconds it took."""
        started = time.monotonic()
        while not self.ready_file.exists():
            self.check_alive()
            if time.monotonic() - started > timeout:
                raise BenchError(
                    f"worker not ready after {timeout:.0f}s:\n{self.log_tail('worker')}"
                )
            time.sleep(0.1)
        return time.monotonic() - started

    def log_tail(self, name: str, chars: int = 2000) -> str:
        """The end of service `name`'s log."""
        return _support.log_tail(self.work / f"{name}.log", chars)

    def stop_all(self) -> None:
        """Stop the worker, then ingest (SIGTERM, then SIGKILL); no process is left behind."""
        for name in ("worker", "ingest"):
            proc = self.procs.pop(name, None)
            if proc is not None:
                _support.stop_tree(proc, 30.0, grace=5)


class MemorySampler:
    """Samples the RSS of a process and its descendants every `interval` seconds."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_tree = 0
        self.peak_main = 0
        self.peak_children: dict[int, int] = {}
        self.samples = 0
        self._root: psutil.Process | None = None
        self._children: list[psutil.Process] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> MemorySampler:
        """Start sampling in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (takes one last sample)."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        """Take one sample.

        The process tree is listed again every :data:`TREE_EVERY` samples (or when a process
        went away): listing it scans all of /proc, several ms of CPU taken from the run being
        measured, while reading a known process's RSS is one small file.
        """
        try:
            if self._root is None or self.samples % TREE_EVERY == 0:
                self._root = psutil.Process(self.pid)
                self._children = self._root.children(recursive=True)
            main = self._root.memory_info().rss
        except psutil.Error:
            return
        total = main
        for child in self._children:
            try:
                rss = child.memory_info().rss
            except psutil.Error:
                self._root = None  # list the tree again next time
                continue
            total += rss
            self.peak_children[child.pid] = max(self.peak_children.get(child.pid, 0), rss)
        self.peak_main = max(self.peak_main, main)
        self.peak_tree = max(self.peak_tree, total)
        self.samples += 1


# --------------------------------------------------------------------------- the run


@dataclass
class PipelineRun:
    """What the end-to-end run observed."""

    drop_times: dict[str, float]
    result_times: dict[str, float]
    results: dict[str, dict[str, Any]]
    failed: int
    ready_seconds: float
    memory: MemorySampler


def stage_inputs(work: Path, inputs: list[BenchInput]) -> Path:
    """Write the inputs into ``<work>/staging`` (renamed into the inbox later); return it."""
    staging = work / "staging"
    staging.mkdir()
    for item in inputs:
        (staging / item.name).write_bytes(item.data)
    return staging


def run_pipeline(
    args: argparse.Namespace, inputs: list[BenchInput], work: Path, *, stories: bool = True
) -> PipelineRun:
    """Start Redis, ingest and one worker; drop every input; wait for every outcome."""
    work.mkdir(parents=True, exist_ok=True)
    staging = stage_inputs(work, inputs)
    server = RedisServer(work / "redis")
    services: Services | None = None
    sampler: MemorySampler | None = None
    try:
        server.start()
        services = Services(work, server.url, args, stories=stories)
        services.inbox.mkdir()
        services.start("ingest", "newswire_ingest")
        worker = services.start("worker", "newswire_enrich")
        sampler = MemorySampler(worker.pid).start()
        say(f"waiting for the worker ({args.workers} pool processes, model {args.model}) ...")
        ready_seconds = services.wait_ready()
        say(f"worker ready after {ready_seconds:.1f}s; dropping {len(inputs)} files")
        drop_times: dict[str, float] = {}
        for item in inputs:
            (staging / item.name).rename(services.inbox / item.name)
            drop_times[item.job_id] = time.time()
        result_times, failed = wait_for_outcomes(services, set(drop_times), args.timeout)
        sampler.stop()
        results = {
            job_id: json.loads((services.results / f"{job_id}.json").read_text(encoding="utf-8"))
            for job_id in result_times
        }
        return PipelineRun(drop_times, result_times, results, failed, ready_seconds, sampler)
    finally:
        if sampler is not None:
            sampler.stop()
        if services is not None:
            services.stop_all()
        server.stop()


def wait_for_outcomes(
    services: Services, pending: set[str], timeout: float
) -> tuple[dict[str, float], int]:
    """Wait until every job has a result file or its file is in failed/; return mtimes, fails."""
    total = len(pending)
    done: dict[str, float] = {}
    failed = 0
    started = last_report = time.monotonic()
    while True:
        if services.results.is_dir():
            with os.scandir(services.results) as entries:
                for entry in entries:
                    job_id = entry.name.removesuffix(".json")
                    if job_id in pending and entry.name.endswith(".json"):
                        done[job_id] = entry.stat().st_mtime
                        pending.discard(job_id)
        failed = count_failed(services.inbox / "failed")
        if len(done) + failed >= total:
            return done, failed
        services.check_alive()
        now = time.monotonic()
        if now - started > timeout:
            raise BenchError(f"timed out after {timeout:.0f}s: {len(done)}/{total} results")
        if now - last_report >= 10:
            say(f"  {len(done)}/{total} results, {failed} failed, {now - started:.0f}s")
            last_report = now
        time.sleep(0.2)


def count_failed(folder: Path) -> int:
    """Return the number of input files in ``inbox/failed`` (error records not counted)."""
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.is_file() and not p.name.endswith(".error.json"))


@dataclass
class BaselineRun:
    """Bare ``nlp.pipe`` over the cleaned texts."""

    articles: int
    words: int
    seconds: float
    skipped: int
    batch_size: int
    n_process: int

    @property
    def rate(self) -> float:
        """Articles per second."""
        return self.articles / self.seconds


def cleaned_texts(inputs: list[BenchInput]) -> tuple[list[str], int]:
    """The clean texts of `inputs` (what the workers give spaCy) and how many were refused."""
    texts: list[str] = []
    skipped = 0
    for item in inputs:
        try:
            job = job_from_bytes(item.data, item.name, item.media_type)
            texts.append(clean_article(job.text, item.media_type, item.name).text)
        except (RejectedFileError, BadInputError):
            skipped += 1
    if not texts:
        raise BenchError("no input survived cleaning; nothing to run the baseline on")
    return texts, skipped


class Baseline:
    """Bare ``nlp.pipe`` over the inputs' clean texts, timed as often as asked.

    The model is loaded once (not timed): exactly as ``spacy.load`` gives it (the goal's
    baseline), or with `fast` as the workers run it (``NEWSWIRE_FAST_SPACY``: the same
    output, faster attribute ruler and lemmatizer), which leaves only the pipeline's own
    work in the ratio. The bench times the stock one before and after each pipeline run and
    compares each run with the mean of the two timings around it: the speed of this machine
    drifts by several percent over minutes, and a single baseline taken minutes away from
    the pipeline run measures the drift too.
    """

    def __init__(
        self, args: argparse.Namespace, texts: list[str], skipped: int, *, fast: bool = False
    ) -> None:
        self.args = args
        self.texts = texts
        self.skipped = skipped
        self.fast = fast
        self.nlp = load_model(args.model, fast=fast)
        self.nlp(self.texts[0])  # warm-up, as the workers are warm when the files arrive
        self.runs: list[BaselineRun] = []

    def time(self) -> BaselineRun:
        """Time one ``nlp.pipe`` pass over every text; keep and return it."""
        which = "newswire's components" if self.fast else "spaCy as shipped"
        say(f"baseline: nlp.pipe over {len(self.texts)} cleaned texts ({which}) ...")
        args, texts = self.args, self.texts
        started = time.perf_counter()
        articles = sum(
            1 for _ in self.nlp.pipe(texts, n_process=args.workers, batch_size=args.batch_size)
        )
        seconds = time.perf_counter() - started
        run = BaselineRun(
            articles=articles,
            words=sum(len(text.split()) for text in texts),
            seconds=seconds,
            skipped=self.skipped,
            batch_size=args.batch_size,
            n_process=args.workers,
        )
        self.runs.append(run)
        return run


# --------------------------------------------------------------------------- idle latency


def idle_articles(files: list[Path], count: int, seed: int) -> list[BenchInput]:
    """Return `count` distinct plain-text articles of ``IDLE_PARAGRAPHS`` paragraphs each.

    Each is the first ``IDLE_PARAGRAPHS`` lines of at least 15 words of a ``.txt`` corpus
    article (the corpus keeps one paragraph per line), joined by blank lines, cycling through
    the articles that have that many in a fixed shuffled order; a trailer makes repeats unique.
    """
    sources: list[tuple[Path, str]] = []
    for path in files:
        if path.suffix.lower() != ".txt":
            continue
        lines = [
            line.strip()
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if len(line.split()) >= 15
        ]
        if len(lines) >= IDLE_PARAGRAPHS:
            sources.append((path, "\n\n".join(lines[:IDLE_PARAGRAPHS]) + "\n"))
    if not sources:
        raise BenchError(
            f"no .txt corpus article has {IDLE_PARAGRAPHS} paragraphs for --idle-drops"
        )
    random.Random(seed).shuffle(sources)
    articles: list[BenchInput] = []
    for index in range(count):
        source, text = sources[index % len(sources)]
        raw = text.encode("utf-8")
        data = raw + unique_marker(index, MediaType.TEXT, raw)
        articles.append(
            BenchInput(
                name=f"idle{index:04d}-{source.name}",
                data=data,
                media_type=MediaType.TEXT,
                job_id=job_id_for(content_sha256(data)),
                origin=f"{source.parent.parent.name}/{source.name}",
            )
        )
    return articles


def default_env(redis_url: str, work: Path, name: str, model: str) -> dict[str, str]:
    """Environment of a service at its default settings: only what it needs to run.

    Redis URL, inbox and results folders, its own ready and heartbeat files, no metrics port
    (``NEWSWIRE_METRICS_PORT=0``), JSON logs; the model only if ``--model`` is not the default.
    No ``NEWSWIRE_STABLE_SECONDS``, ``NEWSWIRE_SETTLE_SECONDS``, ``NEWSWIRE_TICK_SECONDS`` or
    ``NEWSWIRE_CONCURRENCY``: those keep their defaults.
    """
    env = _support.service_env(
        redis_url=redis_url,
        inbox=work / "inbox",
        results=work / "results",
        heartbeat=work / f"{name}.heartbeat",
        ready=work / f"{name}.ready",
        stable_seconds=0.0,
        tick_seconds=0.0,
        concurrency=1,
        log_level="INFO",
    )
    for key in ("NEWSWIRE_STABLE_SECONDS", "NEWSWIRE_TICK_SECONDS", "NEWSWIRE_CONCURRENCY"):
        del env[key]
    if model != DEFAULT_MODEL:
        env["NEWSWIRE_SPACY_MODEL"] = model
    return env


@dataclass
class IdleRun:
    """Drop -> result latencies of lone articles with the services at default settings."""

    latencies: list[float]
    warmup_seconds: float
    env: dict[str, str]


def run_idle(args: argparse.Namespace, articles: list[BenchInput], work: Path) -> IdleRun:
    """Start Redis, ingest and a worker at defaults; drop the articles one at a time.

    The first article is a warm-up (its latency is reported apart). Each of the others is
    written straight into the inbox (open, write, close: what inotify reports as complete)
    after the previous one has its result and a random pause of ``IDLE_PAUSE`` seconds; its
    latency is the result file's mtime minus the time of the close.
    """
    work.mkdir()
    inbox, results = work / "inbox", work / "results"
    inbox.mkdir()
    server = RedisServer(work / "redis")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    envs: dict[str, dict[str, str]] = {}
    rng = random.Random(args.seed)
    try:
        server.start()
        for name, module in (("ingest", "newswire_ingest"), ("worker", "newswire_enrich")):
            envs[name] = default_env(server.url, work, name, args.model)
            procs[name] = _support.start_service(module, envs[name], work / f"{name}.log")
        _wait_idle_ready(server.url, work, procs)
        latencies: list[float] = []
        warmup = float("nan")
        for index, item in enumerate(articles):
            latency = _drop_one(item, inbox, results, work, procs)
            if index == 0:
                warmup = latency
                say(f"  warm-up drop -> result {latency:.2f}s (not counted)")
            else:
                latencies.append(latency)
                say(f"  idle drop {index}/{len(articles) - 1}: {latency:.2f}s")
            time.sleep(rng.uniform(*IDLE_PAUSE))
        env = {k: v for k, v in envs["ingest"].items() if k.startswith(("NEWSWIRE_", "REDIS_"))}
        return IdleRun(latencies, warmup, env)
    finally:
        for name in ("worker", "ingest"):
            proc = procs.pop(name, None)
            if proc is not None:
                _support.stop_tree(proc, 30.0, grace=5)
        server.stop()


def _check_procs(work: Path, procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, proc in procs.items():
        if proc.poll() is not None:
            raise BenchError(
                f"idle {name} exited with status {proc.returncode}:\n"
                f"{_support.log_tail(work / f'{name}.log')}"
            )


def _wait_idle_ready(url: str, work: Path, procs: dict[str, subprocess.Popen[bytes]]) -> None:
    """Wait for the worker's ready file and ingest's heartbeat key in Redis."""
    client = redis.Redis.from_url(url)
    alive_key = RedisKeys().ingest_alive
    started = time.monotonic()
    try:
        while not ((work / "worker.ready").exists() and client.exists(alive_key)):
            _check_procs(work, procs)
            if time.monotonic() - started > READY_TIMEOUT:
                raise BenchError(f"idle services not ready after {READY_TIMEOUT:.0f}s")
            time.sleep(0.1)
    finally:
        client.close()
    say(f"idle services ready after {time.monotonic() - started:.1f}s (default settings)")


def _drop_one(
    item: BenchInput,
    inbox: Path,
    results: Path,
    work: Path,
    procs: dict[str, subprocess.Popen[bytes]],
) -> float:
    """Write one article into the inbox; return result mtime - close time."""
    with (inbox / item.name).open("wb") as out:
        out.write(item.data)
    dropped = time.time()
    result = results / f"{item.job_id}.json"
    failed = inbox / "failed" / item.name
    deadline = time.monotonic() + IDLE_RESULT_TIMEOUT
    while True:
        try:
            return result.stat().st_mtime - dropped
        except FileNotFoundError:
            pass
        if failed.exists():
            raise BenchError(f"idle article {item.name} failed ({item.origin})")
        if time.monotonic() > deadline:
            raise BenchError(
                f"no result for idle article {item.name} after {IDLE_RESULT_TIMEOUT:.0f}s"
            )
        _check_procs(work, procs)
        time.sleep(IDLE_POLL_SECONDS)


# --------------------------------------------------------------------------- ingest files/s


def run_ingest_bench(extra: str) -> dict[str, Any]:
    """Run ``bench/ingest_bench.py --json [extra]``; return its JSON object, or why not.

    Its progress and table go to our stderr; its stdout must be one JSON object with a
    ``files_per_second`` number (at the top level or one level down).
    """
    if not INGEST_BENCH.exists():
        return {"error": "bench/ingest_bench.py does not exist"}
    command = [sys.executable, str(INGEST_BENCH), "--json", *shlex.split(extra)]
    say(f"ingest: {' '.join(command[1:])} ...")
    proc = subprocess.run(command, stdout=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        return {"error": f"ingest_bench.py exited with status {proc.returncode}"}
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        return {"error": "ingest_bench.py printed no JSON on stdout"}
    rate = _find_number(data, "files_per_second")
    if rate is None:
        return {"error": "no files_per_second in ingest_bench.py's JSON", "report": data}
    return {"files_per_second": rate, "report": data}


def _find_number(data: Any, key: str) -> float | None:
    if not isinstance(data, dict):
        return None
    value = data.get(key)
    if isinstance(value, int | float):
        return float(value)
    for child in data.values():
        if isinstance(child, dict) and isinstance(child.get(key), int | float):
            return float(child[key])
    return None


# --------------------------------------------------------------------------- report


def percentile(values: list[float], pct: float) -> float:
    """Return the `pct` percentile of `values` (linear interpolation)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def summarize(
    args: argparse.Namespace,
    inputs: list[BenchInput],
    corpus_size: int,
    run: PipelineRun,
    around: list[BaselineRun],
) -> dict[str, Any]:
    """Return the report as a JSON-able dict; the ratio is against the mean rate of the
    baseline runs `around` the pipeline run (none: no ratio)."""
    if not run.result_times:
        raise BenchError(f"no article produced a result ({run.failed} in inbox/failed)")
    latencies = [run.result_times[j] - run.drop_times[j] for j in run.result_times]
    first_drop = min(run.drop_times.values())
    last_result = max(run.result_times.values(), default=first_drop)
    wall = last_result - first_drop
    ok = len(run.result_times)
    words = sum(len(str(r.get("text", "")).split()) for r in run.results.values())
    steps: dict[str, list[float]] = {}
    for result in run.results.values():
        for timing in result.get("pipeline", {}).get("timings", []):
            steps.setdefault(str(timing["step"]), []).append(float(timing["seconds"]))
    step_ms = {step: 1000 * _mean(values) for step, values in steps.items()}
    nlp_ms = step_ms.get("nlp", 0.0) or float("nan")
    extract_ms = step_ms.get("entities", 0.0) + step_ms.get("quotes", 0.0)
    pipeline_rate = ok / wall if wall > 0 else float("nan")
    report: dict[str, Any] = {
        "config": {
            "articles": len(inputs),
            "corpus_files": corpus_size,
            "input_mix": dict(sorted(Counter(i.origin.split("/")[0] for i in inputs).items())),
            "workers": args.workers,
            "model": args.model,
            "cpus": os.cpu_count(),
            "stable_seconds": STABLE_SECONDS,
            "tick_seconds": TICK_SECONDS,
            "worker_ready_seconds": round(run.ready_seconds, 2),
        },
        "pipeline": {
            "results": ok,
            "failed": run.failed,
            "wall_seconds": round(wall, 3),
            "articles_per_second": round(pipeline_rate, 3),
            "words_per_second": round(words / wall, 1) if wall > 0 else None,
            "latency_seconds": {
                "min": round(min(latencies, default=float("nan")), 3),
                "p50": round(percentile(latencies, 50), 3),
                "p95": round(percentile(latencies, 95), 3),
                "max": round(max(latencies, default=float("nan")), 3),
                "mean": round(_mean(latencies), 3),
            },
            "step_mean_ms": {step: round(ms, 2) for step, ms in step_ms.items()},
            "entities_quotes_pct_of_nlp": round(100 * extract_ms / nlp_ms, 1),
            # a pool process's time per article, and the share of it inside the model: both
            # measured during the same run, so the machine's drift cancels out
            "process_ms_per_article": round(1000 * args.workers / pipeline_rate, 1),
            "nlp_share_pct": round(100 * nlp_ms * pipeline_rate / (1000 * args.workers), 1),
        },
        "memory": {
            "peak_tree_rss_mib": round(run.memory.peak_tree / MIB, 1),
            "peak_main_rss_mib": round(run.memory.peak_main / MIB, 1),
            "peak_pool_rss_mib": {
                str(pid): round(rss / MIB, 1)
                for pid, rss in sorted(run.memory.peak_children.items())
            },
            "samples": run.memory.samples,
            "interval_seconds": SAMPLE_SECONDS,
        },
    }
    if around:
        first = around[0]
        rates = [b.rate for b in around]
        base_rate = _mean(rates)
        report["baseline"] = {
            "articles": first.articles,
            "skipped_by_cleaning": first.skipped,
            "n_process": first.n_process,
            "batch_size": first.batch_size,
            "runs_seconds": [round(b.seconds, 3) for b in around],
            "seconds": round(first.articles / base_rate, 3),
            "articles_per_second": round(base_rate, 3),
            "words_per_second": round(first.words * base_rate / first.articles, 1),
            "drift_pct": round(100 * (max(rates) / min(rates) - 1), 1),
        }
        report["ratio_pipeline_over_baseline"] = round(pipeline_rate / base_rate, 3)
    return report


def add_fast_baseline(report: dict[str, Any], fast: BaselineRun) -> None:
    """Add nlp.pipe with newswire's faster components, timed once right after the first
    pipeline run, and the run's ratio to it: the share of the pipeline's time that is the
    model as the workers run it (the rest: cleaning, rule steps, stories, queue, files)."""
    rate = report["pipeline"]["articles_per_second"]
    report["baseline_newswire_spacy"] = {
        "seconds": round(fast.seconds, 3),
        "articles_per_second": round(fast.rate, 3),
        "speedup_over_stock_pct": round(
            100 * (fast.rate / report["baseline"]["articles_per_second"] - 1), 1
        ),
    }
    report["ratio_pipeline_over_newswire_spacy"] = round(rate / fast.rate, 3)


def _runs_text(seconds: list[float]) -> str:
    return " and ".join(f"{s:.1f}s" for s in seconds)


def _ratio_text(ratio: float | None) -> str:
    return "not measured (--no-baseline)" if ratio is None else f"{ratio:.2f}"


def add_stories_off(report: dict[str, Any], plain: dict[str, Any]) -> None:
    """Add the run with stories off: its rate and ratio, and what stories cost per article."""
    on_rate = report["pipeline"]["articles_per_second"]
    off_rate = plain["pipeline"]["articles_per_second"]
    report["stories_off"] = {
        "pipeline": plain["pipeline"],
        "ratio_pipeline_over_baseline": plain.get("ratio_pipeline_over_baseline"),
        "baseline_runs_seconds": plain.get("baseline", {}).get("runs_seconds", []),
        "story_cost_pct": round(100 * (off_rate / on_rate - 1), 1),
    }


def render_table(report: dict[str, Any]) -> str:
    """Return the report as a compact text table."""
    cfg, pipe, mem = report["config"], report["pipeline"], report["memory"]
    lat, steps = pipe["latency_seconds"], pipe["step_mean_ms"]
    pools = ", ".join(f"{mib:.0f}" for mib in mem["peak_pool_rss_mib"].values()) or "-"
    order = [s for s in STEPS if s in steps] + [s for s in steps if s not in STEPS]
    step_text = "  ".join(f"{step} {steps[step]:.1f}" for step in order)
    mix = ", ".join(f"{folder} {n}" for folder, n in cfg["input_mix"].items())
    rows = [
        (
            "setup",
            f"{cfg['articles']} articles ({mix}) from {cfg['corpus_files']} corpus files",
        ),
        (
            "",
            f"1 worker, prefork pool of {cfg['workers']}; {cfg['cpus']} CPUs; model {cfg['model']}",
        ),
        (
            "ingest",
            f"NEWSWIRE_STABLE_SECONDS={cfg['stable_seconds']} "
            f"NEWSWIRE_TICK_SECONDS={cfg['tick_seconds']} (both count in the latency)",
        ),
        (
            "pipeline",
            f"{pipe['articles_per_second']:.2f} articles/s  {pipe['words_per_second']:.0f} words/s"
            f"  ({pipe['results']} results, {pipe['failed']} failed, {pipe['wall_seconds']:.1f}s"
            " first drop -> last result)",
        ),
        (
            "latency",
            f"drop -> result file  min {lat['min']:.2f}s  p50 {lat['p50']:.2f}s  "
            f"p95 {lat['p95']:.2f}s  max {lat['max']:.2f}s  (mean {lat['mean']:.2f}s)",
        ),
        ("steps", f"mean ms per article  {step_text}"),
        (
            "",
            f"entities+quotes = {pipe['entities_quotes_pct_of_nlp']:.1f}% of the nlp step; "
            f"nlp = {pipe['nlp_share_pct']:.1f}% of a pool process's "
            f"{pipe['process_ms_per_article']:.0f} ms per article (drift-proof)",
        ),
        (
            "memory",
            f"peak RSS of the worker tree {mem['peak_tree_rss_mib']:.0f} MiB  "
            f"(main {mem['peak_main_rss_mib']:.0f} MiB; pool processes {pools} MiB)",
        ),
    ]
    rows += baseline_rows(report)
    off = report.get("stories_off")
    if off is not None:
        rows.append(
            (
                "no stories",
                f"{off['pipeline']['articles_per_second']:.2f} articles/s with "
                "NEWSWIRE_STORIES=false; ratio "
                f"{_ratio_text(off['ratio_pipeline_over_baseline'])}"
                + (
                    f" (baselines {_runs_text(off['baseline_runs_seconds'])})"
                    if off["baseline_runs_seconds"]
                    else ""
                )
                + f"; stories add {off['story_cost_pct']:.1f}% per article",
            )
        )
    rows += idle_rows(report)
    return _support.table(rows)


def baseline_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The table rows of the baselines and ratios (none without a baseline)."""
    base = report.get("baseline")
    if base is None:
        return []
    rows = [
        (
            "baseline",
            f"nlp.pipe(n_process={base['n_process']}, batch_size={base['batch_size']})  "
            f"{base['articles_per_second']:.2f} articles/s  "
            f"{base['words_per_second']:.0f} words/s  ({base['articles']} texts; mean of "
            f"{_runs_text(base['runs_seconds'])} before and after; drift "
            f"{base['drift_pct']:.1f}%)",
        ),
        ("ratio", f"pipeline / baseline = {report['ratio_pipeline_over_baseline']:.2f}"),
    ]
    fast = report.get("baseline_newswire_spacy")
    if fast is not None:
        rows.append(
            (
                "",
                f"nlp.pipe with newswire's faster components (NEWSWIRE_FAST_SPACY, same output) "
                f"{fast['articles_per_second']:.2f} articles/s, "
                f"{fast['speedup_over_stock_pct']:+.1f}% on spaCy as shipped; "
                f"pipeline / that = {report['ratio_pipeline_over_newswire_spacy']:.2f}",
            )
        )
    return rows


def add_summary(
    report: dict[str, Any], idle: IdleRun | None, idle_drops: int, ingest: dict[str, Any] | None
) -> None:
    """Add the idle phase, the ingest figure and the issue-10 summary rows to `report`."""
    if idle is not None:
        lat = idle.latencies
        report["idle"] = {
            "drops": len(lat),
            "warmup_seconds": round(idle.warmup_seconds, 3),
            "pause_seconds": list(IDLE_PAUSE),
            "paragraphs": IDLE_PARAGRAPHS,
            "latency_seconds": {
                "min": round(min(lat, default=float("nan")), 3),
                "p50": round(percentile(lat, 50), 3),
                "p95": round(percentile(lat, 95), 3),
                "max": round(max(lat, default=float("nan")), 3),
                "mean": round(_mean(lat), 3),
            },
            "service_env": idle.env,
        }
        il = report["idle"]["latency_seconds"]
        idle_text = (
            f"p50 {il['p50']:.2f} s  p95 {il['p95']:.2f} s  (max {il['max']:.2f} s, "
            f"{len(lat)} drops)"
        )
    else:
        idle_text = f"not measured (--idle-drops {idle_drops})"
    if ingest is not None:
        report["ingest"] = ingest
    if ingest is None:
        ingest_text = "not measured (make bench-ingest)"
    elif "files_per_second" in ingest:
        ingest_text = f"{ingest['files_per_second']:.0f} files/s"
    else:
        ingest_text = f"not measured ({ingest['error']})"
    ratio = report.get("ratio_pipeline_over_baseline")
    ratio_text = (
        "not measured (--no-baseline)"
        if ratio is None
        else f"{ratio:.2f}  ({report['config']['articles']} articles, "
        f"{report['config']['workers']} processes)"
    )
    mem = report["memory"]
    off = report.get("stories_off")
    story_rows = []
    if off is not None:
        story_rows = [
            {"figure": "ratio with stories off", "goal": GOAL_RATIO,
             "measured": _ratio_text(off["ratio_pipeline_over_baseline"])},
            {"figure": "time stories add per article", "goal": "< 10% (issue 12)",
             "measured": f"{off['story_cost_pct']:.1f}%  (stories step "
             f"{report['pipeline']['step_mean_ms'].get('stories', float('nan')):.1f} ms)"},
        ]  # fmt: skip
    report["summary"] = [
        {"figure": "drop -> result at idle (defaults) p50/p95", "measured": idle_text,
         "goal": GOAL_IDLE},
        {"figure": "ingest files/s", "measured": ingest_text, "goal": GOAL_INGEST},
        {"figure": "pipeline / bare nlp.pipe ratio" + (" (stories on)" if off else ""),
         "measured": ratio_text, "goal": GOAL_RATIO},
        *story_rows,
        *(
            [{"figure": "pipeline / nlp.pipe as the workers run spaCy",
              "measured": f"{report['ratio_pipeline_over_newswire_spacy']:.2f}  (what is left "
              "around the model)", "goal": "-"}]
            if "ratio_pipeline_over_newswire_spacy" in report
            else []
        ),
        {"figure": "peak RSS of the worker tree",
         "measured": f"{mem['peak_tree_rss_mib']:.0f} MiB  (main {mem['peak_main_rss_mib']:.0f} "
         "MiB; pool processes as above)", "goal": "-"},
    ]  # fmt: skip


def idle_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the idle phase's rows of the table (none when it did not run)."""
    idle = report.get("idle")
    if idle is None:
        return []
    lat = idle["latency_seconds"]
    return [
        (
            "idle",
            f"drop -> result file, defaults, one {idle['paragraphs']}-paragraph article at a "
            f"time ({idle['drops']} drops after 1 warm-up of {idle['warmup_seconds']:.2f}s)",
        ),
        (
            "",
            f"min {lat['min']:.2f}s  p50 {lat['p50']:.2f}s  p95 {lat['p95']:.2f}s  "
            f"max {lat['max']:.2f}s  (mean {lat['mean']:.2f}s)",
        ),
    ]


def render_summary(report: dict[str, Any]) -> str:
    """Return the issue-10 summary table."""
    rows = report["summary"]
    width = max(len(r["figure"]) for r in rows)
    mwidth = max(len(r["measured"]) for r in rows)
    head = f"{'figure':<{width}}  {'measured':<{mwidth}}  goal (issue 10)"
    lines = ["", "", "summary", head, "-" * len(head)]
    lines += [f"{r['figure']:<{width}}  {r['measured']:<{mwidth}}  {r['goal']}" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    ap = _support.arg_parser(__doc__)
    ap.add_argument("--articles", type=positive_int, default=300, help="files to drop (300)")
    ap.add_argument("--workers", type=positive_int, default=2, help="pool processes (2)")
    ap.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="corpus folder with */articles sub-folders, or a folder of articles "
        "(default: ../shared/corpus from the repository root)",
    )
    ap.add_argument("--model", default=DEFAULT_MODEL, help=f"spaCy model ({DEFAULT_MODEL})")
    ap.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    ap.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="nlp.pipe batch size (default: articles / (4 x workers), between 1 and 64, so "
        "that every process gets several batches)",
    )
    ap.add_argument("--seed", type=int, default=0, help="order in which corpus files cycle (0)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait (1800)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the nlp.pipe baseline")
    ap.add_argument("--log-level", default="INFO", help="services' log level (INFO)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and logs")
    ap.add_argument(
        "--idle-drops",
        type=int,
        default=20,
        help="idle phase: articles dropped one at a time at default settings, after one "
        "warm-up (20; 0 skips the phase)",
    )
    ap.add_argument(
        "--stories",
        choices=("on", "off", "both"),
        default="both",
        help="story assignment in the workers: on (the default of NEWSWIRE_STORIES), off, or "
        "both: a second pipeline run with stories off gives the cost of stories and the "
        "ratio without them (both)",
    )
    ap.add_argument(
        "--ingest",
        action="store_true",
        help="also run bench/ingest_bench.py --json and put its files/s in the summary",
    )
    ap.add_argument(
        "--ingest-args",
        default="",
        help="extra options for bench/ingest_bench.py, as one string (e.g. '--n 1000')",
    )
    args = ap.parse_args(argv)
    if args.idle_drops < 0:
        ap.error("--idle-drops must be 0 or more")
    if args.batch_size is None:
        args.batch_size = max(1, min(64, args.articles // (4 * args.workers)))
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = parse_args(argv)
    configure_logging("WARNING", "console")
    if not spacy.util.is_package(args.model) and not Path(args.model).is_dir():
        say(f"bench failed: spaCy model {args.model!r} is not installed")
        return 1
    try:
        files = corpus_files(args.corpus)
        inputs = build_inputs(files, args.articles, args.seed)
        idle_inputs = (
            idle_articles(files, args.idle_drops + 1, args.seed) if args.idle_drops else []
        )
    except BenchError as exc:
        say(f"bench failed: {exc}")
        return 1
    work = Path(tempfile.mkdtemp(prefix="newswire-bench-"))
    return _support.run_in_work_folder(
        work,
        lambda: _run(args, inputs, idle_inputs, len(files), work),
        keep=args.keep,
        kept=str(work),
        error=BenchError,
        error_status=1,
        name="bench",
    )


def _run(
    args: argparse.Namespace,
    inputs: list[BenchInput],
    idle_inputs: list[BenchInput],
    corpus_size: int,
    work: Path,
) -> int:
    stories_on = args.stories in ("on", "both")
    baseline = fast_baseline = None
    if not args.no_baseline:
        texts, skipped = cleaned_texts(inputs)
        baseline = Baseline(args, texts, skipped)
        fast_baseline = Baseline(args, texts, skipped, fast=True)
        baseline.time()
    say(f"pipeline with stories {'on' if stories_on else 'off'} ...")
    run = run_pipeline(args, inputs, work, stories=stories_on)
    if baseline is not None and fast_baseline is not None:
        baseline.time()
        fast_baseline.time()
    plain = None
    if args.stories == "both":
        say("pipeline again with stories off (NEWSWIRE_STORIES=false) ...")
        plain = run_pipeline(args, inputs, work / "no-stories", stories=False)
        if baseline is not None:
            baseline.time()
    idle = None
    if idle_inputs:
        say(f"idle: {args.idle_drops} articles one at a time, services at default settings ...")
        idle = run_idle(args, idle_inputs, work / "idle")
    ingest = run_ingest_bench(args.ingest_args) if args.ingest else None
    runs = baseline.runs if baseline is not None else []
    report = summarize(args, inputs, corpus_size, run, runs[0:2])
    if fast_baseline is not None:
        add_fast_baseline(report, fast_baseline.runs[0])
    report["config"]["stories"] = stories_on
    if plain is not None:
        add_stories_off(report, summarize(args, inputs, corpus_size, plain, runs[1:3]))
    add_summary(report, idle, args.idle_drops, ingest)
    _support.print_report(report, render_table(report) + render_summary(report), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
