"""The Lua side of the story index: lookup, commit and forget, each one atomic call.

Postings (see :mod:`._fields` for the fields): ``{p}:ix:{bucket}:{shard}`` (the shard: the
field's last byte modulo 4) is a hash whose field is a posting field and whose value is the
articles posted there as 4-byte big-endian sequence numbers, oldest first (``{p}:seq``
counts commits; ``{p}:sq:{seq // 128}`` maps a number back to its job id). A band field
keeps its newest ``band_read`` numbers; an entity or quote field that would pass
``max_posting`` becomes the one byte ``H`` (hot: an entity in every story that day says
nothing) and is skipped from then on. So every value read or written is bounded, whatever
the size of the index.

Arguments shared by LOOKUP and COMMIT (``ARGV``): prefix, job id, band_read, max_posting,
min_entities, the lookup buckets (separated by spaces), the fields (each after its length in
one byte, all in one string).

- LOOKUP (read only) then takes k, per_story and examine. It counts, per earlier article,
  the fields it shares with this one (each field once over the buckets), keeps those that
  could link (a band, or a quote trigram and an entity, or ``min_entities`` entities),
  ranks them (bands x4 + quote trigrams x2 + entities, newest first on ties), takes at most
  ``per_story`` per live story and ``k`` in all among the first ``examine``, and returns
  ``{'ok', seq, entries read, job, dup, features, job, dup, features, ...}``.
- COMMIT then takes the lookup's seq (-1: no check), event time, retention, the article's
  own buckets (separated by spaces), the number of linked job ids and those, the number of
  record fields and the record (field/value pairs). If an article that
  could link was committed after the lookup it returns ``{'retry'}`` (optimistic, no lock:
  only articles sharing this one's fields can force a retry). Otherwise it records the
  article, joins or founds its story, merges the linked stories (the one seen first
  survives; the smaller member set is moved into the larger) and posts the article:
  ``{'ok', story, 'absorbed ids separated by spaces'}``.
- FORGET (prefix, job id) removes an article from its postings, its story and the index.

An article already recorded makes LOOKUP and COMMIT return ``{'done', story, dup, sim,
linked, absorbed, comparisons}``: what the first assignment stored (redelivery). Keys are
built inside the scripts, so they run on a single Redis server (not a cluster).
"""

from __future__ import annotations

_COMMON = r"""
local p, job = ARGV[1], ARGV[2]
local art = p .. ':art:' .. job
local SHARDS = 4
local function shard(f) return string.byte(f, -1) % SHARDS end
local function ixkey(b, f) return p .. ':ix:' .. b .. ':' .. shard(f) end
local function u32(s, at)
  local a, b, c, d = string.byte(s, at, at + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function resolve(s)
  for _ = 1, 1000 do
    local nxt = redis.call('GET', p .. ':absorbed:' .. s)
    if not nxt then return s end
    s = nxt
  end
  return s
end
local function split_fields(blob)
  local out, at = {}, 1
  while at <= #blob do
    local len = string.byte(blob, at)
    out[#out + 1] = string.sub(blob, at + 1, at + len)
    at = at + 1 + len
  end
  return out
end
local function seq_bytes(seq)
  return string.char(math.floor(seq / 16777216) % 256, math.floor(seq / 65536) % 256,
    math.floor(seq / 256) % 256, seq % 256)
end
"""

_SCAN = r"""
local function stored()
  local r = redis.call('HMGET', art, 'story', 'dup', 'sim', 'linked', 'absorbed', 'cmp')
  return {'done', resolve(r[1]), r[2] or '', r[3] or '', r[4] or '', r[5] or '', r[6] or ''}
end
if redis.call('HEXISTS', art, 'story') == 1 then return stored() end
local band_read, max_posting = tonumber(ARGV[3]), tonumber(ARGV[4])
local min_entities = tonumber(ARGV[5])
local buckets, fields = {}, split_fields(ARGV[7])
for b in string.gmatch(ARGV[6], '%S+') do buckets[#buckets + 1] = b end
local nfields, i = #fields, 8
local SLOT = {b = 1, e = 2, q = 3}
local by_shard, slots = {}, {}  -- shard -> field numbers (one HMGET / HSET per bucket, shard)
for g = 1, nfields do
  slots[g] = SLOT[string.sub(fields[g], 1, 1)]
  local s = shard(fields[g])
  if not by_shard[s] then by_shard[s] = {} end
  by_shard[s][#by_shard[s] + 1] = g
end
local values = {}  -- values[bucket][field number] = posting value (false: none)
for _, b in ipairs(buckets) do
  local row = {}
  for s, numbers in pairs(by_shard) do
    local names = {}
    for k, g in ipairs(numbers) do names[k] = fields[g] end
    local got = redis.call('HMGET', p .. ':ix:' .. b .. ':' .. s, unpack(names))
    for k, g in ipairs(numbers) do row[g] = got[k] end
  end
  values[b] = row
end
local read = 0  -- posting entries read (the work of a call, reported by LOOKUP)
-- hits[seq] = {bands, entities, quote trigrams} shared with this article (seq > since)
local function scan(since)
  local hits, seen = {}, {}  -- seen[seq] = the field it was last counted for
  for g = 1, nfields do
    local slot = slots[g]
    for _, b in ipairs(buckets) do
      local v = values[b][g]
      if v and #v % 4 == 0 then
        local n = #v / 4
        local lo = 1
        if slot == 1 then
          if n > band_read then lo = n - band_read + 1 end
        elseif n > max_posting then
          lo = n + 1
        end
        for k = n, lo, -1 do
          local s = u32(v, 4 * k - 3)
          if since and s <= since then break end
          read = read + 1
          if seen[s] ~= g then
            seen[s] = g
            local h = hits[s]
            if not h then h = {0, 0, 0}; hits[s] = h end
            h[slot] = h[slot] + 1
          end
        end
      end
    end
  end
  return hits
end
local function could_link(h)
  return h[1] > 0 or (h[3] > 0 and h[2] > 0) or h[2] >= min_entities
end
"""

