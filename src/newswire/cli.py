"""The ``newswire`` command.

::

    newswire run --inbox DIR --results DIR [--workers N]   everything on one machine
    newswire ingest                                       the ingest service alone
    newswire worker                                       an enrichment worker alone
    newswire enrich FILE... --out DIR [--explain]         one-shot, no Redis
    newswire status [--json]                              waiting, running, done, failed
    newswire status --file NAME [--json]                  the jobs of a dropped file
    newswire stories [--recent|--largest] [--limit N]     stories, most recent first
    newswire story ID [--json]                            one story: articles, quotes
    newswire reprocess [JOB_ID...] [--name P] [--all]     enrich again from inbox/done/
    newswire health --heartbeat FILE --max-age S          container probe
    newswire schema [--write]                             JSON Schemas of the messages

Service commands read their settings from ``NEWSWIRE_*`` variables and ``REDIS_URL``; options
given here win. The ingest command never imports the enrichment package (no spaCy in its
image): each command imports what it needs when it runs.

Errors are one line on stderr: exit status 2 for a usage error (click's), 1 for anything that
goes wrong while running. ``newswire --debug ...`` or ``NEWSWIRE_LOG_LEVEL=DEBUG`` lets the
traceback through instead. Nothing printed contains a Redis password.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import IO, Any

import click
from pydantic import ValidationError

from newswire import __version__

_DATA_DIR = Path(".newswire")

#: The password part of ``scheme://user:password@`` in any text.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@")


class CliError(click.ClickException):
    """A command failed while running: printed as one ``newswire: ...`` line, exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the one line on stderr (or `file`)."""
        click.echo(f"newswire: {self.format_message()}", file=file, err=file is None)


def one_line(text: str) -> str:
    """`text` on one line, with any password in a URL replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>***@", " ".join(text.split()))


def error_line(error: Exception) -> str:
    """The one line a person reads for `error`, raised while a command ran."""
    if isinstance(error, ValidationError):
        from newswire_shared.settings import settings_error_line

        return one_line(settings_error_line(error))
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return one_line(f"{error.strerror}{where}")
    text = str(error)
    return one_line(text if text else type(error).__name__)


def _debugging(ctx: click.Context) -> bool:
    return bool(ctx.params.get("debug")) or (
        os.environ.get("NEWSWIRE_LOG_LEVEL", "").strip().upper() == "DEBUG"
    )


