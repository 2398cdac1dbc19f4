import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { totpCode } from '../../src/two-factor/totp';
import {
  BeginTotpEnrollmentDocument,
  ConfirmTotpEnrollmentDocument,
  LoginDocument,
  MeDocument,
  MySessionsDocument,
  SignUpDocument,
  VerifySecondFactorDocument,
} from '../generated/graphql';
import { builtGraphiQLAssetsPath } from '../support/graphiql-build';
import { errorCodes, PASSWORD, TEST_SECRET, TestClient, uniqueEmail } from '../support/harness';
import { serverProcessesOnTestRedis, type ServerProcess } from '../support/server-process';

const INTROSPECTION = '{ __schema { types { name } } }';

/** The server as users run it in production: its own process, NODE_ENV=production, on Redis. */
describe('production mode (NODE_ENV=production)', () => {
  const start = serverProcessesOnTestRedis('production');
  let server: ServerProcess;

  beforeAll(async () => {
    server = await start();
  });

  function client(): TestClient {
    return new TestClient(server.graphqlUrl);
  }

  it('warns at start that /metrics is open without METRICS_TOKEN, and not when it is set', async () => {
    expect(server.logs.some((line) => line.level === 40 && /^METRICS_TOKEN is not set/.test(line.msg ?? ''))).toBe(true);
    const guarded = await start({ METRICS_TOKEN: 'a-metrics-token-of-24-chars' });
    try {
      expect(guarded.logs.filter((line) => /METRICS_TOKEN/.test(line.msg ?? ''))).toEqual([]);
    } finally {
      await guarded.stop();
    }
  });

  it('warns at start that TRUST_PROXY=true lets any client choose its address', async () => {
    const trusting = await start({ TRUST_PROXY: 'true' });
    try {
      expect(trusting.logs.some((line) => line.level === 40 && /^TRUST_PROXY=true trusts every hop/.test(line.msg ?? ''))).toBe(true);
    } finally {
      await trusting.stop();
    }
  });

  it('refuses introspection', async () => {
    const response = await client().post({ query: INTROSPECTION });
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.body).not.toContain('"Query"');
  });

  it('suggests no field names in errors', async () => {
    const response = await client().post({ query: '{ mee { id } }' });
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.body).not.toMatch(/Did you mean/i);
    const typo = await client().post({ query: 'mutation { logou }' });
    expect(typo.body).not.toMatch(/Did you mean|logout/i);
  });

  it('serves no GraphiQL', async () => {
    const page = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect((await fetch(`${server.url}${builtGraphiQLAssetsPath()}ruru.js`)).status).toBe(404);
  });

  it('uses the secure cookie: __Host-sid, Secure', async () => {
    const response = await client().request(SignUpDocument, { input: { email: uniqueEmail('prod'), password: PASSWORD } });
    expect(response.setCookies[0]).toMatch(/^__Host-sid=v1\.[^;]+;.*; Secure/);
  });

  it('sends security headers suited to a JSON API', async () => {
    const response = await client().request(MeDocument);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('turns two-factor on and completes a sign-in with it, codes named after APP_ORIGIN', async () => {
    const email = uniqueEmail('prod-2fa');
    const app = new TestClient(server.graphqlUrl, { cookies: false });
    app.bearerToken = (await app.request(SignUpDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } })).data!.signUp.token!;
    const begun = await app.request(BeginTotpEnrollmentDocument);
    expect(begun.errors).toBeUndefined();
    const { secret, otpauthUri } = begun.data!.beginTotpEnrollment;
    expect(new URL(otpauthUri).searchParams.get('issuer')).toBe('127.0.0.1:5173');
    const confirmed = await app.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, new Date()) });
    expect(confirmed.errors).toBeUndefined();
    const [recoveryCode] = confirmed.data!.confirmTotpEnrollment;

    const phone = new TestClient(server.graphqlUrl, { cookies: false });
    const login = await phone.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
    expect(login.data!.login.secondFactorRequired).toBe(true);
    phone.bearerToken = login.data!.login.token!;
    expect(errorCodes(await phone.request(MySessionsDocument))).toEqual(['SECOND_FACTOR_REQUIRED']);
    // The TOTP code of this step was used by the confirmation: a recovery code completes it.
    const verified = await phone.request(VerifySecondFactorDocument, { code: recoveryCode! });
    expect(verified.errors).toBeUndefined();
    phone.bearerToken = verified.data!.verifySecondFactor.token!;
    expect((await phone.request(MySessionsDocument)).errors).toBeUndefined();
  });

  it('starts without TOTP_ENCRYPTION_KEY, says at start that nobody can turn two-factor on, and refuses enrolment', async () => {
    const keyless = await start({ TOTP_ENCRYPTION_KEY: '' });
    try {
      expect(keyless.logs.some((line) => line.level === 40 && /^TOTP_ENCRYPTION_KEY is not set/.test(line.msg ?? ''))).toBe(true);
      const app = new TestClient(keyless.graphqlUrl, { cookies: false });
      app.bearerToken = (await app.request(SignUpDocument, { input: { email: uniqueEmail('keyless'), password: PASSWORD, transport: 'HEADER' } })).data!.signUp.token!;
      const refused = await app.request(BeginTotpEnrollmentDocument);
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
      expect(refused.errors![0]!.message).toMatch(/TOTP_ENCRYPTION_KEY/);
    } finally {
      await keyless.stop();
    }
  });

  describe('with GRAPHIQL=true', () => {
    let withGraphiql: ServerProcess;

    beforeAll(async () => {
      withGraphiql = await start({ GRAPHIQL: 'true' });
    });

    it('serves GraphiQL under a policy that allows only its own scripts', async () => {
      const page = await fetch(withGraphiql.graphqlUrl, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const policy = page.headers.get('content-security-policy')!;
      expect(policy).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;/);
      expect(policy).not.toContain('unsafe-inline\' \'sha');
      expect(policy).toContain("connect-src 'self'");
    });

    it('answers introspection, which GraphiQL needs for its docs and completion', async () => {
      const response = await new TestClient(withGraphiql.graphqlUrl).post<{ __schema: { types: Array<{ name: string }> } }>({ query: INTROSPECTION });
      expect(response.errors).toBeUndefined();
      expect(response.data!.__schema.types.map((type) => type.name)).toContain('Query');
    });
  });
});

describe('refusing to start half-configured', () => {
  const root = join(__dirname, '..', '..');

  async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
    try {
      await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
        timeout: 20_000,
      });
      return { code: 0, stderr: '' };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  }

  it('names every bad variable on one line and exits 1, never echoing a secret', async () => {
    const shortSecret = 'too-short-secret';
    const result = await start({ NODE_ENV: 'production', SESSION_SECRETS: shortSecret, BCRYPT_COST: '8', SESSION_IDLE_TTL: 'forever' });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SESSION_SECRETS/);
    expect(lines[0]).toMatch(/BCRYPT_COST/);
    expect(lines[0]).toMatch(/SESSION_IDLE_TTL/);
    expect(result.stderr).not.toContain(shortSecret);
  }, 30_000);

  it('refuses production without SESSION_SECRETS', async () => {
    const result = await start({ NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SESSION_SECRETS is required/);
  }, 30_000);

  it('accepts a valid production configuration (sanity check of the refusals above)', async () => {
    const result = await start({ NODE_ENV: 'production', SESSION_SECRETS: TEST_SECRET, PORT: 'not-a-port' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PORT/);
    expect(result.stderr).not.toMatch(/SESSION_SECRETS|BCRYPT_COST/);
  }, 30_000);
});
