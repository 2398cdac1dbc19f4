import { createServer } from 'node:net';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { ManualClock } from '../../src/shared/clock';
import { connectRedisClient, createRedisClient, type RedisClient } from '../../src/storage/redis/redis-client';
import { createMemoryStore } from '../../src/storage/memory/memory-store';
import { createRedisStore } from '../../src/storage/redis/redis-store';
import type { Store } from '../../src/storage/store';
import { LoginDocument, MeDocument, SignUpDocument } from '../generated/graphql';
import { PASSWORD, startTestServer, TEST_SECRET, TestClient, uniqueEmail, type TestServer } from '../support/harness';

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('when the session store is unreachable', () => {
  let server: TestServer;
  let deadRedis: RedisClient;
  let token: string;

  beforeAll(async () => {
    // A real token, issued while a store was up, presented to a server whose store is down.
    const healthy = await startTestServer({ store: 'memory' });
    const response = await healthy.client({ cookies: false }).request(SignUpDocument, {
      input: { email: uniqueEmail('down'), password: PASSWORD, transport: 'HEADER' },
    });
    token = response.data!.signUp.token!;
    await healthy.close();

    deadRedis = createRedisClient({ kind: 'redis', url: `redis://127.0.0.1:${await closedPort()}` });
    deadRedis.on('error', () => {});
    await connectRedisClient(deadRedis, 300);
    server = await startTestServer({ store: 'memory', wrapStore: () => createRedisStore({ redis: deadRedis, clock: new ManualClock() }) });
  });
  afterAll(async () => {
    await server.close();
    deadRedis.disconnect();
  });

  it('fails an authenticated request with SERVICE_UNAVAILABLE and 503, never as anonymous', async () => {
    const response = await server.client({ cookies: false, bearerToken: token }).request(MeDocument);
    expect(response.status).toBe(503);
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(response.data ?? null).toBeNull();
  });

  it('fails login with SERVICE_UNAVAILABLE and 503', async () => {
    const response = await server.client().request(LoginDocument, { input: { email: uniqueEmail(), password: PASSWORD } });
    expect(response.status).toBe(503);
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
  });

  it('still answers anonymous requests that need no store', async () => {
    const response = await server.client().request(MeDocument);
    expect(response.status).toBe(200);
    expect(response.data!.me).toBeNull();
  });

  it('reports 503 on /readyz with a JSON reason, while /healthz stays 200', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', reason: expect.any(String) });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('unexpected errors', () => {
  it('are masked as INTERNAL_SERVER_ERROR for the client and logged in full for the operator', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const memory = createMemoryStore({ clock: new ManualClock() });
    const broken: Store = {
      ...memory,
      users: { ...memory.users, findUserByEmail: async () => Promise.reject(new Error('disk on fire at /var/lib/secret-path')) },
    };
    const config = loadConfig({ NODE_ENV: 'development', SESSION_SECRETS: TEST_SECRET, BCRYPT_COST: '4' });
    const app = await createApp(config, { store: broken, logger });
    await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = app.httpServer.address() as { port: number };
      const client = new TestClient(`http://127.0.0.1:${port}/graphql`);
      const response = await client.request(LoginDocument, { input: { email: uniqueEmail(), password: PASSWORD } });
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(response.body).not.toContain('disk on fire');
      expect(response.body).not.toContain('secret-path');
      expect(response.body).not.toMatch(/stacktrace|\.ts:\d+/);
      expect(lines.join('')).toContain('disk on fire');
    } finally {
      await app.stop();
      memory.close();
    }
  });
});
