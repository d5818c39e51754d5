"""`newswire run`'s life cycle: however it ends, nothing it started outlives it; one per folder.

Every test runs the real command (private redis-server, ingest, a Celery worker with its pool
processes) and looks at the real process tree with psutil.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis

from newswire.reaper import Reaper
from newswire.redis_server import RedisServer
from tests.conftest import NEWSWIRE, SEEDS, cli_env, start_run, wait_until

pytestmark = pytest.mark.integration


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _drop_and_wait(tmp_path: Path, name: str, index: int = 0) -> None:
    """Drop seed `index` as `name` and wait until ingest moved it to done/."""
    seed = sorted(SEEDS.glob("*.txt"))[index]
    shutil.copy(seed, tmp_path / "inbox" / name)
    done = tmp_path / "inbox" / "done" / name
    wait_until(done.exists, 180, what=f"{name} done")


def _running_tree(tmp_path: Path, proc: subprocess.Popen[str]) -> list[psutil.Process]:
    """Start-up complete (a file went through): every descendant of `proc`, checked by kind."""
    wait_until(lambda: (tmp_path / "data" / "redis.url").exists(), 60, what="redis up")
    _drop_and_wait(tmp_path, "first.txt")
    tree: list[psutil.Process] = psutil.Process(proc.pid).children(recursive=True)
    commands = [" ".join(p.cmdline()) for p in tree]
    assert any("redis-server" in c for c in commands), commands
    assert any("-m newswire_ingest" in c for c in commands), commands
    workers = [p for p in tree if "-m newswire_enrich" in " ".join(p.cmdline())]
    assert len(workers) >= 2, commands  # the worker's main process and its pool process
    return tree


def _assert_all_gone(tree: list[psutil.Process], timeout: float = 60) -> None:
    wait_until(
        lambda: not any(_alive(p) for p in tree),
        timeout,
        what=f"no survivors among {[(p.pid, p.name()) for p in tree if _alive(p)]}",
    )


@pytest.mark.parametrize(
    "sig", [signal.SIGHUP, signal.SIGTERM, signal.SIGKILL], ids=["SIGHUP", "SIGTERM", "SIGKILL"]
)
def test_no_process_outlives_newswire_run(tmp_path: Path, sig: int) -> None:
    """SIGHUP (terminal closed), SIGTERM or SIGKILL of `newswire run`: its whole tree ends.

    Redis, ingest, the worker's main process and its pool processes are all gone shortly
    after, and Redis was shut down by its own clean shutdown (the append-only file synced).
    """
    proc = start_run(tmp_path, workers=1)
    try:
        tree = _running_tree(tmp_path, proc)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=90)
        _assert_all_gone(tree)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig != signal.SIGKILL:
        assert proc.returncode == 0, out
        assert "stopping" in out
        assert "Traceback" not in out
    log = (tmp_path / "data" / "redis" / "redis.log").read_text()
    assert "ready to exit" in log, log[-2000:]


def test_second_run_on_the_same_data_folder_refuses(tmp_path: Path) -> None:
    """A second `newswire run --data same` exits 1 at once with one line naming pid and folder.

    The first run's Redis is left alone and the first run goes on processing files.
    """
    first = start_run(tmp_path, workers=1)
    try:
        wait_until(lambda: (tmp_path / "data" / "redis.url").exists(), 60, what="redis up")
        url = (tmp_path / "data" / "redis.url").read_text().strip()
        aof_before = sorted(p.name for p in (tmp_path / "data" / "redis").iterdir())
        started = time.monotonic()
        second = subprocess.run(
            [*NEWSWIRE, "run", "--inbox", str(tmp_path / "inbox2"), "--results",
             str(tmp_path / "results2"), "--data", str(tmp_path / "data")],
            env=cli_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert time.monotonic() - started < 30
        assert second.returncode == 1
        lines = (second.stdout + second.stderr).strip().splitlines()
        assert len(lines) == 1, lines
        assert str(first.pid) in lines[0]
        assert str(tmp_path / "data") in lines[0]
        assert "in use" in lines[0]
        assert (tmp_path / "data" / "redis.url").read_text().strip() == url
        assert sorted(p.name for p in (tmp_path / "data" / "redis").iterdir()) == aof_before
        assert redis.Redis.from_url(url).ping()
        _drop_and_wait(tmp_path, "after-refusal.txt")
    finally:
        first.send_signal(signal.SIGINT)
        out, _ = first.communicate(timeout=90)
    assert first.returncode == 0, out


def test_run_after_sigkill_starts_and_keeps_the_data(tmp_path: Path) -> None:
    """Right after SIGKILL of a run, a new run on the same folder starts and processes a file.

    It waits for the old processes to stop instead of starting a second Redis on the same
    files, and the old run's state (one article done) is still there.
    """
    proc = start_run(tmp_path, workers=1)
    try:
        tree = _running_tree(tmp_path, proc)
        old_url = (tmp_path / "data" / "redis.url").read_text()
    finally:
        proc.kill()
        proc.wait()
    again = start_run(tmp_path, workers=1)
    url_file = tmp_path / "data" / "redis.url"
    try:
        wait_until(
            lambda: url_file.exists() and url_file.read_text() not in ("", old_url),
            90,
            what="the new run's redis",
        )
        assert not any(_alive(p) for p in tree), [p.pid for p in tree if _alive(p)]
        _drop_and_wait(tmp_path, "second.txt", index=1)
        url = (tmp_path / "data" / "redis.url").read_text().strip()
        client = redis.Redis.from_url(url)
        assert client.xlen("newswire:results") == 2
        servers = [
            p
            for p in psutil.process_iter(["cmdline"])
            if "redis-server" in " ".join(p.info["cmdline"] or [])
            and str(tmp_path) in " ".join(p.info["cmdline"] or [])
        ]
        assert len(servers) <= 1
    finally:
        again.send_signal(signal.SIGINT)
        out, _ = again.communicate(timeout=90)
    assert again.returncode == 0, out
    assert len(list((tmp_path / "results").glob("*.json"))) == 2


def test_reaper_stops_what_a_vanished_parent_left(tmp_path: Path) -> None:
    """The portable net (no parent-death signal): services' whole trees, then Redis, stop.

    The pipe to the reaper closing without ``done`` is what the reaper sees when its parent
    dies, however it dies.
    """
    server = RedisServer(tmp_path / "redis").start()
    code = "import os, time; os.fork(); time.sleep(300)"
    service = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    reaper = Reaper.start()
    try:
        reaper.watch_redis(server.pid or 0)
        reaper.watch_service(service.pid)
        wait_until(lambda: len(psutil.Process(service.pid).children()) == 1, 10, what="fork")
        tree = [psutil.Process(service.pid), *psutil.Process(service.pid).children()]
        tree.append(psutil.Process(server.pid or 0))
        reaper._pipe.close()
        assert reaper.proc.wait(timeout=30) == 0
        service.wait(timeout=5)
        _assert_all_gone(tree, timeout=5)
    finally:
        server.stop()
        if service.poll() is None:
            service.kill()
    log = (tmp_path / "redis" / "redis.log").read_text()
    assert "ready to exit" in log


def test_reaper_leaves_everything_alone_after_done(tmp_path: Path) -> None:
    """After an orderly stop (``done``) the reaper exits and signals nobody."""
    service = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        reaper = Reaper.start()
        reaper.watch_service(service.pid)
        reaper.done()
        assert reaper.proc.returncode == 0
        time.sleep(0.5)
        assert service.poll() is None
    finally:
        service.kill()
        service.wait()


def test_lifeline_child_dies_with_its_parent_even_on_sigkill(tmp_path: Path) -> None:
    """Through newswire.lifeline a child gets SIGTERM when its parent is SIGKILLed (Linux)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux only; the reaper covers the rest")
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time, pathlib\n"
        "from newswire.lifeline import lifeline_command\n"
        "child = subprocess.Popen(lifeline_command(['/bin/sleep', '300']))\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
        "time.sleep(300)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        wait_until(pid_file.exists, 30, what="child started")
        child = psutil.Process(int(pid_file.read_text()))
        wait_until(lambda: child.name() == "sleep", 30, what="lifeline exec'd sleep")
        assert child.ppid() == parent.pid
    finally:
        parent.kill()
        parent.wait()
    _assert_all_gone([child], timeout=5)


def test_lifeline_does_not_start_a_child_whose_parent_is_gone() -> None:
    """A wrapper whose named parent is not its parent any more exits without running it."""
    out = subprocess.run(
        [*NEWSWIRE[:1], "-m", "newswire.lifeline", "1", "--", "/bin/echo", "ran"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert out.returncode == 1
    assert "ran" not in out.stdout
    assert "is gone" in out.stderr
