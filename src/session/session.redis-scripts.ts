import type { LuaScript } from '../shared/redis-scripts';

/*
 * Every script works on one user's keys: the index KEYS[1] (a sorted set of session id →
 * idle expiry in ms) and session keys built from a prefix argument. All of them share the
 * user's hash tag, so each script is atomic on Redis Cluster as well.
 *
 * An index entry's score always equals its session key's PXAT: pruning by score removes
 * exactly the sessions that have expired. Times come from the caller's clock.
 */

/** Deletes the sessions (and index entries) whose expiry is at or before `now`; returns their ids. */
const PRUNE_EXPIRED = `
local function prune_expired(index, prefix, now)
  local expired = redis.call('ZRANGE', index, '-inf', now, 'BYSCORE')
  for _, id in ipairs(expired) do
    redis.call('DEL', prefix .. id)
  end
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  end
  return expired
end
`;

/** Ends every session in the index except `keep`; returns the ids of those that were still live. */
export const END_SESSIONS_EXCEPT = `
local function end_sessions_except(index, prefix, keep, now)
  local entries = redis.call('ZRANGE', index, 0, -1, 'WITHSCORES')
  local ended = {}
  for i = 1, #entries, 2 do
    local id, expires_at = entries[i], tonumber(entries[i + 1])
    if id ~= keep then
      redis.call('DEL', prefix .. id)
      redis.call('ZREM', index, id)
      if expires_at > tonumber(now) then
        table.insert(ended, id)
      end
    end
  end
  return ended
end
`;

/** The index lives exactly as long as its longest-lived session. */
const EXPIRE_INDEX_WITH_LAST_SESSION = `
local function expire_index_with_last_session(index)
  local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', index)
  else
    redis.call('PEXPIREAT', index, last[2])
  end
end
`;

/**
 * KEYS: index, session. ARGV: session id, record, expires-at ms, now ms, max sessions,
 * session key prefix, position of lastSeenAt in the record.
 * Returns the ids of sessions evicted because the user went over the cap.
 */
export const CREATE_SESSION: LuaScript = {
  name: 'sessionqlCreateSession',
  numberOfKeys: 2,
  lua: `${PRUNE_EXPIRED}${EXPIRE_INDEX_WITH_LAST_SESSION}
local index, key = KEYS[1], KEYS[2]
local id, record, expires_at, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local max_sessions, prefix, last_seen_position = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])

prune_expired(index, prefix, now)
redis.call('SET', key, record, 'PXAT', expires_at)
redis.call('ZADD', index, expires_at, id)

local evicted = {}
local count = redis.call('ZCARD', index)
if count > max_sessions then
  -- Least recently used first: sort the others by their lastSeenAt.
  local others = {}
  for _, other in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if other ~= id then
      local raw = redis.call('GET', prefix .. other)
      if raw then
        table.insert(others, { id = other, last_seen = cjson.decode(raw)[last_seen_position] })
      else
        redis.call('ZREM', index, other)
        count = count - 1
      end
    end
  end
  table.sort(others, function(a, b) return a.last_seen < b.last_seen end)
  local next_victim = 1
  while count > max_sessions and others[next_victim] do
    local victim = others[next_victim].id
    redis.call('DEL', prefix .. victim)
    redis.call('ZREM', index, victim)
    table.insert(evicted, victim)
    count = count - 1
    next_victim = next_victim + 1
  end
end

expire_index_with_last_session(index)
return evicted
`,
};

/**
 * KEYS: index, session. ARGV: session id, record, expires-at ms, now ms.
 * Rewrites a session that is still live (never one that ended or expired meanwhile).
 * Returns 1 or 0.
 */
export const TOUCH_SESSION: LuaScript = {
  name: 'sessionqlTouchSession',
  numberOfKeys: 2,
  lua: `
local index, key = KEYS[1], KEYS[2]
local id, record, expires_at, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local current_expiry = redis.call('ZSCORE', index, id)
if not current_expiry or tonumber(current_expiry) <= now or redis.call('EXISTS', key) == 0 then
  return 0
end
redis.call('SET', key, record, 'PXAT', expires_at)
redis.call('ZADD', index, expires_at, id)
redis.call('PEXPIREAT', index, expires_at, 'GT')
return 1
`,
};

/**
 * KEYS: index. ARGV: now ms, session key prefix.
 * Returns a flat list of id, record pairs for the live sessions, pruning the rest.
 */
export const LIST_SESSIONS: LuaScript = {
  name: 'sessionqlListSessions',
  numberOfKeys: 1,
  lua: `${PRUNE_EXPIRED}
local index, now, prefix = KEYS[1], ARGV[1], ARGV[2]
prune_expired(index, prefix, now)
local result = {}
for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  local raw = redis.call('GET', prefix .. id)
  if raw then
    table.insert(result, id)
    table.insert(result, raw)
  else
    redis.call('ZREM', index, id)
  end
end
return result
`,
};

/**
 * KEYS: index, session. ARGV: session id, now ms.
 * Returns 1 when a live session ended, 0 when there was none (or it had already expired).
 */
export const REVOKE_SESSION: LuaScript = {
  name: 'sessionqlRevokeSession',
  numberOfKeys: 2,
  lua: `
local index, key = KEYS[1], KEYS[2]
local id, now = ARGV[1], tonumber(ARGV[2])
local expires_at = redis.call('ZSCORE', index, id)
redis.call('ZREM', index, id)
local deleted = redis.call('DEL', key)
if deleted == 1 and expires_at and tonumber(expires_at) > now then
  return 1
end
return 0
`,
};

/**
 * KEYS: index. ARGV: session id to keep ('' for none), now ms, session key prefix.
 * Returns the ids of the live sessions that ended.
 */
export const REVOKE_USER_SESSIONS: LuaScript = {
  name: 'sessionqlRevokeUserSessions',
  numberOfKeys: 1,
  lua: `${END_SESSIONS_EXCEPT}${EXPIRE_INDEX_WITH_LAST_SESSION}
local index, keep, now, prefix = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local ended = end_sessions_except(index, prefix, keep, now)
expire_index_with_last_session(index)
return ended
`,
};

export { EXPIRE_INDEX_WITH_LAST_SESSION };
