#!/usr/bin/env python3
"""Follow newswire's result and story streams into a SQLite database: a consumer to copy.

newswire announces every enriched article on the Redis stream ``{prefix}:results`` and every
change of a story on ``{prefix}:stories`` (default prefix ``newswire``). This program reads
both through a consumer group, stores what it reads, and acknowledges each entry once it is
stored. Replace the SQLite part (``apply_article``, ``apply_story``) with your own sink and
keep the rest.

Guarantees, and how they are kept:

* **Nothing lost.** An entry is acknowledged (``XACK``) only after the database transaction
  holding it is committed. Until then it stays in the group's pending list under this
  consumer's name, and on start, or after a lost connection, the consumer re-reads its own
  pending entries first (``XREADGROUP`` with id ``0`` until empty) before asking for new ones
  (id ``>``).
* **Nothing handled twice.** A crash between the commit and the ``XACK`` means the entry is
  read again, so every write is idempotent: ``INSERT ... ON CONFLICT DO UPDATE`` keyed on the
  job id or story id. Re-applying an entry leaves the same rows.
* **Dead consumers.** Entries left pending by another consumer of the group for longer than
  ``--claim-idle`` seconds (a host that died) are taken over with ``XAUTOCLAIM`` and handled
  here.
* **Revisions.** A re-enriched article comes again with ``revision`` = 1, 2, ...: its row is
  replaced, never duplicated, and an older revision arriving late does not win.
* **Merged stories.** A story absorbed by another is deleted; its articles move to the
  survivor, and the ``absorbed`` table redirects any later mention of the old id.

Usage::

    python examples/stream_consumer.py --redis-url redis://localhost:6379/0 --db out.sqlite \\
        --group analytics --consumer "$(hostname)" [--prefix newswire] [--once]

``--once`` stops when there is nothing new (for cron jobs and tests); without it the consumer
follows the streams until SIGINT or SIGTERM. It needs only redis-py and the standard library.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.typing import KeyT, StreamIdT

log = logging.getLogger("stream_consumer")

#: The events of the stories stream.
STORY_EVENTS = frozenset({"article", "merged", "revised", "forgotten"})


class EntryError(ValueError):
    """A stream entry this consumer cannot read: logged, acknowledged and skipped."""


class GaveUpError(RuntimeError):
    """Redis stayed unreachable for more attempts than allowed."""


# ---------------------------------------------------------------------------------------------
# Reading entries: pure functions from stream fields to the updates to apply.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One stream entry as read: its stream, its id and its fields (empty when deleted)."""

    stream: str
    entry_id: str
    fields: dict[str, str]


@dataclass(frozen=True)
class ArticleUpdate:
    """An enriched article from the results stream."""

    job_id: str
    title: str | None
    publisher: str | None
    story_id: str | None
    revision: int
    json: str


@dataclass(frozen=True)
class StoryUpdate:
    """A change of a story from the stories stream."""

    story_id: str
    job_id: str
    event: str
    articles: int
    absorbed: tuple[str, ...]
    members: tuple[str, ...]
    json: str | None


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise EntryError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise EntryError(f"{what} is not a JSON object")
    return value


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(text: str, what: str) -> int:
    try:
        number = int(text)
    except ValueError as exc:
        raise EntryError(f"{what} is not an integer: {text!r}") from exc
    if number < 0:
        raise EntryError(f"{what} is negative: {number}")
    return number


def parse_result(fields: dict[str, str]) -> ArticleUpdate:
    """Read a results entry: ``job_id``, ``result`` (EnrichedArticle JSON), ``revision``."""
    result = _json_object(fields.get("result", ""), "result")
    job_id = fields.get("job_id") or result.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise EntryError("results entry without job_id")
    return ArticleUpdate(
        job_id=job_id,
        title=_optional_text(result.get("title")),
        publisher=_optional_text(result.get("publisher")),
        # Set by the story step; absent from results of newswire versions without stories.
        story_id=_optional_text(result.get("story_id")),
        # The entry's field; the result JSON carries the same number (absent when 0).
        revision=_count(fields.get("revision") or str(result.get("revision", 0)), "revision"),
        json=fields["result"],
    )


