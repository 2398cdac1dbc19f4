import { createServer, type AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { hashTokenSecret, newTokenSecret } from '../../src/session/session-token';
import { ManualClock } from '../../src/shared/clock';
import { StoreUnavailableError } from '../../src/shared/app-error';
import { newId } from '../../src/shared/ids';
import { normalizeEmail } from '../../src/user/user.model';
import { connectRedisClient, createRedisClient, type RedisClient } from '../../src/storage/redis/redis-client';
import { createMemoryStore } from '../../src/storage/memory/memory-store';
import { RedisKeyspace } from '../../src/storage/redis/keyspace';
import { encodeSessionRecord } from '../../src/storage/redis/records';
import { createRedisStore } from '../../src/storage/redis/redis-store';
import { openRedisStore } from '../../src/storage/redis/open-redis-store';
import { migrateSessionLayout } from '../../src/storage/redis/session-layout-migration';
import { buildSessionRecord, buildUserRecord, storeSession } from '../support/fixtures';
import { connectTestRedis, deleteKeysWithPrefix, dumpValues, listKeys, testRedisUrl, uniqueKeyPrefix } from '../support/redis';
import { describeStoreContract, redisStoreFactory } from './store.contract';

describeStoreContract('memory', async (clock) => {
  const store = createMemoryStore({ clock });
  return {
    store,
    close: async () => store.close(),
  };
});

describe('with a real Redis', () => {
  const runPrefix = uniqueKeyPrefix('store-contract');
  let redis: Redis;

  beforeAll(async () => {
    redis = await connectTestRedis();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, runPrefix);
    await redis.quit();
  });

  describeStoreContract('redis', redisStoreFactory(() => redis, runPrefix));

  describe('redis store', () => {
    it('lets every key of a user expire but the user record and the address: sessions, both audit trails, devices, mailed tokens', async () => {
      const keyPrefix = `${runPrefix}expiry:`;
      const clock = new ManualClock();
      const store = createRedisStore({ redis, clock, keyPrefix });
      const keys = new RedisKeyspace(keyPrefix);
      const user = buildUserRecord(clock);
      expect(await store.users.createUser(user)).toBe('created');
      const [kept, ended] = [buildSessionRecord(clock, user.id), buildSessionRecord(clock, user.id)];
      for (const session of [kept, ended]) expect(await storeSession(store, session, 10)).toEqual([]);
      expect(await store.sessions.revokeSession(user.id, ended.id, { reason: 'logout', actorId: user.id })).toBe(true);
      await store.accountEvents.recordAccountEvent(user.id, { kind: 'second_factor_enabled', sessionId: kept.id, at: clock.now() });
      const now = clock.now();
      const secretHash = hashTokenSecret(newTokenSecret());
      await store.tokens.issueToken({ kind: 'password_reset', userId: user.id, id: newId(), secretHash, expiresAt: new Date(now.getTime() + 1_800_000), email: user.email });
      const device = { id: newId(), userId: user.id, secretHash, createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 3_600_000), ipAddress: null, userAgent: null };
      expect(await store.devices.rememberDevice(device, 20)).toEqual([]);

      const lasting = [keys.user(user.id), keys.email(normalizeEmail(user.email))];
      const found = await listKeys(redis, keyPrefix);
      expect(found).toEqual(expect.arrayContaining([...lasting, keys.sessions(user.id), keys.sessionEvents(user.id), keys.accountEvents(user.id), keys.devices(user.id)]));
      expect(found).toHaveLength(7);
      const ttls = await Promise.all(found.map(async (key) => ({ key, lasting: lasting.includes(key), expires: (await redis.pttl(key)) > 0 })));
      expect(ttls.filter((entry) => entry.lasting === entry.expires)).toEqual([]);
    });

    it('holds no usable token: the raw secret appears nowhere in the keyspace', async () => {
      const keyPrefix = `${runPrefix}secret:`;
      const clock = new ManualClock();
      const store = createRedisStore({ redis, clock, keyPrefix });
      const user = buildUserRecord(clock);
      const secret = newTokenSecret();
      const session = buildSessionRecord(clock, user.id, { secretHash: hashTokenSecret(secret) });

      expect(await store.users.createUser(user)).toBe('created');
      expect(await storeSession(store, session, 10)).toEqual([]);

      const dump = await dumpValues(redis, keyPrefix);
      // The dump is the right one: it holds the session (by its hash), just not the secret.
      expect(dump).toContain(session.secretHash);
      expect(dump).toContain(session.id);
      expect(dump).not.toContain(secret);
    });

    it.each([
      ['before step-up existed (8 fields)', (hash: string, t: number) => [hash, 'C', t, t, t + 600_000, t + 3_600_000, '203.0.113.7', 'old agent']],
      ['with every field written out (11)', (hash: string, t: number) => [hash, 'H', t, t, t + 600_000, t + 3_600_000, null, null, t, 1, 0]],
    ])('reads and rewrites a session record an older version wrote %s', async (_layout, layout) => {
      const keyPrefix = `${runPrefix}layout-${_layout.length}:`;
      const clock = new ManualClock();
      const store = createRedisStore({ redis, clock, keyPrefix });
      const keys = new RedisKeyspace(keyPrefix);
      const user = buildUserRecord(clock);
      expect(await store.users.createUser(user)).toBe('created');
      const sessionId = newId();
      const now = clock.now().getTime();
      await redis.hset(keys.sessions(user.id), sessionId, JSON.stringify(layout('stored-hash', now)));
      await redis.pexpire(keys.sessions(user.id), 3_600_000);

      const { session } = await store.sessions.findSessionWithUser(user.id, sessionId);
      expect(session).toMatchObject({ id: sessionId, secretHash: 'stored-hash', aal: 1, secondFactorPending: false, authenticatedAt: new Date(now) });
      clock.advanceBySeconds(90);
      const touched = { ...session!, lastSeenAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 600_000) };
      // Compared with what was read, not with how this version would write it.
      expect(await store.sessions.updateSession(session!, touched)).toBe('updated');
      expect((await store.sessions.findSessionWithUser(user.id, sessionId)).session).toEqual(touched);
    });

    it('moves sessions an earlier version kept as keys of their own into the hash, once, when the store opens', async () => {
      const keyPrefix = `${runPrefix}move:`;
      const clock = new ManualClock();
      const keys = new RedisKeyspace(keyPrefix);
      const store = createRedisStore({ redis, clock, keyPrefix });
      const user = buildUserRecord(clock);
      expect(await store.users.createUser(user)).toBe('created');
      const now = clock.now().getTime();
      const live = buildSessionRecord(clock, user.id);
      const olderLive = buildSessionRecord(clock, user.id, { expiresAt: new Date(now + 60_000) });
      const expired = buildSessionRecord(clock, user.id, { expiresAt: new Date(now - 1000) });
      // The earlier layout: a key per session, and a sorted set of id → expiry under the name the hash has now.
      for (const session of [live, olderLive]) {
        await redis.set(`${keyPrefix}{u:${user.id}}:s:${session.id}`, encodeSessionRecord(session), 'PXAT', session.expiresAt.getTime());
      }
      for (const session of [live, olderLive, expired]) await redis.zadd(keys.sessions(user.id), session.expiresAt.getTime(), session.id);
      const logger = pino({ level: 'silent' });

      // Two processes starting at once, as the server opens its store.
      const opened = await Promise.all([1, 2].map(() => openRedisStore({ kind: 'redis', url: testRedisUrl() }, { keyPrefix, clock, logger })));
      await Promise.all(opened.map((store) => store.close()));

      expect(await redis.type(keys.sessions(user.id))).toBe('hash');
      expect(await listKeys(redis, `${keyPrefix}{u:${user.id}}:s:`)).toEqual([]);
      expect(Number(await redis.call('PEXPIRETIME', keys.sessions(user.id)))).toBe(live.expiresAt.getTime());
      expect((await store.sessions.listSessions(user.id)).map((session) => session.id).sort()).toEqual([live.id, olderLive.id].sort());
      expect((await store.sessions.findSessionWithUser(user.id, live.id)).session).toEqual(live);
      expect(await store.sessions.listSessionEvents(user.id, 10)).toEqual([{ sessionId: expired.id, reason: 'expired', actorId: null, at: expired.expiresAt }]);
      expect(await redis.get(`${keyPrefix}layout:sessions`)).toBe('hash');

      // Once marked, a start reads the marker and nothing else: a key in the old shape is left alone.
      await redis.zadd(`${keyPrefix}{u:${newId()}}:sessions`, now + 60_000, newId());
      await migrateSessionLayout(redis, keys, clock, logger);
      expect(await listKeys(redis, `${keyPrefix}{u:`)).toHaveLength(4);
    });

    it('takes over an address whose user is gone (a deletion interrupted between its two steps)', async () => {
      const keyPrefix = `${runPrefix}dangling:`;
      const clock = new ManualClock();
      const store = createRedisStore({ redis, clock, keyPrefix });
      await redis.set(new RedisKeyspace(keyPrefix).email('orphan@example.com'), newId());

      const user = buildUserRecord(clock, { email: 'orphan@example.com' });
      expect(await store.users.createUser(user)).toBe('created');
      expect(await store.users.findUserByEmail('orphan@example.com')).toEqual(user);
      // A live holder is never taken over.
      expect(await store.users.createUser(buildUserRecord(clock, { email: 'orphan@example.com' }))).toBe('email_taken');
    });

    it('rejects with StoreUnavailableError when Redis cannot be reached', async () => {
      const client = createRedisClient({ kind: 'redis', url: `redis://127.0.0.1:${await closedLoopbackPort()}` });
      // The store's own handling is under test, not ioredis' "Unhandled error event" logging.
      client.on('error', () => {});
      try {
        expect(await connectRedisClient(client, 300)).toBe(false);
        const store = createRedisStore({ redis: client, clock: new ManualClock(), keyPrefix: `${runPrefix}down:` });

        await expect(store.sessions.findSessionWithUser(newId(), newId())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.users.findUserById(newId())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.checkHealth()).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        disconnectUnreachable(client);
      }
    }, 5000);
  });
});

/**
 * Disconnects a client whose socket never opened. ioredis then waits up to its
 * disconnectTimeout (2 s by default, not set by createRedisClient) for a 'close' event that
 * already happened; run that timer at once rather than let it hold jest open after the run.
 */
function disconnectUnreachable(client: RedisClient): void {
  jest.useFakeTimers();
  try {
    client.disconnect();
    jest.runOnlyPendingTimers();
  } finally {
    jest.useRealTimers();
  }
}

/** A loopback port nothing listens on (it was free a moment ago). */
function closedLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
