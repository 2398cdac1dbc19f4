import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SessionService, type ClientInfo } from '../src/session/session.service';
import { SessionTransport } from '../src/session/session.store';
import { systemClock } from '../src/shared/clock';
import { newId } from '../src/shared/ids';
import { connectRedisClient, createRedisClient } from '../src/shared/redis-client';
import { RedisKeyspace } from '../src/shared/redis-keyspace';
import { createRedisStore, type Store } from '../src/shared/store';
import { Role } from '../src/user/role';
import { normalizeEmail, type UserRecord } from '../src/user/user.store';
import { SAMPLE_CLIENTS } from './support/sample-clients';
import { readInfo, startBenchRedis, usedMemoryBytes } from './support/redis-server';
import { formatBytes, printTable } from './support/report';

/*
 * npm run bench:memory [-- --users 10000 --sessions-per-user 10 --smoke]
 *
 * Creates users and sessions on a fresh redis-server through the real store code (the
 * same scripts and record encoding as the server), then reads INFO memory. Sessions are
 * made by SessionService.startSession, so the records hold what a real login stores,
 * with a mix of real browser and app user agents.
 */

const DEFAULT_USERS = 10_000;
const DEFAULT_SESSIONS_PER_USER = 10;
/** How many store calls are in flight at once (ioredis pipelines them). */
const CONCURRENCY = 500;
/** A real bcrypt hash (cost 12): every user record holds one of this length; hashing 10k would take minutes. */
const PASSWORD_HASH = '$2b$12$Q9uWZ2Yt6Gm6k0V1Hq3hUe1xwF3z8m0y5rZC1q4pQ2S0m6pX7yYbK';
const PROJECTIONS = [1_000_000, 10_000_000];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      'sessions-per-user': { type: 'string' },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string', default: join(__dirname, 'results', 'memory.json') },
    },
  });
  const userCount = Number(values.users ?? (values.smoke ? 1000 : DEFAULT_USERS));
  const sessionsPerUser = Number(values['sessions-per-user'] ?? DEFAULT_SESSIONS_PER_USER);

  const redisServer = await startBenchRedis();
  const redis = createRedisClient({ kind: 'redis', url: redisServer.url });
  try {
    if (!(await connectRedisClient(redis, 5000))) throw new Error('could not connect to the benchmark Redis');
    const store = createRedisStore({ redis, clock: systemClock });
    const sessions = new SessionService(
      store.sessions,
      { secrets: ['memory-benchmark-secret-0123456789abcdef'], idleTtlSeconds: 7 * 86_400, absoluteTtlSeconds: 30 * 86_400, maxSessionsPerUser: 50 },
      systemClock,
      pino({ level: 'silent' }),
    );
    const admin = redisServer.admin;

    // Load the scripts and create the keyspace's first keys before the baseline.
    const warmUpUser = await createUser(store, 0);
    await sessions.startSession(warmUpUser.id, SessionTransport.COOKIE, SAMPLE_CLIENTS[0]!);
    await admin.flushall();
    const baselineBytes = await usedMemoryBytes(admin);

    const users: UserRecord[] = [];
    await inBatches(userCount, async (i) => {
      users.push(await createUser(store, i + 1));
    });
    const afterUsersBytes = await usedMemoryBytes(admin);

    const sessionCount = userCount * sessionsPerUser;
    await inBatches(sessionCount, async (i) => {
      const user = users[i % userCount]!;
      const client: ClientInfo = SAMPLE_CLIENTS[i % SAMPLE_CLIENTS.length]!;
      const transport = i % 3 === 0 ? SessionTransport.HEADER : SessionTransport.COOKIE;
      await sessions.startSession(user.id, transport, client);
    });
    const afterSessionsBytes = await usedMemoryBytes(admin);
    const keyCount = Number((await readInfo(admin, 'keyspace')).get('db0')?.match(/keys=(\d+)/)?.[1]);

    const sample = await sampleKeySizes(admin, users.slice(0, 100));
    const usersBytes = afterUsersBytes - baselineBytes;
    const sessionsBytes = afterSessionsBytes - afterUsersBytes;
    const totalBytes = afterSessionsBytes - baselineBytes;
    const result = {
      measuredAt: new Date().toISOString(),
      redisVersion: (await readInfo(admin, 'server')).get('redis_version'),
      users: userCount,
      sessions: sessionCount,
      keys: keyCount,
      meanUserAgentLength: mean(SAMPLE_CLIENTS.map((client) => client.userAgent?.length ?? 0)),
      usedMemoryDeltaBytes: { users: usersBytes, sessionsWithIndexes: sessionsBytes, total: totalBytes },
      bytesPerSession: {
        sessionAndIndex: Math.round(sessionsBytes / sessionCount),
        includingUserRecords: Math.round(totalBytes / sessionCount),
      },
      bytesPerUser: Math.round(usersBytes / userCount),
      memoryUsageSample: sample,
      projections: PROJECTIONS.map((sessionsProjected) => ({
        sessions: sessionsProjected,
        users: sessionsProjected / sessionsPerUser,
        bytes: Math.round((totalBytes / sessionCount) * sessionsProjected),
      })),
    };

    console.log(`\nRedis ${result.redisVersion}: ${userCount} users, ${sessionCount} sessions (${sessionsPerUser} per user), ${keyCount} keys`);
    console.log(`user agents: a mix of ${SAMPLE_CLIENTS.length} real ones, mean ${result.meanUserAgentLength.toFixed(0)} characters\n`);
    printTable(
      ['what', 'used_memory delta', 'per session'],
      [
        ['sessions + per-user index', formatBytes(sessionsBytes), `${result.bytesPerSession.sessionAndIndex} B`],
        ['user records + email keys', formatBytes(usersBytes), `${Math.round(usersBytes / sessionCount)} B (${result.bytesPerUser} B per user)`],
        ['total', formatBytes(totalBytes), `${result.bytesPerSession.includingUserRecords} B`],
      ],
    );
    console.log('\nMEMORY USAGE of sample keys (mean bytes, includes the key and Redis object overhead):');
    printTable(
      ['key', 'bytes'],
      Object.entries(sample).map(([name, bytes]) => [name, String(bytes)]),
    );
    console.log(`\nprojection at ${sessionsPerUser} sessions per user (all-in figure; Redis' hash tables grow in powers of two, so allow ~10% more):`);
    printTable(
      ['sessions', 'users', 'Redis memory'],
      result.projections.map((projection) => [projection.sessions.toLocaleString('en'), projection.users.toLocaleString('en'), formatBytes(projection.bytes)]),
    );

    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to ${values.out}`);
  } finally {
    redis.disconnect();
    await redisServer.stop();
  }
}

async function createUser(store: Store, n: number): Promise<UserRecord> {
  const name = `user-${String(n).padStart(6, '0')}`;
  const user: UserRecord = {
    id: newId(),
    email: `${name}@example.com`,
    displayName: name,
    roles: [Role.USER],
    passwordHash: PASSWORD_HASH,
    createdAt: systemClock.now(),
  };
  if ((await store.users.createUser(user)) !== 'created') throw new Error(`could not create ${user.email}`);
  return user;
}

/** Mean MEMORY USAGE per kind of key, over the given users' keys. */
async function sampleKeySizes(admin: import('ioredis').Redis, users: UserRecord[]): Promise<Record<string, number>> {
  const keys = new RedisKeyspace();
  const sizes: Record<string, number[]> = { session: [], 'session index (per user)': [], 'user record': [], 'email key': [] };
  for (const user of users) {
    const sessionIds = await admin.zrange(keys.sessionIndex(user.id), 0, -1);
    for (const sessionId of sessionIds) sizes.session!.push(Number(await admin.memory('USAGE', keys.session(user.id, sessionId), 'SAMPLES', 0)));
    sizes['session index (per user)']!.push(Number(await admin.memory('USAGE', keys.sessionIndex(user.id), 'SAMPLES', 0)));
    sizes['user record']!.push(Number(await admin.memory('USAGE', keys.user(user.id), 'SAMPLES', 0)));
    sizes['email key']!.push(Number(await admin.memory('USAGE', keys.email(normalizeEmail(user.email)), 'SAMPLES', 0)));
  }
  return Object.fromEntries(Object.entries(sizes).map(([name, values]) => [name, Math.round(mean(values))]));
}

async function inBatches(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
