import { Writable } from 'node:stream';
import pino from 'pino';
import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MySessionsDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  RevokeUserSessionsDocument,
  SignUpDocument,
  UserByIdDocument,
} from '../generated/graphql';
import { PASSWORD, startTestServer, TEST_SECRET, uniqueEmail, type GraphQLResponse, type TestServer } from '../support/harness';

const SECOND_SECRET = 'second-secret-for-rotation-0123456789abcdef';
const NEW_PASSWORD = 'an entirely new password';
const WRONG_PASSWORD = 'a wrong password!';

describe('secrets hygiene: tokens, passwords and secrets never reach logs or response bodies', () => {
  let server: TestServer;
  const logLines: string[] = [];
  const responses: Array<{ operation: string; response: GraphQLResponse<unknown>; mayCarryToken: boolean }> = [];
  const tokens = new Set<string>();

  function record<T>(operation: string, response: GraphQLResponse<T>, mayCarryToken = false): GraphQLResponse<T> {
    responses.push({ operation, response: response as GraphQLResponse<unknown>, mayCarryToken });
    for (const setCookie of response.setCookies) {
      const value = /^[^=]+=([^;]*)/.exec(setCookie)?.[1];
      if (value) tokens.add(value);
    }
    return response;
  }

  beforeAll(async () => {
    const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
    server = await startTestServer({ logger, env: { SESSION_SECRETS: `${TEST_SECRET},${SECOND_SECRET}`, LOGIN_MAX_CONSECUTIVE_FAILURES: '2', TRUST_PROXY: 'loopback' } });

    const email = uniqueEmail('hygiene');
    const browser = server.client();
    record('signUp', await browser.request(SignUpDocument, { input: { email, password: PASSWORD, displayName: 'Hygiene' } }));
    const mobile = server.client({ cookies: false });
    const headerLogin = record('login HEADER', await mobile.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } }), true);
    tokens.add(headerLogin.data!.login.token!);
    tokens.add(headerLogin.data!.login.deviceToken!);
    mobile.bearerToken = headerLogin.data!.login.token!;
    const headerSignUp = record(
      'signUp HEADER',
      await server.client({ cookies: false }).request(SignUpDocument, { input: { email: uniqueEmail('hygiene2'), password: PASSWORD, transport: 'HEADER' } }),
      true,
    );
    tokens.add(headerSignUp.data!.signUp.token!);
    tokens.add(headerSignUp.data!.signUp.deviceToken!);

    record('me', await browser.request(MeDocument));
    record('me bearer', await mobile.request(MeDocument));
    const sessions = record('mySessions', await browser.request(MySessionsDocument));
    record('login wrong', await server.client().request(LoginDocument, { input: { email, password: WRONG_PASSWORD } }));
    record('login unknown', await server.client().request(LoginDocument, { input: { email: uniqueEmail('nobody'), password: WRONG_PASSWORD } }));
    record('changePassword wrong', await browser.request(ChangePasswordDocument, { input: { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD } }));
    // The browser's failure counted on its own device's budget: a second failure from a client without one locks the email + IP.
    record('login wrong again', await server.client().request(LoginDocument, { input: { email, password: WRONG_PASSWORD } }));
    record('login throttled', await server.client().request(LoginDocument, { input: { email, password: PASSWORD } }));
    record('forged bearer', await server.client({ cookies: false, bearerToken: `${[...tokens][0]!.slice(0, -3)}xyz` }).request(MeDocument));
    const other = sessions.data!.mySessions.find((session) => !session.current)!;
    record('revokeSession', await browser.request(RevokeSessionDocument, { id: other.id }));
    record('revoked bearer', await mobile.request(MeDocument));
    record('revokeOtherSessions', await browser.request(RevokeOtherSessionsDocument));
    const relogin = server.client();
    record('login other IP', await relogin.request(LoginDocument, { input: { email, password: PASSWORD } }, { 'x-forwarded-for': '203.0.113.9' }));

    expect((await server.cli('grant-role', email, 'ADMIN')).code).toBe(0);
    const me = record('me admin', await browser.request(MeDocument));
    record('user(id)', await browser.request(UserByIdDocument, { id: me.data!.me!.id }));
    record('bad query', await browser.post({ query: '{ me { password passwordHash } }' }));
    record('revokeUserSessions', await browser.request(RevokeUserSessionsDocument, { userId: headerSignUp.data!.signUp.user.id }));
    const admin = server.client({ headers: { 'x-forwarded-for': '203.0.113.10' } });
    record('login admin', await admin.request(LoginDocument, { input: { email, password: PASSWORD } }));
    record('changePassword', await admin.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }));
    record('logout', await admin.request(LogoutDocument));
  });

  afterAll(async () => {
    await server.close();
  });

  it('drove every operation (sanity)', () => {
    expect(responses.length).toBeGreaterThan(20);
    expect(tokens.size).toBeGreaterThanOrEqual(4);
    expect(logLines.length).toBeGreaterThan(10);
    const outcome = (operation: string) => responses.find((entry) => entry.operation === operation)!.response;
    expect(outcome('login throttled').errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(outcome('changePassword').data).toEqual({ changePassword: true });
    expect(outcome('logout').data).toEqual({ logout: true });
  });

  it('keeps passwords and secrets out of every log line and response body', () => {
    const secretsAndPasswords = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, TEST_SECRET, SECOND_SECRET];
    const everything = [...logLines, ...responses.map((entry) => entry.response.body)].join('\n');
    for (const value of secretsAndPasswords) expect(everything).not.toContain(value);
    expect(everything).not.toMatch(/\$2[aby]\$\d\d\$/); // no bcrypt hash
  });

  it('keeps tokens (and their secret parts) out of the logs', () => {
    const logs = logLines.join('\n');
    for (const token of tokens) {
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(token.split('.')[3]);
    }
  });

  it('puts a token in a response body only as AuthPayload.token or deviceToken of a HEADER login or sign-up', () => {
    for (const { operation, response, mayCarryToken } of responses) {
      if (mayCarryToken) continue;
      for (const token of tokens) {
        expect({ operation, leaked: response.body.includes(token.split('.')[3]!) }).toEqual({ operation, leaked: false });
      }
    }
  });

  it('refers to sessions in logs by public id only', () => {
    const sessionLines = logLines.filter((line) => line.includes('sessionId'));
    expect(sessionLines.length).toBeGreaterThan(0);
    for (const line of sessionLines) expect(JSON.parse(line).sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
