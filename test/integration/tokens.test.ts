import { MeDocument, SignUpDocument, LoginDocument } from '../generated/graphql';
import type { SessionStore } from '../../src/storage/session-store';
import type { Store } from '../../src/storage/store';
import { dumpValues } from '../support/redis';
import { PASSWORD, serversClosedAfterAll, TEST_SECRET, uniqueEmail, type TestServer } from '../support/harness';

const NEW_SECRET = 'rotated-secret-abcdefghijklmnopqrstuvwxyz-0123';

describe('tokens: signing, rotation and storage at rest (Redis store)', () => {
  const startServer = serversClosedAfterAll();
  const start = (env: Record<string, string>, keyPrefix?: string, wrapStore?: (store: Store) => Store): Promise<TestServer> =>
    startServer({ env, ...(keyPrefix ? { keyPrefix } : {}), ...(wrapStore ? { wrapStore } : {}) });

  it('keeps sessions valid across a secret rotation, and signs new tokens with the first secret', async () => {
    const before = await start({ SESSION_SECRETS: TEST_SECRET });
    const email = uniqueEmail('rotation');
    const signUp = await before.client({ cookies: false }).request(SignUpDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
    const oldToken = signUp.data!.signUp.token!;

    const rotated = await start({ SESSION_SECRETS: `${NEW_SECRET},${TEST_SECRET}` }, before.keyPrefix);
    const me = await rotated.client({ cookies: false, bearerToken: oldToken }).request(MeDocument);
    expect(me.data!.me!.email).toBe(email);

    const login = await rotated.client({ cookies: false }).request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
    const newToken = login.data!.login.token!;
    const onlyNew = await start({ SESSION_SECRETS: NEW_SECRET }, before.keyPrefix);
    expect((await onlyNew.client({ cookies: false, bearerToken: newToken }).request(MeDocument)).data!.me!.email).toBe(email);
    expect((await onlyNew.client({ cookies: false, bearerToken: oldToken }).request(MeDocument)).data!.me).toBeNull();
  });

  it('leaves no usable token in a copy of Redis: only a hash of the secret is stored', async () => {
    const server = await start({});
    const response = await server.client({ cookies: false }).request(SignUpDocument, {
      input: { email: uniqueEmail('at-rest'), password: PASSWORD, transport: 'HEADER' },
    });
    const token = response.data!.signUp.token!;
    const [, , sessionId, secret, mac] = token.split('.');
    const redis = server.redis!;
    const everything = await dumpValues(redis, server.keyPrefix);
    // The dump is the right one: it holds the session, just not its token.
    expect(everything).toContain(sessionId!);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(secret!);
    expect(everything).not.toContain(mac!);
    expect(everything).not.toContain(PASSWORD);
  });

  it('rejects a forged signature without a store round trip', async () => {
    let lookups = 0;
    const countLookups = (store: Store): Store => {
      const sessions: SessionStore = Object.create(store.sessions) as SessionStore;
      sessions.findSessionWithUser = async (userId, sessionId) => {
        lookups += 1;
        return store.sessions.findSessionWithUser(userId, sessionId);
      };
      return { ...store, sessions };
    };
    const server = await start({}, undefined, countLookups);
    const response = await server.client({ cookies: false }).request(SignUpDocument, {
      input: { email: uniqueEmail('forged'), password: PASSWORD, transport: 'HEADER' },
    });
    const token = response.data!.signUp.token!;
    const flipAt = token.length - 10;
    const forged = `${token.slice(0, flipAt)}${token[flipAt] === 'A' ? 'B' : 'A'}${token.slice(flipAt + 1)}`;

    lookups = 0;
    expect((await server.client({ cookies: false, bearerToken: forged }).request(MeDocument)).data!.me).toBeNull();
    expect(lookups).toBe(0);
    expect((await server.client({ cookies: false, bearerToken: token }).request(MeDocument)).data!.me).not.toBeNull();
    expect(lookups).toBe(1);
  });
});
