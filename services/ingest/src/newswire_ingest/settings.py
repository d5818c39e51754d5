"""Settings of the ingest service (environment variables prefixed ``NEWSWIRE_``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from newswire_shared.settings import CommonSettings, metrics_port_field


class IngestSettings(CommonSettings):
    """Where the inbox is and how it is watched."""

    inbox: Path = Field(default=Path("inbox"), description="Folder people drop articles into.")
    stable_seconds: float = Field(
        default=2.0, gt=0, description="A file is finished when unchanged for this long."
    )
    settle_seconds: float = Field(
        default=0.3,
        gt=0,
        description="A file announced complete by native events (closed after writing, or "
        "renamed into the inbox) is finished when nothing happened to it for this long (at "
        "most stable_seconds); one written again after that waits stable_seconds.",
    )
    rescan_seconds: float = Field(
        default=300.0, gt=0, description="Full rescan of the inbox, in case an event was lost."
    )
    polling: bool = Field(
        default=False, description="Poll instead of native events (NFS/SMB inboxes)."
    )
    poll_interval: float = Field(default=1.0, gt=0, description="Seconds between polls.")
    recursive: bool = Field(
        default=False,
        description="Take files from sub-folders of the inbox too (their path inside the inbox "
        "is kept in source.path); otherwise sub-folders are left alone.",
    )
    ignore: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Globs of names or paths inside the inbox to leave alone, like junk "
        "('a*.txt,drafts/**': comma-separated, or a JSON list).",
    )
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
    metrics_port: int = metrics_port_field(9101)

    @field_validator("ignore", mode="before")
    @classmethod
    def _split_globs(cls, value: object) -> object:
        """Accept ``a*.txt,drafts/**`` (the environment's form) as well as a JSON list."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
