"""The one atomic step per article: record it, join or found its story, merge stories.

Runs as a Lua script (atomic on the Redis server). Arguments: the key prefix, the job id,
its event time, the retention in seconds, the article record as field/value pairs, the index
keys to add the article to, and the earlier articles it links to. Story ids are the job id of
the story's first article; when the linked articles belong to several stories, the one seen
first (event time, then id) survives and ``{p}:absorbed:{id}`` names it for every other.
Keys are built inside the script, so it runs on a single Redis server (not a cluster).
"""

from __future__ import annotations

ASSIGN = r"""
local p, job, t, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local nfields, nkeys, nlinks = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local i = 8
local function resolve(s)
  local seen = 0
  while true do
    local nxt = redis.call('GET', p .. ':absorbed:' .. s)
    if not nxt or seen > 1000 then return s end
    s = nxt
    seen = seen + 1
  end
end
local function widen(key, f, l)
  if f < tonumber(redis.call('HGET', key, 'first')) then redis.call('HSET', key, 'first', f) end
  if l > tonumber(redis.call('HGET', key, 'last')) then redis.call('HSET', key, 'last', l) end
end
local art = p .. ':art:' .. job
local existing = redis.call('HGET', art, 'story')
if existing then
  return {resolve(existing), {}}
end
local fields = {}
for k = 1, nfields * 2 do fields[k] = ARGV[i]; i = i + 1 end
local ikeys = {}
for k = 1, nkeys do ikeys[k] = ARGV[i]; i = i + 1 end
local stories, order = {}, {}
for k = 1, nlinks do
  local s = redis.call('HGET', p .. ':art:' .. ARGV[i], 'story')
  i = i + 1
  if s then
    s = resolve(s)
    if not stories[s] then
      stories[s] = tonumber(redis.call('HGET', p .. ':story:' .. s, 'first')) or t
      order[#order + 1] = s
    end
  end
end
local survivor, first = nil, nil
for _, s in ipairs(order) do
  local f = stories[s]
  if not survivor or f < first or (f == first and s < survivor) then
    survivor, first = s, f
  end
end
local absorbed = {}
if not survivor then
  survivor = job
  redis.call('HSET', p .. ':story:' .. job, 'first', t, 'last', t, 'n', 0)
end
local skey = p .. ':story:' .. survivor
for _, s in ipairs(order) do
  if s ~= survivor then
    local okey = p .. ':story:' .. s
    redis.call('SET', p .. ':absorbed:' .. s, survivor)
    redis.call('SUNIONSTORE', skey .. ':articles', skey .. ':articles', okey .. ':articles')
    local of = tonumber(redis.call('HGET', okey, 'first')) or t
    local ol = tonumber(redis.call('HGET', okey, 'last')) or t
    widen(skey, of, ol)
    redis.call('HSET', okey, 'absorbed_by', survivor)
    redis.call('DEL', okey .. ':articles')
    redis.call('SADD', skey .. ':absorbed', s)
    absorbed[#absorbed + 1] = s
  end
end
widen(skey, t, t)
redis.call('SADD', skey .. ':articles', job)
redis.call('HSET', skey, 'n', redis.call('SCARD', skey .. ':articles'))
redis.call('HSET', art, 'story', survivor, unpack(fields))
redis.call('EXPIRE', art, ttl)
for _, key in ipairs(ikeys) do
  redis.call('SADD', key, job)
  redis.call('EXPIRE', key, ttl)
end
redis.call('ZADD', p .. ':recent', redis.call('HGET', skey, 'last'), survivor)
for _, s in ipairs(absorbed) do redis.call('ZREM', p .. ':recent', s) end
return {survivor, absorbed}
"""
