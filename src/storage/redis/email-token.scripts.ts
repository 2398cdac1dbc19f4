import type { LuaScript } from './script-runner';

/**
 * KEYS: the user's token key of one kind. ARGV: token id, secret hash, now ms. A token is an
 * encoded record (records.ts) at positions 1 (id), 2 (secret hash), 3 (expires-at ms).
 * Returns the record and deletes it when it is that token and unexpired; nil otherwise, and
 * then leaves it (a wrong guess does not burn the right token).
 */
export const CONSUME_EMAIL_TOKEN: LuaScript = {
  name: 'sessionqlConsumeEmailToken',
  numberOfKeys: 1,
  lua: `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local token = cjson.decode(raw)
if token[1] ~= ARGV[1] or token[2] ~= ARGV[2] or tonumber(token[3]) <= tonumber(ARGV[3]) then return false end
redis.call('DEL', KEYS[1])
return raw
`,
};
