import { ManualClock } from '../../src/shared/clock';
import { ChangePasswordDocument, LoginDocument, LogoutDocument, MeDocument, MySessionsDocument, RevokeSessionDocument, RevokeUserSessionsDocument, SignUpDocument, StepUpDocument, UserSessionEventsDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type StoreKind, type TestClient, type TestServer } from '../support/harness';
import { headerLogin } from '../support/flows';

describe.each<StoreKind>(['redis', 'memory'])('session events, the audit trail over HTTP (%s store)', (storeKind) => {
  const clock = new ManualClock();
  let server: TestServer;
  const adminEmail = uniqueEmail('events-admin');
  let adminId: string;

  beforeAll(async () => {
    server = await startTestServer({ store: storeKind, clock, env: { SESSION_IDLE_TTL: '15m', SESSION_MAX_PER_USER: '3' } });
    const signUp = await server.client().request(SignUpDocument, { input: { email: adminEmail, password: PASSWORD } });
    adminId = signUp.data!.signUp.user.id;
    expect((await server.cli('grant-role', adminEmail, 'ADMIN')).code).toBe(0);
  });
  afterAll(async () => {
    await server.close();
  });

  /** A fresh ADMIN session (the tests move the clock past the idle TTL). */
  async function signedInAdmin(): Promise<TestClient> {
    return (await headerLogin(server, adminEmail)).client;
  }

  /** Every step a second apart, so that "newest first" has one answer. */
  function tick(): void {
    clock.advanceBySeconds(1);
  }

  it('records every way a session ends, why and by whom, and lists them newest first for an ADMIN', async () => {
    const email = uniqueEmail('audited');
    const browser = server.client();
    const signUp = await browser.request(SignUpDocument, { input: { email, password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;
    const firstBrowserSession = signUp.data!.signUp.session.id;

    const idle = await headerLogin(server, email);
    clock.advanceBySeconds(10 * 60);
    expect((await browser.request(MeDocument)).data!.me).not.toBeNull(); // slides the browser's expiry, not idle's
    clock.advanceBySeconds(6 * 60);
    const idleExpiredAt = new Date(clock.now().getTime() - 60_000).toISOString();
    expect((await browser.request(MySessionsDocument)).data!.mySessions.map((session) => session.id)).toEqual([firstBrowserSession]);

    tick();
    const loggedOut = await headerLogin(server, email);
    expect((await loggedOut.client.request(LogoutDocument)).data!.logout).toBe(true);
    tick();
    const revoked = await headerLogin(server, email);
    expect((await browser.request(RevokeSessionDocument, { id: revoked.sessionId })).data!.revokeSession).toBe(true);
    tick();
    const passwordVictim = await headerLogin(server, email);
    const newPassword = 'a new password for the audit';
    // The clock has moved past STEP_UP_MAX_AGE since sign-up: a change needs a fresh authentication.
    expect((await browser.request(StepUpDocument, { input: { password: PASSWORD } })).errors).toBeUndefined();
    expect((await browser.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword } })).errors).toBeUndefined();
    tick();
    const relogin = await browser.request(LoginDocument, { input: { email, password: newPassword } });
    const secondBrowserSession = relogin.data!.login.session.id;
    tick();
    const capped = [await headerLogin(server, email, newPassword)];
    tick();
    capped.push(await headerLogin(server, email, newPassword));
    tick();
    capped.push(await headerLogin(server, email, newPassword)); // the fourth: the browser's, least recently used, goes
    const admin = await signedInAdmin();
    tick();
    expect((await admin.request(RevokeUserSessionsDocument, { userId })).data!.revokeUserSessions).toBe(3);

    const response = await admin.request(UserSessionEventsDocument, { userId });
    expect(response.errors).toBeUndefined();
    const events = response.data!.userSessionEvents;
    const at = (secondsAgo: number) => new Date(clock.now().getTime() - secondsAgo * 1000).toISOString();
    expect(events.slice(0, 3).map((event) => event.sessionId).sort()).toEqual(capped.map((session) => session.sessionId).sort());
    for (const event of events.slice(0, 3)) expect(event).toEqual({ sessionId: event.sessionId, reason: 'REVOKED_BY_ADMIN', actorId: adminId, occurredAt: at(0) });
    expect(events.slice(3)).toEqual([
      { sessionId: secondBrowserSession, reason: 'EVICTED_OVER_CAP', actorId: null, occurredAt: at(1) },
      { sessionId: firstBrowserSession, reason: 'REPLACED_BY_LOGIN', actorId: userId, occurredAt: at(4) },
      { sessionId: passwordVictim.sessionId, reason: 'PASSWORD_CHANGE', actorId: userId, occurredAt: at(5) },
      { sessionId: revoked.sessionId, reason: 'REVOKED_BY_USER', actorId: userId, occurredAt: at(6) },
      { sessionId: loggedOut.sessionId, reason: 'LOGOUT', actorId: userId, occurredAt: at(7) },
      { sessionId: idle.sessionId, reason: 'EXPIRED', actorId: null, occurredAt: idleExpiredAt },
    ]);

    const newestTwo = await admin.request(UserSessionEventsDocument, { userId, limit: 2 });
    expect(newestTwo.data!.userSessionEvents).toEqual(events.slice(0, 2));
  });

  it('is for ADMINs only, bounded, and empty for unknown users', async () => {
    const email = uniqueEmail('curious');
    const user = server.client();
    const userId = (await user.request(SignUpDocument, { input: { email, password: PASSWORD } })).data!.signUp.user.id;
    const admin = await signedInAdmin();

    expect(errorCodes(await user.request(UserSessionEventsDocument, { userId }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await server.client().request(UserSessionEventsDocument, { userId }))).toEqual(['UNAUTHENTICATED']);
    for (const limit of [0, -1, 101]) {
      const refused = await admin.request(UserSessionEventsDocument, { userId, limit });
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.extensions!.field).toBe('limit');
    }
    expect((await admin.request(UserSessionEventsDocument, { userId: 'AAAAAAAAAAAAAAAAAAAAAA' })).data!.userSessionEvents).toEqual([]);
    expect((await admin.request(UserSessionEventsDocument, { userId: '../../etc' })).data!.userSessionEvents).toEqual([]);
  });
});
