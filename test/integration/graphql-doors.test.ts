import { gzipSync } from 'node:zlib';
import { SignUpDocument } from '../generated/graphql';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

const ORIGIN = 'http://127.0.0.1:5173';
/** Headers that differ between any two responses whatever served them. */
const VARYING = new Set(['date', 'x-request-id', 'content-length', 'keep-alive', 'connection', 'set-cookie']);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  setCookieNames: string[];
}

/**
 * A JSON POST to /graphql is served by the direct door (src/graphql/graphql-http.ts); the same
 * POST gzipped goes through Express (its body parser inflates it) to the same execution.
 * Every case below is sent both ways and must be answered the same: status, headers (but
 * those that vary per response), body.
 */
describe('the two doors to /graphql answer alike', () => {
  let server: TestServer;
  let bearer: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { CORS_ORIGINS: ORIGIN } });
    const signUp = await server.client({ cookies: false }).request(SignUpDocument, { input: { email: uniqueEmail('doors'), password: PASSWORD, transport: 'HEADER' } });
    bearer = signUp.data!.signUp.token!;
  });
  afterAll(async () => {
    await server.close();
  });

  async function send(body: Buffer, headers: Record<string, string>, through: 'direct' | 'express'): Promise<Answer> {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...(through === 'express' ? { 'content-encoding': 'gzip' } : {}) },
      body: through === 'express' ? gzipSync(body) : body,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Kept as text.
    }
    return {
      status: response.status,
      headers: Object.fromEntries([...response.headers].filter(([name]) => !VARYING.has(name))),
      body: parsed,
      setCookieNames: response.headers.getSetCookie().map((cookie) => cookie.split('=')[0]!),
    };
  }

  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  it.each<[string, () => Buffer, Record<string, string>]>([
    ['an anonymous query', () => json({ query: '{ me { id } }' }), {}],
    ['a signed-in query', () => json({ query: '{ me { id email } mySessions { id current } }' }), { authorization: 'Bearer <token>' }],
    ['a forged token', () => json({ query: '{ me { id } }' }), { authorization: 'Bearer v1.forged' }],
    ['a failed login (cookie transport)', () => json({ query: 'mutation { login(input: { email: "nobody@example.com", password: "not a password!" }) { user { id } } }' }), {}],
    ['a query that does not parse', () => json({ query: '{ me { id ' }), {}],
    ['a query over the depth limit', () => json({ query: '{ me { sessions { user { sessions { user { sessions { user { sessions { user { sessions { id } } } } } } } } } } }' }), {}],
    ['variables of the wrong type', () => json({ query: 'query ($id: ID!) { user(id: $id) { id } }', variables: { id: { nested: true } } }), {}],
    ['a batch (an array)', () => json([{ query: '{ me { id } }' }]), {}],
    ['no query at all', () => json({}), {}],
    ['an empty body', () => Buffer.alloc(0), {}],
    ['whitespace only', () => Buffer.from('  \n'), {}],
    ['a byte order mark before the JSON', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ query: '{ me { id } }' })]), {}],
    ['JSON that is not an object or array', () => Buffer.from('"{ me { id } }"'), {}],
    ['broken JSON', () => Buffer.from('{"query": '), {}],
    ['a body over 100 kB', () => json({ query: `{ me { id } } # ${'x'.repeat(110 * 1024)}` }), {}],
    ['a charset given in the content type', () => json({ query: '{ me { id } }' }), { 'content-type': 'application/json; charset=utf-8' }],
    ['a request from an allowed origin', () => json({ query: '{ me { id } }' }), { origin: ORIGIN }],
    ['a request from another origin', () => json({ query: '{ me { id } }' }), { origin: 'https://evil.example' }],
    ['an incoming request id', () => json({ query: '{ me { id } }' }), { 'x-request-id': 'client-chosen-id' }],
  ])('%s', async (_case, body, headers) => {
    const resolved = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.replace('<token>', bearer)]));
    const direct = await send(body(), resolved, 'direct');
    const viaExpress = await send(body(), resolved, 'express');
    expect(direct).toEqual(viaExpress);
    // Both carry the headers every /graphql answer carries.
    expect(direct.headers['cache-control']).toBe('no-store');
    expect(direct.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('echoes a valid incoming request id on both', async () => {
    for (const through of ['direct', 'express'] as const) {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123', ...(through === 'express' ? { 'content-encoding': 'gzip' } : {}) },
        body: through === 'express' ? gzipSync(json({ query: '{ me { id } }' })) : json({ query: '{ me { id } }' }),
      });
      expect(response.headers.get('x-request-id')).toBe('abc-123');
    }
  });
});
