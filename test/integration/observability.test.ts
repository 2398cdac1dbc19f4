import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/shared/logger';
import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MySessionsDocument,
  RevokeSessionDocument,
  SignUpDocument,
} from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, TEST_SECRET, uniqueEmail, type TestServer } from '../support/harness';
import { sample, scrape } from '../support/metrics';

type LogLine = Record<string, unknown> & { msg: string; reqId?: string; level: number };

/** A pino destination that keeps every line, parsed. */
function logCapture() {
  const lines: LogLine[] = [];
  return {
    lines,
    logger: createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }),
  };
}

/** The lines logged for one request; waits for its closing 'request finished' line, written when the response closes. */
async function linesOf(lines: LogLine[], requestId: string): Promise<LogLine[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (lines.some((line) => line.reqId === requestId && line.msg === 'request finished')) break;
    await delay(10);
  }
  return lines.filter((line) => line.reqId === requestId);
}

describe('request ids and structured logs', () => {
  const capture = logCapture();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ logger: capture.logger });
  });
  afterAll(async () => {
    await server.close();
  });

  it('echoes a well-formed incoming X-Request-Id and puts it on every line logged for that request', async () => {
    const email = uniqueEmail('logs');
    const client = server.client();
    const signUp = await client.request(SignUpDocument, { input: { email, password: PASSWORD } }, { 'x-request-id': 'spa-signup.0001' });
    expect(signUp.headers.get('x-request-id')).toBe('spa-signup.0001');

    const lines = await linesOf(capture.lines, 'spa-signup.0001');
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['user signed up', 'session started', 'request finished']));
    expect(lines.find((line) => line.msg === 'request finished')).toMatchObject({ method: 'POST', route: '/graphql', status: 200 });
    for (const line of lines) expect(line).toMatchObject({ service: 'sessionql', reqId: 'spa-signup.0001' });

    const failed = await server.client().request(LoginDocument, { input: { email, password: 'wrong password 123' } }, { 'x-request-id': 'bad-login-1' });
    expect(errorCodes(failed)).toEqual(['UNAUTHENTICATED']);
    expect((await linesOf(capture.lines, 'bad-login-1')).map((line) => line.msg)).toContain('login failed');
  });

  it('replaces a missing, overlong or odd request id with a fresh one', async () => {
    const ids = new Set<string>();
    for (const incoming of [undefined, 'x'.repeat(129), 'has spaces', '<script>', '']) {
      const response = await fetch(`${server.url}/healthz`, { headers: incoming === undefined ? {} : { 'x-request-id': incoming } });
      const id = response.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(5);
    expect(capture.lines.some((line) => typeof line.reqId === 'string' && line.reqId.startsWith('xxxx'))).toBe(false);
  });

  it('never logs a password, token, cookie or secret, through a whole lifecycle', async () => {
    const email = uniqueEmail('secrets');
    const newPassword = 'another long password 42';
    const browser = server.client();
    await browser.request(SignUpDocument, { input: { email, password: PASSWORD } }, { 'x-request-id': 'secrets-1' });
    const cookie = (await browser.sessionCookieValue())!;
    const mobile = server.client({ cookies: false });
    const login = await mobile.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } }, { 'x-request-id': 'secrets-2' });
    mobile.bearerToken = login.data!.login.token!;
    await mobile.request(MeDocument, {}, { 'x-request-id': 'secrets-3' });
    await mobile.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword } }, { 'x-request-id': 'secrets-4' });
    await mobile.request(LoginDocument, { input: { email, password: 'not the password 1' } }, { 'x-request-id': 'secrets-5' });
    await mobile.request(LogoutDocument, {}, { 'x-request-id': 'secrets-6' });

    const logged: string[] = [];
    for (const id of ['secrets-1', 'secrets-2', 'secrets-3', 'secrets-4', 'secrets-5', 'secrets-6']) {
      const lines = await linesOf(capture.lines, id);
      expect(lines.length).toBeGreaterThan(0);
      logged.push(...lines.map((line) => JSON.stringify(line)));
    }
    const text = logged.join('\n');
    expect(text).toContain('password changed');
    for (const secret of [PASSWORD, newPassword, 'not the password 1', cookie, login.data!.login.token!, TEST_SECRET]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/v1\.[\w-]+\.[\w-]+\.[\w-]+\./);
  });
});