class _Commands(click.Group):
    """The command group: every error is one line, exit status 2 for usage and 1 at run time."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; print click's errors as one line instead of its usage block."""
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"newswire: {one_line(exc.format_message())}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"newswire: {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("newswire: aborted", err=True)
            sys.exit(1)
        except BrokenPipeError:  # `newswire schema | head`: the reader left; say nothing
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; errors other than click's become a :class:`CliError`."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except Exception as exc:
            if _debugging(ctx):
                raise
            raise CliError(error_line(exc)) from exc


def writable_dir(option: str, folder: Path) -> None:
    """Create `folder` if needed; raise a one-line :class:`CliError` if we cannot write there."""
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{option} {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"{option} {folder}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"{option} {folder}: not writable")


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="newswire")
@click.option(
    "--debug",
    is_flag=True,
    help="Show the full traceback of an error (as NEWSWIRE_LOG_LEVEL=DEBUG).",
)
def cli(debug: bool) -> None:
    """newswire: news articles dropped into a folder become structured, enriched records."""


@cli.command()
@click.option("--inbox", type=click.Path(path_type=Path), default=Path("inbox"), show_default=True)
@click.option(
    "--results", type=click.Path(path_type=Path), default=Path("results"), show_default=True
)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option(
    "--data", "data_dir", type=click.Path(path_type=Path), default=_DATA_DIR, show_default=True,
    help="Private Redis data (used when REDIS_URL is not set).",
)  # fmt: skip
@click.option("--polling", is_flag=True, help="Poll the inbox (network filesystems).")
@click.option("--stable-seconds", type=float, default=None, help="Quiet period of a file.")
@click.option("--log-level", default="WARNING", show_default=True)
def run(
    inbox: Path,
    results: Path,
    workers: int,
    data_dir: Path,
    polling: bool,
    stable_seconds: float | None,
    log_level: str,
) -> None:
    """Run the whole pipeline here: Redis, ingest and WORKERS enrichment processes."""
    from newswire.local import LocalOptions, run_local
    from newswire_shared.settings import CommonSettings

    url = os.environ.get("NEWSWIRE_REDIS_URL") or os.environ.get("REDIS_URL")
    if url is not None:
        CommonSettings(redis_url=url)  # refuse a malformed URL before starting anything
    for option, folder in (("--inbox", inbox), ("--results", results), ("--data", data_dir)):
        writable_dir(option, folder)
    options = LocalOptions(
        inbox=inbox,
        results=results,
        workers=workers,
        data_dir=data_dir,
        redis_url=url,
        polling=polling,
        stable_seconds=stable_seconds,
        log_level=log_level,
    )
    sys.exit(run_local(options))


@cli.command()
@click.option("--inbox", type=click.Path(path_type=Path), default=None)
@click.option("--polling/--no-polling", default=None)
def ingest(inbox: Path | None, polling: bool | None) -> None:
    """Run the ingest service (one per inbox)."""
    from newswire_ingest.cli import main
    from newswire_ingest.settings import IngestSettings

    overrides: dict[str, Any] = {"inbox": inbox, "polling": polling}
    settings = IngestSettings(**{k: v for k, v in overrides.items() if v is not None})
    writable_dir("--inbox", settings.inbox)
    main(settings)


@cli.command()
@click.option("--results", type=click.Path(path_type=Path), default=None)
@click.option("--concurrency", type=click.IntRange(1, 64), default=None)
def worker(results: Path | None, concurrency: int | None) -> None:
    """Run an enrichment worker (scale these out)."""
    from newswire_enrich.settings import WorkerSettings
    from newswire_enrich.worker import run_worker

    overrides: dict[str, Any] = {"results_dir": results, "concurrency": concurrency}
    settings = WorkerSettings(**{k: v for k, v in overrides.items() if v is not None})
    writable_dir("--results", settings.results_dir)
    run_worker(settings)


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--model", default=None, help="spaCy model package (default from settings).")
@click.option(
    "--explain",
    is_flag=True,
    help="Print why: removed text and its cleaning rule, each entity's type decisions, each "
    "quote's finding and speaker resolution (the results carry them too).",
)
def enrich(files: tuple[Path, ...], out_dir: Path, model: str | None, explain: bool) -> None:
    """Enrich FILES without Redis: one OUT/<name>.json per input."""
    from newswire_enrich.cli import enrich_files
    from newswire_enrich.nlp import ModelNotAvailableError
    from newswire_enrich.pipeline import Pipeline
    from newswire_enrich.settings import WorkerSettings
    from newswire_shared.logs import configure_logging

    settings = WorkerSettings()
    configure_logging(settings.log_level if explain else "WARNING", settings.log_format)
    writable_dir("--out", out_dir)
    pipeline = Pipeline(model or settings.spacy_model)
    if explain:  # the results carry their explanation too (NEWSWIRE_EXPLAIN for workers)
        pipeline.explain = True
    try:
        pipeline.setup()
    except ModelNotAvailableError as exc:
        named = "--model" if model else "NEWSWIRE_SPACY_MODEL"
        raise CliError(f"{named}: {exc}") from None
    outcomes = enrich_files(list(files), out_dir, pipeline, explain=explain)
    failed = [o for o in outcomes if o.error]
    for outcome in failed:
        click.echo(f"{outcome.path}: {outcome.error}", err=True)
    click.echo(f"{len(outcomes) - len(failed)} enriched, {len(failed)} failed -> {out_dir}")
    sys.exit(1 if failed else 0)


def _results_dir(results: Path | None) -> Path:
    """The results folder: ``--results``, else ``NEWSWIRE_RESULTS_DIR``, else ``results``
    (the workers' and ``newswire run``'s default)."""
    if results is not None:
        return results
    return Path(os.environ.get("NEWSWIRE_RESULTS_DIR") or "results")


def _redis_url(data_dir: Path) -> tuple[str, bool]:
    """The Redis URL of the pipeline and whether it was configured (``REDIS_URL``, or the
    private Redis of a ``newswire run`` on `data_dir`) rather than the default."""
    from newswire.local import url_file
    from newswire_shared.settings import CommonSettings

    env_url = os.environ.get("NEWSWIRE_REDIS_URL") or os.environ.get("REDIS_URL")
    if env_url:
        return env_url, True
    local = url_file(data_dir)
    if local.exists():
        return local.read_text().strip(), True
    return str(CommonSettings().redis_url), False


def _redis_failure(exc: Exception, client: Any, url: str, what: str) -> CliError | None:
    """The one-line error for a Redis error met by command `what`; None for other errors."""
    import redis

    from newswire_shared.redis_conn import auth_error, is_auth_error, redacted_url

    if is_auth_error(exc):
        return CliError(str(auth_error(client, exc, what)))
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return CliError(f"cannot reach Redis at {redacted_url(url)}: {exc}")
    return None


def _width(wide: int) -> int:
    """Columns of the terminal on stdout; `wide` when stdout is no terminal (a pipe, a file)."""
    import shutil

    return shutil.get_terminal_size((wide, 24)).columns if sys.stdout.isatty() else wide


def _story_client(data_dir: Path, what: str, folder: Path) -> Any:
    """A client of the pipeline's Redis, or None when it cannot be reached (the stories are
    then read from `folder`; said on stderr when a Redis was configured)."""
    import redis

    from newswire_shared.redis_conn import is_auth_error, redacted_url, redis_client
    from newswire_shared.settings import CommonSettings

    url, configured = _redis_url(data_dir)
    client = redis_client(CommonSettings(redis_url=url))
    try:
        client.ping()
    except redis.RedisError as exc:
        away = isinstance(exc, redis.ConnectionError | redis.TimeoutError)
        if is_auth_error(exc) or not away:  # refused credentials are no outage (ConnectionError)
            raise _redis_failure(exc, client, url, what) or exc from None
        if configured:
            line = one_line(f"Redis at {redacted_url(url)} not reachable ({exc}); reading {folder}")
            click.echo(f"newswire: {line}", err=True)
        return None
    return client


def _file_status(client: Any, keys: Any, name: str, results_dir: Path, as_json: bool) -> None:
    """Print the jobs of the dropped files called `name` (``status --file``)."""
    from newswire._story_store import StoryStore
    from newswire.lookup import find_jobs, find_rejected
    from newswire.status import file_reports, render_file_reports

    jobs = find_jobs(client, keys, name) + find_rejected(client, keys, name)
    if not jobs:
        raise CliError(f"no file '{name}' was queued or refused (see 'newswire status --help')")
    store = StoryStore(results_dir, client, keys)
    done = [j.job_id for j in jobs if j.job_id is not None and j.state == "done"]
    reports = file_reports(jobs, results_dir, store.stories_of_jobs(done))
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports]))
    else:
        click.echo(render_file_reports(reports))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=_DATA_DIR)
