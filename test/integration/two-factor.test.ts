import type { ManualClock } from '../../src/shared/clock';
import { RedisKeyspace } from '../../src/storage/redis/keyspace';
import { totpCode } from '../../src/two-factor/totp';
import { TWO_FACTOR_LIMITS } from '../../src/two-factor/two-factor.model';
import {
  BeginTotpEnrollmentDocument,
  ChangePasswordDocument,
  ConfirmTotpEnrollmentDocument,
  DisableTotpDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MeTwoFactorDocument,
  MySessionsAuthenticationDocument,
  MyDevicesDocument,
  MySessionsDocument,
  RegenerateRecoveryCodesDocument,
  SignUpDocument,
  StepUpWithCodeDocument,
  UpdateProfileDocument,
  UserAccountEventsDocument,
  UserSessionEventsDocument,
  VerifySecondFactorDocument,
} from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type StoreKind, type TestClient, type TestServer } from '../support/harness';
import { nextMail } from '../support/mail';
import { metricValue } from '../support/metrics';
import type { ReceivedMail, TestSmtpServer } from '../support/smtp-server';

const RECOVERY_CODE = /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/;

/** An account with TOTP on, as its owner's browser left it: a session at aal 2. */
interface EnrolledAccount {
  client: TestClient;
  email: string;
  userId: string;
  secret: string;
  recoveryCodes: string[];
}

