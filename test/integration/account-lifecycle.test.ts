import type { ManualClock } from '../../src/shared/clock';
import {
  ChangePasswordDocument,
  ConfirmEmailChangeDocument,
  DeleteAccountDocument,
  LoginDocument,
  MeAccountDocument,
  MeDocument,
  RequestEmailChangeDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  SignUpDocument,
  StepUpDocument,
  UpdateProfileDocument,
  UserSessionEventsDocument,
  VerifyEmailDocument,
} from '../generated/graphql';
import { headerLogin } from '../support/flows';
import { errorCodes, PASSWORD, startTestServer, TEST_APP_ORIGIN, uniqueEmail, type StoreKind, type TestClient, type TestServer } from '../support/harness';
import { linkIn, nextMail, tokenIn } from '../support/mail';
import type { ReceivedMail, TestSmtpServer } from '../support/smtp-server';

const NEW_PASSWORD = 'a brand new password';

describe.each<StoreKind>(['redis', 'memory'])('the account lifecycle, with real mail (%s store)', (storeKind) => {
  let server: TestServer;
  let mailbox: TestSmtpServer;
  let clock: ManualClock;
  const taken = new Set<ReceivedMail>();

  beforeAll(async () => {
    server = await startTestServer({ store: storeKind, smtp: true, env: { TRUST_PROXY: 'loopback' } });
    mailbox = server.mailbox!;
    clock = server.clock as ManualClock;
  });
  afterAll(async () => {
    await server.close();
  });

  /** A new account in a browser-like client, with its verification mail taken. */
  async function signUp(label: string): Promise<{ client: TestClient; email: string; userId: string; verificationToken: string }> {
    const email = uniqueEmail(label);
    const client = server.client();
    const response = await client.request(SignUpDocument, { input: { email, password: PASSWORD, displayName: 'Ada' } });
    expect(response.errors).toBeUndefined();
    const mail = await nextMail(mailbox, email, 'Confirm your email address', taken);
    return { client, email, userId: response.data!.signUp.user.id, verificationToken: tokenIn(mail, '/verify-email') };
  }

  function login(email: string, password: string, client = server.client()) {
    return client.request(LoginDocument, { input: { email, password } });
  }

  describe('email verification', () => {
    it('mails a link at sign-up that verifies the address once', async () => {
      const { client, email, verificationToken } = await signUp('verify');
      expect((await client.request(MeAccountDocument)).data!.me).toMatchObject({ email, emailVerified: false });
      const mail = [...taken].find((candidate) => candidate.to.includes(email))!;
      expect(linkIn(mail, '/verify-email').origin).toBe(TEST_APP_ORIGIN);
      expect(mail.html).toContain('/verify-email?token=');

      // Used from anywhere (the link may open in another browser): no session needed.
      expect((await server.client().request(VerifyEmailDocument, { token: verificationToken })).data!.verifyEmail).toBe(true);
      expect((await client.request(MeAccountDocument)).data!.me!.emailVerified).toBe(true);
      expect(errorCodes(await server.client().request(VerifyEmailDocument, { token: verificationToken }))).toEqual(['BAD_USER_INPUT']);
    });

    it('sends a fresh link on request, which replaces the older one; refuses garbage; throttles requests', async () => {
      const { client, email, verificationToken: first } = await signUp('reverify');
      expect((await client.request(RequestEmailVerificationDocument)).data!.requestEmailVerification).toBe(true);
      const second = tokenIn(await nextMail(mailbox, email, 'Confirm your email address', taken), '/verify-email');

      for (const token of [first, 'garbage', `${second.slice(0, -4)}AAAA`]) {
        expect({ token, codes: errorCodes(await server.client().request(VerifyEmailDocument, { token })) }).toEqual({ token, codes: ['BAD_USER_INPUT'] });
      }
      expect((await server.client().request(VerifyEmailDocument, { token: second })).data!.verifyEmail).toBe(true);

      const unverified = await signUp('reverify-throttle');
      for (let i = 0; i < 3; i++) expect((await unverified.client.request(RequestEmailVerificationDocument)).errors).toBeUndefined();
      expect(errorCodes(await unverified.client.request(RequestEmailVerificationDocument))).toEqual(['RATE_LIMITED']);
    });

    it('refuses an expired link', async () => {
      const { verificationToken } = await signUp('verify-late');
      clock.advanceBySeconds(24 * 3600);
      expect(errorCodes(await server.client().request(VerifyEmailDocument, { token: verificationToken }))).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('password reset', () => {
    it('mails a link for a known address and nothing for an unknown one, answering true to both', async () => {
      const { email } = await signUp('reset-known');
      const unknown = uniqueEmail('reset-unknown');
      const forUnknown = await server.client().request(RequestPasswordResetDocument, { email: unknown });
      const forKnown = await server.client().request(RequestPasswordResetDocument, { email });
      expect([forUnknown.data, forKnown.data]).toEqual([{ requestPasswordReset: true }, { requestPasswordReset: true }]);
      expect(forUnknown.body.replace(/\s/g, '')).toBe(forKnown.body.replace(/\s/g, ''));

      const mail = await nextMail(mailbox, email, 'Reset your password', taken);
      expect(linkIn(mail, '/reset-password').origin).toBe(TEST_APP_ORIGIN);
      // Asked for first, and still nothing came for the unknown address.
      expect(mailbox.messages.filter((received) => received.to.includes(unknown))).toEqual([]);
    });

    it('sets the new password, ends every session, moves the credentials, mails a notice, and works once', async () => {
      const { client, email, userId } = await signUp('reset');
      const phone = await headerLogin(server, email);
      await server.client().request(RequestPasswordResetDocument, { email });
      const token = tokenIn(await nextMail(mailbox, email, 'Reset your password', taken), '/reset-password');

      const reset = await server.client().request(ResetPasswordDocument, { input: { token, newPassword: NEW_PASSWORD } });
      expect(reset.data!.resetPassword).toBe(true);

      expect((await client.request(MeDocument)).data!.me).toBeNull();
      expect((await phone.client.request(MeDocument)).data!.me).toBeNull();
      expect(errorCodes(await login(email, PASSWORD))).toEqual(['UNAUTHENTICATED']);
      expect((await login(email, NEW_PASSWORD)).errors).toBeUndefined();
      await nextMail(mailbox, email, 'Your password was reset', taken);
      expect(errorCodes(await server.client().request(ResetPasswordDocument, { input: { token, newPassword: 'yet another password' } }))).toEqual(['BAD_USER_INPUT']);

      const events = await server.store.sessions.listSessionEvents(userId, 10);
      expect(events.map((event) => [event.reason, event.actorId])).toEqual([
        ['password_reset', userId],
        ['password_reset', userId],
      ]);
      expect(events.map((event) => event.sessionId)).toContain(phone.sessionId);
    });

    it('refuses a superseded link, an expired link, and a password against the policy (keeping the link good)', async () => {
      const { email } = await signUp('reset-refused');
      await server.client().request(RequestPasswordResetDocument, { email });
      const superseded = tokenIn(await nextMail(mailbox, email, 'Reset your password', taken), '/reset-password');
      await server.client().request(RequestPasswordResetDocument, { email });
      const current = tokenIn(await nextMail(mailbox, email, 'Reset your password', taken), '/reset-password');

      expect(errorCodes(await server.client().request(ResetPasswordDocument, { input: { token: superseded, newPassword: NEW_PASSWORD } }))).toEqual(['BAD_USER_INPUT']);
      const weak = await server.client().request(ResetPasswordDocument, { input: { token: current, newPassword: 'short' } });
      expect(weak.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
      clock.advanceBySeconds(30 * 60);
      expect(errorCodes(await server.client().request(ResetPasswordDocument, { input: { token: current, newPassword: NEW_PASSWORD } }))).toEqual(['BAD_USER_INPUT']);
      expect((await login(email, PASSWORD)).errors).toBeUndefined();
    });

    it('throttles requests per address, known or not alike', async () => {
      for (const email of [(await signUp('reset-throttle')).email, uniqueEmail('reset-throttle-unknown')]) {
        for (let i = 0; i < 3; i++) {
          expect((await server.client().request(RequestPasswordResetDocument, { email }, { 'x-forwarded-for': `198.51.100.${60 + i}` })).errors).toBeUndefined();
        }
        const fourth = await server.client().request(RequestPasswordResetDocument, { email }, { 'x-forwarded-for': '198.51.100.99' });
        expect(errorCodes(fourth)).toEqual(['RATE_LIMITED']);
        expect(fourth.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
      }
    });
  });

  describe('step-up and email change', () => {
    it('needs a fresh authentication, which stepUp gives on the same session with a new cookie', async () => {
      const { client, email } = await signUp('step-up');
      clock.advanceBySeconds(11 * 60);
      const stale = await client.request(RequestEmailChangeDocument, { input: { newEmail: uniqueEmail('new'), currentPassword: PASSWORD } });
      expect(errorCodes(stale)).toEqual(['STEP_UP_REQUIRED']);
      expect(stale.errors![0]!.extensions).toMatchObject({ maxAgeSeconds: 600, requiredAal: 1 });

      const oldCookie = await client.sessionCookieValue();
      expect(errorCodes(await client.request(StepUpDocument, { input: { password: 'not my password' } }))).toEqual(['BAD_USER_INPUT']);
      const stepUp = await client.request(StepUpDocument, { input: { password: PASSWORD } });
      expect(stepUp.errors).toBeUndefined();
      expect(Date.parse(stepUp.data!.stepUp.lastSeenAt)).toBe(clock.now().getTime());
      const newCookie = await client.sessionCookieValue();
      expect(newCookie).not.toBe(oldCookie);
      // The old cookie is worth nothing now; the session (same id) goes on with the new one.
      expect((await server.client({ cookies: false }).request(MeDocument, undefined, { cookie: `sid=${oldCookie}` })).data!.me).toBeNull();
      expect((await client.request(MeDocument)).data!.me!.email).toBe(email);
      expect((await client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })).errors).toBeUndefined();
    });

    it('moves the account to a confirmed new address, keeping its sessions, with a notice to the old one', async () => {
      const { client, email } = await signUp('change');
      const phone = await headerLogin(server, email);
      const newEmail = uniqueEmail('changed');
      expect((await client.request(RequestEmailChangeDocument, { input: { newEmail, currentPassword: PASSWORD } })).data!.requestEmailChange).toBe(true);
      const notice = await nextMail(mailbox, email, 'Your email address is being changed', taken);
      expect(notice.text).toContain(newEmail);
      const token = tokenIn(await nextMail(mailbox, newEmail, 'Confirm your new email address', taken), '/confirm-email-change');
      // Nothing changed yet.
      expect((await client.request(MeAccountDocument)).data!.me!.email).toBe(email);

      expect((await server.client().request(ConfirmEmailChangeDocument, { token })).data!.confirmEmailChange).toBe(true);
      expect((await client.request(MeAccountDocument)).data!.me).toMatchObject({ email: newEmail, emailVerified: true });
      expect((await phone.client.request(MeDocument)).data!.me).not.toBeNull();
      expect((await login(newEmail, PASSWORD)).errors).toBeUndefined();
      expect(errorCodes(await login(email, PASSWORD))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await server.client().request(ConfirmEmailChangeDocument, { token }))).toEqual(['BAD_USER_INPUT']);
      // The old address is free again.
      expect((await server.client().request(SignUpDocument, { input: { email, password: PASSWORD } })).errors).toBeUndefined();
    });

    it('refuses a wrong password, an address in use, and the same address', async () => {
      const { client, email } = await signUp('change-refused');
      const other = await signUp('change-other');
      const wrong = await client.request(RequestEmailChangeDocument, { input: { newEmail: uniqueEmail('x'), currentPassword: 'not it at all' } });
      expect(wrong.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
      const inUse = await client.request(RequestEmailChangeDocument, { input: { newEmail: other.email.toUpperCase(), currentPassword: PASSWORD } });
      expect(inUse.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newEmail' });
      const same = await client.request(RequestEmailChangeDocument, { input: { newEmail: email, currentPassword: PASSWORD } });
      expect(same.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newEmail' });
    });

    it('leaves exactly one owner when a confirmation races sign-ups for the address, 5 rounds', async () => {
      for (let round = 0; round < 5; round++) {
        const { client } = await signUp(`race-${round}`);
        const contested = uniqueEmail(`contested-${round}`);
        await client.request(RequestEmailChangeDocument, { input: { newEmail: contested, currentPassword: PASSWORD } });
        const token = tokenIn(await nextMail(mailbox, contested, 'Confirm your new email address', taken), '/confirm-email-change');

        const [confirmed, ...signUps] = await Promise.all([
          server.client().request(ConfirmEmailChangeDocument, { token }),
          ...Array.from({ length: 4 }, () => server.client().request(SignUpDocument, { input: { email: contested, password: PASSWORD } })),
        ]);
        const owners = (confirmed.data?.confirmEmailChange ? 1 : 0) + signUps.filter((response) => response.data?.signUp).length;
        expect(owners).toBe(1);
        expect((await login(contested, PASSWORD)).errors).toBeUndefined();
      }
    });
  });

  describe('profile and deletion', () => {
    it('changes the display name under the sign-up policy', async () => {
      const { client } = await signUp('profile');
      expect((await client.request(UpdateProfileDocument, { input: { displayName: 'Grace' } })).data!.updateProfile.displayName).toBe('Grace');
      expect((await client.request(MeAccountDocument)).data!.me!.displayName).toBe('Grace');
      const refused = await client.request(UpdateProfileDocument, { input: { displayName: 'evil\u202eeman' } });
      expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'displayName' });
    });

    it('erases the account after the password and a fresh authentication; the address can sign up again', async () => {
      const { client, email, userId } = await signUp('delete');
      const phone = await headerLogin(server, email);
      expect(errorCodes(await client.request(DeleteAccountDocument, { currentPassword: 'wrong password!!' }))).toEqual(['BAD_USER_INPUT']);
      clock.advanceBySeconds(11 * 60);
      expect(errorCodes(await client.request(DeleteAccountDocument, { currentPassword: PASSWORD }))).toEqual(['STEP_UP_REQUIRED']);
      await client.request(StepUpDocument, { input: { password: PASSWORD } });

      const deleted = await client.request(DeleteAccountDocument, { currentPassword: PASSWORD });
      expect(deleted.data!.deleteAccount).toBe(true);
      expect(deleted.headers.get('clear-site-data')).toBe('"cookies"');
      expect((await client.request(MeDocument)).data!.me).toBeNull();
      expect((await phone.client.request(MeDocument)).data!.me).toBeNull();
      expect(errorCodes(await login(email, PASSWORD))).toEqual(['UNAUTHENTICATED']);
      await nextMail(mailbox, email, 'Your account was deleted', taken);
      // Only the audit trail stays: ids and reasons, no personal data.
      const events = await server.store.sessions.listSessionEvents(userId, 10);
      expect(events.map((event) => event.reason)).toEqual(['account_deleted', 'account_deleted']);
      expect(JSON.stringify(events)).not.toContain(email);

      expect((await server.client().request(SignUpDocument, { input: { email, password: PASSWORD } })).errors).toBeUndefined();
    });
  });
});

describe('mail that cannot be sent never fails the answer', () => {
  it('signs up while the relay refuses everything', async () => {
    const server = await startTestServer({ smtp: true });
    try {
      server.mailbox!.refuseNext({ times: 20, code: 451 });
      const response = await server.client().request(SignUpDocument, { input: { email: uniqueEmail('no-relay'), password: PASSWORD } });
      expect(response.errors).toBeUndefined();
      expect(response.data!.signUp.session.current).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('the audit trail of an account lifecycle', () => {
  it('names ACCOUNT_DELETED for ADMINs', async () => {
    const server = await startTestServer({ smtp: true });
    try {
      const admin = server.client();
      const adminEmail = uniqueEmail('lifecycle-admin');
      await admin.request(SignUpDocument, { input: { email: adminEmail, password: PASSWORD } });
      expect((await server.cli('grant-role', adminEmail, 'ADMIN')).code).toBe(0);
      await admin.request(LoginDocument, { input: { email: adminEmail, password: PASSWORD } });
      const email = uniqueEmail('lifecycle');
      const user = server.client();
      const userId = (await user.request(SignUpDocument, { input: { email, password: PASSWORD } })).data!.signUp.user.id;
      await user.request(DeleteAccountDocument, { currentPassword: PASSWORD });
      const events = await admin.request(UserSessionEventsDocument, { userId });
      expect(events.data!.userSessionEvents.map((event) => event.reason)).toEqual(['ACCOUNT_DELETED']);
    } finally {
      await server.close();
    }
  });
});
