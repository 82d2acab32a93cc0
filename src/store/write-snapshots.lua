--[[
  write-snapshots.lua: stores a batch of snapshots atomically, with optional retention.

  KEYS[1]          orderbook:products (set of product members)
  KEYS[2i]         snapshot hash of snapshot i (i = 1..n)
  KEYS[2i+1]       time index (sorted set) of snapshot i's product

  ARGV[1]          retention in microseconds; '0' keeps everything
  ARGV[2]          most index entries pruned per product per call (bounded work per write)
  then per snapshot i, 3 + 2F values:
    score          epoch microseconds of the key's timestamp
    member         the product's member in KEYS[1]
    F              the number of field/value pairs that follow (optional fields vary)
    F field/value pairs; the first three are sequence, bids, asks (compared on a key clash)

  Returns one integer per snapshot:
     1  written
     0  the same snapshot was already stored (idempotent retry; index and set are repaired)
    -1  a DIFFERENT snapshot already holds this key: nothing written, the caller picks another key
  and, as the last element, the number of old snapshots pruned by retention.

  Hash, index entry and set membership change together or not at all: Redis runs a script whole.
]]

local retention = tonumber(ARGV[1])
local prune_max = tonumber(ARGV[2])
local n = (#KEYS - 1) / 2
local results = {}
local pruned = 0
local newest = {}
local cursor = 3

for i = 1, n do
  local key = KEYS[2 * i]
  local index = KEYS[2 * i + 1]
  local score = ARGV[cursor]
  local member = ARGV[cursor + 1]
  local nfields = tonumber(ARGV[cursor + 2])
  local f = cursor + 3 -- first field name
  cursor = f + 2 * nfields

  local status = 1
  if redis.call('EXISTS', key) == 1 then
    local old = redis.call('HMGET', key, ARGV[f], ARGV[f + 2], ARGV[f + 4])
    if old[1] == ARGV[f + 1] and old[2] == ARGV[f + 3] and old[3] == ARGV[f + 5] then
      status = 0
    else
      status = -1
    end
  end

  if status ~= -1 then
    if status == 1 then
      redis.call('HSET', key, unpack(ARGV, f, f + 2 * nfields - 1))
    end
    redis.call('ZADD', index, score, key)
    redis.call('SADD', KEYS[1], member)
    if retention > 0 then
      local top = tonumber(score)
      if newest[index] == nil or top > newest[index] then newest[index] = top end
    end
  end
  results[i] = status
end

-- Retention on the write path, like a capped log: per index touched, drop what is older than
-- (newest entry - retention), at most prune_max entries per snapshot written, oldest first.
if retention > 0 then
  for index, top in pairs(newest) do
    local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
    if last[2] ~= nil and tonumber(last[2]) > top then top = tonumber(last[2]) end
    local cutoff = top - retention
    local old = redis.call('ZRANGE', index, '-inf', '(' .. string.format('%.0f', cutoff), 'BYSCORE', 'LIMIT', 0, prune_max)
    if #old > 0 then
      redis.call('DEL', unpack(old))
      redis.call('ZREM', index, unpack(old))
      pruned = pruned + #old
    end
  end
end

results[n + 1] = pruned
return results