describe.each<StoreKind>(['redis', 'memory'])('TOTP two-factor over HTTP (%s store)', (storeKind) => {
  let server: TestServer;
  let clock: ManualClock;
  let mailbox: TestSmtpServer;
  let admin: TestClient;
  const taken = new Set<ReceivedMail>();

  beforeAll(async () => {
    const adminEmail = uniqueEmail('admin');
    server = await startTestServer({ store: storeKind, smtp: true, env: { ADMIN_EMAILS: adminEmail } });
    clock = server.clock as ManualClock;
    mailbox = server.mailbox!;
    admin = server.client();
    expect((await admin.request(SignUpDocument, { input: { email: adminEmail, password: PASSWORD } })).errors).toBeUndefined();
  });
  afterAll(async () => {
    await server.close();
  });

  /** The code an authenticator app shows now; the clock moves to the next 30-second step first, so that each call's code is new. */
  function nextCode(secret: string): string {
    clock.advanceBySeconds(30);
    return totpCode(secret, clock.now());
  }

  async function enrolledAccount(label: string): Promise<EnrolledAccount> {
    const email = uniqueEmail(label);
    const client = server.client();
    const signUp = await client.request(SignUpDocument, { input: { email, password: PASSWORD } });
    expect(signUp.errors).toBeUndefined();
    const begun = await client.request(BeginTotpEnrollmentDocument);
    expect(begun.errors).toBeUndefined();
    const { secret } = begun.data!.beginTotpEnrollment;
    const confirmed = await client.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, clock.now()) });
    expect(confirmed.errors).toBeUndefined();
    return { client, email, userId: signUp.data!.signUp.user.id, secret, recoveryCodes: confirmed.data!.confirmTotpEnrollment };
  }

  /** A password login of the account: a session waiting for its second factor. */
  async function pendingLogin(email: string, transport: 'COOKIE' | 'HEADER' = 'COOKIE'): Promise<TestClient> {
    const client = server.client({ cookies: transport === 'COOKIE' });
    const login = await client.request(LoginDocument, { input: { email, password: PASSWORD, transport } });
    expect(login.errors).toBeUndefined();
    expect(login.data!.login.secondFactorRequired).toBe(true);
    if (transport === 'HEADER') client.bearerToken = login.data!.login.token!;
    return client;
  }

  async function accountEvents(userId: string): Promise<string[]> {
    const response = await admin.request(UserAccountEventsDocument, { userId, limit: 50 });
    expect(response.errors).toBeUndefined();
    return response.data!.userAccountEvents.map((event) => event.kind);
  }

  describe('enrolment', () => {
    it('turns on only with a valid code, returns 10 recovery codes once, raises the session to aal 2 with a new cookie, and mails a notice', async () => {
      const email = uniqueEmail('enrol');
      const client = server.client();
      const userId = (await client.request(SignUpDocument, { input: { email, password: PASSWORD } })).data!.signUp.user.id;

      const begun = await client.request(BeginTotpEnrollmentDocument);
      expect(begun.errors).toBeUndefined();
      const { secret, otpauthUri, qrCodeSvg } = begun.data!.beginTotpEnrollment;
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      const uri = new URL(otpauthUri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.searchParams.get('secret')).toBe(secret);
      expect(decodeURIComponent(uri.pathname)).toBe(`/127.0.0.1:5173:${email}`);
      expect(qrCodeSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(qrCodeSvg).not.toMatch(/<script|href=/i);
      // Nothing is on yet: logging in needs no second factor.
      expect((await client.request(MeTwoFactorDocument)).data!.me!.twoFactorEnabled).toBe(false);
      expect((await server.client().request(LoginDocument, { input: { email, password: PASSWORD } })).data!.login.secondFactorRequired).toBe(false);

      expect(errorCodes(await client.request(ConfirmTotpEnrollmentDocument, { code: 'ABCD-EFGH-JKMN' }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await client.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, new Date(clock.now().getTime() + 90_000)) }))).toEqual(['BAD_USER_INPUT']);
      expect((await client.request(MeTwoFactorDocument)).data!.me!.twoFactorEnabled).toBe(false);

      const cookieBefore = await client.sessionCookieValue();
      const confirmed = await client.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, clock.now()) });
      expect(confirmed.errors).toBeUndefined();
      const codes = confirmed.data!.confirmTotpEnrollment;
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(RECOVERY_CODE);
      expect(await client.sessionCookieValue()).not.toBe(cookieBefore);

      expect((await client.request(MeTwoFactorDocument)).data!.me).toMatchObject({ email, twoFactorEnabled: true });
      const [current] = (await client.request(MySessionsAuthenticationDocument)).data!.mySessions.filter((session) => session.current);
      expect(current).toMatchObject({ aal: 2, authenticatedAt: clock.now().toISOString() });
      await nextMail(mailbox, email, 'Two-factor authentication is on', taken);
      expect(await accountEvents(userId)).toEqual(['SECOND_FACTOR_ENABLED']);

      // Once on, it cannot be begun again (turn it off first), nor confirmed twice.
      expect(errorCodes(await client.request(BeginTotpEnrollmentDocument))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await client.request(ConfirmTotpEnrollmentDocument, { code: nextCode(secret) }))).toEqual(['BAD_USER_INPUT']);
    });

    it('needs a fresh sign-in, and forgets an enrolment left unconfirmed for 10 minutes', async () => {
      const email = uniqueEmail('stale');
      const client = server.client();
      await client.request(SignUpDocument, { input: { email, password: PASSWORD } });
      const { secret } = (await client.request(BeginTotpEnrollmentDocument)).data!.beginTotpEnrollment;
      clock.advanceBySeconds(11 * 60);
      const stale = await client.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, clock.now()) });
      expect(errorCodes(stale)).toEqual(['STEP_UP_REQUIRED']);
      expect(errorCodes(await client.request(BeginTotpEnrollmentDocument))).toEqual(['STEP_UP_REQUIRED']);
      expect((await client.request(StepUpWithCodeDocument, { input: { password: PASSWORD } })).errors).toBeUndefined();
      const expired = await client.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, clock.now()) });
      expect(errorCodes(expired)).toEqual(['BAD_USER_INPUT']);
      expect(expired.errors![0]!.message).toMatch(/beginTotpEnrollment/);
      expect((await client.request(MeTwoFactorDocument)).data!.me!.twoFactorEnabled).toBe(false);
    });

    if (storeKind === 'redis') {
      it('stores the secret only encrypted, and the recovery codes only as hashes', async () => {
        const account = await enrolledAccount('at-rest');
        const raw = await server.redis!.get(new RedisKeyspace(server.keyPrefix).user(account.userId));
        expect(raw).toContain('totpSecretCiphertext');
        expect(raw).not.toContain(account.secret);
        for (const code of account.recoveryCodes) {
          expect(raw).not.toContain(code);
          expect(raw).not.toContain(code.replace(/-/g, ''));
        }
      });
    }
  });

  describe('signing in with a second factor', () => {
    it('gives a password login a session that can only verify, log out and read me; every other protected field answers SECOND_FACTOR_REQUIRED', async () => {
      const { email, userId } = await enrolledAccount('pending');
      const pending = server.client();
      const login = await pending.request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(login.errors).toBeUndefined();
      expect(login.data!.login).toMatchObject({ secondFactorRequired: true, token: null, user: { id: userId, email }, session: { current: true } });

      expect((await pending.request(MeTwoFactorDocument)).data!.me).toEqual({ id: userId, email, twoFactorEnabled: true });
      for (const refused of [
        await pending.request(MySessionsDocument),
        await pending.request(MySessionsAuthenticationDocument),
        await pending.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'another long password' } }),
        await pending.request(UpdateProfileDocument, { input: { displayName: 'Mallory' } }),
        await pending.request(StepUpWithCodeDocument, { input: { password: PASSWORD } }),
        await pending.request(RegenerateRecoveryCodesDocument),
        await pending.request(BeginTotpEnrollmentDocument),
      ]) {
        expect(errorCodes(refused)).toEqual(['SECOND_FACTOR_REQUIRED']);
        expect(refused.status).toBe(200);
      }
      // The refused change did not happen.
      expect((await server.client().request(LoginDocument, { input: { email, password: PASSWORD } })).errors).toBeUndefined();
      expect((await pending.request(LogoutDocument)).data!.logout).toBe(true);
      expect((await pending.request(MeDocument)).data!.me).toBeNull();
    });

    it('completes with a current code: aal 2, authenticatedAt now, a new cookie (the old one is worth nothing), and the code only once', async () => {
      const { email, secret, userId } = await enrolledAccount('verify');
      const pending = await pendingLogin(email);
      const pendingCookie = await pending.sessionCookieValue();
      const code = nextCode(secret);

      const verified = await pending.request(VerifySecondFactorDocument, { code });
      expect(verified.errors).toBeUndefined();
      expect(verified.data!.verifySecondFactor).toMatchObject({
        token: null,
        secondFactorRequired: false,
        user: { id: userId, twoFactorEnabled: true },
        session: { aal: 2, authenticatedAt: clock.now().toISOString() },
      });
      const newCookie = await pending.sessionCookieValue();
      expect(newCookie).not.toBe(pendingCookie);
      expect((await server.client({ cookies: false }).request(MeDocument, undefined, { cookie: `sid=${pendingCookie}` })).data!.me).toBeNull();
      const sessions = (await pending.request(MySessionsAuthenticationDocument)).data!.mySessions;
      expect(sessions.find((session) => session.current)).toMatchObject({ aal: 2 });
      // The enrolling browser's session is aal 2 as well; nothing else shows aal 1.
      expect(sessions.map((session) => session.aal)).toEqual([2, 2]);

      // The same code again, on another sign-in: a replay, refused.
      const replay = await pendingLogin(email);
      const refused = await replay.request(VerifySecondFactorDocument, { code });
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.extensions).toMatchObject({ field: 'code' });
      expect(errorCodes(await replay.request(MySessionsDocument))).toEqual(['SECOND_FACTOR_REQUIRED']);
      expect(await accountEvents(userId)).toEqual(['SECOND_FACTOR_FAILED', 'SECOND_FACTOR_VERIFIED', 'SECOND_FACTOR_ENABLED']);
    });

    it('answers UNAUTHENTICATED to anonymous callers and BAD_USER_INPUT to accounts without a second factor', async () => {
      expect(errorCodes(await server.client().request(VerifySecondFactorDocument, { code: '123456' }))).toEqual(['UNAUTHENTICATED']);
      const client = server.client();
      await client.request(SignUpDocument, { input: { email: uniqueEmail('no-2fa'), password: PASSWORD } });
      const refused = await client.request(VerifySecondFactorDocument, { code: '123456' });
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.message).toMatch(/not on/);
      expect(errorCodes(await client.request(DisableTotpDocument, { code: '123456' }))).toEqual(['STEP_UP_REQUIRED']);
    });

    it('gives a HEADER session its new token in the payload', async () => {
      const { email, secret } = await enrolledAccount('mobile');
      const app = await pendingLogin(email, 'HEADER');
      const pendingToken = app.bearerToken!;
      const verified = await app.request(VerifySecondFactorDocument, { code: nextCode(secret) });
      expect(verified.errors).toBeUndefined();
      const { token } = verified.data!.verifySecondFactor;
      expect(token).toEqual(expect.any(String));
      expect(token).not.toBe(pendingToken);
      expect(verified.setCookies).toEqual([]);
      expect((await server.client({ cookies: false, bearerToken: pendingToken }).request(MeDocument)).data!.me).toBeNull();
      app.bearerToken = token!;
      expect((await app.request(MySessionsAuthenticationDocument)).data!.mySessions.find((session) => session.current)).toMatchObject({ aal: 2 });
    });

    it('takes an unused recovery code once, instead of a TOTP code', async () => {
      const { email, recoveryCodes, userId } = await enrolledAccount('recovery');
      const first = await pendingLogin(email);
      const verified = await first.request(VerifySecondFactorDocument, { code: recoveryCodes[3]!.toLowerCase() });
      expect(verified.errors).toBeUndefined();
      expect(verified.data!.verifySecondFactor.session.aal).toBe(2);

      const second = await pendingLogin(email);
      expect(errorCodes(await second.request(VerifySecondFactorDocument, { code: recoveryCodes[3]! }))).toEqual(['BAD_USER_INPUT']);
      expect((await second.request(VerifySecondFactorDocument, { code: recoveryCodes[4]! })).errors).toBeUndefined();
      expect((await accountEvents(userId)).slice(0, 3)).toEqual(['RECOVERY_CODE_USED', 'SECOND_FACTOR_FAILED', 'RECOVERY_CODE_USED']);
    });

    it('lets a session left waiting expire after 5 minutes, however it is used meanwhile', async () => {
      const { email } = await enrolledAccount('expire');
      const pending = await pendingLogin(email);
      clock.advanceBySeconds(4 * 60);
      expect((await pending.request(MeDocument)).data!.me).not.toBeNull();
      clock.advanceBySeconds(61);
      const me = await pending.request(MeDocument);
      expect(me.data!.me).toBeNull();
      expect(me.setCookies.join()).toMatch(/sid=;/);
    });

    it('throttles codes per session (5 wrong), then per user (20 wrong in an hour), with RATE_LIMITED and retryAfterSeconds', async () => {
      const { email, secret } = await enrolledAccount('throttle');
      const failuresBefore = await metricValue(server, 'sessionql_second_factor_total', { method: 'totp', result: 'failed' });
      const pending = await pendingLogin(email);
      for (let attempt = 0; attempt < 5; attempt++) {
        expect(errorCodes(await pending.request(VerifySecondFactorDocument, { code: '000000' === totpCode(secret, clock.now()) ? '111111' : '000000' }))).toEqual(['BAD_USER_INPUT']);
      }
      const limited = await pending.request(VerifySecondFactorDocument, { code: nextCode(secret) });
      expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
      expect(limited.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
      expect(errorCodes(await pending.request(MySessionsDocument))).toEqual(['SECOND_FACTOR_REQUIRED']);
      expect(await metricValue(server, 'sessionql_second_factor_total', { method: 'totp', result: 'failed' })).toBe(failuresBefore + 5);
      expect(await metricValue(server, 'sessionql_second_factor_total', { method: 'totp', result: 'throttled' })).toBeGreaterThanOrEqual(1);

      // New sign-ins get their own five, until the user's hour is spent.
      for (let session = 0; session < 3; session++) {
        const next = await pendingLogin(email);
        for (let attempt = 0; attempt < 5; attempt++) {
          expect(errorCodes(await next.request(VerifySecondFactorDocument, { code: 'WRONG-CODE-XXXX' }))).toEqual(['BAD_USER_INPUT']);
        }
      }
      const afterBudget = await pendingLogin(email);
      expect(errorCodes(await afterBudget.request(VerifySecondFactorDocument, { code: nextCode(secret) }))).toEqual(['RATE_LIMITED']);
    });

    it('makes no known device from a password alone: the device token (body or cookie) comes when the sign-in completes', async () => {
      const { client, email, secret } = await enrolledAccount('device-on-verify');
      const devices = async () => (await client.request(MyDevicesDocument)).data!.me!.knownDevices.length;
      const before = await devices();

      const app = server.client({ cookies: false });
      const login = await app.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
      expect(login.data!.login).toMatchObject({ secondFactorRequired: true, deviceToken: null });
      const browser = await pendingLogin(email);
      expect(await browser.sessionCookieValue('did')).toBeUndefined();
      expect(await devices()).toBe(before);

      app.bearerToken = login.data!.login.token!;
      const verified = await app.request(VerifySecondFactorDocument, { code: nextCode(secret) });
      expect(verified.data!.verifySecondFactor.deviceToken).toMatch(/^d1\./);
      expect((await browser.request(VerifySecondFactorDocument, { code: nextCode(secret) })).data!.verifySecondFactor.deviceToken).toBeNull();
      expect(await browser.sessionCookieValue('did')).toMatch(/^d1\./);
      expect(await devices()).toBe(before + 2);
    });

    it('lets the owner\'s device that completed a sign-in verify after someone with the password spent the account\'s code budget; a device known from before gets no budget of its own', async () => {
      const email = uniqueEmail('device-budget');
      const before = server.client({ cookies: false });
      const signUp = await before.request(SignUpDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
      const deviceFromBefore = signUp.data!.signUp.deviceToken!;
      before.bearerToken = signUp.data!.signUp.token!;
      const secret = (await before.request(BeginTotpEnrollmentDocument)).data!.beginTotpEnrollment.secret;
      expect((await before.request(ConfirmTotpEnrollmentDocument, { code: nextCode(secret) })).errors).toBeUndefined();

      const phone = await pendingLogin(email, 'HEADER');
      const phoneDevice = (await phone.request(VerifySecondFactorDocument, { code: nextCode(secret) })).data!.verifySecondFactor.deviceToken!;
      expect(phoneDevice).toMatch(/^d1\./);

      // Someone with the password spends the account's hourly budget of codes, five per session.
      for (let session = 0; session < TWO_FACTOR_LIMITS.attemptsPerUserHour / TWO_FACTOR_LIMITS.attemptsPerSession; session++) {
        const attacker = await pendingLogin(email);
        for (let attempt = 0; attempt < TWO_FACTOR_LIMITS.attemptsPerSession; attempt++) {
          expect(errorCodes(await attacker.request(VerifySecondFactorDocument, { code: 'WRONG-CODE-XXXX' }))).toEqual(['BAD_USER_INPUT']);
        }
      }
      expect(errorCodes(await (await pendingLogin(email)).request(VerifySecondFactorDocument, { code: nextCode(secret) }))).toEqual(['RATE_LIMITED']);

      const signIn = async (deviceToken: string) => {
        const client = server.client({ cookies: false, headers: { 'x-device-token': deviceToken } });
        const login = await client.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
        client.bearerToken = login.data!.login.token!;
        return client.request(VerifySecondFactorDocument, { code: nextCode(secret) });
      };
      expect(errorCodes(await signIn(deviceFromBefore))).toEqual(['RATE_LIMITED']);
      const owner = await signIn(phoneDevice);
      expect(owner.errors).toBeUndefined();
      expect(owner.data!.verifySecondFactor.session.aal).toBe(2);
    });
  });

  describe('step-up and assurance', () => {
    it('refuses aal-2 operations to an aal-1 session with requiredAal, until stepUp with a code', async () => {
      const email = uniqueEmail('aal');
      const browser = server.client();
      await browser.request(SignUpDocument, { input: { email, password: PASSWORD } });
      // A phone signed in before two-factor was turned on keeps its aal-1 session.
      const phone = server.client({ cookies: false });
      phone.bearerToken = (await phone.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } })).data!.login.token!;
      expect(errorCodes(await phone.request(StepUpWithCodeDocument, { input: { code: '123456' } }))).toEqual(['BAD_USER_INPUT']);
      const { secret } = (await browser.request(BeginTotpEnrollmentDocument)).data!.beginTotpEnrollment;
      expect((await browser.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, clock.now()) })).errors).toBeUndefined();

      const refused = await phone.request(RegenerateRecoveryCodesDocument);
      expect(errorCodes(refused)).toEqual(['STEP_UP_REQUIRED']);
      expect(refused.errors![0]!.extensions).toMatchObject({ requiredAal: 2, maxAgeSeconds: 600 });
      // The password alone does not raise it.
      expect((await phone.request(StepUpWithCodeDocument, { input: { password: PASSWORD } })).data!.stepUp.aal).toBe(1);
      expect(errorCodes(await phone.request(RegenerateRecoveryCodesDocument))).toEqual(['STEP_UP_REQUIRED']);
      expect(errorCodes(await phone.request(StepUpWithCodeDocument, { input: {} }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await phone.request(StepUpWithCodeDocument, { input: { code: '000000' === totpCode(secret, clock.now()) ? '111111' : '000000' } }))).toEqual([
        'BAD_USER_INPUT',
      ]);

      const stepped = await phone.request(StepUpWithCodeDocument, { input: { password: PASSWORD, code: nextCode(secret) } });
      expect(stepped.errors).toBeUndefined();
      expect(stepped.data!.stepUp).toMatchObject({ aal: 2, authenticatedAt: clock.now().toISOString() });
      const regenerated = await phone.request(RegenerateRecoveryCodesDocument);
      expect(regenerated.errors).toBeUndefined();
      expect(regenerated.data!.regenerateRecoveryCodes).toHaveLength(10);
    });

    it('needs a fresh aal-2 authentication to turn it off: STEP_UP_REQUIRED with maxAgeSeconds after 10 minutes', async () => {
      const { client, secret } = await enrolledAccount('stale-disable');
      clock.advanceBySeconds(11 * 60);
      const refused = await client.request(DisableTotpDocument, { code: totpCode(secret, clock.now()) });
      expect(errorCodes(refused)).toEqual(['STEP_UP_REQUIRED']);
      expect(refused.errors![0]!.extensions).toMatchObject({ requiredAal: 2, maxAgeSeconds: 600 });
      expect((await client.request(StepUpWithCodeDocument, { input: { code: nextCode(secret) } })).data!.stepUp.aal).toBe(2);
      expect((await client.request(DisableTotpDocument, { code: nextCode(secret) })).data!.disableTotp).toBe(true);
    });
  });

  describe('recovery codes and turning it off', () => {
    it('replaces the recovery codes: the old ones stop working, the new ones work; a notice is mailed', async () => {
      const { client, email, recoveryCodes, userId } = await enrolledAccount('regenerate');
      const fresh = (await client.request(RegenerateRecoveryCodesDocument)).data!.regenerateRecoveryCodes;
      expect(fresh).toHaveLength(10);
      expect(fresh.filter((code) => recoveryCodes.includes(code))).toEqual([]);
      await nextMail(mailbox, email, 'Your recovery codes were replaced', taken);
      const pending = await pendingLogin(email);
      expect(errorCodes(await pending.request(VerifySecondFactorDocument, { code: recoveryCodes[0]! }))).toEqual(['BAD_USER_INPUT']);
      expect((await pending.request(VerifySecondFactorDocument, { code: fresh[0]! })).errors).toBeUndefined();
      expect(await accountEvents(userId)).toEqual(['RECOVERY_CODE_USED', 'SECOND_FACTOR_FAILED', 'RECOVERY_CODES_REGENERATED', 'SECOND_FACTOR_ENABLED']);
    });

    it('turns off with a valid code only, ends the sessions still waiting, mails a notice; then the password alone signs in', async () => {
      const { client, email, secret, recoveryCodes, userId } = await enrolledAccount('disable');
      const waiting = await pendingLogin(email, 'HEADER');
      expect(errorCodes(await client.request(DisableTotpDocument, { code: 'ZZZZ-ZZZZ-ZZZZ' }))).toEqual(['BAD_USER_INPUT']);
      expect((await client.request(MeTwoFactorDocument)).data!.me!.twoFactorEnabled).toBe(true);

      expect((await client.request(DisableTotpDocument, { code: recoveryCodes[9]! })).data!.disableTotp).toBe(true);
      expect((await client.request(MeTwoFactorDocument)).data!.me!.twoFactorEnabled).toBe(false);
      expect((await waiting.request(MeDocument)).data!.me).toBeNull();
      await nextMail(mailbox, email, 'Two-factor authentication is off', taken);
      expect(errorCodes(await client.request(DisableTotpDocument, { code: nextCode(secret) }))).toEqual(['BAD_USER_INPUT']);

      const login = await server.client().request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(login.data!.login.secondFactorRequired).toBe(false);
      expect((await accountEvents(userId)).slice(0, 2)).toEqual(['SECOND_FACTOR_DISABLED', 'RECOVERY_CODE_USED']);
    });
  });

  describe('an operator turning it off (npm run cli -- disable-two-factor)', () => {
    it('turns it off for a user who lost every factor, in the audit trail without a session; the password alone signs in again', async () => {
      const { email, userId, client } = await enrolledAccount('operator');
      expect(await server.cli('disable-two-factor', email.toUpperCase())).toEqual({ code: 0, output: `${email.toUpperCase()}: two-factor turned off\n` });
      expect((await client.request(MeDocument)).data!.me?.email).toBe(email);
      expect((await server.client().request(LoginDocument, { input: { email, password: PASSWORD } })).data!.login.secondFactorRequired).toBe(false);
      const events = (await admin.request(UserAccountEventsDocument, { userId, limit: 1 })).data!.userAccountEvents;
      expect(events).toEqual([expect.objectContaining({ kind: 'SECOND_FACTOR_DISABLED', sessionId: null })]);
      expect(await server.cli('disable-two-factor', email)).toEqual({ code: 0, output: `${email}: two-factor was not on\n` });
      expect((await server.cli('disable-two-factor', uniqueEmail('nobody'))).code).toBe(1);
    });

    it('ends the sign-ins still waiting for a code (they could never complete), as an operator, and leaves signed-in sessions alone', async () => {
      const { email, userId, client } = await enrolledAccount('operator-pending');
      const waiting = [await pendingLogin(email), await pendingLogin(email, 'HEADER')];
      expect(await server.cli('disable-two-factor', email)).toEqual({ code: 0, output: `${email}: two-factor turned off (2 sign-ins waiting for a code ended)\n` });
      for (const pending of waiting) expect((await pending.request(MeDocument)).data!.me).toBeNull();
      expect((await client.request(MeDocument)).data!.me?.email).toBe(email);
      const ended = (await admin.request(UserSessionEventsDocument, { userId, limit: 10 })).data!.userSessionEvents;
      expect(ended.map(({ reason, actorId }) => ({ reason, actorId }))).toEqual([
        { reason: 'REVOKED_BY_ADMIN', actorId: null },
        { reason: 'REVOKED_BY_ADMIN', actorId: null },
      ]);
    });
  });

  describe('under concurrency', () => {
    it('lets exactly one of two sign-ins use the same TOTP code, 5 rounds', async () => {
      const { email, secret } = await enrolledAccount('race-totp');
      for (let round = 0; round < 5; round++) {
        const [a, b] = [await pendingLogin(email), await pendingLogin(email)];
        const code = nextCode(secret);
        const results = await Promise.all([a, b].map((client) => client.request(VerifySecondFactorDocument, { code })));
        expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
        expect(results.flatMap((result) => errorCodes(result))).toEqual(['BAD_USER_INPUT']);
        const states = await Promise.all([a, b].map((client) => client.request(MySessionsDocument)));
        expect(states.filter((state) => state.errors === undefined)).toHaveLength(1);
      }
    });

    it('lets one recovery code through once when raced on one session and on two, 5 rounds', async () => {
      const { email, recoveryCodes } = await enrolledAccount('race-recovery');
      for (let round = 0; round < 5; round++) {
        const code = recoveryCodes[round]!;
        const clients = round % 2 === 0 ? [await pendingLogin(email), await pendingLogin(email)] : Array(3).fill(await pendingLogin(email, 'HEADER'));
        const results = await Promise.all(clients.map((client: TestClient) => client.request(VerifySecondFactorDocument, { code })));
        expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
      }
    });

    it('leaves a consistent state when turning it off races a waiting sign-in verifying, 5 rounds', async () => {
      const { client, email } = await enrolledAccount('race-disable');
      for (let round = 0; round < 5; round++) {
        if (round > 0) {
          const { secret } = (await client.request(BeginTotpEnrollmentDocument)).data!.beginTotpEnrollment;
          expect((await client.request(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, clock.now()) })).errors).toBeUndefined();
        }
        // Fresh recovery codes and a fresh TOTP secret each round; the disabling side uses a recovery code.
        const codes = (await client.request(RegenerateRecoveryCodesDocument)).data!.regenerateRecoveryCodes;
        const waiting = await pendingLogin(email);
        const [disabled, verified] = await Promise.all([
          client.request(DisableTotpDocument, { code: codes[0]! }),
          waiting.request(VerifySecondFactorDocument, { code: codes[1]! }),
        ]);
        expect(disabled.data!.disableTotp).toBe(true);
        expect((await client.request(MeTwoFactorDocument)).data!.me!.twoFactorEnabled).toBe(false);
        const waitingNow = await waiting.request(MySessionsAuthenticationDocument);
        if (verified.errors === undefined) {
          // Verified before it was turned off: a complete aal-2 session.
          expect(waitingNow.data!.mySessions.find((session) => session.current)).toMatchObject({ aal: 2 });
        } else {
          // Turned off first: the code found no second factor, or the waiting session was ended.
          expect(errorCodes(verified)).toEqual([expect.stringMatching(/^(BAD_USER_INPUT|UNAUTHENTICATED)$/)]);
          expect(errorCodes(waitingNow)).toEqual(['UNAUTHENTICATED']);
        }
        // Never a session left waiting for a factor that no longer exists.
        const sessions = (await client.request(MySessionsAuthenticationDocument)).data!.mySessions;
        expect(sessions.every((session) => session.aal === 2 || session.current === false)).toBe(true);
        const stored = await server.store.sessions.listSessions((await client.request(MeTwoFactorDocument)).data!.me!.id);
        expect(stored.filter((session) => session.secondFactorPending)).toEqual([]);
      }
    });
  });
});
