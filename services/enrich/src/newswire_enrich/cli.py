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
from newswire_shared.schemas import EnrichedArticle

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
    """Return a compact human report of a result: title, entities, quotes and their rules."""
    lines = [f"== {result.source.filename}  title: {result.title!r}"]
    lines += [
        f"  entity {e.label:7} {e.name!r} x{e.count} salience {e.salience:.2f}"
        for e in result.entities
    ]
    lines += [
        f"  quote  {q.kind.value:8} [{q.rule}] speaker {q.speaker.name!r} cue {q.cue!r}: "
        f"{q.text[:90]!r}"
        for q in result.quotes
    ]
    return "\n".join(lines)
