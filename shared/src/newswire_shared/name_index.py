"""The file-name index: which jobs a dropped file's name was queued under.

Ingest records every file it queues, in the Redis pipeline that writes the job's state, as
one ``EVAL`` of :data:`RECORD_SCRIPT` per pipeline (no extra round trip):

- ``{p}:names`` (hash): field = the name below the inbox (``Source.path`` for a file in a
  sub-folder, else ``Source.filename``), value = its job ids separated by spaces, newest last,
  at most :data:`JOBS_PER_NAME` (a name dropped again with the same content moves its job to
  the end; older contents beyond the limit are forgotten).
- ``{p}:names:seen`` (sorted set): the same names scored by when they were last queued.
  When it holds more than :data:`NAMES_KEPT` names, the oldest are removed from both keys in
  the same script, so the index stays bounded (about 250 bytes a name: ~250 MB at the cap).

A lookup by exact name is one ``HGET``; a lookup by glob pattern is an ``HSCAN`` with
``MATCH`` over the hash (``newswire.lookup``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import ArticleJob, Source

#: Names kept in the index; the least recently queued beyond this are trimmed.
NAMES_KEPT = 1_000_000
#: Job ids kept per name (the newest).
JOBS_PER_NAME = 8

#: KEYS: names hash, seen zset. ARGV: now, names kept, jobs per name, then name, job id pairs.
RECORD_SCRIPT = """
local now, kept, per = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 4, #ARGV - 1, 2 do
  local name, job = ARGV[i], ARGV[i + 1]
  local ids = {}
  local old = redis.call('HGET', KEYS[1], name)
  if old then
    for id in string.gmatch(old, '%S+') do
      if id ~= job then ids[#ids + 1] = id end
    end
  end
  ids[#ids + 1] = job
  while #ids > per do table.remove(ids, 1) end
  redis.call('HSET', KEYS[1], name, table.concat(ids, ' '))
  redis.call('ZADD', KEYS[2], now, name)
end
local extra = redis.call('ZCARD', KEYS[2]) - kept
if extra > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[2], extra)
  for i = 1, #gone, 2 do redis.call('HDEL', KEYS[1], gone[i]) end
end
return 0
"""


def indexed_name(source: Source) -> str:
    """The name a file is indexed under: its path below the inbox, else its file name."""
    return source.path or source.filename


def record_names(
    pipe: Any,
    keys: RedisKeys,
    jobs: Iterable[ArticleJob],
    now: float,
    *,
    kept: int = NAMES_KEPT,
    per_name: int = JOBS_PER_NAME,
) -> None:
    """Add one command to `pipe` (a redis-py pipeline or client) recording the names of
    `jobs`, queued at `now` (epoch seconds); nothing when `jobs` is empty."""
    pairs = [item for job in jobs for item in (indexed_name(job.source), job.job_id)]
    if pairs:
        pipe.eval(
            RECORD_SCRIPT, 2, keys.names, keys.names_seen, f"{now:.3f}", kept, per_name, *pairs
        )
