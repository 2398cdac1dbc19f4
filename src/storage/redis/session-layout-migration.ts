import type { Logger } from 'pino';
import type { Clock } from '../../shared/clock';
import { callStore } from './errors';
import type { RedisKeyspace } from './keyspace';
import { masterNodes, type RedisClient } from './redis-client';
import { scriptRunner } from './script-runner';
import { SESSION_EVENTS, sessionEventArguments } from './session.scripts';

/*
 * Earlier versions kept each session in a key of its own (`…{u:<id>}:s:<sessionId>`)
 * and indexed them in a sorted set under the name the sessions hash has now
 * (`…{u:<id>}:sessions`, session id → expiry). Opening the store moves every such user to
 * the hash, once: a marker key records that the whole keyspace was moved, so later starts
 * skip the scan. Processes of an older version must be stopped first: they would keep
 * writing the old layout (and fail on the new one).
 */

const SCAN_BATCH = 500;

/**
 * KEYS: sessions (a sorted set in the old layout), session events. ARGV: old session key
 * prefix, now ms, then the session event arguments. Moves the live sessions into the hash,
 * records those already expired as such, deletes the old keys; does nothing when the key
 * is no longer a sorted set (another process moved it). Returns the number moved.
 */
const MOVE_USER_SESSIONS = {
  name: 'sessionqlMoveUserSessions',
  numberOfKeys: 2,
  lua: `${SESSION_EVENTS}
local sessions, events = KEYS[1], KEYS[2]
local prefix, now = ARGV[1], tonumber(ARGV[2])
if redis.call('TYPE', sessions).ok ~= 'zset' then return 0 end
local entries = redis.call('ZRANGE', sessions, 0, -1, 'WITHSCORES')
redis.call('DEL', sessions)
local moved, latest = 0, 0
for i = 1, #entries, 2 do
  local id, expires_at = entries[i], tonumber(entries[i + 1])
  local raw = redis.call('GET', prefix .. id)
  redis.call('DEL', prefix .. id)
  if raw and expires_at > now then
    redis.call('HSET', sessions, id, raw)
    moved = moved + 1
    if expires_at > latest then latest = expires_at end
  else
    record_session_end(events, math.min(expires_at, now), id, EXPIRED, '')
  end
end
if latest > 0 then redis.call('PEXPIREAT', sessions, string.format('%d', latest)) end
finish_session_events(events, ARGV[3], ARGV[4], ARGV[5])
return moved
`,
};

export async function migrateSessionLayout(redis: RedisClient, keys: RedisKeyspace, clock: Clock, logger: Logger): Promise<void> {
  const marker = keys.sessionLayoutMarker();
  if ((await callStore(() => redis.get(marker))) === 'hash') return;
  const runScript = scriptRunner(redis, [MOVE_USER_SESSIONS]);
  let users = 0;
  let sessions = 0;
  for (const node of masterNodes(redis)) {
    let cursor = '0';
    do {
      const [next, found] = await callStore(() => node.scan(cursor, 'MATCH', keys.everyUsersSessions(), 'COUNT', SCAN_BATCH, 'TYPE', 'zset'));
      cursor = next;
      for (const key of found) {
        const userId = keys.userIdOfSessions(key);
        const now = clock.now().getTime();
        const moved = await callStore(() =>
          runScript(MOVE_USER_SESSIONS, [keys.sessions(userId), keys.sessionEvents(userId)], [keys.oldLayoutSessionKeyPrefix(userId), now, ...sessionEventArguments(now)]),
        );
        users++;
        sessions += moved as number;
      }
    } while (cursor !== '0');
  }
  await callStore(() => redis.set(marker, 'hash'));
  if (users > 0) logger.info({ users, sessions }, 'sessions moved to the per-user hash layout');
}
