import { execFile } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GRAPHIQL_ASSETS_PATH } from '../../src/graphql/graphiql';
import { builtGraphiQLAssetsPath } from '../support/graphiql-build';
import { startTestServer, type TestServer } from '../support/harness';
import { startServerProcess } from '../support/server-process';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Makes a Node process fail as soon as anything loads a file of ruru. */
const FORBID_RURU = `--require=${join(__dirname, '..', 'support', 'forbid-ruru.cjs')}`;

/** GraphiQL as the build leaves it in dist/graphiql (built by the global setup, as by `npm run build`). */
describe('GraphiQL served from its build', () => {
  let server: TestServer;
  let assetsPath: string;

  beforeAll(async () => {
    server = await startTestServer({ store: 'memory' });
    assetsPath = builtGraphiQLAssetsPath();
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the page uncached, and its assets from a content-hashed folder, cached for good', async () => {
    const page = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toContain(`href="${assetsPath}ruru.js"`);
    expect(assetsPath).toMatch(/^\/graphiql-assets\/[0-9a-f]{16}\/$/);

    const expected: Array<[string, string]> = [
      ['ruru.js', 'text/javascript; charset=utf-8'],
      ['ruru.css', 'text/css; charset=utf-8'],
      ['editorWorker.js', 'text/javascript; charset=utf-8'],
      ['graphqlWorker.js', 'text/javascript; charset=utf-8'],
      ['jsonWorker.js', 'text/javascript; charset=utf-8'],
    ];
    for (const [file, contentType] of expected) {
      const asset = await fetch(`${server.url}${assetsPath}${file}`);
      expect({ file, status: asset.status, contentType: asset.headers.get('content-type'), cacheControl: asset.headers.get('cache-control') }).toEqual({
        file,
        status: 200,
        contentType,
        cacheControl: IMMUTABLE,
      });
      await asset.arrayBuffer();
    }
  });

  it('serves the gzipped copy to a browser that accepts gzip, and the asset as it is to any other client', async () => {
    for (const file of ['ruru.js', 'ruru.css', 'graphqlWorker.js']) {
      const url = `${server.url}${assetsPath}${file}`;
      const plain = await rawRequest(url, {});
      const gzipped = await rawRequest(url, { 'accept-encoding': 'gzip, deflate, br, zstd' });
      const refused = await rawRequest(url, { 'accept-encoding': 'gzip;q=0, identity' });
      for (const response of [plain, gzipped, refused]) {
        expect({ file, status: response.status, vary: response.headers.vary, cacheControl: response.headers['cache-control'] }).toEqual({
          file,
          status: 200,
          vary: 'Accept-Encoding',
          cacheControl: IMMUTABLE,
        });
        expect(response.headers['content-type']).toBe(plain.headers['content-type']);
      }
      expect([plain.headers['content-encoding'], gzipped.headers['content-encoding'], refused.headers['content-encoding']]).toEqual([undefined, 'gzip', undefined]);
      expect(gzipped.body.length).toBeLessThan(plain.body.length * 0.6);
      expect(Number(gzipped.headers['content-length'])).toBe(gzipped.body.length);
      expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
      expect(refused.body.equals(plain.body)).toBe(true);

      const head = await rawRequest(url, { 'accept-encoding': 'gzip' }, 'HEAD');
      expect({ status: head.status, encoding: head.headers['content-encoding'], length: head.headers['content-length'], body: head.body.length }).toEqual({
        status: 200,
        encoding: 'gzip',
        length: gzipped.headers['content-length'],
        body: 0,
      });
    }
  });

  it('serves no source maps, no folder listings and nothing of another build, and caches none of those 404s', async () => {
    const paths = [`${assetsPath}ruru.js.map`, assetsPath, GRAPHIQL_ASSETS_PATH, `${GRAPHIQL_ASSETS_PATH}0123456789abcdef/ruru.js`, `${GRAPHIQL_ASSETS_PATH}ruru.js`];
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`);
      expect({ path, status: response.status, cacheControl: response.headers.get('cache-control') }).toEqual({ path, status: 404, cacheControl: 'no-store' });
      await response.arrayBuffer();
    }
  });
});

describe('GraphiQL without ruru at run time (a dev dependency, absent from a production install)', () => {
  it('the guard works: a process that requires ruru fails', async () => {
    const run = promisify(execFile)(process.execPath, ['-e', "require('ruru/server')"], { env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: FORBID_RURU } });
    await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining('ruru loaded at run time: ruru/server') });
  });

  it('a production server with GRAPHIQL=true, forbidden to load ruru, serves the page, its assets and the schema', async () => {
    const server = await startServerProcess({ NODE_ENV: 'production', BCRYPT_COST: '10', GRAPHIQL: 'true', NODE_OPTIONS: FORBID_RURU });
    try {
      const page = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      await page.text();
      const asset = await fetch(`${server.url}${builtGraphiQLAssetsPath()}ruru.js`);
      expect(asset.status).toBe(200);
      await asset.arrayBuffer();
      const introspection = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      });
      expect(await introspection.json()).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    } finally {
      await server.stop();
    }
  }, 60_000);
});

/** One request as a client that does not decompress sees it (fetch would undo the gzip). */
function rawRequest(url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}
