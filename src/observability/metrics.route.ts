import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Registry } from 'prom-client';

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics in the Prometheus text format. With a token configured (METRICS_TOKEN)
 * a scraper must send `Authorization: Bearer <token>`; anything else is a 401.
 */
export function metricsHandler(registry: Registry, token: string | null): RequestHandler {
  const expectedDigest = token === null ? null : sha256(token);
  return async (req, res) => {
    if (expectedDigest !== null && !bearerMatches(req, expectedDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      res.status(401).json({ errors: [{ message: 'Metrics need a bearer token.', extensions: { code: 'UNAUTHENTICATED' } }] });
      return;
    }
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  };
}

function bearerMatches(req: Request, expectedDigest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  // Digests have one length whatever the input, so the comparison takes one time too.
  return match !== null && timingSafeEqual(sha256(match[1]!), expectedDigest);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
