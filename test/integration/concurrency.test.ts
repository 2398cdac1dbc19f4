import { LoginDocument, MySessionsDocument, RevokeSessionDocument, SignUpDocument } from '../generated/graphql';
import { listKeys } from '../support/redis';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

describe('concurrent requests for one user (Redis store, over HTTP)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_MAX_PER_USER: '40' } });
  });
  afterAll(async () => {
    await server.close();
  });

  async function indexAndKeysOf(userId: string): Promise<{ index: string[]; keys: string[] }> {
    const redis = server.redis!;
    const tag = `${server.keyPrefix}{u:${userId}}`;
    const index = (await redis.zrange(`${tag}:sessions`, 0, -1)).sort();
    const keys = (await listKeys(redis, `${tag}:s:`)).map((key) => key.slice(`${tag}:s:`.length)).sort();
    return { index, keys };
  }

  it('50 logins racing with revocations leave the index and the session keys in exact agreement', async () => {
    const email = uniqueEmail('race');
    const owner = server.client();
    const signUp = await owner.request(SignUpDocument, { input: { email, password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;

    const revoked: Promise<unknown>[] = [];
    const logins = Array.from({ length: 50 }, async (_, attempt) => {
      const client = server.client({ cookies: false });
      const response = await client.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
      const sessionId = response.data!.login.session.id;
      if (attempt % 2 === 0) revoked.push(owner.request(RevokeSessionDocument, { id: sessionId }));
      return sessionId;
    });
    await Promise.all(logins);
    await Promise.all(revoked);

    const { index, keys } = await indexAndKeysOf(userId);
    expect(keys).toEqual(index);
    const listed = (await owner.request(MySessionsDocument)).data!.mySessions.map((session) => session.id).sort();
    expect(listed).toEqual(index);
    // The owner's session and the 25 logins not revoked (under the cap of 40).
    expect(index.length).toBe(26);
  });

  it('50 concurrent logins over the cap keep exactly the cap, with no orphan keys', async () => {
    const email = uniqueEmail('cap');
    const signUp = await server.client().request(SignUpDocument, { input: { email, password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;
    await Promise.all(
      Array.from({ length: 50 }, () => server.client({ cookies: false }).request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } })),
    );
    const { index, keys } = await indexAndKeysOf(userId);
    expect(index).toHaveLength(40);
    expect(keys).toEqual(index);
  });

  it('20 concurrent sign-ups with one email create exactly one account', async () => {
    const email = uniqueEmail('signup-race');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, attempt) =>
        server.client().request(SignUpDocument, { input: { email: attempt % 2 ? email : email.toUpperCase(), password: PASSWORD } }),
      ),
    );
    const created = responses.filter((response) => response.data?.signUp);
    expect(created).toHaveLength(1);
    for (const response of responses.filter((r) => !r.data?.signUp)) {
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
