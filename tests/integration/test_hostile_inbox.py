"""Odd things in the inbox, with a real Redis server, the real ingest and real workers: links,
FIFOs, sockets, devices and folders; names with newlines, of 255 bytes, not UTF-8, with a
leading dash; UTF-16 without a byte-order mark; sub-folders and ignore globs (issue 8)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from watchdog.events import FileOpenedEvent, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import EnrichedArticle, FailureRecord
from tests.conftest import Services, wait_until

pytestmark = pytest.mark.integration
KEYS = RedisKeys()
NAME_MAX = 255

NORMAL = "Mayor Ana Ruiz said on Monday that the Elm Street bridge would reopen in May.\n"


def _article(n: int) -> str:
    """A distinct short article (distinct content: distinct job ids)."""
    return (
        f"Officials in Springfield said on Tuesday that road number {n} would close for "
        f'repairs. "We expect the work to take {n + 2} weeks," said Maria Lopez, the city '
        "engineer.\n"
    )


def _results(services: Services) -> dict[str, EnrichedArticle]:
    """Result files by source file name."""
    if not services.results.exists():
        return {}
    found = {}
    for path in services.results.glob("*.json"):
        result = EnrichedArticle.model_validate_json(path.read_text(encoding="utf-8"))
        found[result.source.filename] = result
    return found


def _entries(client: redis.Redis, stream: str) -> list[dict[bytes, bytes]]:
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(stream)  # type: ignore[assignment]
    return [fields for _, fields in entries]


def _failures(client: redis.Redis) -> list[FailureRecord]:
    return [
        FailureRecord.model_validate_json(f[b"failure"]) for f in _entries(client, KEYS.failures)
    ]


def _error_record(failed: Path, name: str) -> FailureRecord:
    return FailureRecord.model_validate_json(
        (failed / f"{name}.error.json").read_text(encoding="utf-8")
    )


def _create(folder: Path, name: bytes, data: bytes) -> Path:
    """Create a file whose name is any bytes (invalid UTF-8 included)."""
    raw = os.fsencode(folder) + b"/" + name
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return Path(os.fsdecode(raw))


def _start(services: Services, **ingest_env: str) -> None:
    """Start a worker and ingest, and wait until ingest watches the inbox (what is created
    afterwards reaches it through native events, as in real use)."""
    services.start_worker()
    services.start_ingest(**ingest_env)
    wait_until(
        lambda: '"ingest_started"' in services.log("ingest"),
        60,
        what="ingest started\n" + services.log("ingest")[-3000:],
    )


def _drop_and_wait(services: Services, name: str = "normal.txt", text: str = NORMAL) -> None:
    """Drop a normal article and wait until it is done: ingest is not stuck."""
    (services.inbox / name).write_text(text, encoding="utf-8")
    wait_until(
        lambda: (services.inbox / "done" / name).exists(),
        120,
        what=f"{name} done\n" + services.log("ingest")[-3000:],
    )


def _assert_ingest_alive(services: Services) -> None:
    proc = services.procs["ingest"]
    assert proc.poll() is None, services.log("ingest")[-3000:]
    beat = services.tmp_path / "heartbeat"
    assert time.time() - beat.stat().st_mtime < 5, "the ingest heartbeat is stale"


def _assert_refused(failed: Path, name: str, kind: str, client: redis.Redis) -> None:
    """`name` is in failed/ unread, as the entry itself, with a NotRegularFile record (beside
    it and on the failures stream) naming its type."""
    record = _error_record(failed, name)
    assert (record.stage, record.error) == ("ingest", "NotRegularFile")
    assert kind in record.reason
    assert os.path.lexists(failed / name)
    streamed = [f for f in _failures(client) if f.filename == name]
    assert [(f.error, f.reason) for f in streamed] == [(record.error, record.reason)]


class _Opens(FileSystemEventHandler):
    def __init__(self) -> None:
        self.paths: list[str] = []

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileOpenedEvent):
            self.paths.append(os.fsdecode(event.src_path))


@contextmanager
def _outside_secret(tmp_path: Path) -> Iterator[tuple[Path, bytes, _Opens]]:
    """A folder outside the inbox holding a file with a unique marker, watched for opens."""
    outside = tmp_path / "outside"
    outside.mkdir()
    marker = f"MARKER-{os.urandom(8).hex()}".encode()
    secret = outside / "secret.txt"
    secret.write_bytes(b"root:x:0:0:" + marker + b"\n")
    opens = _Opens()
    observer = Observer()
    observer.schedule(opens, str(outside), recursive=True)
    observer.start()
    try:
        yield secret, marker, opens
    finally:
        observer.stop()
        observer.join(timeout=5)


def _assert_marker_nowhere(services: Services, client: redis.Redis, marker: bytes) -> None:
    for path in services.results.rglob("*"):  # story records in results/stories/ too
        if path.is_file():
            assert marker not in path.read_bytes(), path
    for stream in (KEYS.results, KEYS.failures, KEYS.stories):
        for fields in _entries(client, stream):
            assert not any(marker in value for value in fields.values()), stream


# -- 1. links ----------------------------------------------------------------------------------


def test_symlinks_are_never_followed(services: Services, redis_client: redis.Redis) -> None:
    """Links to a file outside, to a folder and to nothing go to failed/ as links, with a
    reason; the file outside is never opened, its content is in no result and no stream."""
    _start(services)
    with _outside_secret(services.tmp_path) as (secret, marker, opens):
        before = secret.stat()
        (services.inbox / "passwd.txt").symlink_to(secret)
        (services.inbox / "folder.txt").symlink_to(secret.parent)
        (services.inbox / "dangling.txt").symlink_to(services.tmp_path / "nowhere.txt")
        _drop_and_wait(services)
        failed = services.inbox / "failed"
        wait_until(
            lambda: len(list(failed.glob("*.error.json"))) == 3,
            30,
            what="3 links failed\n" + services.log("ingest")[-3000:],
        )
        _assert_ingest_alive(services)
    for name in ("passwd.txt", "folder.txt", "dangling.txt"):
        _assert_refused(failed, name, "a symbolic link (links are never followed)", redis_client)
        assert (failed / name).is_symlink()
    assert opens.paths == []
    assert secret.stat().st_mtime_ns == before.st_mtime_ns
    assert marker in secret.read_bytes()
    _assert_marker_nowhere(services, redis_client, marker)
    assert list(_results(services)) == ["normal.txt"]


# -- 2. FIFOs ----------------------------------------------------------------------------------


def test_fifo_does_not_block_ingest(services: Services, redis_client: redis.Redis) -> None:
    """A FIFO named x.txt (no writer) goes to failed/ unopened; the next article completes
    and the heartbeat stays fresh."""
    _start(services)
    os.mkfifo(services.inbox / "x.txt")
    time.sleep(1)
    _drop_and_wait(services)
    failed = services.inbox / "failed"
    wait_until(lambda: (failed / "x.txt.error.json").exists(), 30, what="FIFO failed")
    _assert_ingest_alive(services)
    _assert_refused(failed, "x.txt", "a FIFO (named pipe)", redis_client)
    assert stat.S_ISFIFO((failed / "x.txt").lstat().st_mode)


# -- 3. long names -----------------------------------------------------------------------------


def test_failing_files_with_long_names_are_explained(
    services: Services, redis_client: redis.Redis
) -> None:
    """Files with 250-byte names failed by ingest (empty) and by a worker (JSON with no
    article) are stored in failed/ under a shortened name with their record, which gives the
    whole name; ingest lives on."""
    _start(services)
    empty = "e" * 246 + ".txt"
    unusable = "j" * 245 + ".json"
    assert len(empty.encode()) == len(unusable.encode()) == 250
    (services.inbox / empty).write_bytes(b"")
    (services.inbox / unusable).write_text('{"numbers": [1, 2, 3]}', encoding="utf-8")
    failed = services.inbox / "failed"
    wait_until(
        lambda: len(list(failed.glob("*.error.json"))) == 2,
        90,
        what="2 records in failed/\n" + services.log("ingest")[-3000:],
    )
    _drop_and_wait(services)
    _assert_ingest_alive(services)
    records = {}
    for error in failed.glob("*.error.json"):
        assert len(os.fsencode(error.name)) <= NAME_MAX
        stored = error.with_name(error.name.removesuffix(".error.json"))
        assert stored.exists()
        record = FailureRecord.model_validate_json(error.read_text(encoding="utf-8"))
        records[record.filename] = (record.stage, stored.suffix)
    assert records == {empty: ("ingest", ".txt"), unusable: ("enrich", ".json")}
    assert sorted((f.filename, f.stage) for f in _failures(redis_client)) == [
        (empty, "ingest"),
        (unusable, "enrich"),
    ]


# -- 4. names that are not UTF-8 ---------------------------------------------------------------


def test_names_that_are_not_utf8_are_enriched_and_failed(
    services: Services, redis_client: redis.Redis
) -> None:
    """A file whose name is not UTF-8 is enriched under an escaped name and keeps its bytes in
    done/; an empty one goes to failed/ with a record naming it the same way."""
    _start(services)
    _create(services.inbox, b"caf\xe9 news.txt", _article(1).encode())
    _create(services.inbox, b"empty\xff.txt", b"")
    done, failed = services.inbox / "done", services.inbox / "failed"
    wait_until(
        lambda: (done / os.fsdecode(b"caf\xe9 news.txt")).exists(),
        90,
        what="odd name done\n" + services.log("ingest")[-3000:],
    )
    wait_until(lambda: (failed / os.fsdecode(b"empty\xff.txt.error.json")).exists(), 30)
    _assert_ingest_alive(services)
    assert "caf\\xe9 news.txt" in _results(services)
    assert _error_record(failed, os.fsdecode(b"empty\xff.txt")).filename == "empty\\xff.txt"
    assert [f.filename for f in _failures(redis_client)] == ["empty\\xff.txt"]


def test_name_not_utf8_left_in_processing_completes_after_restart(
    services: Services, redis_client: redis.Redis
) -> None:
    """A file with such a name found in processing/ at start-up (claimed before a crash) is
    queued again and completes; ingest restarts again without trouble."""
    processing = services.inbox / "processing"
    processing.mkdir()
    _create(processing, b"\xffleft behind.txt", _article(2).encode())
    _start(services)
    done = services.inbox / "done"
    wait_until(
        lambda: (done / os.fsdecode(b"\xffleft behind.txt")).exists(),
        90,
        what="recovered file done\n" + services.log("ingest")[-3000:],
    )
    services.stop("ingest")
    services.start_ingest()
    _drop_and_wait(services)
    _assert_ingest_alive(services)
    assert sorted(_results(services)) == ["\\xffleft behind.txt", "normal.txt"]
    assert redis_client.xlen(KEYS.results) == 2


# -- 8. UTF-16 without a byte-order mark -------------------------------------------------------


def test_utf16_without_bom_is_enriched(services: Services) -> None:
    """UTF-16 LE articles without a byte-order mark, English (NUL-rich) and Russian (valid
    UTF-8 full of control characters), are read and enriched, not refused as binary."""
    _start(services)
    russian = "Мэр Анна Руис заявила в понедельник, что мост на улице Вязов откроют в мае.\n"
    (services.inbox / "english.txt").write_bytes(NORMAL.encode("utf-16-le"))
    (services.inbox / "russian.txt").write_bytes(russian.encode("utf-16-le"))
    done = services.inbox / "done"
    wait_until(
        lambda: (done / "english.txt").exists() and (done / "russian.txt").exists(),
        120,
        what="both UTF-16 files done\n" + services.log("ingest")[-3000:],
    )
    results = _results(services)
    assert results["english.txt"].source.encoding == "utf-16-le"
    assert "Elm Street bridge" in results["english.txt"].text
    assert results["russian.txt"].source.encoding == "utf-16-le"
    assert "мост" in results["russian.txt"].text


# -- sub-folders and ignore globs --------------------------------------------------------------


def test_recursive_inbox_keeps_paths_and_ignores_globs(
    services: Services, redis_client: redis.Redis
) -> None:
    """NEWSWIRE_RECURSIVE: files of sub-folders are enriched with their path in `source` and
    mirrored into done/; NEWSWIRE_IGNORE globs (comma-separated) are left alone."""
    _start(
        services,
        NEWSWIRE_RECURSIVE="true",
        NEWSWIRE_IGNORE="drafts/**, *.skip.txt",
    )
    staging = services.tmp_path / "staging"
    (staging / "agency" / "2024").mkdir(parents=True)
    (staging / "agency" / "2024" / "x.txt").write_text(_article(3), encoding="utf-8")
    (staging / "agency" / "2024" / "y.skip.txt").write_text(_article(4), encoding="utf-8")
    (staging / "drafts").mkdir()
    (staging / "drafts" / "draft.txt").write_text(_article(5), encoding="utf-8")
    for folder in ("agency", "drafts"):
        shutil.move(staging / folder, services.inbox / folder)
    done = services.inbox / "done"
    wait_until(
        lambda: (done / "agency" / "2024" / "x.txt").exists(),
        90,
        what="agency/2024/x.txt done\n" + services.log("ingest")[-3000:],
    )
    # native events of an existing sub-folder (the rescan is five minutes away)
    (services.inbox / "agency" / "2024" / "later.txt").write_text(_article(6), encoding="utf-8")
    (services.inbox / "agency" / "empty.txt").write_text("", encoding="utf-8")
    wait_until(lambda: (done / "agency" / "2024" / "later.txt").exists(), 60, what="later.txt")
    error = services.inbox / "failed" / "agency" / "empty.txt.error.json"
    wait_until(error.exists, 30, what="agency/empty.txt failed")
    assert json.loads(error.read_text(encoding="utf-8"))["path"] == "agency/empty.txt"
    _drop_and_wait(services)
    results = _results(services)
    assert results["x.txt"].source.path == "agency/2024/x.txt"
    assert results["later.txt"].source.path == "agency/2024/later.txt"
    assert results["normal.txt"].source.path is None
    assert (services.inbox / "agency" / "2024" / "y.skip.txt").exists()
    assert (services.inbox / "drafts" / "draft.txt").exists()
    assert sorted(results) == ["later.txt", "normal.txt", "x.txt"]
    streamed = [json.loads(f[b"result"]) for f in _entries(redis_client, KEYS.results)]
    assert sorted(r["source"].get("path") or "" for r in streamed) == [
        "",
        "agency/2024/later.txt",
        "agency/2024/x.txt",
    ]


# -- everything at once ------------------------------------------------------------------------


def _make_socket(path: Path) -> None:
    """Leave a unix socket file at `path` (bound where the path is short enough to bind)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        if len(os.fsencode(path)) < 100:
            sock.bind(str(path))
            return
        short = Path(f"/tmp/nw-{os.getpid()}-{os.urandom(4).hex()}.sock")
        sock.bind(str(short))
        short.rename(path)


