import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CookieJar } from 'tough-cookie';
import {
  BeginTotpEnrollmentDocument,
  ConfirmTotpEnrollmentDocument,
  createClient,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MyDevicesDocument,
  MySessionsDocument,
  SessionqlError,
  SignUpDocument,
  VerifySecondFactorDocument,
  type TokenStorage,
} from '../../client/src';
import type { ManualClock } from '../../src/shared/clock';
import { totpCode } from '../../src/two-factor/totp';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/** A token kept in memory, as an app keeps it in secure storage. */
function memoryStorage(): TokenStorage & { value: string | null } {
  return {
    value: null,
    get() {
      return this.value;
    },
    set(token) {
      this.value = token;
    },
    clear() {
      this.value = null;
    },
  };
}

/** What a browser does for `credentials: 'include'`, for Node's fetch, which keeps no cookies. */
function browserLikeFetch(jar: CookieJar): typeof fetch {
  return async (input, init) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    const cookie = await jar.getCookieString(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(input, { ...init, headers });
    for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url);
    return response;
  };
}

async function failureOf(promise: Promise<unknown>): Promise<SessionqlError> {
  const failure: unknown = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(failure instanceof SessionqlError)) throw new Error(`expected a SessionqlError, got ${String(failure)}`);
  return failure;
}

