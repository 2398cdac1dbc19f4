import type { Clock } from '../shared/clock';
import type { RedisClient } from '../shared/redis-client';
import { callStore } from '../shared/redis-errors';
import type { RedisKeyspace } from '../shared/redis-keyspace';
import { scriptRunner, type LuaScript, type ScriptRunner } from '../shared/redis-scripts';
import { END_SESSIONS_EXCEPT, EXPIRE_INDEX_WITH_LAST_SESSION, SESSION_EVENTS, sessionEventArguments } from '../session/session.redis-scripts';
import type { Role } from './role';
import { normalizeEmail, type CreateUserResult, type UserRecord, type UserStore } from './user.store';

interface EncodedUser {
  id: string;
  email: string;
  displayName: string;
  roles: Role[];
  passwordHash: string;
  createdAt: number;
}

export function encodeUserRecord(user: UserRecord): string {
  const encoded: EncodedUser = { ...user, createdAt: user.createdAt.getTime() };
  return JSON.stringify(encoded);
}

export function decodeUserRecord(raw: string): UserRecord {
  const encoded = JSON.parse(raw) as EncodedUser;
  return { ...encoded, createdAt: new Date(encoded.createdAt) };
}

/** KEYS: user. ARGV: expected record, new record. Compare-and-set; returns 1, or 0 on a lost race, -1 for no user. */
const UPDATE_USER: LuaScript = {
  name: 'sessionqlUpdateUser',
  numberOfKeys: 1,
  lua: `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`,
};

/**
 * KEYS: user, session index, session events. ARGV: expected record, new record, session to
 * keep, now ms, session key prefix, the user's id (the actor), then the session event
 * arguments. Compare-and-set of the user record, and in the same step the end (and its
 * record, as password_change) of every other session. Returns the number of sessions
 * ended, or -2 on a lost race, -1 for no user.
 */
const REPLACE_PASSWORD_HASH: LuaScript = {
  name: 'sessionqlReplacePasswordHash',
  numberOfKeys: 3,
  lua: `${SESSION_EVENTS}${END_SESSIONS_EXCEPT}${EXPIRE_INDEX_WITH_LAST_SESSION}
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then return -2 end
redis.call('SET', KEYS[1], ARGV[2])
local ended = end_sessions_except(KEYS[2], ARGV[5], ARGV[3], ARGV[4], KEYS[3], PASSWORD_CHANGE, ARGV[6])
expire_index_with_last_session(KEYS[2])
finish_session_events(KEYS[3], ARGV[7], ARGV[8], ARGV[9])
return #ended
`,
};

/** A compare-and-set that keeps losing means something is badly wrong; stop rather than spin. */
const MAX_UPDATE_ATTEMPTS = 20;

export class RedisUserStore implements UserStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [UPDATE_USER, REPLACE_PASSWORD_HASH]);
  }

  /**
   * The user record is written first and the email claimed second (SET NX: atomic
   * uniqueness). The two keys live in different hash slots, so this is not one
   * transaction; in this order a crash in between leaves at worst an unreachable user
   * record, never an email that points nowhere.
   */
  async createUser(user: UserRecord): Promise<CreateUserResult> {
    const userKey = this.keys.user(user.id);
    const written = await callStore(() => this.redis.set(userKey, encodeUserRecord(user), 'NX'));
    if (written !== 'OK') throw new Error('user id collision');
    const claimed = await callStore(() => this.redis.set(this.keys.email(normalizeEmail(user.email)), user.id, 'NX'));
    if (claimed === 'OK') return 'created';
    await callStore(() => this.redis.del(userKey));
    return 'email_taken';
  }

  async findUserById(userId: string): Promise<UserRecord | null> {
    const raw = await callStore(() => this.redis.get(this.keys.user(userId)));
    return raw ? decodeUserRecord(raw) : null;
  }

  async findUserByEmail(email: string): Promise<UserRecord | null> {
    const userId = await callStore(() => this.redis.get(this.keys.email(normalizeEmail(email))));
    return userId ? this.findUserById(userId) : null;
  }

  async updateUser(userId: string, change: (user: UserRecord) => UserRecord): Promise<UserRecord | null> {
    return this.compareAndSet(userId, change, async (expected, next) => {
      const result = await callStore(() => this.runScript(UPDATE_USER, [this.keys.user(userId)], [expected, next]));
      return result === 1 ? 'stored' : result === -1 ? 'missing' : 'conflict';
    });
  }

  async replacePasswordHash(userId: string, passwordHash: string, keepSessionId: string): Promise<number | null> {
    let ended = 0;
    const stored = await this.compareAndSet(
      userId,
      (user) => ({ ...user, passwordHash }),
      async (expected, next) => {
        const now = this.clock.now().getTime();
        const result = (await callStore(() =>
          this.runScript(
            REPLACE_PASSWORD_HASH,
            [this.keys.user(userId), this.keys.sessionIndex(userId), this.keys.sessionEvents(userId)],
            [expected, next, keepSessionId, now, this.keys.sessionKeyPrefix(userId), userId, ...sessionEventArguments(now)],
          ),
        )) as number;
        if (result === -1) return 'missing';
        if (result === -2) return 'conflict';
        ended = result;
        return 'stored';
      },
    );
    return stored ? ended : null;
  }

  private async compareAndSet(
    userId: string,
    change: (user: UserRecord) => UserRecord,
    store: (expected: string, next: string) => Promise<'stored' | 'conflict' | 'missing'>,
  ): Promise<UserRecord | null> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const raw = await callStore(() => this.redis.get(this.keys.user(userId)));
      if (!raw) return null;
      const next = change(decodeUserRecord(raw));
      const outcome = await store(raw, encodeUserRecord(next));
      if (outcome === 'stored') return next;
      if (outcome === 'missing') return null;
    }
    throw new Error(`user ${userId} kept changing during an update`);
  }
}
