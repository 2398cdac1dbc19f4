import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import express, { type Request, type RequestHandler, type Router } from 'express';

/** The assets' URL prefix; the metrics route label `/graphiql-assets/*` depends on it. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql-assets/';

/**
 * dist/graphiql, where `npm run build` writes GraphiQL. Compiled, this module is
 * dist/src/graphql/graphiql.js; the tests run it from source as src/graphql/graphiql.ts.
 */
export const GRAPHIQL_BUILD_DIR = __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist', 'graphiql') : join(__dirname, '..', '..', 'graphiql');

/**
 * The layout of a build: the page, the assets under a folder named by their content hash,
 * and beside them the same folder of their gzipped copies.
 */
export function graphiqlBuildFiles(buildDir: string): { page: string; assets: string; gzippedAssets: string } {
  return { page: join(buildDir, 'index.html'), assets: join(buildDir, 'assets'), gzippedAssets: join(buildDir, 'assets-gzip') };
}

/** An asset never changes under its URL: a new build puts new content under a new hash. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * Serves GraphiQL (the `ruru` distribution) as the build leaves it: the page at `endpoint` to
 * browsers, and ruru's browser files, all from this server (no CDN). ruru itself is a dev
 * dependency, used by scripts/build-graphiql.ts and never loaded here.
 */
export function installGraphiQL(router: Router, endpoint: string, buildDir: string = GRAPHIQL_BUILD_DIR): void {
  const files = graphiqlBuildFiles(buildDir);
  // The build writes the page last, so a page means a complete build.
  if (!existsSync(files.page)) {
    throw new Error(`GraphiQL is on but not built (no ${files.page}): run \`npm run build\`, or set GRAPHIQL=false`);
  }
  const page = readFileSync(files.page, 'utf8');
  router.use(
    GRAPHIQL_ASSETS_PATH,
    gzippedCopies(files.gzippedAssets),
    express.static(files.assets, {
      index: false,
      redirect: false,
      // Set here, not with maxAge: the router's no-store is already on the response, and send keeps it.
      setHeaders: (res) => res.setHeader('Cache-Control', ASSET_CACHE_CONTROL),
    }),
  );
  const contentSecurityPolicy = graphiqlContentSecurityPolicy(page);
  router.get(endpoint, (req, res, next) => {
    if (!prefersHtml(req)) return next();
    res.setHeader('Content-Security-Policy', contentSecurityPolicy);
    res.type('html').send(page);
  });
}

/**
 * Serves an asset's gzipped copy, made by the build, to a browser that accepts gzip: the
 * editor is 11 MB of JavaScript and CSS, about 3 MB gzipped. Other requests (gzip not
 * accepted, or no such asset) go on to the assets as they are. Both answers vary by Accept-Encoding.
 */
function gzippedCopies(dir: string): RequestHandler {
  const copies = new Set<string>();
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) copies.add(`/${relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/')}`);
    }
  }
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !copies.has(req.path)) return next();
    res.vary('Accept-Encoding');
    if (req.acceptsEncodings('gzip') !== 'gzip') return next();
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Cache-Control', ASSET_CACHE_CONTROL);
    // The asset's own type: send leaves a Content-Type that is already set.
    res.type(extname(req.path));
    res.sendFile(join(dir, req.path), { acceptRanges: false }, (error) => {
      if (!error || res.headersSent) return;
      res.removeHeader('Content-Encoding');
      next(error);
    });
  };
}

function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/**
 * The API's own policy forbids everything; the GraphiQL page needs its assets from this
 * origin, its inline scripts (allowed by hash, not 'unsafe-inline'), its editor workers
 * and inline styles, and fetches to this origin only.
 */
function graphiqlContentSecurityPolicy(page: string): string {
  const scriptHashes = [...page.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)]
    .map((match) => match[1]!)
    .filter((body) => body.trim() !== '')
    .map((body) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`);
  return [
    "default-src 'self'",
    `script-src 'self' ${scriptHashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
