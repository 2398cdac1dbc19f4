import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MeDocument, SignUpDocument } from '../generated/graphql';
import { builtGraphiQLAssetsPath } from '../support/graphiql-build';
import { errorCodes, PASSWORD, startTestServer, TEST_SECRET, uniqueEmail, type TestServer } from '../support/harness';

const PRODUCTION = { NODE_ENV: 'production', BCRYPT_COST: '10' };
const INTROSPECTION = '{ __schema { types { name } } }';

describe('production mode (NODE_ENV=production)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: 'memory', env: PRODUCTION });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses introspection', async () => {
    const response = await server.client().post({ query: INTROSPECTION });
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.body).not.toContain('"Query"');
  });

  it('suggests no field names in errors', async () => {
    const response = await server.client().post({ query: '{ mee { id } }' });
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.body).not.toMatch(/Did you mean/i);
    const typo = await server.client().post({ query: 'mutation { logou }' });
    expect(typo.body).not.toMatch(/Did you mean|logout/i);
  });

  it('serves no GraphiQL', async () => {
    const page = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect((await fetch(`${server.url}${builtGraphiQLAssetsPath()}ruru.js`)).status).toBe(404);
  });

  it('uses the secure cookie: __Host-sid, Secure', async () => {
    const response = await server.client().request(SignUpDocument, { input: { email: uniqueEmail('prod'), password: PASSWORD } });
    expect(response.setCookies[0]).toMatch(/^__Host-sid=v1\.[^;]+;.*; Secure/);
  });

  it('sends security headers suited to a JSON API', async () => {
    const response = await server.client().request(MeDocument);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  describe('with GRAPHIQL=true', () => {
    let withGraphiql: TestServer;

    beforeAll(async () => {
      withGraphiql = await startTestServer({ store: 'memory', env: { ...PRODUCTION, GRAPHIQL: 'true' } });
    });
    afterAll(async () => {
      await withGraphiql.close();
    });

    it('serves GraphiQL under a policy that allows only its own scripts', async () => {
      const page = await fetch(withGraphiql.graphqlUrl, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const policy = page.headers.get('content-security-policy')!;
      expect(policy).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;/);
      expect(policy).not.toContain('unsafe-inline\' \'sha');
      expect(policy).toContain("connect-src 'self'");
    });

    it('answers introspection, which GraphiQL needs for its docs and completion', async () => {
      const response = await withGraphiql.client().post<{ __schema: { types: Array<{ name: string }> } }>({ query: INTROSPECTION });
      expect(response.errors).toBeUndefined();
      expect(response.data!.__schema.types.map((type) => type.name)).toContain('Query');
    });
  });
});

describe('refusing to start half-configured', () => {
  const root = join(__dirname, '..', '..');

  async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
    try {
      await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
        timeout: 20_000,
      });
      return { code: 0, stderr: '' };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  }

  it('names every bad variable on one line and exits 1, never echoing a secret', async () => {
    const shortSecret = 'too-short-secret';
    const result = await start({ NODE_ENV: 'production', SESSION_SECRETS: shortSecret, BCRYPT_COST: '8', SESSION_IDLE_TTL: 'forever' });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SESSION_SECRETS/);
    expect(lines[0]).toMatch(/BCRYPT_COST/);
    expect(lines[0]).toMatch(/SESSION_IDLE_TTL/);
    expect(result.stderr).not.toContain(shortSecret);
  }, 30_000);

  it('refuses production without SESSION_SECRETS', async () => {
    const result = await start({ NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SESSION_SECRETS is required/);
  }, 30_000);

  it('accepts a valid production configuration (sanity check of the refusals above)', async () => {
    const result = await start({ NODE_ENV: 'production', SESSION_SECRETS: TEST_SECRET, PORT: 'not-a-port' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PORT/);
    expect(result.stderr).not.toMatch(/SESSION_SECRETS|BCRYPT_COST/);
  }, 30_000);
});
