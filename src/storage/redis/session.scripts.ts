import { SESSION_END_REASONS, type SessionEndReason } from '../../session/session-end-reason';
import { SESSION_EVENT_RETENTION } from '../../session/session.model';
import { SESSION_LUA_POSITIONS } from './records';
import type { LuaScript } from './script-runner';

/*
 * Every script works on one user's keys: the sessions hash KEYS[1] (session id → record,
 * see records.ts) and the session events. Both share the user's hash tag, so each script is
 * atomic on Redis Cluster as well.
 *
 * One hash per user, not one key per session: Redis spends about 180 bytes on every key
 * (its name, entry, expiry entry and table slots), more than a third of what a session cost
 * as a key of its own plus an index entry. Redis (before 7.4) cannot expire a hash field,
 * so each record carries its expiry, every script treats a record whose expiry has passed
 * as gone, those that write prune such records, and the hash itself never expires before
 * its longest-lived session: a write extends it to the session it writes, and ending every
 * session but one cuts it back to that one. Times come from the caller's clock.
 */

/**
 * One letter per reason in the stored events (from the reasons table). With ids of 22
 * characters a member stays under 64 bytes (zset-max-listpack-value), so Redis keeps a
 * user's events in a compact listpack: about 60 bytes an event instead of about 180.
 */
const REASON_CODE = (reason: SessionEndReason): string => SESSION_END_REASONS[reason].storeCode;

/**
 * The user's audit trail, written in the same script as the end it records: a sorted set
 * of `<session id>|<reason code>|<actor id, empty for the system>` scored by the time the
 * session ended (a session ends once, so its id makes the member unique). Ids are base64url,
 * so `|` cannot occur inside a field. `finish_session_events` trims the set to the retention
 * window and the maximum length, and lets the key expire with its newest event.
 */
export const SESSION_EVENTS = `
local recorded_events = 0
local EXPIRED, EVICTED_OVER_CAP = '${REASON_CODE('expired')}', '${REASON_CODE('evicted_over_cap')}'

local function record_session_end(events, at, id, reason, actor)
  redis.call('ZADD', events, at, id .. '|' .. reason .. '|' .. actor)
  recorded_events = recorded_events + 1
end

local function finish_session_events(events, cutoff, expire_at, max_events)
  if recorded_events == 0 then return end
  redis.call('ZREMRANGEBYSCORE', events, '-inf', '(' .. cutoff)
  redis.call('ZREMRANGEBYRANK', events, 0, -(tonumber(max_events) + 1))
  redis.call('PEXPIREAT', events, expire_at)
end
`;

/**
 * The last three arguments of every script that can end sessions: events before `cutoff`
 * are dropped, the key expires at `expireAt`, and at most `max` are kept.
 */
export function sessionEventArguments(nowMillis: number): [cutoff: number, expireAt: number, max: number] {
  const retentionMillis = SESSION_EVENT_RETENTION.retentionSeconds * 1000;
  return [nowMillis - retentionMillis, nowMillis + retentionMillis, SESSION_EVENT_RETENTION.maxEventsPerUser];
}

/** Reading a record's fields in Lua. */
export const SESSION_FIELDS = `
local function session_expires_at(raw)
  return cjson.decode(raw)[${SESSION_LUA_POSITIONS.expiresAt}]
end
`;

/**
 * Deletes the records whose expiry is at or before `now`, recording each as expired at its
 * expiry; returns the live ones as a list of { id, raw, fields } (fields: the decoded record)
 * in no particular order.
 */
const PRUNE_EXPIRED = `
local function prune_expired(sessions, now, events)
  local entries = redis.call('HGETALL', sessions)
  local live = {}
  for i = 1, #entries, 2 do
    local id, raw = entries[i], entries[i + 1]
    local fields = cjson.decode(raw)
    local expires_at = fields[${SESSION_LUA_POSITIONS.expiresAt}]
    if expires_at <= tonumber(now) then
      redis.call('HDEL', sessions, id)
      record_session_end(events, expires_at, id, EXPIRED, '')
    else
      table.insert(live, { id = id, raw = raw, fields = fields })
    end
  end
  return live
end
`;

/**
 * Ends every session except `keep`, recording each end (one that had already expired as
 * such); returns the ids of those that were still live.
 */
