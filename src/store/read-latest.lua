--[[
  read-latest.lua: a product's newest snapshot in one round trip.

  KEYS[1]      the product's time index (sorted set of snapshot keys by epoch µs)
  ARGV[1..F]   the field names to read

  Returns {key, value1, …, valueF}, or an empty array when the index is empty. The snapshot key
  is read from the index inside the script, so it is not in KEYS: on Redis Cluster it carries the
  same hash tag as the index (keys.ts), so it is in the same slot.
]]

local last = redis.call('ZRANGE', KEYS[1], -1, -1)
if #last == 0 then return {} end
local values = redis.call('HMGET', last[1], unpack(ARGV))
local out = { last[1] }
for j = 1, #ARGV do out[j + 1] = values[j] end
return out
