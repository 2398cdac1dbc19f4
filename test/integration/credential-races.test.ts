import { setTimeout as delay } from 'node:timers/promises';
import { ChangePasswordDocument, LoginDocument, MeDocument, RequestPasswordResetDocument, ResetPasswordDocument, RevokeSessionDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, type StoreKind, type TestServer } from '../support/harness';
import { UNTHROTTLED_PASSWORD_CHECKS } from '../support/fixtures';
import { headerLogin, signUpInBrowser, type BearerClient } from '../support/flows';
import { nextMail, tokenIn } from '../support/mail';

/*
 * Credential changes are linearizable: whatever real requests race against a password
 * change, the outcome is one that some order of them would give. Bounded loops of real
 * requests, on a real Redis and on the in-process store.
 */
describe.each<StoreKind>(['redis', 'memory'])('credential changes under concurrency (%s store)', (storeKind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: storeKind, env: { ...UNTHROTTLED_PASSWORD_CHECKS } });
  });
  afterAll(async () => {
    await server.close();
  });

  async function canLogIn(email: string, password: string): Promise<boolean> {
    const response = await server.client({ cookies: false }).request(LoginDocument, { input: { email, password, transport: 'HEADER' } });
    return response.data?.login !== undefined && response.data !== null;
  }

  it('lets at most one of two concurrent changes from the old password win, 10 rounds', async () => {
    for (let round = 0; round < 10; round++) {
      const owner = await signUpInBrowser(server, `two-changes-${round}`);
      const phone = await headerLogin(server, owner.email);
      const [fromBrowser, fromPhone] = await Promise.all([
        owner.client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: `browser password ${round}` } }),
        phone.client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: `phone password ${round}` } }),
      ]);
      const winners = [fromBrowser, fromPhone].filter((response) => response.data?.changePassword === true);
      expect(winners.length).toBeLessThanOrEqual(1);
      for (const loser of [fromBrowser, fromPhone].filter((response) => !winners.includes(response))) {
        expect(errorCodes(loser)).toEqual(['UNAUTHENTICATED']);
      }
      // The password is the winner's, and no other works.
      const working = [PASSWORD, `browser password ${round}`, `phone password ${round}`];
      const accepted: string[] = [];
      for (const password of working) if (await canLogIn(owner.email, password)) accepted.push(password);
      expect(accepted).toHaveLength(1);
      if (winners.length === 1) expect(accepted[0]).toBe(winners[0] === fromBrowser ? `browser password ${round}` : `phone password ${round}`);
    }
  });

  it('never lets a login that verified the old password keep a session past the change, 8 rounds of 6 logins', async () => {
    for (let round = 0; round < 8; round++) {
      const owner = await signUpInBrowser(server, `login-race-${round}`);
      const newPassword = `the new password ${round}`;
      const logins = Array.from({ length: 6 }, async (_, i): Promise<BearerClient | null> => {
        await delay(i); // spread over the change's own round trips
        const client = server.client({ cookies: false });
        const response = await client.request(LoginDocument, { input: { email: owner.email, password: PASSWORD, transport: 'HEADER' } });
        if (!response.data?.login) {
          expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
          return null;
        }
        client.bearerToken = response.data.login.token!;
        return { client, email: owner.email, userId: owner.userId, sessionId: response.data.login.session.id, token: client.bearerToken };
      });
      const change = owner.client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword } });
      const [changed, ...loggedIn] = await Promise.all([change, ...logins]);
      expect(changed.data!.changePassword).toBe(true);

      // Every session a login made with the old password is gone now that the change finished.
      for (const session of loggedIn) {
        if (session) expect((await session.client.request(MeDocument)).data!.me).toBeNull();
      }
      expect((await owner.client.request(MeDocument)).data!.me!.id).toBe(owner.userId);
      expect(await canLogIn(owner.email, PASSWORD)).toBe(false);
    }
  });
});

describe('a session revoked while its own password change is in flight', () => {
  let server: TestServer;

  beforeAll(async () => {
    // bcrypt at cost 12 takes a few hundred milliseconds: the revocation lands while it runs.
    server = await startTestServer({ env: { BCRYPT_COST: '12' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('cannot change the password', async () => {
    const owner = await signUpInBrowser(server, 'revoked-mid-change');
    const attacker = await headerLogin(server, owner.email);

    // The attacker's session (a stolen one, say) starts a change; the owner revokes it meanwhile.
    const change = attacker.client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'the attacker wants this' } });
    await delay(100);
    expect((await owner.client.request(RevokeSessionDocument, { id: attacker.sessionId })).data!.revokeSession).toBe(true);

    expect(errorCodes(await change)).toEqual(['UNAUTHENTICATED']);
    expect((await owner.client.request(MeDocument)).data!.me!.id).toBe(owner.userId);
    const oldPassword = await server.client({ cookies: false }).request(LoginDocument, { input: { email: owner.email, password: PASSWORD } });
    expect(oldPassword.errors).toBeUndefined();
  }, 30_000);
});

describe('a login that verified the old password while a reset finished', () => {
  let server: TestServer;

  beforeAll(async () => {
    // bcrypt at cost 12 takes a few hundred milliseconds, one at a time: the login's check
    // of the old password runs after the reset's hash, so the reset commits in between.
    server = await startTestServer({ smtp: true, env: { BCRYPT_COST: '12' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('makes no session', async () => {
    const owner = await signUpInBrowser(server, 'reset-race');
    await server.client().request(RequestPasswordResetDocument, { email: owner.email });
    const token = tokenIn(await nextMail(server.mailbox!, owner.email, 'Reset your password', new Set()), '/reset-password');

    const reset = server.client().request(ResetPasswordDocument, { input: { token, newPassword: 'the reset password' } });
    await delay(20);
    const login = server.client({ cookies: false }).request(LoginDocument, { input: { email: owner.email, password: PASSWORD, transport: 'HEADER' } });

    expect((await reset).data!.resetPassword).toBe(true);
    const loggedIn = await login;
    expect(errorCodes(loggedIn)).toEqual(['UNAUTHENTICATED']);
    expect((await server.client().request(LoginDocument, { input: { email: owner.email, password: 'the reset password' } })).errors).toBeUndefined();
  }, 30_000);
});