export const END_SESSIONS_EXCEPT = `
local function end_sessions_except(sessions, keep, now, events, reason, actor)
  local entries = redis.call('HGETALL', sessions)
  local ended = {}
  for i = 1, #entries, 2 do
    local id = entries[i]
    if id ~= keep then
      local expires_at = session_expires_at(entries[i + 1])
      redis.call('HDEL', sessions, id)
      if expires_at > tonumber(now) then
        table.insert(ended, id)
        record_session_end(events, now, id, reason, actor)
      else
        record_session_end(events, expires_at, id, EXPIRED, '')
      end
    end
  end
  return ended
end
`;

/**
 * Makes the hash live at least until `expires_at` (a session written with that expiry); a
 * hash that has no expiry yet (just created) gets this one.
 */
const EXTEND_EXPIRY = `
local function extend_expiry(sessions, expires_at)
  if redis.call('PTTL', sessions) < 0 then
    redis.call('PEXPIREAT', sessions, expires_at)
  else
    redis.call('PEXPIREAT', sessions, expires_at, 'GT')
  end
end
`;

/**
 * After sessions ended: the hash lives exactly as long as its longest-lived session (Redis
 * deletes an empty hash itself).
 */
export const EXPIRE_WITH_LAST_SESSION = `
local function expire_with_last_session(sessions)
  local latest = 0
  for _, raw in ipairs(redis.call('HVALS', sessions)) do
    local expires_at = session_expires_at(raw)
    if expires_at > latest then latest = expires_at end
  end
  if latest > 0 then redis.call('PEXPIREAT', sessions, string.format('%d', latest)) end
end
`;

/**
 * The user record's credentialVersion (a JSON field; 0 when the record predates it), or
 * nil for no user.
 */
export const CREDENTIAL_VERSION = `
local function credential_version(user_key)
  local raw = redis.call('GET', user_key)
  if not raw then return nil end
  return tonumber(cjson.decode(raw).credentialVersion) or 0
end
`;

/**
 * KEYS: sessions, events, user. ARGV: session id, record, now ms, max sessions, then the
 * session event arguments, then the credentialVersion the login verified, 1 when the new
 * session waits for a second factor (0 otherwise), and the new session's expiry in ms. Returns the ids of sessions evicted
 * because the user went over the cap (those waiting for a second factor first, then the
 * least recently used; a waiting session ends only other waiting ones), or false (nil) when
 * the user's credentialVersion is not that one any more (or the user is gone): nothing is
 * stored.
 */
export const CREATE_SESSION: LuaScript = {
  name: 'sessionqlCreateSession',
  numberOfKeys: 3,
  lua: `${SESSION_EVENTS}${PRUNE_EXPIRED}${EXTEND_EXPIRY}${CREDENTIAL_VERSION}
local sessions, events, user_key = KEYS[1], KEYS[2], KEYS[3]
local id, record, now, max_sessions = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local new_is_pending = ARGV[9] == '1'

if credential_version(user_key) ~= tonumber(ARGV[8]) then return false end
local live = prune_expired(sessions, now, events)
redis.call('HSET', sessions, id, record)

local evicted = {}
local count = #live + 1
if count > max_sessions then
  -- Sessions waiting for a second factor first, then the least recently used; a waiting
  -- session (whose owner may be someone with the password alone) never ends a signed-in one.
  local candidates = {}
  for _, other in ipairs(live) do
    if other.id ~= id then
      local pending = other.fields[${SESSION_LUA_POSITIONS.secondFactorPending}] == 1
      if pending or not new_is_pending then
        table.insert(candidates, { id = other.id, last_seen = other.fields[${SESSION_LUA_POSITIONS.lastSeenAt}], pending = pending })
      end
    end
  end
  table.sort(candidates, function(a, b)
    if a.pending ~= b.pending then return a.pending end
    return a.last_seen < b.last_seen
  end)
  local next_victim = 1
  while count > max_sessions and candidates[next_victim] do
    local victim = candidates[next_victim].id
    redis.call('HDEL', sessions, victim)
    record_session_end(events, now, victim, EVICTED_OVER_CAP, '')
    table.insert(evicted, victim)
    count = count - 1
    next_victim = next_victim + 1
  end
end

-- Ending sessions never needs the hash to live longer: it already outlives every one of them.
extend_expiry(sessions, ARGV[10])
finish_session_events(events, ARGV[5], ARGV[6], ARGV[7])
return evicted
`,
};