LOOKUP = (
    _COMMON
    + _SCAN
    + r"""
local k, per_story, examine = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
local seq = redis.call('GET', p .. ':seq') or '0'
local ranked = {}
for s, h in pairs(scan(nil)) do
  if could_link(h) then ranked[#ranked + 1] = {s, h[1] * 4 + h[3] * 2 + h[2]} end
end
table.sort(ranked, function(a, b)
  if a[2] ~= b[2] then return a[2] > b[2] end
  return a[1] > b[1]
end)
local out, per, taken = {'ok', seq, read}, {}, 0
for r = 1, math.min(#ranked, examine) do
  local s = ranked[r][1]
  local other = redis.call('HGET', p .. ':sq:' .. math.floor(s / 128), tostring(s % 128))
  if other and other ~= job then
    local key = p .. ':art:' .. other
    local row = redis.call('HMGET', key, 'story', 'dup')
    local live = row[1] and resolve(row[1])
    local c = live and per[live] or 0
    if live and c < per_story then
      local features = redis.call('HGET', key, 'f')  -- read only for those taken
      if features then
        per[live] = c + 1
        out[#out + 1] = other
        out[#out + 1] = row[2] or ''
        out[#out + 1] = features
        taken = taken + 1
        if taken >= k then break end
      end
    end
  end
end
return out
"""
)

