import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MeDocument, SignUpDocument, UserPublicFieldsDocument } from '../generated/graphql';
import { testRedisUrl } from '../support/redis';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

const root = join(__dirname, '..', '..');

/** Runs `npm run cli -- …` as an operator would, minus the build: the same entry point from source. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'src/main.ts', 'cli', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run cli -- grant-role / revoke-role', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('grants and revokes ADMIN against the configured Redis', async () => {
    const email = uniqueEmail('cli');
    const user = server.client();
    await user.request(SignUpDocument, { input: { email, password: PASSWORD } });
    const target = await server.client().request(SignUpDocument, { input: { email: uniqueEmail('other'), password: PASSWORD } });
    const targetId = target.data!.signUp.user.id;
    const env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: server.keyPrefix };

    const granted = await cli(['grant-role', email.toUpperCase(), 'ADMIN'], env);
    expect(granted).toMatchObject({ code: 0 });
    expect(granted.stdout).toContain('ADMIN');
    expect((await user.request(MeDocument)).data!.me!.roles.sort()).toEqual(['ADMIN', 'USER']);
    expect((await user.request(UserPublicFieldsDocument, { id: targetId })).errors).toBeUndefined();

    expect(await cli(['revoke-role', email, 'ADMIN'], env)).toMatchObject({ code: 0 });
    expect((await user.request(MeDocument)).data!.me!.roles).toEqual(['USER']);
  }, 30_000);

  it('answers alone on stdout, its logs on stderr', async () => {
    const email = uniqueEmail('cli-output');
    await server.client().request(SignUpDocument, { input: { email, password: PASSWORD } });
    const granted = await cli(['grant-role', email, 'ADMIN'], { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: server.keyPrefix, LOG_LEVEL: 'info' });
    expect(granted.code).toBe(0);
    expect(granted.stdout).toBe(`${email}: roles USER, ADMIN\n`);
    expect(granted.stderr).toMatch(/"msg":"roles changed"/);
  }, 30_000);

  it('explains unknown users, bad usage and a missing store', async () => {
    const env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: server.keyPrefix };
    const unknown = await cli(['grant-role', 'nobody@example.com', 'ADMIN'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user with email');
    const usage = await cli(['grant-role', 'x@example.com', 'KING'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage:');
    const noStore = await cli(['grant-role', 'x@example.com', 'ADMIN'], {});
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toContain('REDIS_URL');
  }, 30_000);
});
