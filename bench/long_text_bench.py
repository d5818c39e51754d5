"""Time and memory of enriching one very long article, in-process, at several sizes.

Builds plain-text articles of about 1, 5 and 15 MB from the clean bodies of the seed fixtures
(``tests/fixtures/seeds``, cleaned at run time, repeated with blank lines between them), and
enriches each with :class:`~newswire_enrich.pipeline.Pipeline` exactly as a worker's pool
process would (``job_from_bytes`` as ingest does, then ``Pipeline.enrich``, then the result's
JSON). Each size runs in a fresh process, so that its peak RSS is its own::

    .venv/bin/python bench/long_text_bench.py                  # 1, 5 and 15 MB
    .venv/bin/python bench/long_text_bench.py --sizes 1 2      # quicker
    .venv/bin/python bench/long_text_bench.py --chunk-chars 20000 --json

Prints, per size: characters, seconds of ``enrich`` and of the JSON, characters per second,
seconds per step (clean, nlp, entities, quotes), peak RSS of the process and its RSS with the
model loaded, and how many entities and quotes came out. Use the chars/s figure to size task
time limits; it is one core's throughput on this machine with whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS = REPO_ROOT / "tests" / "fixtures" / "seeds"
MB = 1_000_000


def build_article(size_bytes: int) -> bytes:
    """A plain-text article of about `size_bytes` bytes (UTF-8) of clean seed bodies."""
    from newswire_enrich.clean import clean_article
    from newswire_shared.schemas import MediaType

    bodies = [
        clean_article(p.read_text(encoding="utf-8"), MediaType.TEXT).text
        for p in sorted(SEEDS.glob("*.txt"))
    ]
    one = "\n\n".join(bodies).encode("utf-8")
    copies = max(1, round(size_bytes / (len(one) + 2)))
    return b"\n\n".join([one] * copies) + b"\n"


def _rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_one(size_mb: float, model: str, chunk_chars: int | None) -> dict[str, Any]:
    """Enrich one article of `size_mb` MB in this process; return the figures."""
    from newswire_enrich.pipeline import Pipeline
    from newswire_shared.jobs import job_from_bytes
    from newswire_shared.logs import configure_logging
    from newswire_shared.schemas import MediaType

    configure_logging("WARNING", "console")
    data = build_article(int(size_mb * MB))
    pipeline = Pipeline(model) if chunk_chars is None else Pipeline(model, chunk_chars)
    pipeline.setup()
    pipeline.nlp("A warm-up sentence, said the benchmark.")
    job = job_from_bytes(data, "long.txt", MediaType.TEXT)
    loaded = _rss_mb()
    started = time.perf_counter()
    result = pipeline.enrich(job)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    as_json = result.model_dump_json()
    json_seconds = time.perf_counter() - started
    chars = len(result.text)
    return {
        "size_mb": round(len(data) / MB, 2),
        "chars": chars,
        "chunk_chars": pipeline.chunk_chars,
        "seconds": round(seconds, 1),
        "json_seconds": round(json_seconds, 1),
        "chars_per_second": round(chars / seconds),
        "steps": {t.step: round(t.seconds, 1) for t in result.pipeline.timings},
        "peak_rss_mb": round(_rss_mb()),
        "rss_model_loaded_mb": round(loaded),
        "entities": len(result.entities),
        "mentions": sum(e.count for e in result.entities),
        "quotes": len(result.quotes),
        "result_json_mb": round(len(as_json.encode("utf-8")) / MB, 1),
    }


def _run_child(size: float, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", str(size), "--model", args.model]
    if args.chunk_chars is not None:
        cmd += ["--chunk-chars", str(args.chunk_chars)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"size {size} MB failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'MB':>5} {'chars':>11} {'pieces of':>9} {'seconds':>8} {'chars/s':>8} "
        f"{'peak RSS':>9} {'model':>6}  steps (s)                                   "
        "entities mentions quotes json"
    ]
    for r in rows:
        steps = "  ".join(f"{k} {v}" for k, v in r["steps"].items())
        lines.append(
            f"{r['size_mb']:>5} {r['chars']:>11,} {r['chunk_chars']:>9,} {r['seconds']:>8} "
            f"{r['chars_per_second']:>8,} {r['peak_rss_mb']:>6} MB {r['rss_model_loaded_mb']:>3} MB"
            f"  {steps:<43} {r['entities']:>8} {r['mentions']:>8} {r['quotes']:>6} "
            f"{r['result_json_mb']} MB in {r['json_seconds']} s"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure each size in a child process and print a table (or JSON)."""
    from newswire_enrich.settings import DEFAULT_MODEL

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 15], help="MB (1,5,15)")
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--chunk-chars", type=int, default=None, help="default: NEWSWIRE_CHUNK_CHARS")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure_one(args.one, args.model, args.chunk_chars)))
        return 0
    rows = []
    for size in args.sizes:
        print(f"enriching a {size} MB article ...", file=sys.stderr, flush=True)
        rows.append(_run_child(size, args))
        print(_table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(json.dumps(rows, indent=2) if args.json else _table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
