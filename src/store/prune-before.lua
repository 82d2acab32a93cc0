--[[
  prune-before.lua: removes one bounded batch of a product's snapshots that are strictly older than
  a cutoff, oldest first: the hashes and their index entries go together or not at all.

  KEYS[1]   the product's time index (sorted set: member = snapshot key, score = epoch µs)
  ARGV[1]   cutoff, epoch microseconds; entries with a score < cutoff are removed (exclusive)
  ARGV[2]   most snapshots removed by this call (bounds the time Redis is busy)

  Returns the number removed; fewer than ARGV[2] means nothing older than the cutoff is left.
  The product stays in orderbook:products even when its index is left empty.
  The hashes deleted are found in the index, so they are not in KEYS: on Redis Cluster they carry
  the same hash tag as the index (keys.ts), so they are in the same slot.
]]

local old = redis.call('ZRANGE', KEYS[1], '-inf', '(' .. ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
if #old > 0 then
  redis.call('DEL', unpack(old))
  redis.call('ZREM', KEYS[1], unpack(old))
end
return #old
