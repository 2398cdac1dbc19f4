import type { LuaScript } from './script-runner';

/*
 * A user's known devices are one hash, KEYS[1], of device id → encoded record (records.ts).
 * The hash expires with its longest-lived device; expired devices are dropped whenever a
 * script walks the hash.
 */

/**
 * KEYS: devices. ARGV: device id, record, expires-at ms, now ms, max devices, position of
 * lastUsedAt and of expiresAt in a record. Stores the device, drops expired ones, and over
 * the cap forgets the least recently used others. Returns the ids forgotten over the cap.
 */
export const REMEMBER_DEVICE: LuaScript = {
  name: 'sessionqlRememberDevice',
  numberOfKeys: 1,
  lua: `
local devices = KEYS[1]
local id, record, expires_at, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local max_devices, last_used_position, expires_position = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('HSET', devices, id, record)
local others = {}
local entries = redis.call('HGETALL', devices)
for i = 1, #entries, 2 do
  local other = entries[i]
  if other ~= id then
    local decoded = cjson.decode(entries[i + 1])
    if tonumber(decoded[expires_position]) <= now then
      redis.call('HDEL', devices, other)
    else
      table.insert(others, { id = other, last_used = tonumber(decoded[last_used_position]) })
    end
  end
end
local forgotten = {}
table.sort(others, function(a, b) return a.last_used < b.last_used end)
local count = #others + 1
local next_victim = 1
while count > max_devices and others[next_victim] do
  redis.call('HDEL', devices, others[next_victim].id)
  table.insert(forgotten, others[next_victim].id)
  count = count - 1
  next_victim = next_victim + 1
end
redis.call('PEXPIREAT', devices, expires_at, 'GT')
if redis.call('PTTL', devices) < 0 then redis.call('PEXPIREAT', devices, expires_at) end
return forgotten
`,
};

/**
 * KEYS: devices. ARGV: device id, record, expires-at ms, now ms, position of expiresAt in a
 * record. Rewrites a device that is still there and unexpired. Returns 1 or 0.
 */
export const TOUCH_DEVICE: LuaScript = {
  name: 'sessionqlTouchDevice',
  numberOfKeys: 1,
  lua: `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or tonumber(cjson.decode(current)[tonumber(ARGV[5])]) <= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3], 'GT')
return 1
`,
};
