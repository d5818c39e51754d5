"""Worker memory per 1,000 tasks: the RSS curve of each pool process, and its recycling.

Starts a private Redis, ingest and one worker (``--workers`` pool processes, the worker's own
``NEWSWIRE_MAX_TASKS_PER_CHILD`` unless ``--max-tasks-per-child`` is given), then drops
``--tasks`` unique corpus articles in rounds of ``--step``. After each round has all its
results, it samples the RSS of every pool process and counts, from the results' own
``pipeline.worker`` field (host:pid), how many tasks each process has run. A recycled
process shows up as a new pid that starts again from the model's size.

    .venv/bin/python bench/worker_memory.py              # 3,000 tasks, recycled at 1,000
    .venv/bin/python bench/worker_memory.py --max-tasks-per-child 100000   # raw growth

Prints one line per round and, per pool process, its RSS after its first round and at its
last sample and the growth per 1,000 of its tasks (least-squares slope). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

import _support
from _support import positive_int, say
from newswire.redis_server import RedisServer
from newswire_enrich.settings import DEFAULT_MODEL
from newswire_shared.logs import configure_logging
from pipeline_bench import (
    DEFAULT_CORPUS,
    BenchError,
    BenchInput,
    Services,
    build_inputs,
    corpus_files,
    stage_inputs,
    wait_for_outcomes,
)

MIB = 1024 * 1024


@dataclass
class ProcessCurve:
    """One pool process: (tasks it had run, RSS in MiB) after each round it was seen in."""

    pid: int
    points: list[tuple[int, float]] = field(default_factory=list)

    def growth_per_1000(self) -> float | None:
        """Least-squares MiB per 1,000 tasks over the points after the first (warm-up)."""
        pts = self.points[1:]
        if len(pts) < 2:
            return None
        n = len(pts)
        mx = sum(t for t, _ in pts) / n
        my = sum(r for _, r in pts) / n
        var = sum((t - mx) ** 2 for t, _ in pts)
        if var == 0:
            return None
        slope = sum((t - mx) * (r - my) for t, r in pts) / var
        return slope * 1000


class MemoryServices(Services):
    """The bench's services with the worker's recycling limit set, if asked."""

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.args.max_tasks_per_child:
            env["NEWSWIRE_MAX_TASKS_PER_CHILD"] = str(self.args.max_tasks_per_child)
        return env


def pool_rss(worker_pid: int) -> dict[int, float]:
    """RSS in MiB of each pool process of the worker `worker_pid`."""
    out: dict[int, float] = {}
    try:
        children = psutil.Process(worker_pid).children(recursive=True)
    except psutil.Error:
        return out
    for child in children:
        try:
            out[child.pid] = child.memory_info().rss / MIB
        except psutil.Error:
            continue
    return out


def tasks_per_pid(results: Path, job_ids: set[str]) -> Counter[int]:
    """How many of `job_ids` each pool process enriched, from the results' worker field."""
    counts: Counter[int] = Counter()
    for job_id in job_ids:
        path = results / f"{job_id}.json"
        try:
            worker = json.loads(path.read_text(encoding="utf-8"))["pipeline"]["worker"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        counts[int(str(worker).rsplit(":", 1)[1])] += 1
    return counts


def run(args: argparse.Namespace, inputs: list[BenchInput], work: Path) -> dict[str, Any]:
    """Drop the inputs round by round; return the report."""
    staging = stage_inputs(work, inputs)
    server = RedisServer(work / "redis")
    services: MemoryServices | None = None
    curves: dict[int, ProcessCurve] = {}
    rounds: list[dict[str, Any]] = []
    done_ids: set[str] = set()
    try:
        server.start()
        services = MemoryServices(work, server.url, args)
        services.inbox.mkdir()
        services.start("ingest", "newswire_ingest")
        worker = services.start("worker", "newswire_enrich")
        say(f"waiting for the worker ({args.workers} pool processes) ...")
        services.wait_ready()
        start_rss = pool_rss(worker.pid)
        say("pool RSS at start: " + ", ".join(f"{r:.0f} MiB" for r in start_rss.values()))
        started = time.monotonic()
        for first in range(0, len(inputs), args.step):
            batch = inputs[first : first + args.step]
            for item in batch:
                (staging / item.name).rename(services.inbox / item.name)
            ids = {item.job_id for item in batch}
            done, failed = wait_for_outcomes(services, set(ids), args.timeout)
            done_ids |= set(done)
            counts = tasks_per_pid(services.results, done_ids)
            rss = pool_rss(worker.pid)
            for pid, mib in rss.items():
                curve = curves.setdefault(pid, ProcessCurve(pid))
                curve.points.append((counts.get(pid, 0), round(mib, 1)))
            rounds.append(
                {
                    "tasks": len(done_ids),
                    "failed": failed,
                    "seconds": round(time.monotonic() - started, 1),
                    "pool": {
                        str(pid): [counts.get(pid, 0), round(mib, 1)] for pid, mib in rss.items()
                    },
                }
            )
            say(
                f"  {len(done_ids):>6} tasks  "
                + "  ".join(
                    f"pid {pid}: {counts.get(pid, 0)} tasks {mib:.0f} MiB"
                    for pid, mib in sorted(rss.items())
                )
            )
    finally:
        if services is not None:
            services.stop_all()
        server.stop()
    return {
        "config": {
            "tasks": len(inputs),
            "step": args.step,
            "workers": args.workers,
            "max_tasks_per_child": args.max_tasks_per_child or "worker default",
            "model": args.model,
        },
        "start_rss_mib": {str(pid): round(mib, 1) for pid, mib in start_rss.items()},
        "rounds": rounds,
        "processes": [
            {
                "pid": c.pid,
                "tasks": c.points[-1][0],
                "first_rss_mib": c.points[0][1],
                "last_rss_mib": c.points[-1][1],
                "growth_mib_per_1000_tasks": (
                    None if c.growth_per_1000() is None else round(c.growth_per_1000() or 0.0, 1)
                ),
            }
            for c in curves.values()
        ],
    }


def render(report: dict[str, Any]) -> str:
    """The report as a table: one line per pool process."""
    cfg = report["config"]
    lines = [
        f"worker memory: {cfg['tasks']} tasks, {cfg['workers']} pool processes, "
        f"max_tasks_per_child {cfg['max_tasks_per_child']}, rounds of {cfg['step']}",
        f"{'pid':>8}  {'tasks':>6}  {'RSS first round':>15}  {'RSS last':>9}  MiB per 1,000 tasks",
    ]
    for proc in report["processes"]:
        growth = proc["growth_mib_per_1000_tasks"]
        lines.append(
            f"{proc['pid']:>8}  {proc['tasks']:>6}  {proc['first_rss_mib']:>11.0f} MiB  "
            f"{proc['last_rss_mib']:>5.0f} MiB  {'-' if growth is None else f'{growth:+.1f}'}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    ap = _support.arg_parser(__doc__)
    ap.add_argument("--tasks", type=positive_int, default=3000, help="articles to drop (3000)")
    ap.add_argument("--step", type=positive_int, default=250, help="articles per round (250)")
    ap.add_argument("--workers", type=positive_int, default=2, help="pool processes (2)")
    ap.add_argument(
        "--max-tasks-per-child",
        type=positive_int,
        default=None,
        help="recycle a pool process after this many tasks (default: the worker's setting)",
    )
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder")
    ap.add_argument("--model", default=DEFAULT_MODEL, help=f"spaCy model ({DEFAULT_MODEL})")
    ap.add_argument("--seed", type=int, default=0, help="order in which corpus files cycle (0)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per round (1800)")
    ap.add_argument("--log-level", default="WARNING", help="services' log level (WARNING)")
    ap.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and logs")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = parse_args(argv)
    configure_logging("WARNING", "console")
    try:
        inputs = build_inputs(corpus_files(args.corpus), args.tasks, args.seed)
    except BenchError as exc:
        say(f"bench failed: {exc}")
        return 1
    work = Path(tempfile.mkdtemp(prefix="newswire-memory-"))

    def body() -> int:
        report = run(args, inputs, work)
        _support.print_report(report, render(report), args.json)
        return 0

    return _support.run_in_work_folder(
        work, body, keep=args.keep, kept=str(work), error=BenchError, error_status=1,
        name="bench",
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
