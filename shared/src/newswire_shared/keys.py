"""Names of the Redis keys newswire owns, in one place.

=========================  ======  ======================================================
key                        type    what
=========================  ======  ======================================================
``{p}:job:{id}``           hash    state (queued/done/failed), filename, queued_ts,
                                  started_at, failure, refreshed_at (result file checked);
                                  revision, revision_queued, revised_at, revision_failure
                                  (``newswire reprocess``)
``{p}:published:{id}``     string  publication marker: set with the XADD, makes it once
``{p}:failed:{id}``        string  failure marker: the failure record is announced once
``{p}:deliveries:{id}``    string  how often a worker started the job (poison-message cap)
``...:{id}:r{n}``          string  the same three markers for revision ``n`` of a job
``{p}:revising:{id}``      string  lock held while a revision of the job is published
``{p}:results``            stream  one entry per published article (``job_id``, ``result``;
                                  ``revision`` too when re-enriched)
``{p}:failures``           stream  one entry per failed file (``job_id``, ``failure``)
``{p}:inflight``           set     job ids queued and not yet published or failed
``{p}:stats``              hash    counters: queued, done, failed, duplicates, revised,
                                  revise_failed
``{p}:ingest:alive``       string  heartbeat of the watcher loop (expires)
``{p}:names``              hash    file name below the inbox (``Source.path`` or
                                  ``Source.filename``) -> its job ids, space-separated,
                                  newest last (at most 8): ``newswire status --file``
``{p}:names:seen``         zset    the same names by when they were last queued: the
                                  oldest beyond 1,000,000 names are trimmed from both
                                  (:mod:`newswire_shared.name_index`)
``{p}:stories``            stream  story updates; ``{p}:stories:...``: the story index
                                  (``newswire_enrich.stories``):
                                  ``recent`` and ``size`` zsets, ``story:{id}`` and
                                  ``art:{job}`` hashes, ``absorbed:{id}`` strings;
                                  ``told:{job}[:r{n}]`` / ``left:{job}:r{n}`` markers of
                                  the stories stream entries
=========================  ======  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass

#: Celery task name of the enrichment job; ingest sends by name, it never imports enrich.
ENRICH_TASK = "newswire.enrich_article"

#: Consumer group through which ingest follows the results and failures streams.
INGEST_GROUP = "ingest"


@dataclass(frozen=True)
class RedisKeys:
    """Key names under one prefix."""

    prefix: str = "newswire"

    def job(self, job_id: str) -> str:
        """State hash of a job."""
        return f"{self.prefix}:job:{job_id}"

    def published(self, job_id: str) -> str:
        """Publication marker of a job."""
        return f"{self.prefix}:published:{job_id}"

    def failed(self, job_id: str) -> str:
        """Failure marker of a job: its failure record is announced once per attempt."""
        return f"{self.prefix}:failed:{job_id}"

    def deliveries(self, job_id: str) -> str:
        """Delivery counter of a job."""
        return f"{self.prefix}:deliveries:{job_id}"

    @property
    def results(self) -> str:
        """Stream of published results."""
        return f"{self.prefix}:results"

    @property
    def failures(self) -> str:
        """Stream of failure records."""
        return f"{self.prefix}:failures"

    @property
    def stories(self) -> str:
        """Stream of story updates (one entry per article added, see ``story_tracker``)."""
        return f"{self.prefix}:stories"

    @property
    def story_index(self) -> str:
        """Prefix of the story index keys (``{story_index}:art:{job id}``, ...)."""
        return f"{self.prefix}:stories"

    @property
    def inflight(self) -> str:
        """Set of job ids queued and not yet finished."""
        return f"{self.prefix}:inflight"

    @property
    def stats(self) -> str:
        """Counters hash."""
        return f"{self.prefix}:stats"

    @property
    def ingest_alive(self) -> str:
        """Heartbeat key of the ingest watcher."""
        return f"{self.prefix}:ingest:alive"

    @property
    def names(self) -> str:
        """Hash of file names (path below the inbox) to their job ids, newest last."""
        return f"{self.prefix}:names"

    @property
    def names_seen(self) -> str:
        """Sorted set of the file names in :attr:`names` by when they were last queued."""
        return f"{self.prefix}:names:seen"

    @property
    def stories_recent(self) -> str:
        """Sorted set of live story ids by their last event time (epoch seconds)."""
        return f"{self.story_index}:recent"

    @property
    def stories_size(self) -> str:
        """Sorted set of live story ids by their number of articles."""
        return f"{self.story_index}:size"

    def story(self, story_id: str) -> str:
        """Hash of a story in the index: ``first``, ``last``, ``n`` (articles)."""
        return f"{self.story_index}:story:{story_id}"

    def story_absorbed(self, story_id: str) -> str:
        """The id of the story that absorbed story `story_id` (a string key)."""
        return f"{self.story_index}:absorbed:{story_id}"

    def story_article(self, job_id: str) -> str:
        """Hash of an article in the story index; field ``story`` is its story id."""
        return f"{self.story_index}:art:{job_id}"
