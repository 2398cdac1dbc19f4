import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { MeDocument } from '../generated/graphql';
import { signUpWithBearer } from '../support/flows';
import { startTestServer, TestClient } from '../support/harness';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl, uniqueKeyPrefix } from '../support/redis';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server';

const root = join(__dirname, '..', '..');
const SECRET_IN_FILE = 'a-session-secret-from-a-mounted-file-0001';
const METRICS_TOKEN_IN_FILE = 'a-metrics-token-from-a-file';

/** The server as a container runs it: production, each secret a file under /run/secrets (here, a temporary folder). */
describe('secrets from files (X_FILE) in a production server process', () => {
  const keyPrefix = uniqueKeyPrefix('secret-files');
  let secrets: string;
  let mailbox: TestSmtpServer;
  let redis: Redis;
  let server: ServerProcess;

  /** Writes a secret file as Docker and `echo` do: with a trailing newline. */
  function secretFile(name: string, content: string): string {
    const path = join(secrets, name);
    writeFileSync(path, `${content}\n`, { mode: 0o600 });
    return path;
  }

  beforeAll(async () => {
    secrets = mkdtempSync(join(tmpdir(), 'sessionql-run-secrets-'));
    mailbox = await startTestSmtpServer();
    redis = await connectTestRedis();
    server = await startServerProcess({
      // The harness's own SESSION_SECRETS and SMTP_URL, blanked: blank counts as unset.
      SESSION_SECRETS: '',
      SMTP_URL: '',
      SESSION_SECRETS_FILE: secretFile('session_secrets', SECRET_IN_FILE),
      METRICS_TOKEN_FILE: secretFile('metrics_token', METRICS_TOKEN_IN_FILE),
      SMTP_URL_FILE: secretFile('smtp_url', mailbox.url),
      REDIS_URL_FILE: secretFile('redis_url', testRedisUrl()),
      REDIS_KEY_PREFIX: keyPrefix,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await mailbox?.close();
    await deleteKeysWithPrefix(redis, keyPrefix);
    redis.disconnect();
    rmSync(secrets, { recursive: true, force: true });
  });

  it('starts in production on the Redis named by REDIS_URL_FILE, with no warning about /metrics', () => {
    expect(server.logs.find((line) => line.msg === 'sessionql listening')).toMatchObject({ store: 'redis' });
    expect(server.logs.filter((line) => /METRICS_TOKEN|SESSION_SECRETS/.test(line.msg ?? ''))).toEqual([]);
  });

  it('guards /metrics with the token from METRICS_TOKEN_FILE, its newline trimmed', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN_IN_FILE}` } })).status).toBe(200);
  });

  it('signs tokens with the secret from SESSION_SECRETS_FILE: another server given that secret directly accepts them', async () => {
    const app = await signUpWithBearer(server, 'file-secrets');
    const sibling = await startTestServer({ store: 'configured', keyPrefix, env: { REDIS_URL: testRedisUrl(), SESSION_SECRETS: SECRET_IN_FILE } });
    try {
      const me = await new TestClient(sibling.graphqlUrl, { bearerToken: app.token }).request(MeDocument);
      expect(me.data!.me).toMatchObject({ id: app.userId });
    } finally {
      await sibling.close();
    }
  });
});

describe('secret files that cannot be used', () => {
  it('stop a production server before it starts, naming each variable on one line and never a secret', async () => {
    const secrets = mkdtempSync(join(tmpdir(), 'sessionql-bad-secrets-'));
    try {
      const badRedisUrl = join(secrets, 'redis_url');
      writeFileSync(badRedisUrl, 'http://:hunter2-redis-password@redis:6379\n');
      const missing = join(secrets, 'missing');
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['-r', '@swc-node/register', 'src/main.ts'],
          {
            cwd: root,
            timeout: 30_000,
            env: {
              PATH: process.env.PATH ?? '',
              NODE_ENV: 'production',
              PORT: '0',
              APP_ORIGIN: 'https://app.example.com',
              SMTP_URL: 'smtp://127.0.0.1:25',
              SESSION_SECRETS_FILE: missing,
              METRICS_TOKEN: 'hunter2-metrics-token',
              METRICS_TOKEN_FILE: missing,
              REDIS_URL_FILE: badRedisUrl,
            },
          },
          (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
        );
      });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('METRICS_TOKEN and METRICS_TOKEN_FILE are both set');
      expect(lines[0]).toContain(`SESSION_SECRETS_FILE cannot be read: ${missing} (ENOENT)`);
      expect(lines[0]).toContain('REDIS_URL (from REDIS_URL_FILE) must use redis://');
      expect(lines[0]).not.toContain('SESSION_SECRETS is required');
      expect(result.stderr).not.toContain('hunter2');
    } finally {
      rmSync(secrets, { recursive: true, force: true });
    }
  }, 60_000);
});
