--[[
  read-snapshots.lua: the stored fields of many snapshot hashes in one call.

  KEYS[1..n]   snapshot hashes (a page of a time index); on Redis Cluster all in one slot (the
               caller groups keys by slot; a page of one index is one slot, keys.ts)
  ARGV[1..F]   the field names to read, in the order the caller wants them

  Returns a flat array of n * F values (false for a missing field or a hash that is gone).

  One command per page instead of one HGETALL per snapshot: Redis does the same work, the client
  decodes one reply instead of hundreds, and field names do not travel back with every value.
]]

local out = {}
local n = 0
local nf = #ARGV
for i = 1, #KEYS do
  local values = redis.call('HMGET', KEYS[i], unpack(ARGV))
  for j = 1, nf do
    n = n + 1
    out[n] = values[j]
  end
end
return out
