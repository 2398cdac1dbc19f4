import { SESSION_END_REASONS, type SessionEndReason } from '../../session/session-end-reason';
import { SESSION_EVENT_RETENTION } from '../../session/session.model';
import type { LuaScript } from './script-runner';

/*
 * Every script works on one user's keys: the index KEYS[1] (a sorted set of session id →
 * idle expiry in ms), session keys built from a prefix argument, and the session events.
 * All of them share the user's hash tag, so each script is atomic on Redis Cluster as well.
 *
 * An index entry's score always equals its session key's PXAT: pruning by score removes
 * exactly the sessions that have expired. Times come from the caller's clock.
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

local function record_expired(events, ids_and_scores)
  for i = 1, #ids_and_scores, 2 do
    record_session_end(events, ids_and_scores[i + 1], ids_and_scores[i], EXPIRED, '')
  end
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

/**
 * Deletes the sessions (and index entries) whose expiry is at or before `now` and records
 * them as expired at that expiry.
 */
const PRUNE_EXPIRED = `
local function prune_expired(index, prefix, now, events)
  local expired = redis.call('ZRANGE', index, '-inf', now, 'BYSCORE', 'WITHSCORES')
  for i = 1, #expired, 2 do
    redis.call('DEL', prefix .. expired[i])
  end
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  end
  record_expired(events, expired)
end
`;

/**
 * Ends every session in the index except `keep`, recording each end (one that had already
 * expired as such); returns the ids of those that were still live.
 */
export const END_SESSIONS_EXCEPT = `
local function end_sessions_except(index, prefix, keep, now, events, reason, actor)
  local entries = redis.call('ZRANGE', index, 0, -1, 'WITHSCORES')
  local ended = {}
  for i = 1, #entries, 2 do
    local id, expires_at = entries[i], entries[i + 1]
    if id ~= keep then
      redis.call('DEL', prefix .. id)
      redis.call('ZREM', index, id)
      if tonumber(expires_at) > tonumber(now) then
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

/** The index lives exactly as long as its longest-lived session. */
export const EXPIRE_INDEX_WITH_LAST_SESSION = `
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
 * KEYS: index, session, events, user. ARGV: session id, record, expires-at ms, now ms, max
 * sessions, session key prefix, position of lastSeenAt in the record, then the session
 * event arguments, then the credentialVersion the login verified, the position of the
 * second-factor-pending flag in the record, and 1 when the new session waits for a second
 * factor (0 otherwise). Returns the ids of sessions evicted because the user went over the
 * cap (those waiting for a second factor first, then the least recently used; a waiting
 * session ends only other waiting ones), or false (nil) when the user's credentialVersion
 * is not that one any more (or the user is gone): nothing is stored.
 */
export const CREATE_SESSION: LuaScript = {
  name: 'sessionqlCreateSession',
  numberOfKeys: 4,
  lua: `${SESSION_EVENTS}${PRUNE_EXPIRED}${EXPIRE_INDEX_WITH_LAST_SESSION}${CREDENTIAL_VERSION}
local index, key, events, user_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, record, expires_at, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local max_sessions, prefix, last_seen_position = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local pending_position, new_is_pending = tonumber(ARGV[12]), ARGV[13] == '1'

if credential_version(user_key) ~= tonumber(ARGV[11]) then return false end
prune_expired(index, prefix, now, events)
redis.call('SET', key, record, 'PXAT', expires_at)
redis.call('ZADD', index, expires_at, id)

local evicted = {}
local count = redis.call('ZCARD', index)
if count > max_sessions then
  -- Sessions waiting for a second factor first, then the least recently used; a waiting
  -- session (whose owner may be someone with the password alone) never ends a signed-in one.
  local others = {}
  local entries = redis.call('ZRANGE', index, 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    local other = entries[i]
    if other ~= id then
      local raw = redis.call('GET', prefix .. other)
      if raw then
        local decoded = cjson.decode(raw)
        local pending = decoded[pending_position] == 1
        if pending or not new_is_pending then
          table.insert(others, { id = other, last_seen = decoded[last_seen_position], pending = pending })
        end
      else
        -- Gone before its index entry said (expired by Redis' own clock).
        redis.call('ZREM', index, other)
        record_session_end(events, now, other, EXPIRED, '')
        count = count - 1
      end
    end
  end
  table.sort(others, function(a, b)
    if a.pending ~= b.pending then return a.pending end
    return a.last_seen < b.last_seen
  end)
  local next_victim = 1
  while count > max_sessions and others[next_victim] do
    local victim = others[next_victim].id
    redis.call('DEL', prefix .. victim)
    redis.call('ZREM', index, victim)
    record_session_end(events, now, victim, EVICTED_OVER_CAP, '')
    table.insert(evicted, victim)
    count = count - 1
    next_victim = next_victim + 1
  end
end

expire_index_with_last_session(index)
finish_session_events(events, ARGV[8], ARGV[9], ARGV[10])
return evicted
`,
};

