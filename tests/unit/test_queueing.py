"""newswire_shared.queueing: the Celery broker connection verifies Redis's TLS certificate."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import pytest

from newswire_shared.queueing import celery_config, make_celery
from newswire_shared.settings import CommonSettings


def test_plain_redis_url_has_no_tls_options() -> None:
    """redis:// brokers get no broker_use_ssl at all."""
    assert "broker_use_ssl" not in celery_config(CommonSettings(redis_url="redis://h:6379/0"))


def test_rediss_broker_requires_the_certificate_with_ca_and_client_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """rediss://: CERT_REQUIRED by default, CA and client certificate from the settings.

    kombu's own default for rediss:// without options is CERT_NONE (with a warning); the
    connection the app builds must carry our options instead.
    """
    settings = CommonSettings(
        redis_url="rediss://:pw@redis.example:6380/0",
        redis_ca_file=tmp_path / "ca.pem",
        redis_cert_file=tmp_path / "client.pem",
        redis_key_file=tmp_path / "client.key",
    )
    config = celery_config(settings)
    assert config["broker_use_ssl"] == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
        "ssl_ca_certs": str(tmp_path / "ca.pem"),
        "ssl_certfile": str(tmp_path / "client.pem"),
        "ssl_keyfile": str(tmp_path / "client.key"),
    }
    with caplog.at_level(logging.WARNING, logger="kombu.connection"):
        connection = make_celery(settings, "test").connection_for_write()
    assert isinstance(connection.ssl, dict)
    assert connection.ssl["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    assert connection.ssl["ssl_ca_certs"] == str(tmp_path / "ca.pem")
    assert not [r for r in caplog.records if "insecure" in r.getMessage()]


def test_rediss_without_ca_file_still_verifies_against_system_cas() -> None:
    """No CA file: the certificate is still required (checked against the system CAs)."""
    config = celery_config(CommonSettings(redis_url="rediss://redis.example:6380/0"))
    assert config["broker_use_ssl"]["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    assert config["broker_use_ssl"]["ssl_ca_certs"] is None


def test_tls_verification_off_only_when_asked() -> None:
    """NEWSWIRE_REDIS_TLS_VERIFY=false is the only way to CERT_NONE."""
    settings = CommonSettings(redis_url="rediss://redis.example:6380/0", redis_tls_verify=False)
    assert celery_config(settings)["broker_use_ssl"]["ssl_cert_reqs"] == ssl.CERT_NONE


def test_tls_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEWSWIRE_REDIS_CA_FILE, _CERT_FILE, _KEY_FILE and _TLS_VERIFY are read from the env."""
    monkeypatch.setenv("REDIS_URL", "rediss://redis.example:6380/0")
    monkeypatch.setenv("NEWSWIRE_REDIS_CA_FILE", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("NEWSWIRE_REDIS_CERT_FILE", str(tmp_path / "c.pem"))
    monkeypatch.setenv("NEWSWIRE_REDIS_KEY_FILE", str(tmp_path / "c.key"))
    monkeypatch.setenv("NEWSWIRE_REDIS_TLS_VERIFY", "true")
    settings = CommonSettings()
    assert settings.redis_ca_file == tmp_path / "ca.pem"
    assert settings.redis_cert_file == tmp_path / "c.pem"
    assert settings.redis_key_file == tmp_path / "c.key"
    assert settings.redis_tls_verify is True


def test_long_articles_get_longer_time_limits() -> None:
    """Ordinary articles keep the worker's limits; a 15 MB one gets hard and soft limits that
    fit its length and stay under half the visibility timeout."""
    from newswire_shared.queueing import VISIBILITY_TIMEOUT, time_limits_for

    assert time_limits_for(20_000) is None
    hard, soft = time_limits_for(15_000_000) or (0, 0)
    assert 600 < hard <= VISIBILITY_TIMEOUT // 2
    assert soft == hard - 30
    five_mb = time_limits_for(5_000_000)
    assert five_mb is None or five_mb[0] <= hard


def test_task_events_are_on_for_flower_and_exporters() -> None:
    """Workers send task events and ingest sends task-sent: Flower and exporters can see jobs."""
    config = celery_config(CommonSettings(redis_url="redis://h:6379/0"))
    assert config["worker_send_task_events"] is True
    assert config["task_send_sent_event"] is True
    app = make_celery(CommonSettings(redis_url="redis://h:6379/0"), "test")
    assert app.conf.worker_send_task_events is True
    assert app.conf.task_send_sent_event is True
    assert app.conf.accept_content == ["json"]  # events never widen what workers accept
