"""Settings of the ingest service (environment variables prefixed ``NEWSWIRE_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from newswire_shared.settings import CommonSettings


class IngestSettings(CommonSettings):
    """Where the inbox is and how it is watched."""

    inbox: Path = Field(default=Path("inbox"), description="Folder people drop articles into.")
    stable_seconds: float = Field(
        default=2.0, gt=0, description="A file is finished when unchanged for this long."
    )
    rescan_seconds: float = Field(
        default=300.0, gt=0, description="Full rescan of the inbox, in case an event was lost."
    )
    polling: bool = Field(
        default=False, description="Poll instead of native events (NFS/SMB inboxes)."
    )
    poll_interval: float = Field(default=1.0, gt=0, description="Seconds between polls.")
    tick_seconds: float = Field(default=0.5, gt=0, description="Main loop period.")
    max_file_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Larger files are failed at once."
    )
    lost_after_seconds: float = Field(
        default=900.0,
        gt=0,
        description="A job started this long ago without a result is sent again "
        "(keep above the workers' task time limit plus retry backoff).",
    )
    heartbeat_file: Path = Field(default=Path("/tmp/newswire-ingest.heartbeat"))  # noqa: S108
    consumer_name: str = Field(
        default="ingest", description="Name in the results consumer group (one watcher/inbox)."
    )
