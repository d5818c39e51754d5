"""The `newswire` command as a user runs it: run, status, enrich, health."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newswire_shared.schemas import EnrichedArticle
from tests.conftest import NEWSWIRE, SEEDS, cli_env, start_run, wait_until

pytestmark = pytest.mark.integration


def _status(data: Path) -> dict[str, int]:
    out = subprocess.run(
        [*NEWSWIRE, "status", "--json", "--data", str(data)],
        env=cli_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _interrupt(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def test_run_processes_dropped_files_and_resumes_after_restart(tmp_path: Path) -> None:
    """`newswire run` with its private Redis: 5 seeds in, 5 results out; state survives Ctrl-C."""
    proc = start_run(tmp_path, workers=2)
    try:
        wait_until(lambda: (tmp_path / "data" / "redis.url").exists(), 30, what="redis up")
        for seed in sorted(SEEDS.glob("*.txt")):
            shutil.copy(seed, tmp_path / "inbox" / seed.name)
        done = tmp_path / "inbox" / "done"
        wait_until(lambda: done.exists() and len(list(done.iterdir())) == 5, 180, what="5 done")
        status = _status(tmp_path / "data")
        assert (status["done"], status["failed"], status["in_flight"]) == (5, 0, 0)
        assert status["results_stream"] == 5
        # a worker acknowledges its message just after publishing: running drops to 0 then
        wait_until(lambda: _status(tmp_path / "data")["running"] == 0, 30, what="acked")
        status = _status(tmp_path / "data")
        assert (status["waiting"], status["running"], status["backlog"]) == (0, 0, 0)
    finally:
        out = _interrupt(proc)
    assert "done 5" in out
    assert "| rate " in out and "| ETA " in out  # plain progress lines: not a terminal
    assert len(list((tmp_path / "results").glob("*.json"))) == 5
    assert list((tmp_path / "data" / "redis").glob("appendonly*"))

    proc = start_run(tmp_path, workers=2)
    try:
        wait_until(lambda: (tmp_path / "data" / "redis.url").exists(), 30, what="redis up again")
        seed = sorted(SEEDS.glob("*.txt"))[0]
        shutil.copy(seed, tmp_path / "inbox" / "again.txt")
        wait_until(lambda: (done / "again.txt").exists(), 60, what="duplicate settled")
        status = _status(tmp_path / "data")
        assert (status["done"], status["duplicates"]) == (5, 1)
    finally:
        _interrupt(proc)
    assert len(list((tmp_path / "results").glob("*.json"))) == 5


def test_enrich_one_shot_writes_one_json_per_file(tmp_path: Path) -> None:
    """`newswire enrich` needs no Redis and names each output after its input."""
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    seeds = sorted(SEEDS.glob("*.txt"))
    out = subprocess.run(
        [*NEWSWIRE, "enrich", *map(str, seeds), str(bad), "--out", str(tmp_path / "out")],
        env=cli_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 1
    assert "empty.txt" in out.stderr
    assert "5 enriched, 1 failed" in out.stdout
    for seed in seeds:
        result = EnrichedArticle.model_validate_json(
            (tmp_path / "out" / f"{seed.stem}.json").read_text(encoding="utf-8")
        )
        assert result.source.filename == seed.name
        assert result.quotes


def test_enrich_explain_shows_all_three_kinds_of_decision(tmp_path: Path) -> None:
    """`newswire enrich --explain` prints the text cleaning removed with its rule and reason,
    each entity's type decisions, and each quote's finding and speaker resolution; the
    result file carries the same explanation."""
    seed = sorted(SEEDS.glob("*.txt"))[0]
    out = subprocess.run(
        [*NEWSWIRE, "enrich", str(seed), "--out", str(tmp_path), "--explain"],
        env=cli_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = [line.strip() for line in out.stdout.splitlines()]
    removed = [line for line in lines if line.startswith("- [")]
    assert removed and all(" / " in line.split("]")[0] for line in removed)
    assert any(line.startswith("model: - -> PERSON") for line in lines)
    quotes = [line for line in lines if " found by " in line]
    assert quotes and all("resolved by" in line and "cue" in line for line in quotes)
    assert any("resolved by mention" in line for line in quotes)
    result = EnrichedArticle.model_validate_json((tmp_path / f"{seed.stem}.json").read_text())
    assert result.explanation is not None
    assert len(result.explanation.removed) == len(removed)
    assert {d.entity_id for d in result.explanation.entity_types} >= {e.id for e in result.entities}
    assert all(q.found_by and q.found_by == q.rule for q in result.quotes)


def test_health_reports_stale_heartbeat(tmp_path: Path) -> None:
    """`newswire health` passes on a fresh heartbeat and fails on an old or missing one."""
    beat = tmp_path / "beat"

    def health() -> int:
        cmd = [*NEWSWIRE, "health", "--heartbeat", str(beat), "--max-age", "30"]
        return subprocess.run(cmd, env=cli_env(), capture_output=True).returncode

    assert health() == 1
    beat.touch()
    assert health() == 0
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert health() == 1


def test_ingest_command_does_not_import_spacy(tmp_path: Path) -> None:
    """The ingest service's code path never loads the enrichment stack (no spaCy in its image)."""
    code = (
        "import sys, newswire.cli, newswire_ingest.cli, newswire_ingest.service;"
        "bad = [m for m in sys.modules if m.startswith(('spacy', 'newswire_enrich'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_status_without_redis_says_so(tmp_path: Path) -> None:
    """`newswire status` with nothing listening explains instead of printing a traceback."""
    env = cli_env() | {"REDIS_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run(
        [*NEWSWIRE, "status", "--data", str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "cannot reach Redis" in out.stderr
    assert "Traceback" not in out.stderr
