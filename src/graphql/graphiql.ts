import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Router } from 'express';
import { ruruHTML, type RuruClientConfig } from 'ruru/server';
import { serveStatic } from 'ruru/static';

/** GraphiQL (the `ruru` build) with every asset served from this server: no CDN. */
const STATIC_PATH = '/graphiql-assets/';

const EXAMPLE_OPERATIONS = `# GraphiQL runs in this browser with its cookies: sign up or log in,
# then the other operations act as that user.

mutation SignUp {
  signUp(input: { email: "ada@example.com", password: "correct horse battery", displayName: "Ada" }) {
    user { id email displayName }
    session { id expiresAt }
  }
}

mutation Login {
  login(input: { email: "ada@example.com", password: "correct horse battery" }) {
    user { id displayName }
  }
}

query Me {
  me { id email displayName roles }
}

query MySessions {
  mySessions { id current transport createdAt lastSeenAt expiresAt absoluteExpiresAt ipAddress userAgent }
}

mutation RevokeOtherSessions {
  revokeOtherSessions
}

mutation Logout {
  logout
}
`;

export function installGraphiQL(router: Router, endpoint: string): void {
  const page = ruruHTML({
    endpoint,
    staticPath: STATIC_PATH,
    // ruru's published type marks every client option required; these two are all we set.
    clientConfig: { defaultQuery: EXAMPLE_OPERATIONS, initialQuery: EXAMPLE_OPERATIONS } as RuruClientConfig,
  });
  const assets = serveStatic(STATIC_PATH) as unknown as RequestHandler;
  // Not mounted with router.use(STATIC_PATH): ruru strips the prefix from the full URL itself.
  router.get(/^\/graphiql-assets\//, assets);
  const contentSecurityPolicy = graphiqlContentSecurityPolicy(page);
  router.get(endpoint, (req, res, next) => {
    if (!prefersHtml(req)) return next();
    res.setHeader('Content-Security-Policy', contentSecurityPolicy);
    res.type('html').send(page);
  });
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
