import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MySessionsDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  SignUpDocument,
} from '../generated/graphql';
import type { ManualClock } from '../../src/shared/clock';
import { newTokenSecret, signSessionToken } from '../../src/session/session-token';
import { errorCodes, PASSWORD, startTestServer, TEST_SECRET, uniqueEmail, type StoreKind, type TestClient, type TestServer } from '../support/harness';
import { metricValue } from '../support/metrics';
import { useRedisCluster } from '../support/redis-processes';
import { headerLogin } from '../support/flows';

const STORE_OPERATIONS = 'sessionql_store_operation_duration_seconds_count';

// A real 3-master Redis Cluster for this file's 'cluster' run: no CROSSSLOT anywhere.
const cluster = useRedisCluster();

describe.each<StoreKind>(['redis', 'memory', 'cluster'])('session lifecycle over HTTP (%s store)', (storeKind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: storeKind, clusterNodes: cluster.nodes });
  });
  afterAll(async () => {
    await server.close();
  });

  async function signedUpBrowser(email = uniqueEmail()): Promise<{ client: TestClient; userId: string; sessionId: string; email: string }> {
    const client = server.client();
    const response = await client.request(SignUpDocument, { input: { email, password: PASSWORD } });
    expect(response.errors).toBeUndefined();
    return { client, userId: response.data!.signUp.user.id, sessionId: response.data!.signUp.session.id, email };
  }

  describe('signUp', () => {
    it('creates the user, sets the session cookie with the contract attributes and keeps the token out of the body', async () => {
      const email = uniqueEmail('Mixed.Case');
      const client = server.client();
      const response = await client.request(SignUpDocument, { input: { email, password: PASSWORD, displayName: 'Ada' } });

      expect(response.errors).toBeUndefined();
      const payload = response.data!.signUp;
      expect(payload.token).toBeNull();
      expect(payload.user).toMatchObject({ email, displayName: 'Ada', roles: ['USER'] });
      expect(payload.session).toMatchObject({ current: true, transport: 'COOKIE' });
      // The session cookie first; then the known-device cookie, HttpOnly as well.
      expect(response.setCookies).toHaveLength(2);
      const [cookie, deviceCookie] = response.setCookies as [string, string];
      expect(deviceCookie).toMatch(/^did=d1\.[^;]+; Max-Age=15552000; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
      expect(response.body).not.toContain(deviceCookie.slice('did='.length, deviceCookie.indexOf(';')));
      expect(cookie).toMatch(/^sid=v1\./);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).not.toMatch(/Domain=/i);
      expect(cookie).not.toMatch(/; Secure/);
      const expires = new Date(/Expires=([^;]+)/.exec(cookie)![1]!);
      expect(Math.abs(expires.getTime() - Date.parse(payload.session.absoluteExpiresAt))).toBeLessThan(1000);
      const token = cookie.slice('sid='.length, cookie.indexOf(';'));
      expect(response.body).not.toContain(token);

      const me = await client.request(MeDocument);
      expect(me.data!.me).toMatchObject({ id: payload.user.id, email });
    });

    it('defaults the display name to the part of the email before the @', async () => {
      const response = await server.client().request(SignUpDocument, { input: { email: 'grace.hopper+x@example.org'.replace('x', String(Date.now())), password: PASSWORD } });
      expect(response.data!.signUp.user.displayName).toMatch(/^grace\.hopper\+\d+$/);
    });

    it('refuses a duplicate email whatever its case, leaving the first account working', async () => {
      const { email } = await signedUpBrowser(uniqueEmail('dup'));
      const duplicate = await server.client().request(SignUpDocument, { input: { email: email.toUpperCase(), password: 'another password 1' } });
      expect(errorCodes(duplicate)).toEqual(['BAD_USER_INPUT']);
      expect(duplicate.setCookies).toEqual([]);
      const login = await server.client().request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(login.errors).toBeUndefined();
    });

    it.each([
      ['an invalid email', { email: 'not-an-email', password: PASSWORD }],
      ['a password under 10 characters', { email: uniqueEmail(), password: 'short pw' }],
      ['a password over 128 bytes', { email: uniqueEmail(), password: 'é'.repeat(65) }],
      ['the email as password', { email: 'same@example.com', password: 'SAME@example.com' }],
      ['a display name with control characters', { email: uniqueEmail(), password: PASSWORD, displayName: 'a\u0007b' }],
    ])('refuses %s with BAD_USER_INPUT and creates nothing', async (_label, input) => {
      const client = server.client();
      const response = await client.request(SignUpDocument, { input });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.setCookies).toEqual([]);
      const login = await server.client().request(LoginDocument, { input: { email: input.email, password: input.password } });
      expect(errorCodes(login)).toEqual(['UNAUTHENTICATED']);
    });

    it('accepts a password of exactly 128 bytes and verifies every byte of it', async () => {
      const email = uniqueEmail();
      const password = 'x'.repeat(100) + 'y'.repeat(28);
      await server.client().request(SignUpDocument, { input: { email, password } });
      const almost = await server.client().request(LoginDocument, { input: { email, password: 'x'.repeat(100) + 'y'.repeat(27) + 'z' } });
      expect(errorCodes(almost)).toEqual(['UNAUTHENTICATED']);
      const exact = await server.client().request(LoginDocument, { input: { email, password } });
      expect(exact.errors).toBeUndefined();
    });
  });

  describe('login', () => {
    it('gives the same error for an unknown email and a wrong password', async () => {
      const { email } = await signedUpBrowser();
      const wrongPassword = await server.client().request(LoginDocument, { input: { email, password: 'wrong password!!' } });
      const unknownEmail = await server.client().request(LoginDocument, { input: { email: uniqueEmail('nobody'), password: PASSWORD } });
      expect(errorCodes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
      expect(wrongPassword.errors![0]!.message).toBe(unknownEmail.errors![0]!.message);
      expect(errorCodes(unknownEmail)).toEqual(['UNAUTHENTICATED']);
    });

    it('matches the email case-insensitively', async () => {
      const { email } = await signedUpBrowser(uniqueEmail('CaseTest'));
      const response = await server.client().request(LoginDocument, { input: { email: email.toLowerCase(), password: PASSWORD } });
      expect(response.errors).toBeUndefined();
    });

    it('issues a new token on every login and ends a session presented with it', async () => {
      const { client, email } = await signedUpBrowser();
      const firstToken = await client.sessionCookieValue();
      const again = await client.request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(again.errors).toBeUndefined();
      const secondToken = await client.sessionCookieValue();
      expect(secondToken).toBeDefined();
      expect(secondToken).not.toBe(firstToken);

      const replaced = server.client({ cookies: false });
      const stale = await replaced.request(MeDocument, undefined, { cookie: `sid=${firstToken}` });
      expect(stale.data!.me).toBeNull();
      const sessions = await client.request(MySessionsDocument);
      expect(sessions.data!.mySessions.map((session) => session.id)).toEqual([again.data!.login.session.id]);
    });

    it('ends a presented session by what its token proves, without using it: no idle-expiry write for it', async () => {
      const { client, email, userId, sessionId } = await signedUpBrowser();
      (server.clock as ManualClock).advanceBySeconds(120); // the presented session's idle expiry is due to slide
      const touchesBefore = await metricValue(server, STORE_OPERATIONS, { operation: 'sessions.touchSession', outcome: 'ok' });

      expect((await client.request(LoginDocument, { input: { email, password: PASSWORD } })).errors).toBeUndefined();

      expect(await metricValue(server, STORE_OPERATIONS, { operation: 'sessions.touchSession', outcome: 'ok' })).toBe(touchesBefore);
      const ended = await server.store.sessions.listSessionEvents(userId, 10);
      expect(ended.map((event) => [event.sessionId, event.reason])).toEqual([[sessionId, 'replaced_by_login']]);
    });

    it('leaves alone the session a forged token names: only the real secret ends it', async () => {
      const victim = await signedUpBrowser();
      const attacker = await signedUpBrowser();
      // Signed with the server's key but holding another secret: as a leaked signing key or an old token would.
      const forged = signSessionToken({ userId: victim.userId, sessionId: victim.sessionId, secret: newTokenSecret() }, TEST_SECRET);

      const login = await server.client({ cookies: false }).request(LoginDocument, { input: { email: attacker.email, password: PASSWORD } }, { cookie: `sid=${forged}` });

      expect(login.errors).toBeUndefined();
      expect((await victim.client.request(MeDocument)).data!.me!.id).toBe(victim.userId);
      expect(await server.store.sessions.listSessionEvents(victim.userId, 10)).toEqual([]);
    });

    it('with transport HEADER returns the token once, sets no cookie, and the bearer header then works', async () => {
      const { email, userId } = await signedUpBrowser();
      const client = server.client({ cookies: false });
      const response = await client.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
      expect(response.setCookies).toEqual([]);
      expect(response.data!.login.token).toMatch(/^v1\./);
      expect(response.data!.login.session.transport).toBe('HEADER');
      client.bearerToken = response.data!.login.token!;
      const me = await client.request(MeDocument);
      expect(me.data!.me!.id).toBe(userId);
    });
  });

  describe('transports', () => {
    it('prefers the bearer header over the cookie when both are sent', async () => {
      const browser = await signedUpBrowser();
      const other = await signedUpBrowser();
      const mobile = await headerLogin(server, other.email);
      const me = await browser.client.request(MeDocument, undefined, { authorization: `Bearer ${mobile.token}` });
      expect(me.data!.me!.id).toBe(other.userId);
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['an empty bearer', ''],
      ['a forged signature', 'FORGE'],
      ['a truncated token', 'TRUNCATE'],
    ])('treats %s as anonymous: public fields answer, no error, no 500', async (_label, kind) => {
      const { email } = await signedUpBrowser();
      const { token } = await headerLogin(server, email);
      const presented =
        kind === 'FORGE' ? `${token.slice(0, -10)}${token.at(-10) === 'A' ? 'B' : 'A'}${token.slice(-9)}` : kind === 'TRUNCATE' ? token.slice(0, 40) : kind;
      const response = await server.client({ cookies: false }).request(MeDocument, undefined, { authorization: `Bearer ${presented}` });
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(response.data!.me).toBeNull();
    });

    it('ignores a token in the URL, the variables or the extensions', async () => {
      const { email } = await signedUpBrowser();
      const { token } = await headerLogin(server, email);
      const anonymous = server.client({ cookies: false });
      const inBody = await anonymous.post({ query: '{ me { id } }', variables: { token }, extensions: { token, authorization: `Bearer ${token}` } });
      expect(inBody.data).toEqual({ me: null });
      const inUrl = await anonymous.send(
        'GET',
        `${server.graphqlUrl}?query=${encodeURIComponent('{ me { id } }')}&token=${token}&access_token=${token}`,
        { 'apollo-require-preflight': 'true' },
      );
      expect(JSON.parse(inUrl.body)).toEqual({ data: { me: null } });
    });

    it('clears the cookie when a revoked session is presented', async () => {
      const { client, sessionId } = await signedUpBrowser();
      const token = await client.sessionCookieValue();
      await client.request(RevokeSessionDocument, { id: sessionId });
      const stale = await server.client({ cookies: false }).request(MeDocument, undefined, { cookie: `sid=${token}` });
      expect(stale.data!.me).toBeNull();
      expect(stale.setCookies).toHaveLength(1);
      expect(stale.setCookies[0]).toMatch(/^sid=; Max-Age=0;.*Expires=Thu, 01 Jan 1970/);
    });
  });

  describe('logout', () => {
    it('ends the session, expires the cookie and asks the browser to clear site cookies', async () => {
      const { client } = await signedUpBrowser();
      const token = await client.sessionCookieValue();
      const response = await client.request(LogoutDocument);
      expect(response.data!.logout).toBe(true);
      expect(response.setCookies[0]).toMatch(/^sid=; Max-Age=0/);
      expect(response.headers.get('clear-site-data')).toBe('"cookies"');
      const after = await server.client({ cookies: false }).request(MeDocument, undefined, { cookie: `sid=${token}` });
      expect(after.data!.me).toBeNull();
    });

    it('returns false when there is no session', async () => {
      const response = await server.client().request(LogoutDocument);
      expect(response.errors).toBeUndefined();
      expect(response.data!.logout).toBe(false);
      expect(response.headers.get('clear-site-data')).toBeNull();
    });

    it('ends a bearer session without touching cookies', async () => {
      const { email } = await signedUpBrowser();
      const mobile = await headerLogin(server, email);
      const response = await mobile.client.request(LogoutDocument);
      expect(response.data!.logout).toBe(true);
      expect(response.setCookies).toEqual([]);
      expect((await mobile.client.request(MeDocument)).data!.me).toBeNull();
    });
  });

  describe('mySessions and revocation', () => {
    it('lists live sessions newest first with the current flag, client details and timestamps', async () => {
      const { client, email, sessionId } = await signedUpBrowser();
      server.clock instanceof Object && 'advanceBySeconds' in server.clock && (server.clock as { advanceBySeconds(s: number): void }).advanceBySeconds(1);
      const mobile = await headerLogin(server, email);
      const response = await client.request(MySessionsDocument, undefined, { 'user-agent': 'LifecycleTest/1.0' });
      const sessions = response.data!.mySessions;
      expect(sessions.map((session) => session.id)).toEqual([mobile.sessionId, sessionId]);
      expect(sessions.map((session) => session.current)).toEqual([false, true]);
      expect(sessions[0]!.transport).toBe('HEADER');
      expect(sessions[1]!.ipAddress).toBe('127.0.0.1');
      expect(sessions[1]!.userAgent).toEqual(expect.any(String));
      for (const session of sessions) {
        expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.parse(session.lastSeenAt));
        expect(Date.parse(session.absoluteExpiresAt)).toBeGreaterThanOrEqual(Date.parse(session.expiresAt));
        expect(session.user.id).toBe(response.data!.mySessions[0]!.user.id);
      }
    });

    it('revokes one of my sessions, and answers false for ids that are not mine', async () => {
      const { client, email } = await signedUpBrowser();
      const mobile = await headerLogin(server, email);
      const stranger = await signedUpBrowser();

      expect((await client.request(RevokeSessionDocument, { id: stranger.sessionId })).data!.revokeSession).toBe(false);
      expect((await client.request(RevokeSessionDocument, { id: 'no-such-session' })).data!.revokeSession).toBe(false);
      expect((await client.request(RevokeSessionDocument, { id: `${stranger.sessionId}*` })).data!.revokeSession).toBe(false);
      expect((await stranger.client.request(MeDocument)).data!.me).not.toBeNull();

      expect((await client.request(RevokeSessionDocument, { id: mobile.sessionId })).data!.revokeSession).toBe(true);
      expect((await client.request(RevokeSessionDocument, { id: mobile.sessionId })).data!.revokeSession).toBe(false);
      expect((await mobile.client.request(MeDocument)).data!.me).toBeNull();
    });

    it('clears the cookie when the current session is revoked', async () => {
      const { client, sessionId } = await signedUpBrowser();
      const response = await client.request(RevokeSessionDocument, { id: sessionId });
      expect(response.data!.revokeSession).toBe(true);
      expect(response.setCookies[0]).toMatch(/^sid=; Max-Age=0/);
      expect((await client.request(MeDocument)).data!.me).toBeNull();
    });

    it('revokeOtherSessions ends all my other sessions and keeps this one', async () => {
      const { client, email } = await signedUpBrowser();
      const others = [await headerLogin(server, email), await headerLogin(server, email), await headerLogin(server, email)];
      const response = await client.request(RevokeOtherSessionsDocument);
      expect(response.data!.revokeOtherSessions).toBe(3);
      for (const other of others) expect((await other.client.request(MeDocument)).data!.me).toBeNull();
      expect((await client.request(MeDocument)).data!.me).not.toBeNull();
      expect((await client.request(MySessionsDocument)).data!.mySessions).toHaveLength(1);
    });
  });

  describe('changePassword', () => {
    it('verifies the current password, ends every other session and keeps this one', async () => {
      const { client, email } = await signedUpBrowser();
      const other = await headerLogin(server, email);
      const newPassword = 'a brand new password';

      const wrong = await client.request(ChangePasswordDocument, { input: { currentPassword: 'not my password', newPassword } });
      expect(errorCodes(wrong)).toEqual(['BAD_USER_INPUT']);
      expect((await other.client.request(MeDocument)).data!.me).not.toBeNull();

      const weak = await client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'short' } });
      expect(errorCodes(weak)).toEqual(['BAD_USER_INPUT']);

      const changed = await client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword } });
      expect(changed.data!.changePassword).toBe(true);
      expect((await other.client.request(MeDocument)).data!.me).toBeNull();
      expect((await client.request(MeDocument)).data!.me).not.toBeNull();

      const oldLogin = await server.client().request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(errorCodes(oldLogin)).toEqual(['UNAUTHENTICATED']);
      const newLogin = await server.client().request(LoginDocument, { input: { email, password: newPassword } });
      expect(newLogin.errors).toBeUndefined();
    });

    it('needs a session', async () => {
      const response = await server.client().request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'whatever password' } });
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('protected fields', () => {
    it('answers UNAUTHENTICATED without a session', async () => {
      const anonymous = server.client();
      expect(errorCodes(await anonymous.request(MySessionsDocument))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await anonymous.request(RevokeOtherSessionsDocument))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await anonymous.request(RevokeSessionDocument, { id: 'x' }))).toEqual(['UNAUTHENTICATED']);
      const me = await anonymous.request(MeDocument);
      expect(me.errors).toBeUndefined();
      expect(me.data!.me).toBeNull();
    });
  });
});
