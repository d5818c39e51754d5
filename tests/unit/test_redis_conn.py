"""newswire_shared.redis_conn: TLS options, waiting for Redis, refused credentials."""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path

import pytest
import redis
from structlog.testing import capture_logs

from newswire.redis_server import RedisServer, free_port
from newswire_shared.redis_conn import (
    RedisAuthError,
    redacted_url,
    redis_client,
    redis_ssl_options,
    wait_for_redis,
)
from newswire_shared.settings import CommonSettings

SECRET = "s3cret-Pa55"


def test_redacted_url_hides_password_in_address_and_query() -> None:
    """Passwords vanish from the address and the query; user, host, port and db stay."""
    assert redacted_url(f"redis://alice:{SECRET}@db.example:6380/2") == (
        "redis://alice:***@db.example:6380/2"
    )
    assert redacted_url(f"rediss://:{SECRET}@db.example/0") == "rediss://:***@db.example/0"
    assert SECRET not in redacted_url(f"redis://db.example/0?password={SECRET}&x=1")
    assert redacted_url("redis://localhost:6379/0") == "redis://localhost:6379/0"


def test_plain_url_has_no_tls_options() -> None:
    """redis:// gets no TLS options and a plain connection."""
    settings = CommonSettings(redis_url="redis://127.0.0.1:6379/0")
    assert redis_ssl_options(settings) is None
    pool = redis_client(settings).connection_pool
    assert not issubclass(pool.connection_class, redis.SSLConnection)


def test_tls_url_verifies_by_default_with_ca_and_client_certificate(tmp_path: Path) -> None:
    """rediss:// requires the server certificate and passes CA and client files to redis-py."""
    settings = CommonSettings(
        redis_url="rediss://redis.example:6380/0",
        redis_ca_file=tmp_path / "ca.pem",
        redis_cert_file=tmp_path / "client.pem",
        redis_key_file=tmp_path / "client.key",
    )
    options = redis_ssl_options(settings)
    assert options == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
        "ssl_ca_certs": str(tmp_path / "ca.pem"),
        "ssl_certfile": str(tmp_path / "client.pem"),
        "ssl_keyfile": str(tmp_path / "client.key"),
    }
    pool = redis_client(settings).connection_pool
    assert issubclass(pool.connection_class, redis.SSLConnection)
    conn = pool.make_connection()
    assert conn.cert_reqs == ssl.CERT_REQUIRED  # type: ignore[attr-defined]
    assert conn.ca_certs == str(tmp_path / "ca.pem")  # type: ignore[attr-defined]
    assert conn.certfile == str(tmp_path / "client.pem")  # type: ignore[attr-defined]
    assert conn.check_hostname  # type: ignore[attr-defined]


def test_tls_verification_can_be_switched_off() -> None:
    """NEWSWIRE_REDIS_TLS_VERIFY=false: no certificate or host name check (explicit only)."""
    settings = CommonSettings(redis_url="rediss://redis.example:6380/0", redis_tls_verify=False)
    conn = redis_client(settings).connection_pool.make_connection()
    assert conn.cert_reqs == ssl.CERT_NONE  # type: ignore[attr-defined]
    assert not conn.check_hostname  # type: ignore[attr-defined]


def test_wait_for_redis_returns_when_redis_answers(tmp_path: Path) -> None:
    """A reachable Redis: True at once, and nothing is logged."""
    with RedisServer(tmp_path / "r") as server, capture_logs() as logs:
        client = redis_client(CommonSettings(redis_url=server.url))
        assert wait_for_redis(client) is True
    assert logs == []


def test_wrong_password_raises_one_line_without_the_password(tmp_path: Path) -> None:
    """Wrong or missing credentials fail at once with one line that never shows the password."""
    with RedisServer(tmp_path / "r", password="right-one") as server:
        for url in (
            f"redis://:{SECRET}@127.0.0.1:{server.port}/0",
            f"redis://bob:{SECRET}@127.0.0.1:{server.port}/0",
            f"redis://127.0.0.1:{server.port}/0",
        ):
            client = redis_client(CommonSettings(redis_url=url))
            started = time.monotonic()
            with pytest.raises(RedisAuthError) as caught:
                wait_for_redis(client, what="test")
            assert time.monotonic() - started < 2
            text = str(caught.value)
            assert "\n" not in text
            assert SECRET not in text
            assert f"127.0.0.1:{server.port}" in text
            assert "refused our credentials" in text


def test_unreachable_redis_logs_one_line_per_attempt_until_stopped() -> None:
    """Redis down: one redis_unavailable warning per attempt, backing off; False on stop."""
    url = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"
    client = redis_client(CommonSettings(redis_url=url))
    stop = threading.Event()
    timer = threading.Timer(0.8, stop.set)
    timer.start()
    with capture_logs() as logs:
        assert wait_for_redis(client, stop=stop, first_delay=0.1, max_delay=0.2) is False
    timer.join()
    assert len(logs) >= 3
    assert all(entry["event"] == "redis_unavailable" for entry in logs)
    assert all(entry["log_level"] == "warning" for entry in logs)
    assert [entry["retry_in"] for entry in logs[:3]] == [0.1, 0.2, 0.2]
    assert all(SECRET not in str(entry) for entry in logs)
    assert "Connection refused" in logs[0]["error"]


def test_wait_for_redis_succeeds_once_redis_comes_up(tmp_path: Path) -> None:
    """Redis starting late: the waiting caller proceeds as soon as it answers."""
    server = RedisServer(tmp_path / "r")
    client = redis_client(CommonSettings(redis_url=server.url))
    outcome: list[bool] = []
    waiter = threading.Thread(
        target=lambda: outcome.append(wait_for_redis(client, first_delay=0.1, max_delay=0.2))
    )
    with capture_logs() as logs:
        waiter.start()
        time.sleep(0.5)
        with server:
            waiter.join(timeout=10)
            assert outcome == [True]
            assert client.ping()
    assert logs