/**
 * KEYS: sessions, user. ARGV: session id. Returns the session's record (or nil) and the user
 * record (or nil): what every authenticated request reads, in one round trip.
 */
export const READ_SESSION_WITH_USER: LuaScript = {
  name: 'sessionqlReadSessionWithUser',
  numberOfKeys: 2,
  lua: `return { redis.call('HGET', KEYS[1], ARGV[1]), redis.call('GET', KEYS[2]) }`,
};

/**
 * KEYS: sessions. ARGV: session id, expected record, new record, expires-at ms, now ms.
 * Rewrites a session that is still live (never one that ended or expired meanwhile) and still
 * holds the expected record. Returns 1 when rewritten, 2 when it holds another record, 0 when
 * it is gone.
 */
export const UPDATE_SESSION: LuaScript = {
  name: 'sessionqlUpdateSession',
  numberOfKeys: 1,
  lua: `${SESSION_FIELDS}${EXTEND_EXPIRY}
local sessions = KEYS[1]
local id, expected, record, expires_at, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local current = redis.call('HGET', sessions, id)
if not current or session_expires_at(current) <= now then return 0 end
if current ~= expected then return 2 end
redis.call('HSET', sessions, id, record)
extend_expiry(sessions, expires_at)
return 1
`,
};

/**
 * KEYS: sessions, events. ARGV: now ms, then the session event arguments. Returns a flat
 * list of id, record pairs for the live sessions, pruning (and recording) the expired ones.
 */
export const LIST_SESSIONS: LuaScript = {
  name: 'sessionqlListSessions',
  numberOfKeys: 2,
  lua: `${SESSION_EVENTS}${PRUNE_EXPIRED}
local sessions, events, now = KEYS[1], KEYS[2], ARGV[1]
local result = {}
for _, session in ipairs(prune_expired(sessions, now, events)) do
  table.insert(result, session.id)
  table.insert(result, session.raw)
end
finish_session_events(events, ARGV[2], ARGV[3], ARGV[4])
return result
`,
};

/**
 * KEYS: sessions, events. ARGV: session id, now ms, reason code, actor id ('' for the
 * system), then the session event arguments, then the secret hash the session must have
 * ('' for any).
 * Returns 1 when a live session ended, 0 when there was none, it had already expired
 * (which is then recorded as such), or its secret hash was another.
 */
export const REVOKE_SESSION: LuaScript = {
  name: 'sessionqlRevokeSession',
  numberOfKeys: 2,
  lua: `${SESSION_EVENTS}
local sessions, events = KEYS[1], KEYS[2]
local id, now, reason, actor, required_secret_hash = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[8]
local raw = redis.call('HGET', sessions, id)
if not raw then return 0 end
local decoded = cjson.decode(raw)
if required_secret_hash ~= '' and decoded[${SESSION_LUA_POSITIONS.secretHash}] ~= required_secret_hash then return 0 end
redis.call('HDEL', sessions, id)
local expires_at = decoded[${SESSION_LUA_POSITIONS.expiresAt}]
local ended = 0
if expires_at > now then
  record_session_end(events, now, id, reason, actor)
  ended = 1
else
  record_session_end(events, expires_at, id, EXPIRED, '')
end
finish_session_events(events, ARGV[5], ARGV[6], ARGV[7])
return ended
`,
};

/**
 * KEYS: sessions, events. ARGV: session id to keep ('' for none), now ms, reason code,
 * actor id ('' for the system), then the session event arguments.
 * Returns the ids of the live sessions that ended.
 */
export const REVOKE_USER_SESSIONS: LuaScript = {
  name: 'sessionqlRevokeUserSessions',
  numberOfKeys: 2,
  lua: `${SESSION_EVENTS}${SESSION_FIELDS}${END_SESSIONS_EXCEPT}${EXPIRE_WITH_LAST_SESSION}
local sessions, events = KEYS[1], KEYS[2]
local keep, now, reason, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ended = end_sessions_except(sessions, keep, now, events, reason, actor)
expire_with_last_session(sessions)
finish_session_events(events, ARGV[5], ARGV[6], ARGV[7])
return ended
`,
};