def parse_story_event(fields: dict[str, str]) -> StoryUpdate:
    """Read a stories entry: ``story_id``, ``job_id``, ``event``, ``articles``, ``absorbed``,
    ``story`` (the Story JSON record; empty when the story has no article left, ``articles``
    0, or when the record is not carried: a very large story, or one being rebuilt by
    another worker)."""
    story_id, job_id, event = (fields.get(k, "") for k in ("story_id", "job_id", "event"))
    if not story_id or not job_id:
        raise EntryError("stories entry without story_id or job_id")
    if event not in STORY_EVENTS:
        raise EntryError(f"unknown story event {event!r}")
    absorbed = set(fields.get("absorbed", "").split())
    members: tuple[str, ...] = ()
    text = fields.get("story") or None
    if text is not None:
        story = _json_object(text, "story")
        absorbed.update(s for s in story.get("absorbed", []) if isinstance(s, str))
        members = tuple(
            a["job_id"]
            for a in story.get("articles", [])
            if isinstance(a, dict) and isinstance(a.get("job_id"), str)
        )
    count = fields.get("articles")
    return StoryUpdate(
        story_id=story_id,
        job_id=job_id,
        event=event,
        articles=_count(count, "articles") if count else len(members),
        absorbed=tuple(sorted(absorbed - {story_id})),
        members=members,
        json=text,
    )


def entry_order(entry_id: str) -> tuple[int, int]:
    """Sort key of a stream entry id (``1718000000000-3``): ids do not sort as text."""
    millis, _, seq = entry_id.partition("-")
    return int(millis), int(seq or 0)


# ---------------------------------------------------------------------------------------------
# The sink: a SQLite database written idempotently. Replace these with your own store.
# ---------------------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    job_id    TEXT PRIMARY KEY,
    title     TEXT,
    publisher TEXT,
    story_id  TEXT,                        -- NULL until the article's story is known
    revision  INTEGER NOT NULL DEFAULT 0,  -- 0 = first enrichment; replaced by higher ones
    json      TEXT NOT NULL                -- the EnrichedArticle record
);
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
CREATE TABLE IF NOT EXISTS stories (
    story_id  TEXT PRIMARY KEY,
    articles  INTEGER NOT NULL,
    json      TEXT NOT NULL,               -- the Story record
    entry_id  TEXT NOT NULL                -- last stories entry applied (late ones lose)
);
CREATE TABLE IF NOT EXISTS absorbed (
    story_id  TEXT PRIMARY KEY,            -- a story merged into another: gone
    survivor  TEXT NOT NULL
);
"""

_UPSERT_ARTICLE = """
INSERT INTO articles (job_id, title, publisher, story_id, revision, json)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (job_id) DO UPDATE SET
    title = excluded.title, publisher = excluded.publisher,
    story_id = COALESCE(excluded.story_id, articles.story_id),
    revision = excluded.revision, json = excluded.json
WHERE excluded.revision > articles.revision
"""

_UPSERT_STORY = """
INSERT INTO stories (story_id, articles, json, entry_id) VALUES (?, ?, ?, ?)
ON CONFLICT (story_id) DO UPDATE SET
    articles = excluded.articles, json = excluded.json, entry_id = excluded.entry_id
"""


def open_db(path: str) -> sqlite3.Connection:
    """Open (and create) the database; transactions are explicit (see :func:`transaction`)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")  # readers do not block the consumer
    db.execute("PRAGMA synchronous = FULL")  # a COMMIT is on disk before we XACK
    db.executescript(SCHEMA)
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: committed on success, rolled back on any exception."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def resolve_story(db: sqlite3.Connection, story_id: str) -> str:
    """Return the live story `story_id` was merged into (itself if it was not)."""
    seen = {story_id}
    while row := db.execute(
        "SELECT survivor FROM absorbed WHERE story_id = ?", (story_id,)
    ).fetchone():
        story_id = row[0]
        if story_id in seen:  # a cycle would be a bug upstream: stop rather than spin
            break
        seen.add(story_id)
    return story_id


