import { EMAIL_TOKEN_KIND_NAMES } from '../../account/email-token.model';
import { ACCOUNT_EVENTS } from './account-event.scripts';
import { END_SESSIONS_EXCEPT, EXPIRE_WITH_LAST_SESSION, SESSION_EVENTS, SESSION_FIELDS } from './session.scripts';
import type { LuaScript } from './script-runner';

/**
 * KEYS: user, account events. ARGV: expected record, new record, then accountEventArguments.
 * Compare-and-set, recording the events with the change; returns 1, or 0 on a lost race, -1 for no user.
 */
export const UPDATE_USER: LuaScript = {
  name: 'sessionqlUpdateUser',
  numberOfKeys: 2,
  lua: `${ACCOUNT_EVENTS}
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
record_account_events(KEYS[2], 3)
return 1
`,
};

/**
 * KEYS: user, sessions, session events. ARGV: expected record, new record, session to keep
 * ('' for none), now ms, reason code, actor id ('' for the system), then the session event
 * arguments. Compare-and-set of the user record (which
 * carries the credentialVersion the caller checked), only while the kept session is live,
 * and in the same step the end (and its record) of every other session. Returns the number
 * of sessions ended, or -1 for no user, -2 on a lost race, -3 when the kept session ended.
 */
export const REPLACE_PASSWORD: LuaScript = {
  name: 'sessionqlReplacePassword',
  numberOfKeys: 3,
  lua: `${SESSION_EVENTS}${SESSION_FIELDS}${END_SESSIONS_EXCEPT}${EXPIRE_WITH_LAST_SESSION}
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then return -2 end
local keep = ARGV[3]
if keep ~= '' then
  local kept = redis.call('HGET', KEYS[2], keep)
  if not kept or session_expires_at(kept) <= tonumber(ARGV[4]) then return -3 end
end
redis.call('SET', KEYS[1], ARGV[2])
local ended = end_sessions_except(KEYS[2], keep, ARGV[4], KEYS[3], ARGV[5], ARGV[6])
expire_with_last_session(KEYS[2])
finish_session_events(KEYS[3], ARGV[7], ARGV[8], ARGV[9])
return #ended
`,
};

/** KEYS: one key. ARGV: expected value. Deletes the key only if it holds that value. Returns 1 or 0. */
export const DELETE_IF_EQUAL: LuaScript = {
  name: 'sessionqlDeleteIfEqual',
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`,
};

/** KEYS: one key. ARGV: expected value, new value. Sets the key only if it holds the expected value. Returns 1 or 0. */
export const SET_IF_EQUAL: LuaScript = {
  name: 'sessionqlSetIfEqual',
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`,
};

/**
 * KEYS: user, sessions, session events, then the other keys of the user to erase: its
 * devices and its mailed token of each kind (DELETE_USER_KEY_COUNT in all). ARGV: now ms,
 * reason code, actor id ('' for the system), then the session event arguments. Ends (and records) every session, then deletes the user's keys; the audit trail
 * stays. Returns the number of sessions ended, or -1 for no user.
 */
export const DELETE_USER_KEY_COUNT = 4 + EMAIL_TOKEN_KIND_NAMES.length;

export const DELETE_USER: LuaScript = {
  name: 'sessionqlDeleteUser',
  numberOfKeys: DELETE_USER_KEY_COUNT,
  lua: `${SESSION_EVENTS}${SESSION_FIELDS}${END_SESSIONS_EXCEPT}
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local ended = end_sessions_except(KEYS[2], '', ARGV[1], KEYS[3], ARGV[2], ARGV[3])
finish_session_events(KEYS[3], ARGV[4], ARGV[5], ARGV[6])
redis.call('DEL', KEYS[1], KEYS[2])
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
return #ended
`,
};
