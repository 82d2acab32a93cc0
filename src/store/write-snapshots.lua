--[[
  write-snapshots.lua: stores a batch of snapshots atomically, with optional retention.

  KEYS[1]          orderbook:products (set of product members), only when ARGV[3] is '1'
  KEYS[o+2i-1]     snapshot hash of snapshot i (i = 1..n); o = 1 with the product set, 0 without
  KEYS[o+2i]       time index (sorted set) of snapshot i's product

  ARGV[1]          retention in microseconds; '0' keeps everything
  ARGV[2]          most index entries pruned per product per call (bounded work per write)
  ARGV[3]          '1': add each product's member to KEYS[1] here (single Redis). '0': no product
                   set in this call (Redis Cluster: the set is in another slot, and the caller adds
                   the members with its own idempotent SADD)
  ARGV[4]          F: the number of fields every snapshot of this call has
  ARGV[5..4+F]     their names, once per call; the first three are compared on a key clash
  then per snapshot i, 4 + F + 2E values:
    score          epoch microseconds of the key's timestamp
    member         the product's member in the product set
    F values       in the order of the names above
    E              the number of extra field/value pairs that follow (optional fields)
    2E             extra field names and values

  Redis Cluster: every key of one call is in one slot (the caller groups snapshots by the slot of
  their product's hash tag, keys.ts). Retention deletes snapshot hashes it finds in an index, which
  are not in KEYS: they carry the same hash tag as that index, so they are in the same slot.

  Returns one integer per snapshot:
     1  written
     0  the same snapshot was already stored (idempotent retry; index and set are repaired)
    -1  a DIFFERENT snapshot already holds this key: nothing written, the caller picks another key
  and, as the last element, the number of old snapshots pruned by retention.

  Hash, index entry and set membership change together or not at all: Redis runs a script whole.
  (On a cluster the set membership is the caller's separate SADD: see ARGV[3].)
  Cost per snapshot is what the bench measures (bench/README.md): names travel once per call, not
  once per snapshot, the usual seven-field hash is set without building a Lua table, and the
  product set gets one SADD per call for all the products it touched.
]]

local retention = tonumber(ARGV[1])
local prune_max = tonumber(ARGV[2])
local register = ARGV[3] == '1'
local o = register and 1 or 0
local nf = tonumber(ARGV[4])
local n1, n2, n3, n4, n5, n6, n7 = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local n = (#KEYS - o) / 2
local results = {}
local pruned = 0
local newest = {}
local members = {}
local seen = {}
local cursor = 5 + nf

local function add_members()
  if register and #members > 0 then redis.call('SADD', KEYS[1], unpack(members)) end
  members = {}
end

for i = 1, n do
  local key = KEYS[o + 2 * i - 1]
  local index = KEYS[o + 2 * i]
  local score = ARGV[cursor]
  local member = ARGV[cursor + 1]
  local v = cursor + 2 -- first value
  local ne = tonumber(ARGV[v + nf])
  cursor = v + nf + 1 + 2 * ne

  local status = 1
  if redis.call('EXISTS', key) == 1 then
    local old = redis.call('HMGET', key, n1, n2, n3)
    if old[1] == ARGV[v] and old[2] == ARGV[v + 1] and old[3] == ARGV[v + 2] then
      status = 0
    else
      status = -1
    end
  end

  if status ~= -1 then
    if status == 1 then
      if nf == 7 and ne == 0 then
        redis.call('HSET', key, n1, ARGV[v], n2, ARGV[v + 1], n3, ARGV[v + 2], n4, ARGV[v + 3],
          n5, ARGV[v + 4], n6, ARGV[v + 5], n7, ARGV[v + 6])
      else
        local h = {}
        for j = 1, nf do
          h[2 * j - 1] = ARGV[4 + j]
          h[2 * j] = ARGV[v + j - 1]
        end
        for j = 1, 2 * ne do h[2 * nf + j] = ARGV[v + nf + j] end
        redis.call('HSET', key, unpack(h))
      end
    end
    redis.call('ZADD', index, score, key)
    if register and not seen[member] then
      seen[member] = true
      members[#members + 1] = member
      if #members >= 1000 then add_members() end
    end
    if retention > 0 then
      local top = tonumber(score)
      if newest[index] == nil or top > newest[index] then newest[index] = top end
    end
  end
  results[i] = status
end
add_members()

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
