"""Result types of the cleaning step."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removal:
    """One line the cleaner dropped, and why (for debugging and audits)."""

    line: str
    reason: str


@dataclass(frozen=True)
class CleanedArticle:
    """A cleaned article: body text plus the metadata found around it."""

    title: str | None
    text: str
    authors: tuple[str, ...] = ()
    publisher: str | None = None
    published: str | None = None
    language: str | None = None
    url: str | None = None
    removed: tuple[Removal, ...] = field(default_factory=tuple)
