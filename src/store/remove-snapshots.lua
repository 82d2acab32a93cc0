--[[
  remove-snapshots.lua: removes the given snapshots of ONE product after they were archived: each
  index entry and its hash go together or not at all. Only snapshots that are still in the index
  are touched, so a rerun, or a key that was never indexed, changes nothing.

  KEYS[1]     the product's time index (sorted set: member = snapshot key)
  KEYS[2..n]  snapshot hash keys of that product, all members of KEYS[1]; every key belongs to the
              one product, so under a Redis Cluster key scheme they share the index's hash slot
  (no ARGV)

  Returns the number of snapshots removed. The caller bounds n (a few hundred) so Redis is never
  blocked for long. The product stays in orderbook:products.
]]

local removed = 0
for i = 2, #KEYS do
  if redis.call('ZREM', KEYS[1], KEYS[i]) == 1 then
    redis.call('DEL', KEYS[i])
    removed = removed + 1
  end
end
return removed
