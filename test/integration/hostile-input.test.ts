import { connect } from 'node:net';
import { LoginDocument, MeDocument, SignUpDocument } from '../generated/graphql';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

/** Sends raw bytes (which fetch refuses to send) and returns the status code and body. */
async function rawRequest(port: number, head: string, body: Buffer = Buffer.alloc(0)): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.write(Buffer.concat([Buffer.from(`${head}\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`, 'latin1'), body]));
  });
}

describe('hostile input never yields a 5xx, a hang or a leak', () => {
  let server: TestServer;
  let port: number;
  let validToken: string;
  const meBody = Buffer.from(JSON.stringify({ query: '{ me { id } }' }));
  const post = (extraHeaders: string, body = meBody) =>
    rawRequest(port, `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json${extraHeaders}`, body);

  beforeAll(async () => {
    server = await startTestServer();
    port = Number(new URL(server.url).port);
    const response = await server.client({ cookies: false }).request(SignUpDocument, {
      input: { email: uniqueEmail('hostile'), password: PASSWORD, transport: 'HEADER' },
    });
    validToken = response.data!.signUp.token!;
  });
  afterAll(async () => {
    await server.close();
  });

  function expectAnonymous(response: { status: number; text: string }) {
    expect(response.status).toBe(200);
    expect(response.text).toContain('{"data":{"me":null}}');
  }

  it.each([
    ['a 10 KB cookie', `\r\ncookie: sid=${'A'.repeat(10_240)}`],
    ['10 KB of other cookies', `\r\ncookie: ${Array.from({ length: 400 }, (_, i) => `c${i}=${'x'.repeat(20)}`).join('; ')}`],
    ['an empty token', '\r\ncookie: sid='],
    ['a truncated token', () => `\r\ncookie: sid=${validToken.slice(0, validToken.length - 5)}`],
    ['a wrong signature', () => `\r\ncookie: sid=${validToken.replace(/\.[^.]+$/, `.${'A'.repeat(43)}`)}`],
    ['non-ASCII in the cookie', '\r\ncookie: sid=v1.\u00e9\u00e8\u00ff.abc'],
    ['percent-encoding garbage', '\r\ncookie: sid=%E0%A4%A'],
    ['an empty bearer', '\r\nauthorization: Bearer '],
    ['a bearer of spaces and junk', '\r\nauthorization: Bearer \u00ff\u00fe x y z'],
    ['an unknown authorization scheme', '\r\nauthorization: Basic dXNlcjpwYXNz'],
    ['a 10 KB bearer', `\r\nauthorization: Bearer ${'v1.'.repeat(3400)}`],
  ])('%s is anonymous', async (_label, headers) => {
    expectAnonymous(await post(typeof headers === 'function' ? headers() : headers));
  });

  it('duplicated cookie names do not error (the first one counts)', async () => {
    expectAnonymous(await post(`\r\ncookie: sid=garbage; sid=${validToken}`));
    const response = await post(`\r\ncookie: sid=${validToken}; sid=garbage`);
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/"me":\{"id":"/);
  });

  it('headers past Node’s 16 KB limit are refused with 431', async () => {
    expect((await post(`\r\ncookie: sid=${'A'.repeat(20_000)}`)).status).toBe(431);
  });

  it('control characters in a header are refused by the HTTP parser with a 4xx', async () => {
    const response = await post('\r\ncookie: sid=abc\u0001def');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('invalid UTF-8 in the body gets an answer, not a 5xx', async () => {
    const body = Buffer.concat([Buffer.from('{"query":"{ me { id } }","variables":{"x":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}}')]);
    const response = await post('', body);
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(500);
    const asLogin = Buffer.concat([
      Buffer.from('{"query":"mutation($e:String!){ login(input:{email:$e,password:\\"xxxxxxxxxxxx\\"}) { token } }","variables":{"e":"'),
      Buffer.from([0xed, 0xa0, 0x80, 0xff]),
      Buffer.from('@example.com"}}'),
    ]);
    const login = await post('', asLogin);
    expect(login.status).toBe(200);
    expect(login.text).toContain('UNAUTHENTICATED');
  });

  it('deeply nested variables are refused as bad input', async () => {
    const nested = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const body = Buffer.from(`{"query":"mutation($input: LoginInput!){ login(input:$input) { token } }","variables":{"input":${nested}}}`);
    const response = await post('', body);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('deeply nested query text is refused, not a stack overflow', async () => {
    const query = `{ me ${'{ sessions '.repeat(3000)}{ id }${' }'.repeat(3000)} }`;
    const response = await server.client().post({ query });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('an oversized password or email is bad input, not work for bcrypt', async () => {
    const response = await server.client().request(SignUpDocument, { input: { email: `${'a'.repeat(5000)}@example.com`, password: 'p'.repeat(50_000) } });
    expect(response.status).toBe(200);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const login = await server.client().request(LoginDocument, { input: { email: uniqueEmail(), password: 'p'.repeat(50_000) } });
    expect(login.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('still serves the valid token after all that', async () => {
    const me = await server.client({ cookies: false, bearerToken: validToken }).request(MeDocument);
    expect(me.data!.me).not.toBeNull();
  });
});
