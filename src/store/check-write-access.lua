--[[
  check-write-access.lua: which commands of the write path (write-snapshots.lua) the current
  Redis user may NOT run on the keys it would touch, asked with redis.acl_check_cmd (Redis 7+),
  so that a user without write access is told at start and nothing is written.

  KEYS[1]   the product set
  KEYS[2]   a snapshot hash of the first product
  KEYS[3]   that product's time index
  ARGV      none

  Returns the names of the denied commands; empty when every one is allowed.
]]

local denied = {}
local function check(name, ...)
  if not redis.acl_check_cmd(name, ...) then denied[#denied + 1] = name end
end

check('EXISTS', KEYS[2])
check('HMGET', KEYS[2], 'sequence')
check('HSET', KEYS[2], 'sequence', '0')
check('ZADD', KEYS[3], '0', KEYS[2])
check('SADD', KEYS[1], 'm')
check('ZRANGE', KEYS[3], '0', '-1')
check('DEL', KEYS[2])
check('ZREM', KEYS[3], KEYS[2])
return denied
