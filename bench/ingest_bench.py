"""Ingest alone: how fast a burst of small files is claimed and queued.

Starts a private Redis and the real ingest process (``python -m newswire_ingest``, no
worker), renames N small distinct files into the inbox at once and measures the time until
every file is in ``processing/`` and the queue ``newswire.enrich`` holds N messages. Prints
files per second; with ``--json``, one JSON object on stdout instead (``files_per_second``,
``files``, ``seconds``), as ``bench/pipeline_bench.py --ingest`` reads it.

    .venv/bin/python bench/ingest_bench.py --n 5000
    .venv/bin/python bench/ingest_bench.py --n 5000 --json
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import redis

import _support
from newswire.redis_server import RedisServer

QUEUE = "newswire.enrich"


def _count_files(folder: Path) -> int:
    with os.scandir(folder) as entries:
        return sum(1 for _ in entries)


def run(n: int, timeout: float, work: Path) -> float:
    """Return the seconds a burst of `n` files took (raises TimeoutError past `timeout`)."""
    staging, inbox = work / "staging", work / "inbox"
    staging.mkdir()
    inbox.mkdir()
    for i in range(n):
        (staging / f"a{i:06d}.txt").write_text(f"Article {i}: a small text.\n", encoding="utf-8")
    server = RedisServer(work / "redis")
    server.start()
    log = work / "ingest.log"
    env = _support.service_env(
        redis_url=server.url, inbox=inbox, results=work / "results",
        heartbeat=work / "beat", ready=work / "ready", stable_seconds=2.0,
        tick_seconds=0.5, concurrency=1, log_level="WARNING",
    )  # fmt: skip
    proc = _support.start_service("newswire_ingest", env, log)
    client = redis.Redis.from_url(server.url)
    try:
        deadline = time.monotonic() + 30
        while not client.exists("newswire:ingest:alive") and time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"ingest exited:\n{_support.log_tail(log)}")
            time.sleep(0.1)
        start = time.monotonic()
        for path in sorted(staging.iterdir()):
            path.rename(inbox / path.name)
        processing = inbox / "processing"
        while True:
            # the folder is counted only once the queue is full: listing thousands of files
            # every few milliseconds would take CPU from the process being measured
            queued = int(client.llen(QUEUE))  # type: ignore[arg-type]
            if queued >= n and _count_files(processing) >= n:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"ingest exited:\n{_support.log_tail(log)}")
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"{queued}/{n} queued after {timeout}s")
            time.sleep(0.02)
        elapsed = time.monotonic() - start
    finally:
        _support.stop_tree(proc, 30.0, grace=5)
        server.stop()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = _support.arg_parser(__doc__)
    parser.add_argument("--n", type=_support.positive_int, default=5000, help="files (5000)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds (300)")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout instead"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        seconds = run(args.n, args.timeout, Path(tmp))
    rate = args.n / seconds
    if args.json:
        report = {"files_per_second": round(rate, 1), "files": args.n, "seconds": round(seconds, 3)}
        print(json.dumps(report))
    else:
        print(f"ingest: {args.n} files claimed and queued at {rate:.0f} files/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
