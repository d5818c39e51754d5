"""Settings shared by every newswire process, read from the environment.

Each service has one ``Settings`` class that subclasses :class:`CommonSettings`; all read
variables prefixed ``NEWSWIRE_`` (``NEWSWIRE_LOG_LEVEL=DEBUG``), and the Redis address also from
the conventional ``REDIS_URL``. Secrets (a Redis URL with a password) can be files in the
directory named by ``NEWSWIRE_SECRETS_DIR`` (default ``/run/secrets``), one file per setting.
With ``rediss://`` the server's certificate is verified (``NEWSWIRE_REDIS_CA_FILE`` names the
CA, ``NEWSWIRE_REDIS_CERT_FILE``/``NEWSWIRE_REDIS_KEY_FILE`` a client certificate).
Tests build settings with keyword arguments.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, RedisDsn, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_REDIS_URL = "redis://localhost:6379/0"


def _secrets_dir() -> Path | None:
    path = Path(os.environ.get("NEWSWIRE_SECRETS_DIR", "/run/secrets"))
    return path if path.is_dir() else None


class CommonSettings(BaseSettings):
    """What every process needs: where Redis is, key names, logging."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_",
        secrets_dir=_secrets_dir(),
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,  # a Redis URL may carry a password: never echo values
    )

    redis_url: RedisDsn = Field(
        default=RedisDsn(DEFAULT_REDIS_URL),
        validation_alias=AliasChoices("redis_url", "NEWSWIRE_REDIS_URL", "REDIS_URL"),
        description="Redis used as the Celery broker and for results, markers and counters.",
    )
    redis_tls_verify: bool = Field(
        default=True,
        description="With rediss://, verify the server's certificate and host name.",
    )
    redis_ca_file: Path | None = Field(
        default=None, description="With rediss://, CA certificates (PEM) to verify the server."
    )
    redis_cert_file: Path | None = Field(
        default=None, description="With rediss://, our client certificate (PEM), if Redis asks."
    )
    redis_key_file: Path | None = Field(
        default=None, description="With rediss://, the private key of the client certificate."
    )
    key_prefix: str = Field(default="newswire", description="Prefix of every Redis key we own.")
    queue: str = Field(default="newswire.enrich", description="Celery queue of enrichment jobs.")
    results_stream_maxlen: int = Field(
        default=100_000,
        ge=1000,
        description="Approximate cap of the results and failures streams (XADD MAXLEN ~).",
    )
    log_level: str = Field(default="INFO")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="'auto': coloured console on a terminal, JSON otherwise."
    )
    metrics_host: str = Field(
        default="0.0.0.0",  # noqa: S104 - containers are scraped from outside
        description="Address the metrics endpoint listens on (127.0.0.1: this machine only).",
    )

    @field_validator("redis_url", mode="before")
    @classmethod
    def _check_redis_url(cls, value: object) -> object:
        """Refuse what RedisDsn would silently fill in: an empty port, a missing host."""
        if isinstance(value, str):
            check_redis_url(value)
        return value


class RedisURLError(ValueError):
    """A Redis URL is malformed; the message never contains the URL (it may hold a password)."""


def check_redis_url(url: str) -> None:
    """Raise :class:`RedisURLError` unless `url` is a complete ``redis://``/``rediss://`` URL.

    Refused: other schemes, a missing host, an empty or non-numeric port (``host:/0`` would
    otherwise mean 6379), a database that is not a number.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise RedisURLError("not a valid URL") from None
    if parts.scheme.lower() not in ("redis", "rediss"):
        if not parts.scheme:
            raise RedisURLError("not a URL; expected one such as redis://host:6379/0")
        raise RedisURLError(f"scheme must be redis:// or rediss://, not {parts.scheme}://")
    hostinfo = parts.netloc.rpartition("@")[2]
    if not parts.hostname:
        raise RedisURLError("host is missing")
    if hostinfo.endswith(":"):
        raise RedisURLError("port is empty")
    try:
        port = parts.port
    except ValueError:
        raise RedisURLError("port is not a number from 1 to 65535") from None
    if port == 0:
        raise RedisURLError("port is not a number from 1 to 65535")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise RedisURLError("database (the path) must be a number such as /0")


#: Settings read from differently named variables than ``NEWSWIRE_<FIELD>``.
_ENV_NAMES = {"redis_url": ("NEWSWIRE_REDIS_URL", "REDIS_URL")}


def setting_name(field: str) -> str:
    """The environment variable a person sets for settings field `field`."""
    names = _ENV_NAMES.get(field)
    if names is None:
        return f"NEWSWIRE_{field.upper()}"
    return next((name for name in names if os.environ.get(name)), names[-1])


def settings_error_line(error: ValidationError) -> str:
    """One line naming each invalid setting and why, without the values (they may be secret)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        field = str(item["loc"][0]) if item["loc"] else "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{setting_name(field)}: {' '.join(message.split())}")
    return "; ".join(problems) or "invalid settings"


def metrics_port_field(default: int) -> int:
    """The ``metrics_port`` setting of a service whose endpoint defaults to `default`."""
    port: int = Field(
        default=default,
        ge=0,
        le=65535,
        description="Port of the Prometheus /metrics endpoint; 0 turns metrics off.",
    )
    return port