@click.option(
    "--file", "file_name", metavar="NAME", default=None,
    help="Show the jobs of the dropped file NAME instead: its name or its path below the "
    "inbox, or a glob pattern ('*.html', 'agency/*'): job id, state, result, story, failure.",
)  # fmt: skip
@click.option(
    "--results", type=click.Path(path_type=Path), default=None,
    help="Results folder, for --file (default NEWSWIRE_RESULTS_DIR, else ./results).",
)  # fmt: skip
def status(as_json: bool, data_dir: Path, file_name: str | None, results: Path | None) -> None:
    """Show jobs waiting in the queue, running in a worker, done and failed."""
    import redis

    from newswire.status import read_status
    from newswire_shared.keys import RedisKeys
    from newswire_shared.redis_conn import redis_client
    from newswire_shared.settings import CommonSettings

    settings = CommonSettings()
    url, _ = _redis_url(data_dir)
    client = redis_client(CommonSettings(redis_url=url))
    keys = RedisKeys(settings.key_prefix)
    try:
        if file_name is not None:
            _file_status(client, keys, file_name, _results_dir(results), as_json)
            return
        state = read_status(client, keys, settings.queue)
    except redis.RedisError as exc:
        raise _redis_failure(exc, client, url, "status") or exc from None
    if as_json:
        click.echo(json.dumps(state.as_dict()))
    else:
        click.echo(state.line() + f" | ingest {'alive' if state.ingest_alive else 'NOT SEEN'}")


