"""A generated stream of news articles about events, for the story index at scale.

Deterministic for a seed. Every ``minutes`` one article arrives (received time, no
publication date). Its event is a new one (40%), one long-running event that runs through
the whole stream (5%: one story that keeps growing), or one of the 200 most recent events
(the rest). An event has a base text (400 words of a 30,000-word vocabulary), four actors
(people, organisations, a place) and a quote. Its articles are wire copies of the base text
(a few words changed, 35%) or rewrites (a random half of the base text and 150 words of
their own, 65%), so an event's first articles may form two stories that a later copy merges.
Articles also name two frequent entities (a country in 40% of articles, a news agency in 30%:
more than ``max_posting`` per bucket, so hot) and two random people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newswire_shared.schemas import (
    EnrichedArticle,
    Entity,
    MediaType,
    PipelineInfo,
    Quote,
    QuoteKind,
    Source,
    Speaker,
)

START = datetime(2024, 1, 1, tzinfo=UTC)
_VOCAB = [f"w{i}" for i in range(30_000)]
_PEOPLE = [f"Person{i} Surname{i}" for i in range(3_000)]
_ORGS = [f"Org{i} Group" for i in range(600)]
_PLACES = [f"Place{i}" for i in range(200)]


@dataclass(frozen=True)
class _Event:
    number: int
    words: list[str]
    actors: list[tuple[str, str]]
    quote: str


def _event(number: int, rng: random.Random) -> _Event:
    actors = [(rng.choice(_PEOPLE), "PERSON"), (rng.choice(_PEOPLE), "PERSON")]
    actors += [(rng.choice(_ORGS), "ORG"), (rng.choice(_PLACES), "GPE")]
    quote = " ".join(rng.choice(_VOCAB) for _ in range(12))
    return _Event(number, [rng.choice(_VOCAB) for _ in range(400)], actors, quote)


def _text(ev: _Event, rng: random.Random) -> str:
    if rng.random() < 0.35:  # wire copy
        words = [rng.choice(_VOCAB) if rng.random() < 0.03 else w for w in ev.words]
    else:  # rewrite: half of the base text, words of its own
        at = rng.randrange(0, len(ev.words) // 2)
        words = ev.words[at : at + len(ev.words) // 2]
        words += [rng.choice(_VOCAB) for _ in range(150)]
    return " ".join(words)


def _entities(ev: _Event, rng: random.Random) -> list[Entity]:
    named = [(n, lab, round(rng.uniform(0.3, 0.9), 3)) for n, lab in ev.actors]
    if rng.random() < 0.4:
        named.append(("Hotland", "GPE", 0.2))
    if rng.random() < 0.3:
        named.append(("Wire Agency", "ORG", 0.1))
    named += [(rng.choice(_PEOPLE), "PERSON", 0.05) for _ in range(2)]
    return [
        Entity(id=f"E{j}", name=n, label=lab, count=2, salience=s)
        for j, (n, lab, s) in enumerate(named)
    ]


def story_stream(
    n: int, seed: int = 5, minutes: float = 2.0
) -> tuple[list[EnrichedArticle], dict[str, int]]:
    """Return `n` articles in arrival order and each job id's event number (the gold)."""
    rng = random.Random(seed)
    events = [_event(0, rng)]
    recent: list[_Event] = []
    out: list[EnrichedArticle] = []
    gold: dict[str, int] = {}
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            ev = events[0]
        elif r < 0.45 or not recent:
            ev = _event(len(events), rng)
            events.append(ev)
            recent = [*recent[-199:], ev]
        else:
            ev = rng.choice(recent)
        job = f"{i:016x}"
        text = _text(ev, rng)
        when = START + timedelta(minutes=minutes * i)
        quotes = []
        if rng.random() < 0.5:
            speaker = Speaker(name=ev.actors[0][0], entity_id="E0")
            said = Quote(text=ev.quote, kind=QuoteKind.DIRECT, speaker=speaker, start=0, end=12)
            quotes.append(said)
        out.append(
            EnrichedArticle(
                job_id=job,
                source=Source(
                    filename=f"{job}.txt",
                    size=len(text),
                    sha256="0" * 64,
                    received_at=when,
                    media_type=MediaType.TEXT,
                ),
                text=text,
                entities=_entities(ev, rng),
                quotes=quotes,
                pipeline=PipelineInfo(newswire_version="bench"),
                enriched_at=when,
            )
        )
        gold[job] = ev.number
    return out, gold
