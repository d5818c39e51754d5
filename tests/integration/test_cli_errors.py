"""Every error of the CLI is one line on stderr: exit status 2 for usage, 1 at run time.

The real ``newswire`` command (and ``python -m newswire_ingest``, what the ingest container
runs) as subprocesses: no traceback unless ``--debug`` or ``NEWSWIRE_LOG_LEVEL=DEBUG``, and no
password of a Redis URL in anything printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NEWSWIRE, SEEDS, cli_env

pytestmark = pytest.mark.integration

SECRET = "s3cretPW"

#: Malformed Redis URLs (with a password to keep out of the output) and the reason printed.
BAD_URLS = {
    "notaurl": "not a URL",
    f"redis://:{SECRET}@127.0.0.1:/0": "port is empty",
    f"redis://:{SECRET}@/0": "host is missing",
    f"http://user:{SECRET}@127.0.0.1:6379/0": "scheme must be redis:// or rediss://",
    f"redis://:{SECRET}@127.0.0.1:port/0": "port is not a number",
}


def newswire(
    args: list[str], cwd: Path, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the `newswire` command in `cwd` with `env` added to a user's environment."""
    return subprocess.run(
        [*NEWSWIRE, *args],
        cwd=cwd,
        env={**cli_env(), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_line(proc: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """Assert `proc` failed with `code` and printed one stderr line holding every needle."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert SECRET not in proc.stderr + proc.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("url", list(BAD_URLS))
@pytest.mark.parametrize("command", ["run", "status", "ingest"])
def test_malformed_redis_url_is_one_line_naming_the_variable(
    tmp_path: Path, url: str, command: str
) -> None:
    """run, status and ingest refuse a malformed REDIS_URL in one line, exit 1, no password."""
    args = {
        "run": ["run", "--inbox", "inbox", "--results", "results", "--data", "data"],
        "status": ["status", "--data", "data"],
        "ingest": ["ingest", "--inbox", "inbox"],
    }[command]
    proc = newswire(args, tmp_path, REDIS_URL=url)
    line = assert_one_line(proc, 1, "REDIS_URL", BAD_URLS[url])
    assert line.startswith("newswire: ")
    if command == "run":
        assert not (tmp_path / "data").exists(), "nothing is started before the URL is checked"


def test_newswire_redis_url_is_named_when_that_is_the_one_set(tmp_path: Path) -> None:
    """The message names NEWSWIRE_REDIS_URL when that is the variable holding the bad URL."""
    proc = newswire(["status"], tmp_path, NEWSWIRE_REDIS_URL=f"redis://:{SECRET}@127.0.0.1:/0")
    assert_one_line(proc, 1, "NEWSWIRE_REDIS_URL: port is empty")


def test_empty_port_is_refused_not_taken_as_6379(tmp_path: Path) -> None:
    """``host:/0`` is an error, even though a Redis may well be listening on 6379."""
    proc = newswire(["status", "--json"], tmp_path, REDIS_URL="redis://127.0.0.1:/0")
    assert_one_line(proc, 1, "port is empty")
    assert proc.stdout == ""


def test_ingest_container_entry_point_refuses_a_bad_url_in_one_line(tmp_path: Path) -> None:
    """``python -m newswire_ingest`` (the container's command) fails the same way, exit 1."""
    proc = subprocess.run(
        [sys.executable, "-m", "newswire_ingest"],
        cwd=tmp_path,
        env={**cli_env(), "REDIS_URL": f"redis://:{SECRET}@127.0.0.1:/0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_one_line(proc, 1, "newswire ingest: REDIS_URL: port is empty")


def test_unreachable_redis_in_status_is_one_line_without_the_password(tmp_path: Path) -> None:
    """A well-formed URL nobody answers on: one line with the address, password redacted."""
    proc = newswire(["status"], tmp_path, REDIS_URL=f"redis://:{SECRET}@127.0.0.1:1/0")
    assert_one_line(proc, 1, "cannot reach Redis at redis://:***@127.0.0.1:1/0")


def test_other_invalid_settings_name_their_variable(tmp_path: Path) -> None:
    """Any invalid NEWSWIRE_* setting is one line naming it, not pydantic's block."""
    proc = newswire(["status"], tmp_path, NEWSWIRE_LOG_FORMAT="fancy")
    assert_one_line(proc, 1, "NEWSWIRE_LOG_FORMAT: ")


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--model", "en_core_web_nope"], {}),
        ([], {"NEWSWIRE_SPACY_MODEL": "en_core_web_nope"}),
    ],
)
def test_unknown_model_in_enrich_is_one_line_naming_the_setting(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    """An unknown spaCy model: one line naming --model or NEWSWIRE_SPACY_MODEL, exit 1."""
    article = next(p for p in sorted(SEEDS.rglob("*")) if p.is_file())
    proc = newswire(["enrich", str(article), "--out", "out", *args], tmp_path, **env)
    named = "--model" if args else "NEWSWIRE_SPACY_MODEL"
    assert_one_line(proc, 1, f"{named}: ", "en_core_web_nope", "not installed")
    assert not list((tmp_path / "out").glob("*.json"))


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--inbox", "inbox", "--results", "blocker/results", "--data", "data"],
        ["run", "--inbox", "blocker/inbox", "--results", "results", "--data", "data"],
        ["ingest", "--inbox", "blocker/inbox"],
        ["enrich", "article.txt", "--out", "blocker/out"],
    ],
    ids=["run-results", "run-inbox", "ingest-inbox", "enrich-out"],
)
def test_folder_that_cannot_be_created_is_one_line(tmp_path: Path, args: list[str]) -> None:
    """A folder option under a regular file (even root cannot create it): one line, exit 1."""
    (tmp_path / "blocker").write_text("a file, not a folder\n")
    (tmp_path / "article.txt").write_text("Words.\n")
    proc = newswire(args, tmp_path)
    option = next(a for a in args if a.startswith("--") and "blocker" in args[args.index(a) + 1])
    assert_one_line(proc, 1, f"newswire: {option} blocker/", "cannot create it")


def test_results_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    """--results naming an existing file: one line saying it is not a folder."""
    (tmp_path / "results").write_text("")
    proc = newswire(["run", "--results", "results", "--data", "data"], tmp_path)
    assert_one_line(proc, 1, "--results results: exists and is not a folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_results_is_one_line(tmp_path: Path) -> None:
    """A --results folder we may not write to: one line, exit 1, nothing started."""
    results = tmp_path / "results"
    results.mkdir(mode=0o500)
    proc = newswire(["run", "--results", "results", "--data", "data"], tmp_path)
    assert_one_line(proc, 1, "--results results: not writable")


@pytest.mark.parametrize(
    "args",
    [["bogus"], ["--bogus"], ["run", "--workers", "0"], ["enrich", "missing.txt", "--out", "o"]],
)
def test_usage_errors_are_one_line_with_status_2(tmp_path: Path, args: list[str]) -> None:
    """Unknown commands and options, bad values, missing files: one line, exit status 2."""
    proc = newswire(args, tmp_path)
    assert_one_line(proc, 2, "newswire: ", "--help")


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--debug", "status"], {}), (["status"], {"NEWSWIRE_LOG_LEVEL": "DEBUG"})],
    ids=["--debug", "NEWSWIRE_LOG_LEVEL=DEBUG"],
)
def test_debug_shows_the_traceback_still_without_the_password(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    """--debug or NEWSWIRE_LOG_LEVEL=DEBUG: the full traceback, exit 1, password still hidden."""
    proc = newswire(args, tmp_path, REDIS_URL=f"redis://:{SECRET}@127.0.0.1:/0", **env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr
    assert "port is empty" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