@cli.command()
@click.option("--recent", "order", flag_value="recent", default=True, help="Most recent first.")
@click.option("--largest", "order", flag_value="largest", help="Most articles first.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option(
    "--results", type=click.Path(path_type=Path), default=None,
    help="Results folder (default NEWSWIRE_RESULTS_DIR, else ./results); stories are in its "
    "stories/ folder.",
)  # fmt: skip
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=_DATA_DIR)
def stories(order: str, limit: int, as_json: bool, results: Path | None, data_dir: Path) -> None:
    """List stories: id, articles, first and last seen, title, top entities."""
    import redis

    from newswire._story_store import StoryStore
    from newswire.stories_view import render_list, summarize
    from newswire_shared.keys import RedisKeys
    from newswire_shared.settings import CommonSettings

    results_dir = _results_dir(results)
    folder = results_dir / "stories"
    client = _story_client(data_dir, "stories", folder)
    store = StoryStore(results_dir, client, RedisKeys(CommonSettings().key_prefix))
    try:
        found = store.listing("largest" if order == "largest" else "recent", limit)
    except redis.RedisError as exc:
        url, _ = _redis_url(data_dir)
        raise _redis_failure(exc, client, url, "stories") or exc from None
    summaries = [summarize(story) for story in found]
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in summaries]))
    else:
        click.echo(render_list(summaries, width=_width(wide=160)))


@cli.command()
@click.argument("ident", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the story record as it is stored.")
@click.option(
    "--results", type=click.Path(path_type=Path), default=None,
    help="Results folder (default NEWSWIRE_RESULTS_DIR, else ./results).",
)  # fmt: skip
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=_DATA_DIR)
def story(ident: str, as_json: bool, results: Path | None, data_dir: Path) -> None:
    """Show the story ID (a story id, the id of a story merged into another, or a job id)."""
    import redis

    from newswire._story_store import StoryNotFoundError, StoryStore
    from newswire.stories_view import render_story
    from newswire_shared.keys import RedisKeys
    from newswire_shared.settings import CommonSettings

    results_dir = _results_dir(results)
    client = _story_client(data_dir, "story", results_dir / "stories")
    store = StoryStore(results_dir, client, RedisKeys(CommonSettings().key_prefix))
    try:
        found = store.resolve(ident)
    except StoryNotFoundError as exc:
        raise CliError(str(exc)) from None
    except redis.RedisError as exc:
        url, _ = _redis_url(data_dir)
        raise _redis_failure(exc, client, url, "story") or exc from None
    if found.via == "absorbed":
        click.echo(f"newswire: story {ident} was merged into {found.story.story_id}", err=True)
    elif found.via == "job":
        click.echo(f"newswire: job {ident} is in story {found.story.story_id}", err=True)
    if as_json:
        click.echo(found.text, nl=not found.text.endswith("\n"))
    else:
        click.echo(render_story(found.story, width=min(_width(wide=100), 120)))


