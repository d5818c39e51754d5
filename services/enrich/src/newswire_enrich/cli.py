"""Command-line entry points of the enrichment package.

``enrich_files`` is the one-shot path (``newswire enrich FILE... --out DIR``): no Redis, the
same :class:`~newswire_enrich.pipeline.Pipeline` the workers run, one ``<name>.json`` per input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newswire_enrich.errors import BadInputError
from newswire_enrich.pipeline import Pipeline
from newswire_enrich.publish import pretty_json
from newswire_shared.errors import RejectedFileError
from newswire_shared.fileio import write_text_atomic
from newswire_shared.jobs import read_job
from newswire_shared.logs import get_logger
from newswire_shared.schemas import EnrichedArticle, Entity, Quote, RemovedText, TypeDecision

log = get_logger(__name__)

#: Files larger than this are refused by the one-shot command, as ingest does by default.
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file."""

    path: Path
    output: Path | None
    error: str | None = None


def enrich_files(
    paths: list[Path], out_dir: Path, pipeline: Pipeline, *, explain: bool = False
) -> list[FileOutcome]:
    """Enrich each file into ``out_dir/<name>.json``; bad files are reported, not raised."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pipeline.setup()
    outcomes = []
    written: set[Path] = set()
    for path in paths:
        try:
            job = read_job(path, max_bytes=MAX_BYTES)
            result = pipeline.enrich(job)
        except (RejectedFileError, BadInputError) as exc:
            outcomes.append(FileOutcome(path, None, f"{type(exc).__name__}: {exc}"))
            continue
        target = out_dir / f"{path.stem}.json"
        if target in written:
            target = out_dir / f"{path.name}.json"
        written.add(target)
        write_text_atomic(target, pretty_json(result))
        if explain:
            print(explain_result(result))
        outcomes.append(FileOutcome(path, target))
    return outcomes


def explain_result(result: EnrichedArticle) -> str:
    """Return a human report of a result and why it is so: the text cleaning removed (with
    its rule and reason), each entity with its type decisions (which pass, why), and each
    quote with the strategy that found it and how its speaker was resolved."""
    explanation = result.explanation
    lines = [f"== {result.source.filename}  title: {result.title!r}"]
    if explanation is not None:
        lines += _removed_lines(explanation.removed)
    lines += _entity_lines(result.entities, explanation.entity_types if explanation else [])
    lines += _quote_lines(result.quotes)
    return "\n".join(lines)


def _removed_lines(removed: list[RemovedText]) -> list[str]:
    return [f"  removed by cleaning: {len(removed)}"] + [
        f"    - [{r.rule} / {r.reason}] {_short(r.text)}" for r in removed
    ]


def _decision(d: TypeDecision) -> str:
    return f"{d.step}: {d.previous or '-'} -> {d.label or 'dropped'} ({d.reason})"


def _entity_lines(entities: list[Entity], decisions: list[TypeDecision]) -> list[str]:
    by_entity: dict[str | None, list[TypeDecision]] = {}
    for d in decisions:
        by_entity.setdefault(d.entity_id, []).append(d)
    lines = [f"  entities: {len(entities)}"]
    for e in entities:
        lines.append(f"    {e.id:>4} {e.label:7} {e.name!r} x{e.count} salience {e.salience:.2f}")
        lines += [f"           {_decision(d)}" for d in by_entity.pop(e.id, [])]
    dropped = [d for ds in by_entity.values() for d in ds]
    if dropped:
        lines.append("  names not kept as entities:")
        lines += [f"    {d.name!r} {_decision(d)}" for d in dropped]
    return lines


def _quote_lines(quotes: list[Quote]) -> list[str]:
    lines = [f"  quotes: {len(quotes)}"]
    for q in quotes:
        speaker = q.speaker.name if q.speaker.name is not None else "unknown"
        lines.append(
            f"    {q.kind.value:8} found by {q.found_by or q.rule or '-'}; speaker {speaker!r}"
            f" resolved by {q.resolved_by or '-'}; cue {q.cue!r}"
        )
        lines.append(f"             {_short(q.text)}")
    return lines


def _short(text: str, chars: int = 100) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= chars else flat[: chars - 1] + "…")
