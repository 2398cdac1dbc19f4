import { LoginDocument, MeDocument, MySessionsDocument, SignUpDocument } from '../generated/graphql';
import { ManualClock } from '../../src/shared/clock';
import { PASSWORD, startTestServer, uniqueEmail, type TestClient, type TestServer } from '../support/harness';

/** Idle TTL 15 minutes, absolute 1 hour: the sliding window moves at most once a minute. */
describe('session expiry with an injected clock (Redis store)', () => {
  let server: TestServer;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    server = await startTestServer({ clock, env: { SESSION_IDLE_TTL: '15m', SESSION_ABSOLUTE_TTL: '1h', SESSION_MAX_PER_USER: '3' } });
  });
  afterEach(async () => {
    await server.close();
  });

  async function signUp(): Promise<{ client: TestClient; email: string }> {
    const email = uniqueEmail('expiry');
    const client = server.client();
    const response = await client.request(SignUpDocument, { input: { email, password: PASSWORD } });
    expect(response.errors).toBeUndefined();
    return { client, email };
  }

  async function isSignedIn(client: TestClient): Promise<boolean> {
    return (await client.request(MeDocument)).data!.me !== null;
  }

  it('ends a session left idle past SESSION_IDLE_TTL and clears its cookie', async () => {
    const { client } = await signUp();
    clock.advanceBySeconds(15 * 60 + 1);
    const response = await client.request(MeDocument);
    expect(response.data!.me).toBeNull();
    expect(response.setCookies[0]).toMatch(/^sid=; Max-Age=0/);
  });

  it('slides the idle expiry forward with use, keeping Redis TTL, lastSeenAt and expiresAt in step', async () => {
    const { client } = await signUp();
    for (let step = 0; step < 4; step++) {
      clock.advanceBySeconds(10 * 60);
      expect(await isSignedIn(client)).toBe(true);
    }
    const [session] = (await client.request(MySessionsDocument)).data!.mySessions;
    expect(Date.parse(session!.lastSeenAt)).toBe(clock.now().getTime());
    expect(Date.parse(session!.expiresAt)).toBe(clock.now().getTime() + 15 * 60 * 1000);

    const redis = server.redis!;
    const [sessionsKey, ...others] = await redis.keys(`${server.keyPrefix}*:sessions`);
    expect(others).toEqual([]);
    // The hash lives as long as its longest-lived session: this one.
    expect(await redis.pexpiretime(sessionsKey!)).toBe(Date.parse(session!.expiresAt));
    expect(await redis.hkeys(sessionsKey!)).toEqual([session!.id]);
  });

  it('writes lastSeenAt at most once a minute (no write per request)', async () => {
    const { client } = await signUp();
    const created = (await client.request(MySessionsDocument)).data!.mySessions[0]!;
    clock.advanceBySeconds(30);
    const early = (await client.request(MySessionsDocument)).data!.mySessions[0]!;
    expect(early.lastSeenAt).toBe(created.lastSeenAt);
    expect(early.expiresAt).toBe(created.expiresAt);
    clock.advanceBySeconds(31);
    const later = (await client.request(MySessionsDocument)).data!.mySessions[0]!;
    expect(Date.parse(later.lastSeenAt)).toBe(clock.now().getTime());
  });

  it('never extends past the absolute expiry, however active the session', async () => {
    const { client } = await signUp();
    const absolute = Date.parse((await client.request(MySessionsDocument)).data!.mySessions[0]!.absoluteExpiresAt);
    for (let minutes = 10; minutes < 60; minutes += 10) {
      clock.advanceBySeconds(10 * 60);
      const [session] = (await client.request(MySessionsDocument)).data!.mySessions;
      expect(Date.parse(session!.absoluteExpiresAt)).toBe(absolute);
      expect(Date.parse(session!.expiresAt)).toBeLessThanOrEqual(absolute);
    }
    clock.advanceBySeconds(10 * 60);
    expect(await isSignedIn(client)).toBe(false);
  });

  it('ends the least recently used session when a new one goes over SESSION_MAX_PER_USER', async () => {
    const { client: first, email } = await signUp();
    const login = async () => {
      clock.advanceBySeconds(5);
      const client = server.client();
      await client.request(LoginDocument, { input: { email, password: PASSWORD } });
      return client;
    };
    const second = await login();
    const third = await login();
    clock.advanceBySeconds(120);
    expect(await isSignedIn(first)).toBe(true); // first is now the most recently used
    const fourth = await login();

    expect(await isSignedIn(second)).toBe(false);
    expect(await isSignedIn(first)).toBe(true);
    expect(await isSignedIn(third)).toBe(true);
    expect(await isSignedIn(fourth)).toBe(true);
    expect((await fourth.request(MySessionsDocument)).data!.mySessions).toHaveLength(3);
  });

  it('drops expired sessions from mySessions and from Redis', async () => {
    const { client, email } = await signUp();
    const other = server.client();
    await other.request(LoginDocument, { input: { email, password: PASSWORD } });
    clock.advanceBySeconds(10 * 60);
    expect(await isSignedIn(client)).toBe(true);
    clock.advanceBySeconds(6 * 60); // `other` idled out; `client` was touched 6 minutes ago
    const sessions = (await client.request(MySessionsDocument)).data!.mySessions;
    expect(sessions).toHaveLength(1);
    const [sessionsKey] = await server.redis!.keys(`${server.keyPrefix}*:sessions`);
    expect(await server.redis!.hkeys(sessionsKey!)).toEqual([sessions[0]!.id]);
  });
});