describe('GET /metrics', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { LOGIN_MAX_CONSECUTIVE_FAILURES: '2' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('counts requests, GraphQL errors, logins, sessions and store latency as they happen', async () => {
    const before = await scrape(server);
    for (const result of ['ok', 'failed', 'throttled']) expect(sample(before, 'sessionql_logins_total', { result })).toBe(0);
    expect(sample(before, 'sessionql_sessions_ended_total', { reason: 'logout' })).toBe(0);

    const email = uniqueEmail('metrics');
    const browser = server.client();
    await browser.request(SignUpDocument, { input: { email, password: PASSWORD } });
    const phone = server.client({ cookies: false });
    const phoneLogin = await phone.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
    phone.bearerToken = phoneLogin.data!.login.token!;
    expect((await browser.request(RevokeSessionDocument, { id: phoneLogin.data!.login.session.id })).data!.revokeSession).toBe(true);
    await browser.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'second long password 1' } });
    const tablet = server.client();
    await tablet.request(LoginDocument, { input: { email, password: 'second long password 1' } });
    await browser.request(ChangePasswordDocument, { input: { currentPassword: 'second long password 1', newPassword: 'third long password 12' } });
    await browser.request(LogoutDocument);

    const stranger = server.client();
    expect(errorCodes(await stranger.request(MySessionsDocument))).toEqual(['UNAUTHENTICATED']);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(errorCodes(await stranger.request(LoginDocument, { input: { email, password: 'a wrong password' } }))).toEqual(['UNAUTHENTICATED']);
    }
    expect(errorCodes(await stranger.request(LoginDocument, { input: { email, password: 'a wrong password' } }))).toEqual(['RATE_LIMITED']);
    expect(errorCodes(await stranger.post({ query: '{ nope }' }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect((await fetch(`${server.url}/no-such-page`)).status).toBe(404);

    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string> = {}) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

    expect(delta('sessionql_logins_total', { result: 'ok' })).toBe(2);
    expect(delta('sessionql_logins_total', { result: 'failed' })).toBe(2);
    expect(delta('sessionql_logins_total', { result: 'throttled' })).toBe(1);
    expect(delta('sessionql_sessions_started_total', { transport: 'COOKIE' })).toBe(2);
    expect(delta('sessionql_sessions_started_total', { transport: 'HEADER' })).toBe(1);
    expect(delta('sessionql_sessions_ended_total', { reason: 'revoked_by_user' })).toBe(1);
    expect(delta('sessionql_sessions_ended_total', { reason: 'password_change' })).toBe(1);
    expect(delta('sessionql_sessions_ended_total', { reason: 'logout' })).toBe(1);
    expect(delta('sessionql_graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(3);
    expect(delta('sessionql_graphql_errors_total', { code: 'RATE_LIMITED' })).toBe(1);
    expect(delta('sessionql_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta('sessionql_http_requests_total', { method: 'POST', route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(10);
    expect(delta('sessionql_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta('sessionql_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    expect(delta('sessionql_store_operation_duration_seconds_count', { operation: 'sessions.createSession', outcome: 'ok' })).toBe(3);
    expect(delta('sessionql_store_operation_duration_seconds_count', { operation: 'sessions.findSessionWithUser', outcome: 'ok' })).toBeGreaterThanOrEqual(4);
    // Every login looks its account up before the throttle (to recognise a known device), the throttled one too.
    expect(delta('sessionql_store_operation_duration_seconds_count', { operation: 'users.findUserByEmail', outcome: 'ok' })).toBe(5);
    expect(after).toMatch(/^sessionql_store_operation_duration_seconds_bucket\{le="0\.001",operation="sessions\.findSessionWithUser",outcome="ok"\} \d+$/m);
  });

  it('keeps a registry per app: another app in the same process counts on its own', async () => {
    const other = await startTestServer({ store: 'memory' });
    try {
      await other.client().request(SignUpDocument, { input: { email: uniqueEmail('other'), password: PASSWORD } });
      const mine = await scrape(server);
      const theirs = await scrape(other);
      expect(sample(theirs, 'sessionql_sessions_started_total', { transport: 'COOKIE' })).toBe(1);
      expect(sample(mine, 'sessionql_sessions_started_total', { transport: 'COOKIE' })).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('counts a store that cannot answer as an error outcome', async () => {
    const failing = await startTestServer({
      store: 'memory',
      wrapStore: (store) => ({
        ...store,
        users: Object.assign(Object.create(store.users) as typeof store.users, {
          findUserByEmail: () => Promise.reject(new Error('an unexpected store failure')),
        }),
      }),
    });
    try {
      await failing.client().request(LoginDocument, { input: { email: uniqueEmail('down'), password: PASSWORD } });
      const text = await scrape(failing);
      expect(sample(text, 'sessionql_store_operation_duration_seconds_count', { operation: 'users.findUserByEmail', outcome: 'error' })).toBe(1);
      expect(sample(text, 'sessionql_graphql_errors_total', { code: 'INTERNAL_SERVER_ERROR' })).toBe(1);
    } finally {
      await failing.close();
    }
  });
});

describe('METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789abcdef';
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: 'memory', env: { METRICS_TOKEN: token } });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer scrape-token-0123456789abcdeX' }],
    ['a prefix of the token', { authorization: `Bearer ${token.slice(0, -1)}` }],
    ['the token as Basic credentials', { authorization: `Basic ${token}` }],
  ])('refuses a scrape with %s (401, nothing exposed)', async (_label, headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/metrics`, { headers });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await response.text()).not.toContain('sessionql_');
  });

  it('answers the right bearer token', async () => {
    const text = await scrape(server, { authorization: `Bearer ${token}` });
    expect(sample(text, 'sessionql_logins_total', { result: 'ok' })).toBe(0);
  });

  it('must be long enough, and a bad one is reported without being echoed', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short-token' })).toThrow(ConfigError);
    try {
      loadConfig({ METRICS_TOKEN: 'short-token' });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^METRICS_TOKEN must be at least 16/)]);
      expect((error as Error).message).not.toContain('short-token');
    }
    expect(loadConfig({ METRICS_TOKEN: token }).metrics.token).toBe(token);
    expect(loadConfig({}).metrics.token).toBeNull();
  });
});