def apply_article(db: sqlite3.Connection, update: ArticleUpdate) -> None:
    """Store an article: insert it, or replace it when this is a newer revision."""
    story_id = resolve_story(db, update.story_id) if update.story_id else None
    if story_id is None:  # result without story_id: a story entry may have named it already
        row = db.execute(
            "SELECT story_id FROM stories, json_each(stories.json, '$.articles') "
            "WHERE json_extract(json_each.value, '$.job_id') = ?",
            (update.job_id,),
        ).fetchone()
        story_id = row[0] if row else None
    db.execute(
        _UPSERT_ARTICLE,
        (update.job_id, update.title, update.publisher, story_id, update.revision, update.json),
    )


def apply_story(db: sqlite3.Connection, update: StoryUpdate, entry_id: str) -> None:
    """Store a story change: merges first, then the story's record and its articles."""
    survivor = resolve_story(db, update.story_id)
    for old in update.absorbed:  # merged away: gone, its articles now the survivor's
        if old == survivor:
            continue
        db.execute(
            "INSERT INTO absorbed (story_id, survivor) VALUES (?, ?) "
            "ON CONFLICT (story_id) DO UPDATE SET survivor = excluded.survivor",
            (old, survivor),
        )
        db.execute("DELETE FROM stories WHERE story_id = ?", (old,))
        db.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", (survivor, old))
    if survivor != update.story_id:
        # A late entry about a story merged away since: the survivor's own entries carry the
        # up-to-date record; only make sure the article points at the survivor.
        if update.event != "forgotten":
            db.execute(
                "UPDATE articles SET story_id = ? WHERE job_id = ?", (survivor, update.job_id)
            )
        return
    row = db.execute("SELECT entry_id FROM stories WHERE story_id = ?", (survivor,)).fetchone()
    if row and entry_order(row[0]) > entry_order(entry_id):
        return  # an older entry (taken over from a dead consumer) after a newer one
    if update.event == "forgotten":  # the article is being re-enriched: it left this story
        db.execute(
            "UPDATE articles SET story_id = NULL WHERE job_id = ? AND story_id = ?",
            (update.job_id, survivor),
        )
    if update.articles == 0:  # its last article was forgotten
        db.execute("DELETE FROM stories WHERE story_id = ?", (survivor,))
        return
    if update.json is None:
        # The record is not carried (a very large story, or another worker was rebuilding
        # it; the record is in results/stories/ and a later entry of the story carries it):
        # note the article and the count, keep the stored record.
        if update.event != "forgotten":
            db.execute(
                "UPDATE articles SET story_id = ? WHERE job_id = ?", (survivor, update.job_id)
            )
        db.execute(
            "UPDATE stories SET articles = ? WHERE story_id = ?", (update.articles, survivor)
        )
        return
    db.execute(_UPSERT_STORY, (survivor, update.articles, update.json, entry_id))
    db.executemany(
        "UPDATE articles SET story_id = ? WHERE job_id = ?",
        [(survivor, job_id) for job_id in update.members],
    )


# ---------------------------------------------------------------------------------------------
# The consumer: consumer-group reads, crash recovery, acknowledgement, reconnection.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Where to read and how."""

    prefix: str = "newswire"
    group: str = "analytics"
    consumer: str = "consumer-1"
    batch: int = 100  # entries per read, stored in one transaction
    block_ms: int = 5_000  # how long a read waits for new entries (follow mode)
    claim_idle_ms: int = 60_000  # another consumer's pending entry this old is taken over
    claim_every_s: float = 30.0  # how often to look for such entries (follow mode)

    @property
    def results(self) -> str:
        """The results stream."""
        return f"{self.prefix}:results"

    @property
    def stories(self) -> str:
        """The stories stream."""
        return f"{self.prefix}:stories"


@dataclass
class Counts:
    """What a consumer did."""

    handled: int = 0  # entries stored (a re-read entry counts again)
    skipped: int = 0  # unreadable entries, logged and acknowledged
    gone: int = 0  # pending entries trimmed from the stream before we stored them
    reread: int = 0  # entries read again from our own pending list
    claimed: int = 0  # entries taken over from other consumers
    by_stream: dict[str, int] = field(default_factory=dict)