def test_hostile_inbox(services: Services, redis_client: redis.Redis) -> None:
    """Names of every kind and entries of every type at once: ingest stays alive, the next
    normal article completes, regular files get results under their names, odd types are in
    failed/ with a reason, the folder is left alone, and nothing outside the inbox is read."""
    _start(services)
    inbox, failed, done = services.inbox, services.inbox / "failed", services.inbox / "done"
    regular = {
        b"line\nbreak.txt": "line\nbreak.txt",
        b"tab\there\x1b.txt": "tab\there\x1b.txt",
        b"n" * 251 + b".txt": "n" * 251 + ".txt",
        b"caf\xe9 \xff.txt": "caf\\xe9 \\xff.txt",
        b"-rf.txt": "-rf.txt",
        b"--help.md": "--help.md",
    }
    with _outside_secret(services.tmp_path) as (secret, marker, opens):
        for n, raw in enumerate(regular):
            _create(inbox, raw, _article(10 + n).encode())
        long_empty = "e" * 251 + ".txt"
        _create(inbox, os.fsencode(long_empty), b"")
        (inbox / "utf16.txt").write_bytes(_article(30).encode("utf-16-le"))
        (inbox / "passwd.txt").symlink_to(secret)
        (inbox / "outside-folder").symlink_to(secret.parent)
        (inbox / "dangling.txt").symlink_to(services.tmp_path / "nowhere.txt")
        (inbox / "inside-link.txt").symlink_to(inbox / "-rf.txt")
        os.mkfifo(inbox / "x.txt")
        _make_socket(inbox / "s.txt")
        odd = {
            "passwd.txt": "a symbolic link",
            "outside-folder": "a symbolic link",
            "dangling.txt": "a symbolic link",
            "inside-link.txt": "a symbolic link",
            "x.txt": "a FIFO (named pipe)",
            "s.txt": "a socket",
        }
        try:
            os.mknod(inbox / "null.txt", stat.S_IFCHR | 0o600, os.makedev(1, 3))
            odd["null.txt"] = "a character device"
        except PermissionError:
            print("skipped the character device: creating device nodes is not permitted here")
        (inbox / "d.txt").mkdir()
        (inbox / "d.txt" / "inner.txt").write_text(_article(40), encoding="utf-8")
        expected_failed = len(odd) + 1
        wait_until(
            lambda: len(list(failed.glob("*.error.json"))) == expected_failed,
            60,
            what=f"{expected_failed} failure records\n" + services.log("ingest")[-3000:],
        )
        wait_until(
            lambda: len(_results(services)) == len(regular) + 1,
            180,
            what="results of the regular files\n" + services.log("ingest")[-3000:],
        )
        _drop_and_wait(services)
        _assert_ingest_alive(services)

    results = _results(services)
    assert sorted(results) == sorted([*regular.values(), "utf16.txt", "normal.txt"])
    assert results["utf16.txt"].source.encoding == "utf-16-le"
    for raw in regular:
        assert (done / os.fsdecode(raw)).exists(), raw
    for name, kind in odd.items():
        _assert_refused(failed, name, kind, redis_client)
    shortened = list(failed.glob("e*.error.json"))
    assert len(shortened) == 1
    assert len(os.fsencode(shortened[0].name)) <= NAME_MAX
    record = FailureRecord.model_validate_json(shortened[0].read_text(encoding="utf-8"))
    assert (record.filename, record.reason) == (long_empty, "the file is empty")
    assert (inbox / "d.txt" / "inner.txt").exists()
    folder_lines = [
        json.loads(line)
        for line in services.log("ingest").splitlines()
        if "folder_left_alone" in line
    ]
    assert [line["folder"] for line in folder_lines] == ["d.txt"]
    assert opens.paths == []
    assert marker in secret.read_bytes()
    _assert_marker_nowhere(services, redis_client, marker)
    for line in services.log("ingest").splitlines():
        if line.startswith("{"):
            json.loads(line)  # every log line is whole: newlines in names are escaped
