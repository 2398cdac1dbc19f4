import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { PasswordHasher } from '../src/auth/password-hasher';
import { SessionTransport, type ClientInfo } from '../src/session/session.model';
import { SessionService } from '../src/session/session.service';
import { systemClock } from '../src/shared/clock';
import { newId } from '../src/shared/ids';
import { RedisKeyspace } from '../src/storage/redis/keyspace';
import { connectRedisClient, createRedisClient } from '../src/storage/redis/redis-client';
import { createRedisStore } from '../src/storage/redis/redis-store';
import type { Store } from '../src/storage/store';
import { normalizeEmail, Role, type UserRecord } from '../src/user/user.model';
import { readInfo, startBenchRedis, usedMemoryBytes } from './support/redis-server';
import { formatBytes, printTable } from './support/report';
import { SAMPLE_CLIENTS } from './support/sample-clients';

/*
 * npm run bench:memory [-- --users 10000 --sessions-per-user 10 --smoke]
 *
 * Creates users and sessions on a fresh redis-server through the real store code (the
 * same scripts and record encoding as the server: SessionService.startSession and
 * UserStore.createUser), then reads INFO memory's used_memory. Twice: with the user agents
 * and addresses of real logins, and with neither, to show what they cost.
 */

const DEFAULT_USERS = 10_000;
const DEFAULT_SESSIONS_PER_USER = 10;
/** Store calls in flight at once (the client pipelines them). */
const CONCURRENCY = 500;
const PROJECTED_SESSIONS = [1_000_000, 10_000_000];
const TARGET_BYTES_PER_SESSION = 400;

interface Pass {
  name: string;
  clients: readonly ClientInfo[];
}