/**
 * KEYS: index, session. ARGV: session id, expected record, new record, expires-at ms, now ms.
 * Rewrites a session that is still live (never one that ended or expired meanwhile) and still
 * holds the expected record. Returns 1 when rewritten, 2 when it holds another record, 0 when
 * it is gone.
 */
export const UPDATE_SESSION: LuaScript = {
  name: 'sessionqlUpdateSession',
  numberOfKeys: 2,
  lua: `
local index, key = KEYS[1], KEYS[2]
local id, expected, record, expires_at, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local current_expiry = redis.call('ZSCORE', index, id)
local current = redis.call('GET', key)
if not current_expiry or tonumber(current_expiry) <= now or not current then
  return 0
end
if current ~= expected then return 2 end
redis.call('SET', key, record, 'PXAT', expires_at)
redis.call('ZADD', index, expires_at, id)
redis.call('PEXPIREAT', index, expires_at, 'GT')
return 1
`,
};

/**
 * KEYS: index, events. ARGV: now ms, session key prefix, then the session event arguments.
 * Returns a flat list of id, record pairs for the live sessions, pruning (and recording)
 * the expired ones.
 */
export const LIST_SESSIONS: LuaScript = {
  name: 'sessionqlListSessions',
  numberOfKeys: 2,
  lua: `${SESSION_EVENTS}${PRUNE_EXPIRED}
local index, events, now, prefix = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
prune_expired(index, prefix, now, events)
local result = {}
for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  local raw = redis.call('GET', prefix .. id)
  if raw then
    table.insert(result, id)
    table.insert(result, raw)
  else
    -- Gone before its index entry said (expired by Redis' own clock).
    redis.call('ZREM', index, id)
    record_session_end(events, now, id, EXPIRED, '')
  end
end
finish_session_events(events, ARGV[3], ARGV[4], ARGV[5])
return result
`,
};

/**
 * KEYS: index, session, events. ARGV: session id, now ms, reason code, actor id ('' for the
 * system), then the session event arguments, then the secret hash the session must have
 * ('' for any).
 * Returns 1 when a live session ended, 0 when there was none, it had already expired
 * (which is then recorded as such), or its secret hash was another.
 */
export const REVOKE_SESSION: LuaScript = {
  name: 'sessionqlRevokeSession',
  numberOfKeys: 3,
  lua: `${SESSION_EVENTS}
local index, key, events = KEYS[1], KEYS[2], KEYS[3]
local id, now, reason, actor, required_secret_hash = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8]
if required_secret_hash ~= '' then
  local raw = redis.call('GET', key)
  if raw and cjson.decode(raw)[1] ~= required_secret_hash then return 0 end
end
local expires_at = redis.call('ZSCORE', index, id)
redis.call('ZREM', index, id)
local deleted = redis.call('DEL', key)
local ended = 0
if expires_at then
  if deleted == 1 and tonumber(expires_at) > tonumber(now) then
    record_session_end(events, now, id, reason, actor)
    ended = 1
  elseif tonumber(expires_at) <= tonumber(now) then
    record_session_end(events, expires_at, id, EXPIRED, '')
  else
    record_session_end(events, now, id, EXPIRED, '')
  end
end
finish_session_events(events, ARGV[5], ARGV[6], ARGV[7])
return ended
`,
};

/**
 * KEYS: index, events. ARGV: session id to keep ('' for none), now ms, session key prefix,
 * reason code, actor id ('' for the system), then the session event arguments.
 * Returns the ids of the live sessions that ended.
 */
export const REVOKE_USER_SESSIONS: LuaScript = {
  name: 'sessionqlRevokeUserSessions',
  numberOfKeys: 2,
  lua: `${SESSION_EVENTS}${END_SESSIONS_EXCEPT}${EXPIRE_INDEX_WITH_LAST_SESSION}
local index, events = KEYS[1], KEYS[2]
local keep, now, prefix, reason, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ended = end_sessions_except(index, prefix, keep, now, events, reason, actor)
expire_index_with_last_session(index)
finish_session_events(events, ARGV[6], ARGV[7], ARGV[8])
return ended
`,
};

