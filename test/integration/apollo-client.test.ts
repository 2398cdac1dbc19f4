import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { CookieJar } from 'tough-cookie';
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
import { ManualClock } from '../../src/shared/clock';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

/**
 * Apollo Client 4 (the typed documents from codegen.ts) against the running server, the
 * way an SPA (cookie) and a React Native app (bearer header) would use it.
 */

interface Traffic {
  setCookies: string[];
  sentCookies: string[];
  sentAuthorization: string[];
}

/** What a browser does for `credentials: 'include'`: keeps the server's cookies and sends them back. */
function cookieJarFetch(jar: CookieJar, traffic: Traffic): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers);
    const cookie = await jar.getCookieString(url);
    if (cookie) {
      headers.set('cookie', cookie);
      traffic.sentCookies.push(cookie);
    }
    const response = await fetch(input, { ...init, headers });
    for (const setCookie of response.headers.getSetCookie()) {
      traffic.setCookies.push(setCookie);
      await jar.setCookie(setCookie, url);
    }
    return response;
  };
}

/** Plain fetch with no cookie support at all, recording what it sends and receives. */
function recordingFetch(traffic: Traffic): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    const authorization = headers.get('authorization');
    if (authorization) traffic.sentAuthorization.push(authorization);
    const response = await fetch(input, init);
    traffic.setCookies.push(...response.headers.getSetCookie());
    return response;
  };
}

function newTraffic(): Traffic {
  return { setCookies: [], sentCookies: [], sentAuthorization: [] };
}

/** The error codes of an Apollo Client failure (CombinedGraphQLErrors in v4). */
async function rejectionCodes(promise: Promise<unknown>): Promise<unknown[]> {
  const error: unknown = await promise.then(
    () => null,
    (failure: unknown) => failure,
  );
  if (!CombinedGraphQLErrors.is(error)) throw new Error(`expected GraphQL errors, got ${String(error)}`);
  return error.errors.map((graphqlError) => graphqlError.extensions?.code);
}