const PASSES: Pass[] = [
  { name: 'real user agents and addresses', clients: SAMPLE_CLIENTS },
  { name: 'no user agent, no address', clients: [{ ipAddress: null, userAgent: null }] },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      'sessions-per-user': { type: 'string', default: String(DEFAULT_SESSIONS_PER_USER) },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const userCount = Number(values.users ?? (values.smoke ? 1000 : DEFAULT_USERS));
  const sessionsPerUser = Number(values['sessions-per-user']);
  const out = values.out ?? join(__dirname, 'results', values.smoke ? 'memory-smoke.json' : 'memory.json');

  const redisServer = await startBenchRedis();
  const redis = createRedisClient({ kind: 'redis', url: redisServer.url });
  try {
    if (!(await connectRedisClient(redis, 5000))) throw new Error('could not connect to the benchmark Redis');
    const store = createRedisStore({ redis, clock: systemClock });
    const sessions = new SessionService({
      store: store.sessions,
      settings: {
        secrets: ['memory-benchmark-secret-0123456789abcdef'],
        idleTtlSeconds: 7 * 86_400,
        absoluteTtlSeconds: 30 * 86_400,
        maxSessionsPerUser: 50,
      },
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    // A real bcrypt hash, as long as any cost makes it; hashing 10k passwords at cost 12 would take minutes.
    const passwordHash = await new PasswordHasher(4).hash('memory benchmark password');
    const admin = redisServer.admin;

    const passes = [];
    for (const pass of PASSES) {
      passes.push(await measurePass(pass, { store, sessions, admin, passwordHash, userCount, sessionsPerUser }));
    }
    const perKeyOverheadBytes = await measureEmptyKeys(admin, userCount * sessionsPerUser);

    const result = {
      measuredAt: new Date().toISOString(),
      redisVersion: (await readInfo(admin, 'server')).get('redis_version'),
      users: userCount,
      sessions: userCount * sessionsPerUser,
      sessionsPerUser,
      targetBytesPerSession: TARGET_BYTES_PER_SESSION,
      passes,
      /** A key named like a session key, with an empty value and an expiry: what Redis spends on any key. */
      perKeyOverheadBytes,
    };
    report(result);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to ${out}`);
  } finally {
    redis.disconnect();
    await redisServer.stop();
  }
}

interface PassContext {
  store: Store;
  sessions: SessionService;
  admin: Redis;
  passwordHash: string;
  userCount: number;
  sessionsPerUser: number;
}

async function measurePass(pass: Pass, context: PassContext) {
  const { store, sessions, admin, userCount, sessionsPerUser } = context;
  // The scripts stay loaded; the keyspace starts empty.
  await admin.flushall();
  const baselineBytes = await usedMemoryBytes(admin);

  const users: UserRecord[] = new Array(userCount);
  await inBatches(userCount, async (i) => {
    users[i] = await createUser(store, i, context.passwordHash);
  });
  const afterUsersBytes = await usedMemoryBytes(admin);

  const sessionCount = userCount * sessionsPerUser;
  await inBatches(sessionCount, async (i) => {
    const transport = i % 3 === 0 ? SessionTransport.HEADER : SessionTransport.COOKIE;
    await sessions.startSession(users[i % userCount]!.id, { transport, client: pass.clients[i % pass.clients.length]!, credentialVersion: 0, secondFactorPending: false });
  });
  const afterSessionsBytes = await usedMemoryBytes(admin);

  const usersBytes = afterUsersBytes - baselineBytes;
  const sessionsBytes = afterSessionsBytes - afterUsersBytes;
  const totalBytes = afterSessionsBytes - baselineBytes;
  return {
    name: pass.name,
    meanUserAgentLength: mean(pass.clients.map((client) => client.userAgent?.length ?? 0)),
    keys: Number(/keys=(\d+)/.exec((await readInfo(admin, 'keyspace')).get('db0') ?? '')?.[1] ?? 0),
    usedMemoryDeltaBytes: { users: usersBytes, sessions: sessionsBytes, total: totalBytes },
    bytesPerSession: {
      /** The session's field in its user's sessions hash (and the hash key itself, shared). */
      session: Math.round(sessionsBytes / sessionCount),
      /** The same plus each user's record and email key, spread over their sessions. */
      includingUsers: Math.round(totalBytes / sessionCount),
    },
    bytesPerUser: Math.round(usersBytes / userCount),
    meanMemoryUsage: await sampleKeySizes(admin, users.slice(0, 100)),
    projections: PROJECTED_SESSIONS.map((projected) => ({
      sessions: projected,
      users: projected / sessionsPerUser,
      bytes: Math.round((totalBytes / sessionCount) * projected),
    })),
  };
}

/**
 * What Redis spends on a key with an expiry whatever it holds: one empty key per session,
 * named like the key of its own that each session had in earlier versions. The reason
 * sessions now share one hash per user.
 */
async function measureEmptyKeys(admin: Redis, count: number): Promise<number> {
  await admin.flushall();
  const keys = new RedisKeyspace();
  const before = await usedMemoryBytes(admin);
  const expiresAt = Date.now() + 86_400_000;
  for (let start = 0; start < count; start += 1000) {
    const pipeline = admin.pipeline();
    for (let i = start; i < Math.min(count, start + 1000); i++) pipeline.set(`${keys.prefix}{u:${newId()}}:s:${newId()}`, '', 'PXAT', expiresAt);
    await pipeline.exec();
  }
  const perKey = Math.round(((await usedMemoryBytes(admin)) - before) / count);
  await admin.flushall();
  return perKey;
}

async function createUser(store: Store, n: number, passwordHash: string): Promise<UserRecord> {
  const name = `user-${String(n).padStart(6, '0')}`;
  const user: UserRecord = {
    id: newId(),
    email: `${name}@example.com`,
    emailVerified: false,
    displayName: name,
    roles: [Role.USER],
    passwordHash,
    credentialVersion: 0,
    secondFactor: null,
    pendingTotp: null,
    createdAt: systemClock.now(),
  };
  if ((await store.users.createUser(user)) !== 'created') throw new Error(`could not create ${user.email}`);
  return user;
}

/** Mean MEMORY USAGE (the key, its value and Redis' object overhead) per kind of key, over the given users. */
async function sampleKeySizes(admin: Redis, users: UserRecord[]): Promise<Record<string, number>> {
  const keys = new RedisKeyspace();
  const sizes: Record<string, number[]> = { 'sessions hash, per session': [], 'user record': [], 'email key': [] };
  const usage = async (key: string) => Number(await admin.memory('USAGE', key, 'SAMPLES', 0));
  for (const user of users) {
    const sessionCount = await admin.hlen(keys.sessions(user.id));
    if (sessionCount > 0) sizes['sessions hash, per session']!.push((await usage(keys.sessions(user.id))) / sessionCount);
    sizes['user record']!.push(await usage(keys.user(user.id)));
    sizes['email key']!.push(await usage(keys.email(normalizeEmail(user.email))));
  }
  return Object.fromEntries(Object.entries(sizes).map(([name, values]) => [name, Math.round(mean(values))]));
}

type Result = {
  redisVersion: string | undefined;
  users: number;
  sessions: number;
  sessionsPerUser: number;
  passes: Array<Awaited<ReturnType<typeof measurePass>>>;
  perKeyOverheadBytes: number;
};

function report(result: Result): void {
  console.log(`\nRedis ${result.redisVersion}: ${result.users.toLocaleString('en')} users, ${result.sessions.toLocaleString('en')} sessions (${result.sessionsPerUser} per user)\n`);
  printTable(
    ['records', 'sessions', 'users + email keys', 'bytes per session (+ users)', `target <= ${TARGET_BYTES_PER_SESSION}`],
    result.passes.map((pass) => [
      `${pass.name} (user agent ${pass.meanUserAgentLength.toFixed(0)} chars)`,
      formatBytes(pass.usedMemoryDeltaBytes.sessions),
      `${formatBytes(pass.usedMemoryDeltaBytes.users)} (${pass.bytesPerUser} B per user)`,
      `${pass.bytesPerSession.session} B (${pass.bytesPerSession.includingUsers} B)`,
      pass.bytesPerSession.session <= TARGET_BYTES_PER_SESSION ? 'met' : `missed by ${pass.bytesPerSession.session - TARGET_BYTES_PER_SESSION} B`,
    ]),
  );
  const [real] = result.passes;
  console.log(`\nwhere it goes (real records; MEMORY USAGE means: key name, value and Redis object headers, not the expiry entry):`);
  printTable(['key', 'bytes'], [
    ...Object.entries(real!.meanMemoryUsage).map(([name, bytes]) => [name, String(bytes)]),
    ['a key of its own per session (the earlier layout), empty, with an expiry (used_memory)', String(result.perKeyOverheadBytes)],
  ]);
  console.log(`\nprojection (real records, ${result.sessionsPerUser} sessions per user, users included; hash tables grow in powers of two, allow ~10% more):`);
  printTable(
    ['sessions', 'users', 'Redis memory'],
    real!.projections.map((projection) => [projection.sessions.toLocaleString('en'), projection.users.toLocaleString('en'), formatBytes(projection.bytes)]),
  );
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

// Exiting (rather than dying of the signal) runs the 'exit' hook that kills Redis.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
