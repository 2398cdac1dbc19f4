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
  BeginTotpEnrollmentDocument,
  ConfirmTotpEnrollmentDocument,
  DisableTotpDocument,
  RegenerateRecoveryCodesDocument,
  VerifySecondFactorDocument,
} from '../generated/graphql';
import type { ManualClock } from '../../src/shared/clock';
import { totpCode } from '../../src/two-factor/totp';
import { PASSWORD, startTestServer, TEST_SECRET, TEST_TOTP_KEY, uniqueEmail, type GraphQLResponse, type TestServer } from '../support/harness';

const SECOND_SECRET = 'second-secret-for-rotation-0123456789abcdef';
const NEW_PASSWORD = 'an entirely new password';
const WRONG_PASSWORD = 'a wrong password!';

describe('secrets hygiene: tokens, passwords and secrets never reach logs or response bodies', () => {
  let server: TestServer;
  const logLines: string[] = [];
  const responses: Array<{ operation: string; response: GraphQLResponse<unknown>; mayCarryToken: boolean }> = [];
  const tokens = new Set<string>();
  /** TOTP secrets, codes and recovery codes: shown to their user once, never logged. */
  const secondFactorSecrets = new Set<string>();

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

    // Two-factor: a secret to scan, codes, recovery codes, and a new token from verifySecondFactor.
    const clock = server.clock as ManualClock;
    const enrolling = server.client();
    const twoFactorEmail = uniqueEmail('hygiene-2fa');
    record('signUp 2fa', await enrolling.request(SignUpDocument, { input: { email: twoFactorEmail, password: PASSWORD } }));
    const begun = record('beginTotpEnrollment', await enrolling.request(BeginTotpEnrollmentDocument));
    const { secret } = begun.data!.beginTotpEnrollment;
    secondFactorSecrets.add(secret);
    const code = (offsetSeconds: number) => {
      clock.advanceBySeconds(offsetSeconds);
      const next = totpCode(secret, clock.now());
      secondFactorSecrets.add(next);
      return next;
    };
    const recoveryCodes = record('confirmTotpEnrollment', await enrolling.request(ConfirmTotpEnrollmentDocument, { code: code(0) })).data!.confirmTotpEnrollment;
    for (const recoveryCode of recoveryCodes) secondFactorSecrets.add(recoveryCode);
    const phone = server.client({ cookies: false });
    const pending = record('login HEADER 2fa', await phone.request(LoginDocument, { input: { email: twoFactorEmail, password: PASSWORD, transport: 'HEADER' } }), true);
    tokens.add(pending.data!.login.token!);
    phone.bearerToken = pending.data!.login.token!;
    record('verifySecondFactor wrong', await phone.request(VerifySecondFactorDocument, { code: 'WRONG-CODE-ZZZZ' }));
    const verified = record('verifySecondFactor', await phone.request(VerifySecondFactorDocument, { code: code(30) }), true);
    tokens.add(verified.data!.verifySecondFactor.token!);
    record('verifySecondFactor recovery', await server.client({ cookies: false, bearerToken: verified.data!.verifySecondFactor.token! }).request(VerifySecondFactorDocument, { code: recoveryCodes[0]! }));
    for (const regenerated of record('regenerateRecoveryCodes', await enrolling.request(RegenerateRecoveryCodesDocument)).data!.regenerateRecoveryCodes) {
      secondFactorSecrets.add(regenerated);
    }
    record('disableTotp', await enrolling.request(DisableTotpDocument, { code: code(30) }));
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
    expect(outcome('verifySecondFactor').data).toMatchObject({ verifySecondFactor: { secondFactorRequired: false } });
    expect(outcome('verifySecondFactor recovery').errors).toBeUndefined();
    expect(outcome('disableTotp').data).toEqual({ disableTotp: true });
    expect(secondFactorSecrets.size).toBeGreaterThanOrEqual(24);
  });

  it('keeps two-factor secrets, codes and recovery codes out of every log line, and the TOTP key out of everything', () => {
    const logs = logLines.join('\n');
    for (const value of secondFactorSecrets) {
      // A six-digit code as a number of its own (timestamps in the log hold any six digits).
      if (/^\d{6}$/.test(value)) expect(logs).not.toMatch(new RegExp(`(?<!\\d)${value}(?!\\d)`));
      else expect(logs).not.toContain(value);
    }
    const everything = [logs, ...responses.map((entry) => entry.response.body)].join('\n');
    expect(everything).not.toContain(TEST_TOTP_KEY);
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
