import { ChangePasswordDocument, LoginDocument, SignUpDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, serversClosedAfterAll, startTestServer, uniqueEmail, type StoreKind, type TestServer } from '../support/harness';
import { metricValue } from '../support/metrics';
import { WIDE_PASSWORD_CHECK_LINE } from '../support/fixtures';

const WRONG = 'not the password';

describe.each<StoreKind>(['redis', 'memory'])('login throttling (%s store)', (storeKind) => {
  const startServer = serversClosedAfterAll({ store: storeKind, env: { TRUST_PROXY: 'loopback' } });
  const start = (env: Record<string, string>): Promise<TestServer> => startServer({ env });

  async function signUp(server: TestServer, ip = '198.51.100.1'): Promise<string> {
    const email = uniqueEmail('throttle');
    const response = await server.client().request(SignUpDocument, { input: { email, password: PASSWORD } }, { 'x-forwarded-for': ip });
    expect(response.errors).toBeUndefined();
    return email;
  }

  function login(server: TestServer, email: string, password: string, ip = '198.51.100.1') {
    return server.client().request(LoginDocument, { input: { email, password } }, { 'x-forwarded-for': ip });
  }

  /** Counts the bcrypt comparisons the server makes from now on, as its /metrics reports them. */
  async function countPasswordChecks(server: TestServer): Promise<() => Promise<number>> {
    const before = await metricValue(server, 'sessionql_password_checks_total');
    return async () => (await metricValue(server, 'sessionql_password_checks_total')) - before;
  }

  it('blocks an email + IP for 15 minutes after LOGIN_MAX_CONSECUTIVE_FAILURES, before bcrypt, even with the right password', async () => {
    const server = await start({ LOGIN_MAX_CONSECUTIVE_FAILURES: '3' });
    const email = await signUp(server);
    for (let attempt = 0; attempt < 3; attempt++) expect(errorCodes(await login(server, email, WRONG))).toEqual(['UNAUTHENTICATED']);

    const checks = await countPasswordChecks(server);
    const blocked = await login(server, email, PASSWORD);
    expect(errorCodes(blocked)).toEqual(['RATE_LIMITED']);
    const retryAfterSeconds = blocked.errors![0]!.extensions!.retryAfterSeconds as number;
    expect(retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect(retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    expect(await checks()).toBe(0);
    expect(blocked.setCookies).toEqual([]);

    // Another IP for the same email is not blocked by the consecutive-failure rule.
    expect((await login(server, email, PASSWORD, '198.51.100.99')).errors).toBeUndefined();
  });

  it('resets the consecutive failures on a success', async () => {
    const server = await start({ LOGIN_MAX_CONSECUTIVE_FAILURES: '3' });
    const email = await signUp(server);
    for (let round = 0; round < 3; round++) {
      expect(errorCodes(await login(server, email, WRONG))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await login(server, email, WRONG))).toEqual(['UNAUTHENTICATED']);
      expect((await login(server, email, PASSWORD)).errors).toBeUndefined();
    }
  });

  it('limits failures per email across every IP (LOGIN_MAX_FAILURES_PER_EMAIL_HOUR)', async () => {
    const server = await start({ LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '4' });
    const email = await signUp(server);
    for (let ip = 1; ip <= 4; ip++) expect(errorCodes(await login(server, email, WRONG, `203.0.113.${ip}`))).toEqual(['UNAUTHENTICATED']);
    const fresh = await login(server, email, PASSWORD, '203.0.113.200');
    expect(errorCodes(fresh)).toEqual(['RATE_LIMITED']);
    expect(fresh.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('limits failures per IP across every email (LOGIN_MAX_FAILURES_PER_IP_DAY)', async () => {
    const server = await start({ LOGIN_MAX_FAILURES_PER_IP_DAY: '3' });
    const victim = await signUp(server, '192.0.2.50');
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(errorCodes(await login(server, uniqueEmail('spray'), WRONG, '192.0.2.66'))).toEqual(['UNAUTHENTICATED']);
    }
    expect(errorCodes(await login(server, victim, PASSWORD, '192.0.2.66'))).toEqual(['RATE_LIMITED']);
    expect((await login(server, victim, PASSWORD, '192.0.2.50')).errors).toBeUndefined();
  });

  it('does not count successful logins as failures', async () => {
    const server = await start({ LOGIN_MAX_FAILURES_PER_IP_DAY: '2', LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '2' });
    const email = await signUp(server);
    for (let attempt = 0; attempt < 5; attempt++) expect((await login(server, email, PASSWORD)).errors).toBeUndefined();
  });

  it('counts parallel guesses before checking them: a burst cannot outrun the per-email budget', async () => {
    const server = await start({ ...WIDE_PASSWORD_CHECK_LINE, LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '5' });
    const email = await signUp(server);
    const checks = await countPasswordChecks(server);
    const responses = await Promise.all(Array.from({ length: 20 }, () => login(server, email, WRONG)));
    const codes = responses.map((response) => errorCodes(response)[0]);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(5);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(15);
    expect(await checks()).toBe(5);
  });

  it('locks the pair out after a parallel burst of wrong guesses', async () => {
    const server = await start({ ...WIDE_PASSWORD_CHECK_LINE, LOGIN_MAX_CONSECUTIVE_FAILURES: '3' });
    const email = await signUp(server);
    await Promise.all(Array.from({ length: 8 }, () => login(server, email, WRONG)));
    const blocked = await login(server, email, PASSWORD);
    expect(errorCodes(blocked)).toEqual(['RATE_LIMITED']);
    expect(blocked.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(14 * 60);
  });

  it('answers a burst of one user’s parallel correct logins with sessions or a short RATE_LIMITED, never a lockout (default limits)', async () => {
    const server = await start({});
    const email = await signUp(server);
    const responses = await Promise.all(Array.from({ length: 30 }, () => login(server, email, PASSWORD)));
    const codes = responses.map((response) => errorCodes(response).join());
    expect(codes.filter((code) => code === '').length).toBeGreaterThanOrEqual(1);
    expect(codes.filter((code) => code !== '' && code !== 'RATE_LIMITED')).toEqual([]);
    for (const refused of responses.filter((response) => response.errors)) expect(refused.errors![0]!.extensions!.retryAfterSeconds).toBe(1);
    // Nothing was counted as a failure: the next login goes through.
    expect((await login(server, email, PASSWORD)).errors).toBeUndefined();
  });

  it('protects changePassword’s current-password check with the same limits, on the device’s own budget', async () => {
    const server = await start({ LOGIN_MAX_CONSECUTIVE_FAILURES: '2' });
    const email = uniqueEmail('change');
    const client = server.client();
    await client.request(SignUpDocument, { input: { email, password: PASSWORD } }, { 'x-forwarded-for': '198.51.100.7' });
    const change = (currentPassword: string) =>
      client.request(ChangePasswordDocument, { input: { currentPassword, newPassword: 'a new password 123' } }, { 'x-forwarded-for': '198.51.100.7' });
    expect(errorCodes(await change(WRONG))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await change(WRONG))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await change(PASSWORD))).toEqual(['RATE_LIMITED']);
    // The browser is a known device of the account: its failures locked out that device only.
    const sameBrowser = await client.request(LoginDocument, { input: { email, password: PASSWORD } }, { 'x-forwarded-for': '198.51.100.7' });
    expect(errorCodes(sameBrowser)).toEqual(['RATE_LIMITED']);
    expect((await login(server, email, PASSWORD, '198.51.100.7')).errors).toBeUndefined();
  });

  it('limits sign-ups per IP (SIGNUP_MAX_PER_IP_HOUR)', async () => {
    const server = await start({ SIGNUP_MAX_PER_IP_HOUR: '2' });
    const signUpFrom = (ip: string) => server.client().request(SignUpDocument, { input: { email: uniqueEmail('many'), password: PASSWORD } }, { 'x-forwarded-for': ip });
    expect((await signUpFrom('198.51.100.30')).errors).toBeUndefined();
    expect((await signUpFrom('198.51.100.30')).errors).toBeUndefined();
    expect(errorCodes(await signUpFrom('198.51.100.30'))).toEqual(['RATE_LIMITED']);
    expect((await signUpFrom('198.51.100.31')).errors).toBeUndefined();
  });
});

describe('client IP for throttling without TRUST_PROXY', () => {
  it('ignores a forged X-Forwarded-For from an untrusted peer', async () => {
    const server = await startTestServer({ store: 'memory', env: { LOGIN_MAX_FAILURES_PER_IP_DAY: '3' } });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const response = await server
          .client()
          .request(LoginDocument, { input: { email: uniqueEmail(), password: WRONG } }, { 'x-forwarded-for': `203.0.113.${attempt}` });
        expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      }
      const rotated = await server.client().request(LoginDocument, { input: { email: uniqueEmail(), password: WRONG } }, { 'x-forwarded-for': '203.0.113.99' });
      expect(errorCodes(rotated)).toEqual(['RATE_LIMITED']);
    } finally {
      await server.close();
    }
  });
});
