"""Result types of the cleaning step."""

from __future__ import annotations

from dataclasses import dataclass, field

from newswire_enrich.decisions import Removal

__all__ = ["CleanedArticle", "Removal"]


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
