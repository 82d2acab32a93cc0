--[[
  check-write-access.lua: which commands of the write path (write-snapshots.lua) the current
  Redis user may NOT run on the keys it would touch, asked with redis.acl_check_cmd (Redis 7+),
  so that a user without write access is told at start and nothing is written.

  KEYS[1]   the product set
  KEYS[2]   a snapshot hash of the first product
  KEYS[3]   that product's time index
  ARGV      none; on Redis Cluster the same three names come as ARGV[1..3] and KEYS is empty,
            since the product set is in another slot than the product's keys (nothing is read:
            acl_check_cmd only asks whether the user may run a command on those names)

  Returns the names of the denied commands; empty when every one is allowed.
]]

local products, snapshot, index = KEYS[1] or ARGV[1], KEYS[2] or ARGV[2], KEYS[3] or ARGV[3]
local denied = {}
local function check(name, ...)
  if not redis.acl_check_cmd(name, ...) then denied[#denied + 1] = name end
end

check('EXISTS', snapshot)
check('HMGET', snapshot, 'sequence')
check('HSET', snapshot, 'sequence', '0')
check('ZADD', index, '0', snapshot)
check('SADD', products, 'm')
check('ZRANGE', index, '0', '-1')
check('DEL', snapshot)
check('ZREM', index, snapshot)
return denied
