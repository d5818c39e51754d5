"""Quality and cleaning speed on the reference corpora, through the real one-shot CLI.

Runs ``newswire enrich`` on each corpus into a temporary folder, scores the results with the
project scorer (``eval/score.py`` beside the corpus), and reads each result's own step
timings for the per-article cleaning time (in-process, one core). html-dev is reported per
input format (``.html`` pages and ``_page.txt`` whole-page text dumps share one gold)::

    .venv/bin/python bench/quality.py                 # all corpora
    .venv/bin/python bench/quality.py --only seeds    # one
    .venv/bin/python bench/quality.py --json          # one JSON object

The corpora are read where they are (``../shared/corpus`` by default); nothing is copied.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ("seeds", "html-dev", "ggt-dev")


def _enrich(articles: list[Path], out: Path) -> None:
    cmd = [sys.executable, "-m", "newswire", "enrich", *map(str, articles), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"newswire enrich failed:\n{done.stderr[-2000:]}")
    if done.returncode == 1:
        print(done.stderr.strip(), file=sys.stderr)


def _score(scorer: Path, gold: Path, results: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(scorer), str(gold), str(results), "--json", "-v"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _clean_ms(results: Path) -> list[float]:
    out = []
    for path in results.glob("*.json"):
        timings = json.loads(path.read_text(encoding="utf-8"))["pipeline"]["timings"]
        out += [1000 * t["seconds"] for t in timings if t["step"] == "clean"]
    return out


def _mean_f1(rows: list[dict[str, Any]], suffix: str) -> float | None:
    f1s = [r["clean"]["f1"] for r in rows if r["file"].endswith(suffix) and "clean" in r]
    return round(statistics.mean(f1s), 4) if f1s else None


def measure(corpus_root: Path, scorer: Path, name: str, work: Path) -> dict[str, Any]:
    """Enrich and score one corpus; return its figures."""
    articles = sorted(p for p in (corpus_root / name / "articles").iterdir() if p.is_file())
    out = work / name
    _enrich(articles, out)
    report = _score(scorer, corpus_root / name / "gold", out)
    summary = report["summary"]
    ms = _clean_ms(out)
    figures: dict[str, Any] = {
        "articles": len(articles),
        "clean_f1": summary.get("clean_f1"),
        "junk_kept": f"{summary.get('junk_kept')}/{summary.get('junk_total')}",
        "titles": f"{summary.get('titles_ok')}/{summary.get('titles_total')}",
        "entity_f1": summary.get("entities", {}).get("f1"),
        "quote_f1": summary.get("quotes", {}).get("f1"),
        "quote_speaker_f1": summary.get("quotes", {}).get("with_speaker_f1"),
        "speaker_right": summary.get("quotes", {}).get("speaker_acc"),
        "clean_ms_mean": round(statistics.mean(ms), 1) if ms else None,
        "clean_ms_p90": round(statistics.quantiles(ms, n=10)[-1], 1) if len(ms) > 1 else None,
    }
    if name == "html-dev":
        figures["clean_f1_html"] = _mean_f1(report["articles"], ".html")
        figures["clean_f1_page_txt"] = _mean_f1(report["articles"], "_page.txt")
    return figures


def main(argv: list[str] | None = None) -> int:
    """Measure the corpora and print a table (or JSON)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--scorer", type=Path, default=None, help="default: <corpus>/../eval/score.py")
    ap.add_argument("--only", choices=CORPORA, action="append")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    scorer = args.scorer or args.corpus.parent / "eval" / "score.py"
    if not scorer.exists() or not args.corpus.is_dir():
        print(f"corpus {args.corpus} or scorer {scorer} not found", file=sys.stderr)
        return 1
    results = {}
    with tempfile.TemporaryDirectory(prefix="newswire-quality-") as tmp:
        for name in args.only or CORPORA:
            results[name] = measure(args.corpus, scorer, name, Path(tmp))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for name, figures in results.items():
        print(f"{name}:")
        for key, value in figures.items():
            if value is not None:
                print(f"  {key:18} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
