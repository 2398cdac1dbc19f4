import { LoginDocument, MeDocument, MySessionsDocument, SignUpDocument } from '../generated/graphql';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

describe('HTTP surface', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: 'memory', env: { CORS_ORIGINS: 'http://spa.localhost:5173' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });

  it('sends Cache-Control: no-store on every /graphql response, errors included', async () => {
    const client = server.client();
    expect((await client.request(MeDocument)).headers.get('cache-control')).toBe('no-store');
    expect((await client.post({ query: '{ nope }' })).headers.get('cache-control')).toBe('no-store');
    const refused = await client.send('POST', server.graphqlUrl, { 'content-type': 'text/plain' }, '{"query":"{ me { id } }"}');
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  describe('CSRF: what a browser can send cross-site without a preflight is refused and runs nothing', () => {
    const email = uniqueEmail('csrf');
    const signUp = JSON.stringify({
      query: `mutation { signUp(input: { email: "${email}", password: "${PASSWORD}" }) { user { id } } }`,
    });

    it.each([
      ['text/plain', signUp],
      ['application/x-www-form-urlencoded', `query=${encodeURIComponent(JSON.parse(signUp).query)}`],
      ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${JSON.parse(signUp).query}\r\n--x--\r\n`],
    ])('a %s POST', async (contentType, body) => {
      const response = await server.client().send('POST', server.graphqlUrl, { 'content-type': contentType }, body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.setCookies).toEqual([]);
    });

    it('a GET mutation', async () => {
      const query = `mutation { signUp(input: { email: "${email}", password: "${PASSWORD}" }) { user { id } } }`;
      const plain = await server.client().send('GET', `${server.graphqlUrl}?query=${encodeURIComponent(query)}`, {});
      expect(plain.status).toBeGreaterThanOrEqual(400);
      expect(plain.status).toBeLessThan(500);
      const withPreflightHeader = await server
        .client()
        .send('GET', `${server.graphqlUrl}?query=${encodeURIComponent(query)}`, { 'apollo-require-preflight': 'true' });
      expect(withPreflightHeader.status).toBe(405);
    });

    afterAll(async () => {
      const login = await server.client().request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(login.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  it('serves GET queries that carry a preflight-forcing header', async () => {
    const response = await server
      .client()
      .send('GET', `${server.graphqlUrl}?query=${encodeURIComponent('{ me { id } }')}`, { 'apollo-require-preflight': 'true' });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ data: { me: null } });
  });

  it('refuses a body over the documented limit with 413 and malformed JSON with 400, as JSON', async () => {
    const big = await server.client().send('POST', server.graphqlUrl, { 'content-type': 'application/json' }, JSON.stringify({ query: `{ me { id } } #${'x'.repeat(200_000)}` }));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).errors[0].extensions.code).toBe('BAD_REQUEST');
    const broken = await server.client().send('POST', server.graphqlUrl, { 'content-type': 'application/json' }, '{"query": ');
    expect(broken.status).toBe(400);
    expect(broken.body).not.toMatch(/at .*\.js/);
  });

  describe('CORS', () => {
    it('allows a listed origin with credentials', async () => {
      const preflight = await fetch(server.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin: 'http://spa.localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://spa.localhost:5173');
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    });

    it('gives an unlisted origin no CORS headers', async () => {
      const preflight = await fetch(server.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.localhost', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const response = await server.client().request(MeDocument, undefined, { origin: 'http://evil.localhost' });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('GraphiQL', () => {
    it('is served to browsers from the server itself, with no CDN', async () => {
      const page = await fetch(server.graphqlUrl, { headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      const external = [...html.matchAll(/(?:src|href)=["'](https?:)?\/\/[^"']+/g)].map((match) => match[0]);
      expect(external).toEqual([]);
      const assets = [...html.matchAll(/(?:src|href)=["'](\/graphiql-assets\/[^"']+)/g)].map((match) => match[1]!);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) expect((await fetch(`${server.url}${asset}`)).status).toBe(200);
    });

    it('is off when GRAPHIQL=false', async () => {
      const quiet = await startTestServer({ store: 'memory', env: { GRAPHIQL: 'false' } });
      try {
        const page = await fetch(quiet.graphqlUrl, { headers: { accept: 'text/html' } });
        expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      } finally {
        await quiet.close();
      }
    });
  });
});

describe('TRUST_PROXY decides the recorded client IP', () => {
  async function recordedIp(env: Record<string, string>): Promise<string | null> {
    const server = await startTestServer({ store: 'memory', env });
    try {
      const client = server.client();
      await client.request(SignUpDocument, { input: { email: uniqueEmail('proxy'), password: PASSWORD } }, { 'x-forwarded-for': '198.51.100.23' });
      return (await client.request(MySessionsDocument)).data!.mySessions[0]!.ipAddress;
    } finally {
      await server.close();
    }
  }

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    expect(await recordedIp({})).toBe('127.0.0.1');
  });

  it('uses X-Forwarded-For from a trusted proxy', async () => {
    expect(await recordedIp({ TRUST_PROXY: 'loopback' })).toBe('198.51.100.23');
  });
});

describe('secure cookies (COOKIE_SECURE=true)', () => {
  it('uses the __Host- name with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
    const server = await startTestServer({ store: 'memory', env: { COOKIE_SECURE: 'true' } });
    try {
      const response = await server.client().request(SignUpDocument, { input: { email: uniqueEmail('secure'), password: PASSWORD } });
      const [cookie] = response.setCookies;
      expect(cookie).toMatch(/^__Host-sid=v1\./);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).not.toMatch(/Domain=/i);
      const token = cookie!.slice('__Host-sid='.length, cookie!.indexOf(';'));
      const me = await server.client({ cookies: false }).request(MeDocument, undefined, { cookie: `__Host-sid=${token}` });
      expect(me.data!.me).not.toBeNull();
      const plainName = await server.client({ cookies: false }).request(MeDocument, undefined, { cookie: `sid=${token}` });
      expect(plainName.data!.me).toBeNull();
    } finally {
      await server.close();
    }
  });
});
