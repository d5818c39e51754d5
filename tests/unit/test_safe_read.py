"""Safe reads of dropped files: only regular files, never through a link, never blocking;
names of any bytes rendered as valid Unicode; short temporary names for atomic writes."""

from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from newswire_shared.errors import (
    FileTooLargeError,
    NotRegularFileError,
    RejectedFileError,
    UnreadableFileError,
)
from newswire_shared.fileio import (
    display_name,
    file_kind,
    read_regular_file,
    write_text_atomic,
)
from newswire_shared.jobs import read_job


def test_regular_file_is_read(tmp_path: Path) -> None:
    """A regular file's bytes come back whole."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"Some words.\n")
    assert read_regular_file(path, max_bytes=100) == b"Some words.\n"


def test_symlink_is_refused_without_reading_its_target(tmp_path: Path) -> None:
    """A link (to a readable file outside) is refused as a link; its target is not read."""
    outside = tmp_path / "outside.txt"
    outside.write_text("secret marker")
    link = tmp_path / "inbox-link.txt"
    link.symlink_to(outside)
    with pytest.raises(NotRegularFileError, match=r"symbolic link \(links are never followed\)"):
        read_regular_file(link, max_bytes=100)
    with pytest.raises(NotRegularFileError):
        read_job(link, max_bytes=100)


def test_dangling_symlink_is_refused_as_a_link(tmp_path: Path) -> None:
    """A link to nothing is a link, not a vanished file."""
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "missing.txt")
    with pytest.raises(NotRegularFileError, match="symbolic link"):
        read_job(link, max_bytes=100)


def test_link_with_unsupported_suffix_is_refused_as_a_link(tmp_path: Path) -> None:
    """The type is checked before the suffix: a link named x.pdf is refused as a link."""
    link = tmp_path / "x.pdf"
    link.symlink_to(tmp_path)
    with pytest.raises(NotRegularFileError, match="symbolic link"):
        read_job(link, max_bytes=100)


def test_fifo_is_refused_at_once_without_blocking(tmp_path: Path) -> None:
    """A FIFO with no writer is refused at once (opening it for reading would block)."""
    fifo = tmp_path / "x.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            read_job(fifo, max_bytes=100)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive(), "reading a FIFO blocked"
    assert len(outcome) == 1
    assert isinstance(outcome[0], NotRegularFileError)
    assert "a FIFO (named pipe)" in str(outcome[0])


def test_socket_is_refused(tmp_path: Path) -> None:
    """A unix socket in the inbox is refused as a socket."""
    path = tmp_path / "s.txt"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
        with pytest.raises(NotRegularFileError, match="a socket"):
            read_job(path, max_bytes=100)


def test_directory_is_refused(tmp_path: Path) -> None:
    """A directory named like an article is not read."""
    folder = tmp_path / "d.txt"
    folder.mkdir()
    with pytest.raises(NotRegularFileError, match="a directory"):
        read_regular_file(folder, max_bytes=100)


def test_device_is_refused(tmp_path: Path) -> None:
    """A character device is refused as one (needs the right to create device nodes)."""
    device = tmp_path / "null.txt"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    with pytest.raises(NotRegularFileError, match="a character device"):
        read_job(device, max_bytes=100)


def test_file_kinds_are_named_for_people() -> None:
    """Each entry type has a readable name, used in the failure reason."""
    assert file_kind(stat.S_IFBLK) == "a block device"
    assert file_kind(stat.S_IFREG) == "a regular file"
    assert file_kind(stat.S_IFSOCK) == "a socket"


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    """A file over the limit is refused with its size; one at the limit is read."""
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 11)
    with pytest.raises(FileTooLargeError, match="11 bytes, over the limit of 10 bytes"):
        read_regular_file(path, max_bytes=10)
    assert read_regular_file(path, max_bytes=11) == b"x" * 11


def test_vanished_file_is_unreadable(tmp_path: Path) -> None:
    """A file gone before it is read is unreadable (ingest then has nothing to move)."""
    with pytest.raises(UnreadableFileError):
        read_regular_file(tmp_path / "gone.txt", max_bytes=10)


def test_unsupported_suffix_with_invalid_utf8_is_a_valid_reason(tmp_path: Path) -> None:
    """The reason for an unsupported suffix is valid Unicode even for a name of odd bytes."""
    raw = os.fsencode(tmp_path) + b"/scan.p\xffdf"
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)
    with pytest.raises(RejectedFileError) as caught:
        read_job(Path(os.fsdecode(raw)), max_bytes=10)
    assert "'.p\\xffdf'" in str(caught.value)
    str(caught.value).encode("utf-8")  # no lone surrogates


def test_job_of_an_invalid_utf8_name_has_an_escaped_filename(tmp_path: Path) -> None:
    """A job read from a file whose name is not UTF-8 names it with \\xNN escapes, and its
    JSON (what Celery and Redis carry) can be produced."""
    raw = os.fsencode(tmp_path) + b"/caf\xe9 news.txt"
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"Mayor Ana Ruiz said the bridge would reopen.")
    os.close(fd)
    job = read_job(Path(os.fsdecode(raw)), max_bytes=1000)
    assert job.source.filename == "caf\\xe9 news.txt"
    assert '"caf\\\\xe9 news.txt"' in job.model_dump_json()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (b"plain.txt", "plain.txt"),
        (b"caf\xc3\xa9.txt", "café.txt"),
        (b"bad\xff\xfe.txt", "bad\\xff\\xfe.txt"),
        (b"line\nbreak.txt", "line\nbreak.txt"),
        (b"-leading-dash.txt", "-leading-dash.txt"),
    ],
)
def test_display_name_is_valid_unicode_and_keeps_valid_names(name: bytes, shown: str) -> None:
    """Valid names are unchanged; undecodable bytes become \\xNN; bytes or str give the same."""
    assert display_name(name) == shown
    assert display_name(os.fsdecode(name)) == shown
    assert display_name(display_name(name)) == shown


def test_display_name_survives_lone_surrogates_not_from_a_file_name() -> None:
    """A string with a surrogate no file name produces still gives valid Unicode."""
    assert display_name("x\ud800.txt") == "x\\ud800.txt"


def test_atomic_write_uses_a_short_temporary_name(tmp_path: Path) -> None:
    """A 255-byte target can be written: the temporary name does not grow with it, and no
    temporary file is left behind."""
    target = tmp_path / ("n" * 250 + ".json")
    assert len(os.fsencode(target.name)) == 255
    write_text_atomic(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_atomic_write_replaces_a_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    """A link at the target is replaced; the file it pointed to is untouched."""
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    target = tmp_path / "x.error.json"
    target.symlink_to(outside)
    write_text_atomic(target, "new")
    assert outside.read_text() == "keep"
    assert not target.is_symlink()
    assert target.read_text() == "new"