COMMIT = (
    _COMMON
    + _SCAN
    + r"""
local since, t, ttl = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
i = i + 3
if since >= 0 then
  for _, h in pairs(scan(since)) do
    if could_link(h) then return {'retry'} end
  end
end
local own, links, rec = {}, {}, {}
for b in string.gmatch(ARGV[i], '%S+') do own[#own + 1] = b end
i = i + 1
for k = 1, tonumber(ARGV[i]) do links[k] = ARGV[i + k] end
i = i + 1 + #links
for k = 1, 2 * tonumber(ARGV[i]) do rec[k] = ARGV[i + k] end

local seq = redis.call('INCR', p .. ':seq')
local function live_of(s)
  local path = {}
  for _ = 1, 1000 do
    local nxt = redis.call('GET', p .. ':absorbed:' .. s)
    if not nxt then break end
    path[#path + 1] = s
    s = nxt
  end
  for k = 1, #path - 1 do redis.call('SET', p .. ':absorbed:' .. path[k], s) end
  return s
end
local function widen(key, f, l)
  if f < (tonumber(redis.call('HGET', key, 'first')) or f) then
    redis.call('HSET', key, 'first', f)
  end
  if l > (tonumber(redis.call('HGET', key, 'last')) or l) then
    redis.call('HSET', key, 'last', l)
  end
end
local stories, order = {}, {}
for _, l in ipairs(links) do
  local s = redis.call('HGET', p .. ':art:' .. l, 'story')
  if s then
    s = live_of(s)
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
if not survivor then
  survivor = job
  if redis.call('EXISTS', p .. ':story:' .. job, p .. ':absorbed:' .. job) > 0 then
    survivor = job .. '-' .. seq  -- a forgotten first article founding a story again
  end
  redis.call('HSET', p .. ':story:' .. survivor, 'first', t, 'last', t, 'n', 0)
end
local skey = p .. ':story:' .. survivor
local absorbed = {}
for _, s in ipairs(order) do
  if s ~= survivor then
    local okey = p .. ':story:' .. s
    local mine, theirs = skey .. ':articles', okey .. ':articles'
    if redis.call('SCARD', theirs) > redis.call('SCARD', mine) then
      for _, m in ipairs(redis.call('SMEMBERS', mine)) do redis.call('SADD', theirs, m) end
      redis.call('RENAME', theirs, mine)
    else
      for _, m in ipairs(redis.call('SMEMBERS', theirs)) do redis.call('SADD', mine, m) end
      redis.call('DEL', theirs)
    end
    widen(skey, tonumber(redis.call('HGET', okey, 'first')) or t,
      tonumber(redis.call('HGET', okey, 'last')) or t)
    redis.call('HINCRBY', skey, 'n', tonumber(redis.call('HGET', okey, 'n')) or 0)
    redis.call('HSET', okey, 'absorbed_by', survivor)
    redis.call('SET', p .. ':absorbed:' .. s, survivor)
    redis.call('SADD', skey .. ':absorbed', s)
    redis.call('ZREM', p .. ':recent', s)
    redis.call('ZREM', p .. ':size', s)
    absorbed[#absorbed + 1] = s
  end
end
widen(skey, t, t)
redis.call('SADD', skey .. ':articles', job)
local n = redis.call('HINCRBY', skey, 'n', 1)
local gone = table.concat(absorbed, ' ')
redis.call('HSET', art, 'story', survivor, 'seq', seq, 'absorbed', gone, 'ix', ARGV[7],
  'b', table.concat(own, ' '), unpack(rec))
redis.call('EXPIRE', art, ttl)
local chunk = p .. ':sq:' .. math.floor(seq / 128)
redis.call('HSET', chunk, tostring(seq % 128), job)
redis.call('EXPIRE', chunk, ttl)
local sb = seq_bytes(seq)
for _, b in ipairs(own) do
  for s, numbers in pairs(by_shard) do
    local pairs_ = {}
    for _, g in ipairs(numbers) do
      local v = values[b][g] or ''
      if #v % 4 == 0 then
        v = v .. sb
        if slots[g] == 1 then
          if #v > 4 * band_read then v = string.sub(v, -4 * band_read) end
        elseif #v > 4 * max_posting then
          v = 'H'
        end
        pairs_[#pairs_ + 1] = fields[g]
        pairs_[#pairs_ + 1] = v
      end
    end
    local key = p .. ':ix:' .. b .. ':' .. s
    if #pairs_ > 0 then redis.call('HSET', key, unpack(pairs_)) end
    redis.call('EXPIRE', key, ttl)
  end
end
redis.call('ZADD', p .. ':recent', redis.call('HGET', skey, 'last'), survivor)
redis.call('ZADD', p .. ':size', n, survivor)
return {'ok', survivor, gone}
"""
)

FORGET = (
    _COMMON
    + r"""
local r = redis.call('HMGET', art, 'story', 'seq', 'ix', 'b')
if not r[1] then return {} end
if r[2] and r[3] and r[4] then
  local seq = tonumber(r[2])
  local sb, fields = seq_bytes(seq), split_fields(r[3])
  for b in string.gmatch(r[4], '%S+') do
    for _, f in ipairs(fields) do
      local key = ixkey(b, f)
      local v = redis.call('HGET', key, f)
      if v and #v % 4 == 0 then
        for k = 1, #v / 4 do
          if string.sub(v, 4 * k - 3, 4 * k) == sb then
            v = string.sub(v, 1, 4 * k - 4) .. string.sub(v, 4 * k + 1)
            if #v == 0 then redis.call('HDEL', key, f) else redis.call('HSET', key, f, v) end
            break
          end
        end
      end
    end
  end
  redis.call('HDEL', p .. ':sq:' .. math.floor(seq / 128), tostring(seq % 128))
end
local live = resolve(r[1])
local skey = p .. ':story:' .. live
redis.call('SREM', skey .. ':articles', job)
local n = redis.call('HINCRBY', skey, 'n', -1)
if n <= 0 then
  -- no article left: the story and those it absorbed go (their ids may be founded again)
  local queue, q = {live}, 1
  while q <= #queue do
    local s = queue[q]
    q = q + 1
    local key = p .. ':story:' .. s
    for _, a in ipairs(redis.call('SMEMBERS', key .. ':absorbed')) do queue[#queue + 1] = a end
    redis.call('DEL', key, key .. ':articles', key .. ':absorbed')
    if s ~= live then redis.call('DEL', p .. ':absorbed:' .. s) end
  end
  redis.call('ZREM', p .. ':recent', live)
  redis.call('ZREM', p .. ':size', live)
  n = 0
else
  redis.call('ZADD', p .. ':size', n, live)
end
redis.call('DEL', art)
return {live, n}
"""
)
