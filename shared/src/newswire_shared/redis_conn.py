"""Connecting to Redis from settings: TLS options, waiting for it, and failing clearly.

::

    client = redis_client(settings)          # rediss:// verifies the server by default
    if not wait_for_redis(client, stop=stop, what="ingest"):
        return                               # asked to stop while Redis was away

While Redis is unreachable, :func:`wait_for_redis` logs one ``redis_unavailable`` line per
attempt (the URL without its password, the error, the next delay) and backs off exponentially
up to a cap. Credentials Redis refuses are not transient: it raises :class:`RedisAuthError`
at once, whose text is one line for a person and never contains the password.
"""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from newswire_shared.logs import get_logger
from newswire_shared.settings import CommonSettings

_log = get_logger(__name__)

#: Error texts of Redis replies that mean "your credentials are wrong or not allowed".
_AUTH_MARKERS = ("WRONGPASS", "NOAUTH", "NOPERM", "invalid password", "invalid username")


class RedisAuthError(Exception):
    """Redis refused our credentials (wrong password or ACL user); retrying cannot help."""


def redacted_url(url: str) -> str:
    """Return `url` with its password (in the address or the query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparsable Redis URL>"
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:***@{hostinfo}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def is_tls_url(url: str) -> bool:
    """Whether `url` asks for TLS (``rediss://``)."""
    return url.lower().startswith("rediss://")


def redis_ssl_options(settings: CommonSettings) -> dict[str, Any] | None:
    """TLS options for a ``rediss://`` URL (redis-py and kombu take the same keys), else None.

    The server's certificate is required and checked against ``redis_ca_file`` (or the system
    CAs) unless ``redis_tls_verify`` is off; ``redis_cert_file``/``redis_key_file`` add a
    client certificate.
    """
    if not is_tls_url(str(settings.redis_url)):
        return None
    options: dict[str, Any] = {
        "ssl_cert_reqs": ssl.CERT_REQUIRED if settings.redis_tls_verify else ssl.CERT_NONE,
        "ssl_ca_certs": str(settings.redis_ca_file) if settings.redis_ca_file else None,
        "ssl_certfile": str(settings.redis_cert_file) if settings.redis_cert_file else None,
        "ssl_keyfile": str(settings.redis_key_file) if settings.redis_key_file else None,
    }
    return options


def redis_client(settings: CommonSettings) -> redis.Redis:
    """Return a client of ``settings.redis_url`` with the TLS options of the settings."""
    kwargs: dict[str, Any] = dict(redis_ssl_options(settings) or {})
    if kwargs and not settings.redis_tls_verify:
        kwargs["ssl_check_hostname"] = False
    return redis.Redis.from_url(str(settings.redis_url), **kwargs)


def client_url(client: redis.Redis) -> str:
    """The address `client` connects to, as a URL without any password."""
    kwargs = client.connection_pool.connection_kwargs
    pool_class = client.connection_pool.connection_class
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    scheme = "rediss" if issubclass(pool_class, redis.SSLConnection) else "redis"
    user = kwargs.get("username")
    userinfo = f"{user}@" if user else ""
    host = kwargs.get("host", "localhost")
    return f"{scheme}://{userinfo}{host}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


def is_auth_error(error: BaseException) -> bool:
    """Whether `error` says Redis refused our credentials (not a transient failure)."""
    if isinstance(error, redis.AuthenticationError | redis.exceptions.NoPermissionError):
        return True
    if isinstance(error, redis.ResponseError):
        return any(marker.lower() in str(error).lower() for marker in _AUTH_MARKERS)
    return False


#: Errors of a Redis that is up but cannot serve writes for now: out of memory, a read-only
#: replica, a transaction refused as queued (for our well-formed commands, one of these), a
#: cluster slot moving; redis-py maps their reply codes to these classes.
_BUSY_ERRORS: tuple[type[redis.RedisError], ...] = (
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ExecAbortError,
    redis.exceptions.TryAgainError,
)
#: Busy replies redis-py leaves as plain ResponseError (failing to persist, no master).
_BUSY_REPLIES = ("MISCONF", "MASTERDOWN")


def is_redis_away(error: BaseException) -> bool:
    """Whether `error` means Redis is away for now (to wait out), not refused credentials."""
    if is_auth_error(error):
        return False
    if isinstance(error, (redis.ConnectionError, redis.TimeoutError, *_BUSY_ERRORS)):
        return True
    return isinstance(error, redis.ResponseError) and str(error).startswith(_BUSY_REPLIES)


def auth_error(client: redis.Redis, error: BaseException, what: str = "Redis") -> RedisAuthError:
    """Return the one-line :class:`RedisAuthError` for `error` raised by `client`."""
    reason = " ".join(str(error).split()) or type(error).__name__
    return RedisAuthError(
        f"{what}: Redis at {client_url(client)} refused our credentials ({reason}); "
        "check the password or ACL user in the Redis URL"
    )


def wait_for_redis(
    client: redis.Redis,
    *,
    stop: threading.Event | None = None,
    what: str = "Redis",
    log: Any = None,
    first_delay: float = 0.5,
    max_delay: float = 10.0,
) -> bool:
    """PING `client` until Redis answers; return True then, False if `stop` got set first.

    Each failed attempt logs one ``redis_unavailable`` warning (``what``, the URL without a
    password, the error, ``retry_in``); delays double from `first_delay` up to `max_delay`.
    Raises :class:`RedisAuthError` at once when Redis refuses the credentials.
    """
    logger = log if log is not None else _log
    delay = first_delay
    attempt = 0
    while stop is None or not stop.is_set():
        attempt += 1
        try:
            client.ping()
        except redis.RedisError as exc:
            if is_auth_error(exc):
                raise auth_error(client, exc, what) from None
            if not isinstance(
                exc, redis.ConnectionError | redis.TimeoutError | redis.BusyLoadingError
            ):
                raise
            logger.warning(
                "redis_unavailable",
                what=what,
                url=client_url(client),
                error=" ".join(str(exc).split()) or type(exc).__name__,
                attempt=attempt,
                retry_in=round(delay, 2),
            )
            client.connection_pool.disconnect()
            if stop is not None:
                if stop.wait(delay):
                    return False
            else:
                time.sleep(delay)
            delay = min(max_delay, delay * 2)
        else:
            return True
    return False