describe('Apollo Client 4 against the running server', () => {
  let server: TestServer;
  const clock = new ManualClock();

  beforeAll(async () => {
    server = await startTestServer({ clock });
  });
  afterAll(async () => {
    await server.close();
  });

  function spaClient(traffic: Traffic): ApolloClient {
    return new ApolloClient({
      link: new HttpLink({ uri: server.graphqlUrl, credentials: 'include', fetch: cookieJarFetch(new CookieJar(), traffic) }),
      cache: new InMemoryCache(),
      defaultOptions: { query: { fetchPolicy: 'network-only' } },
    });
  }

  function mobileClient(traffic: Traffic, token: () => string | null): ApolloClient {
    const auth = new SetContextLink((previous) => {
      const current = token();
      return current ? { headers: { ...previous.headers, authorization: `Bearer ${current}` } } : {};
    });
    return new ApolloClient({
      link: ApolloLink.from([auth, new HttpLink({ uri: server.graphqlUrl, fetch: recordingFetch(traffic) })]),
      cache: new InMemoryCache(),
      defaultOptions: { query: { fetchPolicy: 'network-only' } },
    });
  }

  it('cookie mode: signUp, me, sessions, revoke, changePassword and logout, with the token only ever in the cookie', async () => {
    const email = uniqueEmail('apollo-spa');
    const traffic = newTraffic();
    const client = spaClient(traffic);

    const signUp = await client.mutate({ mutation: SignUpDocument, variables: { input: { email, password: PASSWORD, displayName: 'Ada' } } });
    expect(signUp.data!.signUp.token).toBeNull();
    expect(signUp.data!.signUp.session).toMatchObject({ current: true, transport: 'COOKIE' });
    expect(traffic.setCookies).toEqual([expect.stringMatching(/^sid=v1\..*; HttpOnly/), expect.stringMatching(/^did=d1\..*; HttpOnly/)]);

    const me = await client.query({ query: MeDocument });
    expect(me.data!.me).toMatchObject({ id: signUp.data!.signUp.user.id, email, displayName: 'Ada', roles: ['USER'] });
    expect(traffic.sentCookies.at(-1)).toMatch(/^sid=v1\./);

    // A second browser signs in as the same user, a little later; the first one sees it (newest first) and ends it.
    clock.advanceBySeconds(5);
    const otherTraffic = newTraffic();
    const otherBrowser = spaClient(otherTraffic);
    const otherLogin = await otherBrowser.mutate({ mutation: LoginDocument, variables: { input: { email, password: PASSWORD } } });
    const sessions = await client.query({ query: MySessionsDocument });
    expect(sessions.data!.mySessions.map((session) => [session.id, session.current])).toEqual([
      [otherLogin.data!.login.session.id, false],
      [signUp.data!.signUp.session.id, true],
    ]);
    const revoked = await client.mutate({ mutation: RevokeSessionDocument, variables: { id: otherLogin.data!.login.session.id } });
    expect(revoked.data!.revokeSession).toBe(true);
    expect((await otherBrowser.query({ query: MeDocument })).data!.me).toBeNull();
    expect(otherTraffic.setCookies.at(-1)).toMatch(/^sid=; .*Expires=Thu, 01 Jan 1970/);

    const changed = await client.mutate({ mutation: ChangePasswordDocument, variables: { input: { currentPassword: PASSWORD, newPassword: 'a brand new password' } } });
    expect(changed.data!.changePassword).toBe(true);
    expect((await client.query({ query: MeDocument })).data!.me!.email).toBe(email);

    expect((await client.mutate({ mutation: LogoutDocument })).data!.logout).toBe(true);
    expect(traffic.setCookies.at(-1)).toMatch(/^sid=; /);
    await client.clearStore();
    expect((await client.query({ query: MeDocument })).data!.me).toBeNull();
    expect(await rejectionCodes(client.query({ query: MySessionsDocument }))).toEqual(['UNAUTHENTICATED']);
    // The token never reached the client's JavaScript: nothing Apollo cached holds one.
    expect(JSON.stringify(client.cache.extract())).not.toMatch(/v1\./);
  });

  it('bearer mode: login with transport HEADER, then an auth link sends the token; no cookie is ever set', async () => {
    const email = uniqueEmail('apollo-mobile');
    let token: string | null = null;
    const traffic = newTraffic();
    const client = mobileClient(traffic, () => token);

    const signUp = await client.mutate({ mutation: SignUpDocument, variables: { input: { email, password: PASSWORD, transport: 'HEADER' } } });
    token = signUp.data!.signUp.token;
    expect(token).toMatch(/^v1\./);
    expect(signUp.data!.signUp.session.transport).toBe('HEADER');

    const login = await client.mutate({ mutation: LoginDocument, variables: { input: { email, password: PASSWORD, transport: 'HEADER' } } });
    // Re-authentication with a valid session replaces it: the sign-up token is now dead.
    const signUpToken = token;
    token = login.data!.login.token;
    expect(token).not.toBe(signUpToken);

    const me = await client.query({ query: MeDocument });
    expect(me.data!.me).toMatchObject({ email, id: signUp.data!.signUp.user.id });
    const sessions = await client.query({ query: MySessionsDocument });
    expect(sessions.data!.mySessions).toEqual([expect.objectContaining({ id: login.data!.login.session.id, current: true, transport: 'HEADER' })]);

    const stale = mobileClient(newTraffic(), () => signUpToken);
    expect((await stale.query({ query: MeDocument })).data!.me).toBeNull();

    expect((await client.mutate({ mutation: RevokeOtherSessionsDocument })).data!.revokeOtherSessions).toBe(0);
    expect((await client.mutate({ mutation: LogoutDocument })).data!.logout).toBe(true);
    expect((await client.query({ query: MeDocument })).data!.me).toBeNull();
    expect(await rejectionCodes(client.query({ query: MySessionsDocument }))).toEqual(['UNAUTHENTICATED']);

    expect(traffic.setCookies).toEqual([]);
    expect(traffic.sentAuthorization.length).toBeGreaterThanOrEqual(6);
    expect(new Set(traffic.sentAuthorization)).toEqual(new Set([`Bearer ${signUpToken}`, `Bearer ${token}`]));
  });
});