@cli.command()
@click.argument("job_ids", nargs=-1, metavar="[JOB_ID]...")
@click.option(
    "--name", "pattern", metavar="PATTERN", default=None,
    help="The files of this name, path below the inbox or glob pattern ('*.html', 'agency/*').",
)  # fmt: skip
@click.option("--all", "everything", is_flag=True, help="Every file in the inbox's done/.")
@click.option("--dry-run", is_flag=True, help="List what would be queued; queue nothing.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=_DATA_DIR)
@click.option(
    "--inbox", type=click.Path(path_type=Path), default=None,
    help="The inbox whose done/ holds the originals (default NEWSWIRE_INBOX, else ./inbox).",
)  # fmt: skip
@click.option(
    "--results", type=click.Path(path_type=Path), default=None,
    help="Results folder (default NEWSWIRE_RESULTS_DIR, else ./results).",
)  # fmt: skip
def reprocess(
    job_ids: tuple[str, ...],
    pattern: str | None,
    everything: bool,
    dry_run: bool,
    data_dir: Path,
    inbox: Path | None,
    results: Path | None,
) -> None:
    """Enrich articles again from their originals in the inbox's done/ folder (after an
    upgrade or a model change): by JOB_ID, by --name or --all. The workers replace each
    result (revision 1, 2, ...) and update the stories. Exit status 1 if nothing is queued."""
    from collections.abc import Iterable

    import redis

    from newswire.reprocess import Line, Reprocessor, SelectionError, summary, task_sender
    from newswire_ingest.settings import IngestSettings
    from newswire_shared.keys import RedisKeys
    from newswire_shared.queueing import make_celery
    from newswire_shared.redis_conn import redis_client
    from newswire_shared.settings import CommonSettings

    if everything and (job_ids or pattern):
        raise click.UsageError("--all takes no JOB_ID and no --name")
    if not (everything or job_ids or pattern):
        raise click.UsageError("say which articles: JOB_ID..., --name PATTERN or --all")
    folder = inbox or Path(os.environ.get("NEWSWIRE_INBOX") or "inbox")
    if not (folder / "done").is_dir():
        raise CliError(f"--inbox {folder}: no done/ folder (where the originals are kept)")
    url, _ = _redis_url(data_dir)
    settings = CommonSettings(redis_url=url)
    client = redis_client(settings)
    tool = Reprocessor(
        client, RedisKeys(settings.key_prefix), folder / "done", _results_dir(results),
        IngestSettings().max_file_bytes,
    )  # fmt: skip
    shown: list[Line] = []
    try:
        lines: Iterable[Line] = tool.select(job_ids, pattern, everything=everything)
        if not dry_run:
            app = make_celery(settings, "newswire-reprocess")
            lines = tool.queue(lines, task_sender(app, settings.queue))
        for line in lines:
            click.echo(line.text(dry_run=dry_run))
            shown.append(line)
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    except redis.RedisError as exc:
        raise _redis_failure(exc, client, url, "reprocess") or exc from None
    click.echo(summary(shown, dry_run=dry_run))
    sys.exit(0 if any(line.status == "queued" for line in shown) else 1)


@cli.command()
@click.option("--heartbeat", type=click.Path(path_type=Path), required=True)
@click.option("--max-age", type=float, default=60.0, show_default=True)
def health(heartbeat: Path, max_age: float) -> None:
    """Exit 0 if HEARTBEAT was touched within MAX_AGE seconds (container probes)."""
    try:
        age = time.time() - heartbeat.stat().st_mtime
    except FileNotFoundError:
        click.echo(f"unhealthy: {heartbeat} does not exist", err=True)
        sys.exit(1)
    if age > max_age:
        click.echo(f"unhealthy: {heartbeat} is {age:.0f}s old (max {max_age:.0f}s)", err=True)
        sys.exit(1)
    click.echo(f"healthy: {heartbeat} is {age:.0f}s old")


@cli.command()
@click.option("--write", is_flag=True, help="Rewrite the exported files in the shared package.")
def schema(write: bool) -> None:
    """Print (or export) the JSON Schemas of ArticleJob, EnrichedArticle, FailureRecord."""
    from newswire_shared import schemas

    folder = Path(schemas.__file__).parent / "schemas"
    for name, model in schemas.EXPORTED_MODELS.items():
        text = schemas.json_schema_text(model)
        if write:
            folder.mkdir(exist_ok=True)
            (folder / f"{name}.schema.json").write_text(text, encoding="utf-8")
            click.echo(f"wrote {folder / f'{name}.schema.json'}")
        else:
            click.echo(text)


def main() -> None:
    """Entry point of the ``newswire`` script."""
    cli()
