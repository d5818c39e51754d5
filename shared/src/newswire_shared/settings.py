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

from pydantic import AliasChoices, Field, RedisDsn
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
