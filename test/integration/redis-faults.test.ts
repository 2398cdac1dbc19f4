import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../../src/config';
import { ManualClock } from '../../src/shared/clock';
import { openStore } from '../../src/storage/open-store';
import {
  LoginDocument,
  LogoutDocument,
  MeDocument,
  SignUpDocument,
} from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, TEST_SECRET, uniqueEmail, type TestClient, type TestServer } from '../support/harness';
import { expectDurabilityScenarioIntact, prepareDurabilityScenario } from '../support/durability-scenario';
import { startRedisProcess, type RedisProcess } from '../support/redis-processes';
import { headerLogin } from '../support/flows';

/** Generous: the point is "answers at once, does not queue until Redis is back". */
const MAX_UNAVAILABLE_ANSWER_MILLIS = 3000;
const RECOVERY_TIMEOUT_MILLIS = 15_000;

/*
 * A Redis of this file's own, persisting every write to its AOF before acknowledging it
 * (appendfsync always), so that a crash (SIGKILL) loses nothing that was acknowledged.
 * The server under test opens it as main.ts does: the production client, fail-fast.
 */
describe('when the Redis under the server crashes, stalls and comes back', () => {
  const clock = new ManualClock();
  let redis: RedisProcess;
  let server: TestServer;

  beforeAll(async () => {
    redis = await startRedisProcess({ label: 'aof', config: ['appendonly yes', 'appendfsync always', 'maxmemory-policy noeviction'] });
    server = await startTestServer({ store: 'configured', clock, env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.remove();
  });

  async function readiness(): Promise<number> {
    return (await fetch(`${server.url}/readyz`)).status;
  }

  async function waitUntilReady(): Promise<void> {
    const deadline = Date.now() + RECOVERY_TIMEOUT_MILLIS;
    while ((await readiness()) !== 200) {
      if (Date.now() > deadline) throw new Error(`the server did not reconnect:\n${await redis.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A request with a valid session while the store is down: 503, never anonymous, answered at once. */
  async function expectUnavailable(client: TestClient): Promise<void> {
    const startedAt = performance.now();
    const response = await client.request(MeDocument);
    const elapsedMillis = performance.now() - startedAt;
    expect(response.status).toBe(503);
    expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(response.data ?? null).toBeNull();
    expect(elapsedMillis).toBeLessThan(MAX_UNAVAILABLE_ANSWER_MILLIS);
  }

  it('keeps every login, logout, revocation and password change across a crash and an AOF restart, without restarting the server', async () => {
    const scenario = await prepareDurabilityScenario(server, clock, 'crash');

    await redis.crash();

    await expectUnavailable(scenario.browser.client);
    await expectUnavailable(scenario.live.client);
    const login = await server.client().request(LoginDocument, { input: { email: scenario.browser.email, password: scenario.newPassword } });
    expect(login.status).toBe(503);
    expect(errorCodes(login)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await readiness()).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await redis.start();
    await waitUntilReady();

    // The same sessions work again; none that ended came back; the audit trail is as durable as the ends it records.
    await expectDurabilityScenarioIntact(server, scenario);
    expect((await server.client().request(LoginDocument, { input: { email: scenario.browser.email, password: scenario.newPassword } })).errors).toBeUndefined();
  });

  it('answers 503 within the command timeout while Redis stalls, and carries on when it resumes', async () => {
    const browser = server.client();
    const signUp = await browser.request(SignUpDocument, { input: { email: uniqueEmail('stall'), password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;

    redis.pause();
    try {
      await expectUnavailable(browser);
      expect(await readiness()).toBe(503);
    } finally {
      redis.resume();
    }

    await waitUntilReady();
    expect((await browser.request(MeDocument)).data!.me!.id).toBe(userId);
  });

  it('while Redis is full (noeviction) refuses new sessions with SERVICE_UNAVAILABLE, yet serves and ends existing ones', async () => {
    const email = uniqueEmail('full');
    const browser = server.client();
    const signUp = await browser.request(SignUpDocument, { input: { email, password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;
    const mobile = await headerLogin(server, email, PASSWORD);
    const browserToken = await browser.sessionCookieValue();
    const admin = await redis.connect();
    try {
      await admin.config('SET', 'maxmemory', '1');
      for (const write of [
        server.client().request(SignUpDocument, { input: { email: uniqueEmail('full'), password: PASSWORD } }),
        server.client().request(LoginDocument, { input: { email, password: PASSWORD } }),
      ]) {
        const response = await write;
        expect(response.status).toBe(503);
        expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      }
      // Nothing was evicted to make room, and ending a session frees memory: both still work.
      expect((await mobile.client.request(MeDocument)).data!.me!.id).toBe(userId);
      expect((await browser.request(LogoutDocument)).data!.logout).toBe(true);
      expect((await server.client({ cookies: false }).request(MeDocument, undefined, { cookie: `sid=${browserToken}` })).data!.me).toBeNull();
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
    }
    expect((await server.client().request(LoginDocument, { input: { email, password: PASSWORD } })).errors).toBeUndefined();
  });

  it('starts its Redis client again when it ends without being asked to (as ioredis may during a failover)', async () => {
    const browser = server.client();
    const signUp = await browser.request(SignUpDocument, { input: { email: uniqueEmail('revive'), password: PASSWORD } });

    server.redis!.disconnect();

    await waitUntilReady();
    expect((await browser.request(MeDocument)).data!.me!.id).toBe(signUp.data!.signUp.user.id);
  });
});

describe('the store durability warning at start', () => {
  const processes: RedisProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((process) => process.remove()));
  });

  async function openWithLog(config: string[]): Promise<{ lines: Array<{ level: number; msg: string; [field: string]: unknown }>; close(): Promise<void> }> {
    const redis = await startRedisProcess({ label: 'settings', config });
    processes.push(redis);
    const lines: Array<{ level: number; msg: string; [field: string]: unknown }> = [];
    const logger: Logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const appConfig = loadConfig({ NODE_ENV: 'development', SESSION_SECRETS: TEST_SECRET, REDIS_URL: redis.url });
    const opened = await openStore(appConfig, new ManualClock(), logger);
    await opened.store.checkHealth();
    return { lines, close: opened.close };
  }

  const WARN = 40;

  it('warns when Redis may evict sessions or lose ended ones on restart', async () => {
    const { lines, close } = await openWithLog(['appendonly no', 'maxmemory 64mb', 'maxmemory-policy allkeys-lru']);
    await close();
    const warnings = lines.filter((line) => line.level === WARN).map((line) => line.msg);
    expect(warnings).toEqual([expect.stringMatching(/maxmemory-policy is not noeviction/), expect.stringMatching(/AOF is off/)]);
  });

  it('stays quiet with appendonly yes and noeviction', async () => {
    const { lines, close } = await openWithLog(['appendonly yes', 'maxmemory-policy noeviction']);
    await close();
    expect(lines.filter((line) => line.level >= WARN)).toEqual([]);
  });

  it('still checks when CONFIG is disabled, as on managed Redis services', async () => {
    const { lines, close } = await openWithLog(['appendonly yes', 'maxmemory 64mb', 'maxmemory-policy volatile-lru', 'rename-command CONFIG ""']);
    await close();
    const warnings = lines.filter((line) => line.level === WARN);
    expect(warnings.map((line) => line.msg)).toEqual([expect.stringMatching(/maxmemory-policy is not noeviction/)]);
    expect(warnings[0]).toMatchObject({ maxmemoryPolicy: 'volatile-lru' });
  });
});
