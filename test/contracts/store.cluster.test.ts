import 'reflect-metadata';
import type { Cluster } from 'ioredis';
import pino from 'pino';
import { ManualClock } from '../../src/shared/clock';
import { connectRedisClient, createRedisClient } from '../../src/storage/redis/redis-client';
import { RedisKeyspace } from '../../src/storage/redis/keyspace';
import { encodeSessionRecord } from '../../src/storage/redis/records';
import { createRedisStore } from '../../src/storage/redis/redis-store';
import { migrateSessionLayout } from '../../src/storage/redis/session-layout-migration';
import { buildSessionRecord, buildUserRecord, storeSession } from '../support/fixtures';
import { useRedisCluster } from '../support/redis-processes';
import { deleteKeysWithPrefix, listKeys, uniqueKeyPrefix } from '../support/redis';
import { describeStoreContract, redisStoreFactory } from './store.contract';

/*
 * The same contract as on a single Redis, on a real 3-master Redis Cluster through the
 * production cluster client. Every script touches one user's keys only, so a key
 * in another slot would fail the test with CROSSSLOT.
 */
describe('with a real Redis Cluster', () => {
  const cluster = useRedisCluster();
  const runPrefix = uniqueKeyPrefix('cluster-contract');
  let redis: Cluster;

  beforeAll(async () => {
    redis = createRedisClient({ kind: 'cluster', nodes: cluster.nodes }) as Cluster;
    if (!(await connectRedisClient(redis, 10_000))) throw new Error('could not connect to the test Redis Cluster');
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, runPrefix);
    await redis.quit();
  });

  describeStoreContract('redis cluster', redisStoreFactory(() => redis, runPrefix));

  describe('key placement', () => {
    it('keeps every key of one user in one hash slot, and spreads users over the masters', async () => {
      const keyPrefix = `${runPrefix}placement:`;
      const clock = new ManualClock();
      const store = createRedisStore({ redis, clock, keyPrefix });
      const keys = new RedisKeyspace(keyPrefix);
      const userIds: string[] = [];
      for (let i = 0; i < 24; i++) {
        const user = buildUserRecord(clock);
        expect(await store.users.createUser(user)).toBe('created');
        const [ended] = [buildSessionRecord(clock, user.id), buildSessionRecord(clock, user.id)];
        await storeSession(store, ended!, 10);
        await storeSession(store, buildSessionRecord(clock, user.id), 10);
        expect(await store.sessions.revokeSession(user.id, ended!.id, { reason: 'logout', actorId: user.id })).toBe(true);
        userIds.push(user.id);
      }

      const mastersHoldingUsers = new Set<string>();
      for (const userId of userIds) {
        const userKeys = await listKeys(redis, `${keyPrefix}{u:${userId}}`);
        // The record, the sessions and the session events at least.
        expect(userKeys.length).toBeGreaterThanOrEqual(3);
        expect(userKeys).toEqual(expect.arrayContaining([keys.user(userId), keys.sessions(userId), keys.sessionEvents(userId)]));
        const slots = new Set(await Promise.all(userKeys.map((key) => redis.cluster('KEYSLOT', key))));
        expect(slots.size).toBe(1);
        for (const master of redis.nodes('master')) {
          // SCAN, unlike EXISTS, answers on any node (no MOVED) with the keys that node holds.
          if ((await listKeys(master, keys.user(userId))).length > 0) mastersHoldingUsers.add(`${master.options.host}:${master.options.port}`);
        }
      }
      // 24 random users all on one of 3 masters would mean the cluster is not sharding at all.
      expect(mastersHoldingUsers.size).toBeGreaterThan(1);
    });
  });

  it('moves every master\'s users from the earlier per-session keys into the hashes', async () => {
    const keyPrefix = `${runPrefix}move:`;
    const clock = new ManualClock();
    const keys = new RedisKeyspace(keyPrefix);
    const store = createRedisStore({ redis, clock, keyPrefix });
    const sessions = [];
    for (let i = 0; i < 12; i++) {
      const user = buildUserRecord(clock);
      expect(await store.users.createUser(user)).toBe('created');
      const session = buildSessionRecord(clock, user.id);
      // The earlier layout: a key per session, and a sorted set of id → expiry under the name the hash has now.
      await redis.set(`${keyPrefix}{u:${user.id}}:s:${session.id}`, encodeSessionRecord(session), 'PXAT', session.expiresAt.getTime());
      await redis.zadd(keys.sessions(user.id), session.expiresAt.getTime(), session.id);
      sessions.push(session);
    }

    await migrateSessionLayout(redis, keys, clock, pino({ level: 'silent' }));

    for (const session of sessions) {
      expect((await store.sessions.findSessionWithUser(session.userId, session.id)).session).toEqual(session);
      expect(await listKeys(redis, `${keyPrefix}{u:${session.userId}}:s:`)).toEqual([]);
    }
  });
});
