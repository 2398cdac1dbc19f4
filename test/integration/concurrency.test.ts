import { LoginDocument, MySessionsDocument, RevokeSessionDocument, SignUpDocument } from '../generated/graphql';
import { RedisKeyspace } from '../../src/storage/redis/keyspace';
import { useRedisCluster } from '../support/redis-processes';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type StoreKind, type TestServer } from '../support/harness';
import { runSessionStress } from '../support/session-stress';
import { UNTHROTTLED_PASSWORD_CHECKS, WIDE_PASSWORD_CHECK_LINE } from '../support/fixtures';

// A real 3-master Redis Cluster for this file's 'cluster' runs.
const cluster = useRedisCluster();

describe.each<StoreKind>(['redis', 'cluster'])('concurrent requests for one user (%s store, over HTTP)', (storeKind) => {
  let server: TestServer;

  beforeAll(async () => {
    // The store's atomicity under load is under test here, not the throttles: 50 parallel
    // logins of one account from one address would otherwise be refused (one account may
    // hold two places in the line of password checks, and reserves its attempts).
    const env = { SESSION_MAX_PER_USER: '40', ...UNTHROTTLED_PASSWORD_CHECKS };
    server = await startTestServer({ store: storeKind, clusterNodes: cluster.nodes, env });
  });
  afterAll(async () => {
    await server.close();
  });

  async function storedSessionIds(userId: string): Promise<string[]> {
    return (await server.redis!.hkeys(new RedisKeyspace(server.keyPrefix).sessions(userId))).sort();
  }

  it('50 logins racing with revocations leave the stored sessions and the list in exact agreement', async () => {
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

    const stored = await storedSessionIds(userId);
    const listed = (await owner.request(MySessionsDocument)).data!.mySessions.map((session) => session.id).sort();
    expect(listed).toEqual(stored);
    // The owner's session and the 25 logins not revoked (under the cap of 40).
    expect(stored.length).toBe(26);
  });

  it('50 concurrent logins over the cap keep exactly the cap, with no orphan record', async () => {
    const email = uniqueEmail('cap');
    const signUp = await server.client().request(SignUpDocument, { input: { email, password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;
    await Promise.all(
      Array.from({ length: 50 }, () => server.client({ cookies: false }).request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } })),
    );
    expect(await storedSessionIds(userId)).toHaveLength(40);
  });

  it('a stress of parallel logins, revocations, logouts, touches and expiries leaves the stored sessions, the list and the audit trail in agreement', async () => {
    await runSessionStress({ store: storeKind, clusterNodes: cluster.nodes });
  });

  it('throttles a burst of wrong passwords exactly, and every process sharing the store sees the block', async () => {
    const env = { ...WIDE_PASSWORD_CHECK_LINE, LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '5' };
    const first = await startTestServer({ store: storeKind, clusterNodes: cluster.nodes, env });
    const second = await startTestServer({ store: storeKind, clusterNodes: cluster.nodes, env, keyPrefix: first.keyPrefix });
    try {
      const email = uniqueEmail('burst');
      expect((await first.client().request(SignUpDocument, { input: { email, password: PASSWORD } })).errors).toBeUndefined();

      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, attempt) =>
          (attempt % 2 ? first : second).client().request(LoginDocument, { input: { email, password: 'not the password' } }),
        ),
      );

      const codes = burst.map((response) => errorCodes(response)[0]);
      expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(5);
      expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(15);
      for (const server of [first, second]) {
        expect(errorCodes(await server.client().request(LoginDocument, { input: { email, password: PASSWORD } }))).toEqual(['RATE_LIMITED']);
      }
    } finally {
      await second.close();
      await first.close();
    }
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