describe('@sessionql/client against the running server', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('bearer mode keeps the tokens that signUp, login and verifySecondFactor hand out, sends them, and forgets the session at logout', async () => {
    const sessionToken = memoryStorage();
    const deviceToken = memoryStorage();
    const app = createClient({ url: server.graphqlUrl, transport: 'bearer', sessionToken, deviceToken });
    const email = uniqueEmail('client-bearer');
    expect(app.sessionTransport).toBe('HEADER');

    const { signUp } = await app.request(SignUpDocument, { input: { email, password: PASSWORD, transport: app.sessionTransport } });
    expect(sessionToken.value).toBe(signUp.token);
    expect(deviceToken.value).toBe(signUp.deviceToken);
    expect((await app.request(MeDocument)).me).toMatchObject({ id: signUp.user.id, email, twoFactorEnabled: false });
    // The device token goes with every request: the server knows this app as a device of the account.
    expect((await app.request(MyDevicesDocument)).me!.knownDevices).toEqual([expect.objectContaining({ current: true })]);

    // Two-factor on, then a new login: the waiting session's token, then the completed one's.
    const { secret } = (await app.request(BeginTotpEnrollmentDocument)).beginTotpEnrollment;
    const clock = server.clock as ManualClock;
    await app.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, clock.now()) });
    const { login } = await app.request(LoginDocument, { input: { email, password: PASSWORD, transport: app.sessionTransport } });
    expect(login.secondFactorRequired).toBe(true);
    expect(sessionToken.value).toBe(login.token);
    const waiting = await failureOf(app.request(MySessionsDocument));
    expect(waiting.codes).toEqual(['SECOND_FACTOR_REQUIRED']);
    expect(waiting.status).toBe(200);
    clock.advanceBySeconds(30);
    const { verifySecondFactor } = await app.request(VerifySecondFactorDocument, { code: totpCode(secret, clock.now()) });
    expect(sessionToken.value).toBe(verifySecondFactor.token);
    expect(verifySecondFactor.token).not.toBe(login.token);
    expect((await app.request(MySessionsDocument)).mySessions.find((session) => session.current)).toMatchObject({ aal: 2 });

    expect((await app.request(LogoutDocument)).logout).toBe(true);
    expect(sessionToken.value).toBeNull();
    expect(deviceToken.value).not.toBeNull();
    const ended = await failureOf(app.request(MySessionsDocument));
    expect(ended.has('UNAUTHENTICATED')).toBe(true);
  });

  it('cookie mode lets the cookie do the work: no token is ever handed to the code', async () => {
    const jar = new CookieJar();
    const browser = createClient({ url: server.graphqlUrl, transport: 'cookie', fetch: browserLikeFetch(jar) });
    expect(browser.sessionTransport).toBe('COOKIE');
    const email = uniqueEmail('client-cookie');
    const { signUp } = await browser.request(SignUpDocument, { input: { email, password: PASSWORD } });
    expect(signUp.token).toBeNull();
    expect((await browser.request(MeDocument)).me!.email).toBe(email);
    const refused = await failureOf(browser.request(LoginDocument, { input: { email, password: 'not the password' } }));
    expect(refused.codes).toEqual(['UNAUTHENTICATED']);
    expect(refused.data).toBeNull();
    const invalid = await failureOf(browser.request(SignUpDocument, { input: { email: 'not an email', password: PASSWORD } }));
    expect(invalid.codes).toEqual(['BAD_USER_INPUT']);
    expect(invalid.errors[0]!.extensions?.field).toBe('email');
    expect((await browser.request(LogoutDocument)).logout).toBe(true);
    expect((await browser.request(MeDocument)).me).toBeNull();
  });

  it('works as an installed dependency: built by tsc, imported by name from an ES module, its types checked', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sessionql-client-'));
    try {
      // A Node app with the package installed as npm installs a packed one (package.json, dist
      // built by tsc, the operations: a copy, not a link), next to its peer graphql.
      const app = join(work, 'app');
      const pkg = join(app, 'node_modules', '@sessionql', 'client');
      mkdirSync(pkg, { recursive: true });
      cpSync(join(ROOT, 'client', 'package.json'), join(pkg, 'package.json'));
      cpSync(join(ROOT, 'client', 'operations'), join(pkg, 'operations'), { recursive: true });
      await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'client', 'tsconfig.json'), '--outDir', join(pkg, 'dist')]);
      for (const dependency of ['graphql', '@graphql-typed-document-node/core', '@types/node']) {
        mkdirSync(join(app, 'node_modules', dependency, '..'), { recursive: true });
        symlinkSync(join(ROOT, 'node_modules', dependency), join(app, 'node_modules', dependency));
      }
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
      writeFileSync(
        join(app, 'main.mts'),
        `import { createClient, MeDocument, SignUpDocument, type ErrorCode } from '@sessionql/client';

let token: string | null = null;
const client = createClient({
  url: process.env.API!,
  transport: 'bearer',
  sessionToken: { get: () => token, set: (value) => { token = value; }, clear: () => { token = null; } },
});
const { signUp } = await client.request(SignUpDocument, { input: { email: process.env.EMAIL!, password: process.env.PASSWORD!, transport: client.sessionTransport } });
const { me } = await client.request(MeDocument);
const id: string = me!.id;
const code: ErrorCode = 'UNAUTHENTICATED';
console.log(JSON.stringify({ id, signedUpAs: signUp.user.id, tokenKept: token === signUp.token, code }));
`,
      );
      writeFileSync(join(app, 'wrong.mts'), `import { createClient, MeDocument, type ErrorCode } from '@sessionql/client';\nconst client = createClient({ url: 'x', transport: 'cookie' });\nawait client.request(MeDocument, { id: 1 });\nconst code: ErrorCode = 'NOT_A_CODE';\nexport { code };\n`);
      // One compile of both: main.mts must be clean, wrong.mts must fail where the types say it should.
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const tscArguments = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', '--types', 'node', '--skipLibCheck', 'main.mts', 'wrong.mts'];
      const compiled = await run(process.execPath, [tsc, ...tscArguments], { cwd: app }).then(
        () => '',
        (error: { stdout: string }) => error.stdout,
      );
      const errors = compiled.split('\n').filter((line) => /error TS/.test(line));
      expect(errors).toEqual([expect.stringMatching(/^wrong\.mts\(3,/), expect.stringMatching(/^wrong\.mts\(4,.*error TS2322.*NOT_A_CODE/)]);

      const email = uniqueEmail('client-installed');
      const { stdout } = await run(process.execPath, [join(app, 'main.mts')], { cwd: app, env: { ...process.env, API: server.graphqlUrl, EMAIL: email, PASSWORD } });
      const result = JSON.parse(stdout) as { id: string; signedUpAs: string; tokenKept: boolean; code: string };
      expect(result).toEqual({ id: result.signedUpAs, signedUpAs: expect.any(String), tokenKept: true, code: 'UNAUTHENTICATED' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
