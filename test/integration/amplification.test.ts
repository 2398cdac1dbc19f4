import { MeDocument, SignUpDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type TestClient, type TestServer } from '../support/harness';
import { headerLogin } from '../support/flows';
import { metricValue } from '../support/metrics';

const SESSIONS = 50;

/** Lists inside lists: 50 × 50 × 50 sessions built for one short query. */
const AMPLIFIER = '{ mySessions { user { sessions { user { sessions { id } } } } } }';

/*
 * A user with 50 sessions (the default cap) and a short query that nests lists: before the
 * cost rule counted list lengths, three aliases of it built millions of objects, ran
 * thousands of store scripts and made other users' requests time out with 503.
 */
describe('query amplification (Redis store)', () => {
  let server: TestServer;
  let attacker: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    const email = uniqueEmail('amplifier');
    attacker = server.client();
    expect((await attacker.request(SignUpDocument, { input: { email, password: PASSWORD } })).errors).toBeUndefined();
    for (let i = 1; i < SESSIONS; i++) await headerLogin(server, email);
  });
  afterAll(async () => {
    await server.close();
  });

  const listScripts = () => metricValue(server, 'sessionql_store_operation_duration_seconds_count', { operation: 'sessions.listSessions', outcome: 'ok' });

  it.each([
    ['nested lists', AMPLIFIER],
    ['the same, aliased three times', `{ a: ${AMPLIFIER.slice(2, -2)} b: ${AMPLIFIER.slice(2, -2)} c: ${AMPLIFIER.slice(2, -2)} }`],
    ['two lists deep', '{ mySessions { user { sessions { id } } } }'],
    ['through a fragment', 'fragment S on User { sessions { user { sessions { id } } } } { me { ...S } }'],
  ])('refuses %s with GRAPHQL_VALIDATION_FAILED before any resolver runs', async (_label, query) => {
    const before = await listScripts();
    const response = await attacker.post({ query });
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.data).toBeUndefined();
    expect(await listScripts()).toBe(before);
  });

  it('reads the same user\'s sessions once per request, however many fields ask', async () => {
    const before = await listScripts();
    const response = await attacker.post<{ mySessions: unknown[]; again: unknown[]; me: { sessions: unknown[] } }>({
      query: '{ mySessions { id } again: mySessions { id current } me { sessions { id } } }',
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.mySessions).toHaveLength(SESSIONS);
    expect(response.data!.again).toHaveLength(SESSIONS);
    expect(response.data!.me.sessions).toHaveLength(SESSIONS);
    expect((await listScripts()) - before).toBe(1);
  });

  it('never makes another user\'s requests fail while it floods the server with its most expensive allowed queries', async () => {
    const bystander = server.client();
    const signUp = await bystander.request(SignUpDocument, { input: { email: uniqueEmail('bystander'), password: PASSWORD } });
    const bystanderId = signUp.data!.signUp.user.id;
    // The most the limit lets through: three full lists of 50 sessions, read once.
    const heaviest = '{ a: mySessions { id current transport createdAt lastSeenAt expiresAt userAgent } b: mySessions { id ipAddress } me { sessions { id } } }';

    const attacks = Array.from({ length: 40 }, (_, i) => attacker.post({ query: i % 2 === 0 ? heaviest : AMPLIFIER }));
    const bystanderRequests = Array.from({ length: 60 }, () => bystander.request(MeDocument));
    const [attackResponses, bystanderResponses] = await Promise.all([Promise.all(attacks), Promise.all(bystanderRequests)]);

    for (const response of bystanderResponses) {
      expect({ status: response.status, id: response.data?.me?.id }).toEqual({ status: 200, id: bystanderId });
    }
    expect(attackResponses.filter((response) => response.status === 400)).toHaveLength(20);
    expect(attackResponses.filter((response) => response.status === 200 && response.errors === undefined)).toHaveLength(20);
  });
});
