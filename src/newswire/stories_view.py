"""Stories as a person reads them in a terminal (``newswire stories``, ``newswire story``).

Pure functions from :class:`~newswire_shared.schemas.Story` records to text or plain dicts;
reading the records is :mod:`newswire._story_store`'s job.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from newswire_shared.schemas import QuoteCluster, Story, StoryArticle

#: Entities shown per story in the list, and in one story's view.
LIST_ENTITIES = 3
STORY_ENTITIES = 12
#: Quote clusters shown in one story's view (``--json`` has them all).
STORY_QUOTES = 20
#: Aliases shown per entity.
ALIASES = 4
#: Width used when the caller does not know the terminal's.
DEFAULT_WIDTH = 100


@dataclass(frozen=True)
class StorySummary:
    """One line of ``newswire stories``."""

    story_id: str
    articles: int
    first_seen: datetime
    last_seen: datetime
    title: str | None
    entities: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """The summary as plain JSON-ready values."""
        return {
            "story_id": self.story_id,
            "articles": self.articles,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "title": self.title,
            "entities": list(self.entities),
        }


def summarize(story: Story) -> StorySummary:
    """The list line of `story`: size, times, the title of its first article (the first that
    has one), its top entities."""
    return StorySummary(
        story_id=story.story_id,
        articles=len(story.articles),
        first_seen=story.first_seen,
        last_seen=story.last_seen,
        title=next((a.title for a in story.articles if a.title), None),
        entities=tuple(e.name for e in story.entities[:LIST_ENTITIES]),
    )


def when(moment: datetime) -> str:
    """`moment` as ``YYYY-MM-DD HH:MM`` in UTC (naive times are taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def clip(text: str, width: int) -> str:
    """`text` on one line, cut to `width` characters ending in ``...``."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(width - 3, 0)] + "..."


def render_list(summaries: Sequence[StorySummary], width: int = DEFAULT_WIDTH) -> str:
    """The table of ``newswire stories``: one line per story, its entities on the next."""
    if not summaries:
        return "no stories yet"
    head = f"{'STORY':<16}  {'ARTICLES':>8}  {'FIRST SEEN':<16}  {'LAST SEEN':<16}  "
    room = max(width - len(head), 20)
    lines = [head + "TITLE"]
    for s in summaries:
        lines.append(
            f"{s.story_id:<16}  {s.articles:>8}  {when(s.first_seen)}  {when(s.last_seen)}  "
            + clip(s.title or "(no title)", room)
        )
        if s.entities:
            lines.append(" " * len(head) + clip(", ".join(s.entities), room))
    return "\n".join(lines)


def article_date(article: StoryArticle) -> str:
    """The article's publication date (``YYYY-MM-DD``), else the day it was received."""
    if article.published:
        try:
            return when(datetime.fromisoformat(article.published))[:10]
        except ValueError:
            return article.published[:10]
    return when(article.received_at)[:10] if article.received_at else "????-??-??"


def outlets(articles: Sequence[StoryArticle]) -> list[str]:
    """The publishers of `articles`, each once, in order of appearance."""
    return list(dict.fromkeys(a.publisher for a in articles if a.publisher))


def _outlet_count(story: Story, cluster: QuoteCluster) -> int:
    """Distinct outlets carrying a quote cluster (an article without a publisher counts as one)."""
    publisher = {a.job_id: a.publisher for a in story.articles}
    return len({publisher.get(i.job_id) or f"job:{i.job_id}" for i in cluster.instances})


def _header(story: Story) -> list[str]:
    names = outlets(story.articles)
    unknown = sum(1 for a in story.articles if not a.publisher)
    if names:
        outlet_text = f"{len(names)} outlet{'s' if len(names) != 1 else ''}: " + ", ".join(names)
        if unknown:
            outlet_text += f" (and {unknown} article{'s' if unknown != 1 else ''} without one)"
    else:
        outlet_text = "no publisher known"
    n = len(story.articles)
    lines = [
        f"Story {story.story_id}: {n} article{'s' if n != 1 else ''}, {outlet_text}",
        f"first seen {when(story.first_seen)} UTC, last seen {when(story.last_seen)} UTC",
    ]
    if story.absorbed:
        lines.append("absorbed: " + ", ".join(story.absorbed))
    return lines


def _articles(story: Story, width: int) -> list[str]:
    publishers = [a.publisher or "-" for a in story.articles]
    pub_width = min(max((len(p) for p in publishers), default=1), 24)
    lines = [f"Articles ({len(story.articles)})"]
    for article, publisher in zip(story.articles, publishers, strict=True):
        prefix = f"  {article_date(article)}  {clip(publisher, pub_width):<{pub_width}}  "
        tail = f"  [{article.job_id}]"
        room = max(width - len(prefix) - len(tail), 20)
        lines.append(prefix + clip(article.title or "(no title)", room) + tail)
        if article.duplicate_of:
            score = f" ({article.similarity:.2f})" if article.similarity is not None else ""
            lines.append(" " * len(prefix) + f"duplicate of {article.duplicate_of}{score}")
    return lines


def _entities(story: Story, width: int) -> list[str]:
    shown = story.entities[:STORY_ENTITIES]
    lines = [f"Entities ({len(story.entities)})"]
    for e in shown:
        n = f"{e.articles} article{'s' if e.articles != 1 else ''}"
        line = f"{e.name} ({e.label}, {n})"
        aliases = [a for a in e.aliases if a != e.name][:ALIASES]
        if aliases:
            line += "; also " + ", ".join(aliases)
        lines.append("  " + clip(line, width - 2))
    if len(story.entities) > len(shown):
        lines.append(f"  ... {len(story.entities) - len(shown)} more (--json for all)")
    return lines


def _wrapped(text: str, width: int, indent: str) -> list[str]:
    return textwrap.wrap(
        text, width=max(width, 40), initial_indent=indent, subsequent_indent=indent + " "
    )


def _quote(story: Story, cluster: QuoteCluster, width: int) -> list[str]:
    publisher = {a.job_id: a.publisher for a in story.articles}
    first = next((i for i in cluster.instances if i.job_id == cluster.first_job_id), None)
    first = first or cluster.instances[0]
    n = _outlet_count(story, cluster)
    origin = publisher.get(cluster.first_job_id)
    first_in = f"{origin} [{cluster.first_job_id}]" if origin else f"[{cluster.first_job_id}]"
    speaker = cluster.speaker or first.speaker_name or "unknown speaker"
    lines = [
        f"  {cluster.id}  {speaker}: {n} outlet{'s' if n != 1 else ''}, first in {first_in}",
        *_wrapped(f'"{first.text}"', width, "      "),
    ]
    seen = {" ".join(first.text.split()).casefold()}
    for inst in cluster.instances:
        key = " ".join(inst.text.split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        who = publisher.get(inst.job_id) or f"[{inst.job_id}]"
        lines += _wrapped(f'{who}: "{inst.text}"', width, "      also ")
    return lines


def _quotes(story: Story, width: int) -> list[str]:
    shown = story.quotes[:STORY_QUOTES]
    lines = [f"Quotes ({len(story.quotes)} statements)"]
    for cluster in shown:
        lines += _quote(story, cluster, width)
    if len(story.quotes) > len(shown):
        lines.append(f"  ... {len(story.quotes) - len(shown)} more (--json for all)")
    return lines


def render_story(story: Story, width: int = DEFAULT_WIDTH) -> str:
    """One story for a terminal: header, articles, main entities, quote clusters."""
    parts = [_header(story), _articles(story, width), _entities(story, width)]
    if story.quotes:
        parts.append(_quotes(story, width))
    return "\n\n".join("\n".join(lines) for lines in parts)
