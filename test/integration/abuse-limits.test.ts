import { getIntrospectionQuery } from 'graphql';
import { LoginDocument, SignUpDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type TestClient, type TestServer } from '../support/harness';

/** `me { sessions { user { sessions { … } } } }` nested to `depth` fields. */
function nestedQuery(depth: number): string {
  let selection = 'id';
  for (let level = depth - 1; level >= 1; level--) {
    const field = level === 1 ? 'me' : level % 2 === 0 ? 'sessions' : 'user';
    selection = `${field} { ${selection} }`;
  }
  return `{ ${selection} }`;
}

describe('GraphQL abuse limits: refused before any resolver runs', () => {
  let server: TestServer;
  let client: TestClient;

  beforeAll(async () => {
    // The cost limit has tests of its own (amplification.test.ts): with lists of one session
    // at most, the deep queries here cost little, and only depth and aliases are tested.
    server = await startTestServer({ store: 'memory', env: { SESSION_MAX_PER_USER: '1' } });
    client = server.client();
    await client.request(SignUpDocument, { input: { email: uniqueEmail('limits'), password: PASSWORD } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('accepts depth 10 and refuses depth 11 through the User.sessions / Session.user cycle', async () => {
    const ten = await client.post({ query: nestedQuery(10) });
    expect(ten.status).toBe(200);
    expect(ten.errors).toBeUndefined();
    const eleven = await client.post({ query: nestedQuery(11) });
    expect(eleven.status).toBe(400);
    expect(errorCodes(eleven)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(eleven.data).toBeUndefined();
  });

  it('counts depth through fragments too', async () => {
    const query = `
      fragment Deep on Session { user { sessions { user { sessions { user { sessions { user { sessions { id } } } } } } } } }
      { me { sessions { ...Deep } } }`;
    expect(errorCodes(await client.post({ query }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('lets the introspection query GraphiQL sends through, however deep', async () => {
    const response = await client.post({ query: getIntrospectionQuery() });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
  });

  it('accepts 15 aliases and refuses 16', async () => {
    const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, index) => `a${index}: me { id }`).join(' ')} }`;
    expect((await client.post({ query: aliases(15) })).errors).toBeUndefined();
    const sixteen = await client.post({ query: aliases(16) });
    expect(sixteen.status).toBe(400);
    expect(errorCodes(sixteen)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('refuses an operation past the cost limit', async () => {
    const cheap = await startTestServer({ store: 'memory', env: { GRAPHQL_MAX_COST: '30' } });
    try {
      const response = await cheap.client().post({
        query: '{ me { id email displayName roles createdAt sessions { id current createdAt lastSeenAt expiresAt user { id email } } } }',
      });
      expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect((await cheap.client().post({ query: '{ me { id } }' })).errors).toBeUndefined();
    } finally {
      await cheap.close();
    }
  });

  it('refuses an operation holding more than one login, signUp or changePassword, running none of them', async () => {
    const email = uniqueEmail('batch');
    const twoLogins = `mutation {
      a: login(input: { email: "${email}", password: "guess number one" }) { token }
      b: login(input: { email: "${email}", password: "guess number two" }) { token }
    }`;
    const refused = await server.client().post({ query: twoLogins });
    expect(refused.status).toBe(400);
    expect(errorCodes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const signUpAndLogin = `mutation {
      signUp(input: { email: "${email}", password: "${PASSWORD}" }) { token }
      login(input: { email: "${email}", password: "${PASSWORD}" }) { token }
    }`;
    expect(errorCodes(await server.client().post({ query: signUpAndLogin }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const viaFragment = `fragment L on Mutation { login(input: { email: "${email}", password: "x" }) { token } }
      mutation { ...L signUp(input: { email: "${email}", password: "${PASSWORD}" }) { token } }`;
    expect(errorCodes(await server.client().post({ query: viaFragment }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const nothingRan = await server.client().request(LoginDocument, { input: { email, password: PASSWORD } });
    expect(errorCodes(nothingRan)).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps request batching off', async () => {
    const response = await server.client().post([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]);
    expect(response.status).toBe(400);
  });
});