def _entries(reply: Any) -> list[Entry]:
    """Flatten an XREADGROUP reply (RESP2 list or RESP3 dict) into entries."""
    if not reply:
        return []
    pairs = reply.items() if isinstance(reply, dict) else reply
    return [
        Entry(str(stream), str(entry_id), dict(fields or {}))
        for stream, items in pairs
        for entry_id, fields in items
        if entry_id is not None
    ]


class StreamConsumer:
    """Reads both streams through one consumer group and stores them in `db`."""

    def __init__(
        self,
        client: redis.Redis,
        db: sqlite3.Connection,
        config: Config,
        *,
        after_commit: Callable[[list[Entry]], None] | None = None,
    ) -> None:
        """`client` must decode responses; `after_commit` runs between commit and XACK
        (tests use it to simulate a crash there)."""
        self.client = client
        self.db = db
        self.config = config
        self.after_commit = after_commit
        self.counts = Counts()

    @property
    def streams(self) -> tuple[str, str]:
        """The two streams read."""
        return self.config.results, self.config.stories

    def ensure_groups(self) -> None:
        """Create the consumer group on both streams (and the streams) if missing.

        A new group starts at id 0: its first run reads everything the streams still hold.
        """
        for stream in self.streams:
            try:
                self.client.xgroup_create(stream, self.config.group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def handle(self, entries: list[Entry]) -> None:
        """Store `entries` in one transaction, commit, then acknowledge them."""
        if not entries:
            return
        with transaction(self.db):
            for entry in entries:
                self._apply(entry)
        if self.after_commit is not None:
            self.after_commit(entries)
        pipe = self.client.pipeline(transaction=False)
        for stream in self.streams:
            ids = [e.entry_id for e in entries if e.stream == stream]
            if ids:
                pipe.xack(stream, self.config.group, *ids)
        pipe.execute()

    def _apply(self, entry: Entry) -> None:
        if not entry.fields:  # trimmed (MAXLEN) or deleted while pending: nothing to store
            self.counts.gone += 1
            return
        try:
            if entry.stream == self.config.results:
                apply_article(self.db, parse_result(entry.fields))
            else:
                apply_story(self.db, parse_story_event(entry.fields), entry.entry_id)
        except EntryError as exc:
            log.error("skipping %s entry %s: %s", entry.stream, entry.entry_id, exc)
            self.counts.skipped += 1
            return
        self.counts.handled += 1
        by_stream = self.counts.by_stream
        by_stream[entry.stream] = by_stream.get(entry.stream, 0) + 1

    def drain_pending(self) -> int:
        """Handle this consumer's own pending entries (delivered, never acknowledged)."""
        cursors: dict[KeyT, StreamIdT] = dict.fromkeys(self.streams, "0")
        total = 0
        while cursors:
            reply = self.client.xreadgroup(
                self.config.group, self.config.consumer, cursors, count=self.config.batch
            )
            entries = _entries(reply)
            for stream in list(cursors):
                last = [e.entry_id for e in entries if e.stream == stream]
                if last:
                    cursors[stream] = last[-1]
                else:
                    del cursors[stream]
            self.handle(entries)
            total += len(entries)
        if total:
            log.info("re-read %d pending entries", total)
        self.counts.reread += total
        return total

    def claim_stale(self) -> int:
        """Take over entries idle too long in other consumers' pending lists.

        Claimed entries become this consumer's pending entries; :meth:`drain_pending` then
        handles them (and acknowledges the ones trimmed from the stream meanwhile).
        """
        total = 0
        for stream in self.streams:
            cursor = "0-0"
            while True:
                # Reply: [next cursor, claimed entries, (Redis 7: ids deleted meanwhile)].
                reply = self.client.xautoclaim(
                    stream,
                    self.config.group,
                    self.config.consumer,
                    self.config.claim_idle_ms,
                    start_id=cursor,
                    count=self.config.batch,
                )
                cursor = str(reply[0])
                total += len(reply[1])
                if cursor == "0-0":  # scanned the whole pending list
                    break
        if total:
            log.info("claimed %d entries idle over %d ms", total, self.config.claim_idle_ms)
        self.counts.claimed += total
        return total

    def read_new(self, block_ms: int | None) -> int:
        """Handle new entries; wait up to `block_ms` for some (None: do not wait)."""
        new: dict[KeyT, StreamIdT] = dict.fromkeys(self.streams, ">")
        reply = self.client.xreadgroup(
            self.config.group,
            self.config.consumer,
            new,
            count=self.config.batch,
            block=block_ms,
        )
        entries = _entries(reply)
        self.handle(entries)
        return len(entries)

    def run(self, *, once: bool = False, max_retries: int | None = None) -> Counts:
        """Consume until nothing is new (`once`) or forever; retry Redis with backoff.

        After any lost connection the pending list is re-read: a read may have been
        delivered to us by the server and lost on the way.
        """
        failures = 0
        recover = True
        next_claim = 0.0
        while True:
            try:
                if recover:
                    self.ensure_groups()
                    self.drain_pending()
                    recover = False
                if time.monotonic() >= next_claim:
                    if self.claim_stale():
                        self.drain_pending()
                    next_claim = time.monotonic() + self.config.claim_every_s
                got = self.read_new(None if once else self.config.block_ms)
                if failures:
                    log.info("Redis reachable again")
                    failures = 0
                if once and not got:
                    return self.counts
            except redis.AuthenticationError:
                raise  # a wrong password does not get better by waiting
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                failures += 1
                if max_retries is not None and failures > max_retries:
                    raise GaveUpError(f"Redis unreachable after {failures} attempts") from exc
                delay = min(30.0, 0.5 * 2 ** (failures - 1))
                log.warning("Redis unreachable (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)
                recover = True
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                log.warning("consumer group missing (stream deleted?): creating it again")
                recover = True


# ---------------------------------------------------------------------------------------------
# Command line.
# ---------------------------------------------------------------------------------------------


def connect(url: str, block_ms: int) -> redis.Redis:
    """A client for `url`; its own retries are off (:meth:`StreamConsumer.run` retries)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=5,
        socket_timeout=block_ms / 1000 + 10,  # longer than a blocking read
        retry=Retry(NoBackoff(), 0),
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--redis-url", default="redis://localhost:6379/0")
    parser.add_argument("--db", required=True, help="SQLite file (created if missing)")
    parser.add_argument("--group", default="analytics", help="consumer group name")
    parser.add_argument("--consumer", required=True, help="this consumer's name, e.g. hostname")
    parser.add_argument("--prefix", default="newswire", help="newswire's Redis key prefix")
    parser.add_argument("--once", action="store_true", help="stop when nothing is new")
    parser.add_argument(
        "--claim-idle", type=float, default=60.0, metavar="SECONDS",
        help="take over other consumers' entries pending this long (default 60)",
    )  # fmt: skip
    parser.add_argument(
        "--max-retries", type=int, default=None,
        help="give up after this many failed attempts to reach Redis "
        "(default: 3 with --once, never otherwise)",
    )  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the consumer; exit 0 when done or stopped, 1 when Redis stayed unreachable."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # SIGTERM stops like Ctrl-C. Stopping anywhere is safe: an uncommitted transaction rolls
    # back and an unacknowledged entry is read again on the next start.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    config = Config(
        prefix=args.prefix,
        group=args.group,
        consumer=args.consumer,
        claim_idle_ms=int(args.claim_idle * 1000),
    )
    max_retries = args.max_retries if args.max_retries is not None else (3 if args.once else None)
    db = open_db(args.db)
    consumer = StreamConsumer(connect(args.redis_url, config.block_ms), db, config)
    log.info("consuming %s and %s as %s/%s", *consumer.streams, config.group, config.consumer)
    try:
        counts = consumer.run(once=args.once, max_retries=max_retries)
    except GaveUpError as exc:
        log.error("%s: giving up", exc)  # one line, no traceback
        return 1
    except redis.AuthenticationError as exc:
        log.error("Redis refused the credentials: %s", exc)
        return 1
    except KeyboardInterrupt:
        counts = consumer.counts
        log.info("stopped")
    finally:
        db.close()
    log.info(
        "handled %d entries (%d re-read, %d claimed, %d skipped, %d trimmed)",
        counts.handled, counts.reread, counts.claimed, counts.skipped, counts.gone,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
