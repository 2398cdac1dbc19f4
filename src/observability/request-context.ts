import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { splitRequestUrl } from '../shared/request-url';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/**
 * An incoming id is kept only when it is short and plain, so that a client cannot put
 * arbitrary text (or megabytes) into every log line of its request; otherwise one is made.
 */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;

interface RequestContext {
  requestId: string;
  /** The request's child logger (with `reqId`), made the first time a service logs during the request. */
  logger?: Logger;
}

const requestContext = new AsyncLocalStorage<RequestContext>();

export function acceptedRequestId(incoming: string | undefined): string {
  return incoming !== undefined && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * A logger that writes through the current request's child logger (which carries
 * `reqId`) while a request is being handled, and through `base` otherwise. Services get
 * this one at construction, so every line they log for a request names that request
 * without a logger being passed down through every call.
 */
export function requestScopedLogger(base: Logger): Logger {
  return new Proxy(base, {
    get(target, property) {
      const context = requestContext.getStore();
      // Most requests log nothing but their last line: their child logger is made only when used.
      const active = context ? (context.logger ??= target.child({ reqId: context.requestId })) : target;
      const value: unknown = Reflect.get(active, property, active);
      return typeof value === 'function' ? value.bind(active) : value;
    },
  });
}

export interface RequestObserver {
  httpRequestFinished(method: string, route: string, status: number, durationSeconds: number): void;
}

/**
 * First middleware of the app: gives the request its id (echoed in `X-Request-Id`), runs
 * the rest of the request inside its context, and when the response is finished logs one
 * line and records it in the metrics. Only the method, the route label and the status are
 * logged: never headers (cookies, Authorization), the URL, the query string or the body.
 */
export function requestContextMiddleware(base: Logger, observer: RequestObserver) {
  // The request line's fields are fixed and hold no credential: it skips the redaction every other line goes through.
  const requestLog = base.child({}, { redact: { paths: [] } });
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = acceptedRequestId(typeof incoming === 'string' ? incoming : undefined);
    const startedAt = performance.now();
    // Read now: mounted routers rewrite req.url while they handle the request.
    const route = routeLabel(splitRequestUrl(req.url ?? '/').path);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    // 'close' also comes when the client went away before the response was finished.
    res.once('close', () => {
      const durationSeconds = (performance.now() - startedAt) / 1000;
      observer.httpRequestFinished(req.method ?? 'GET', route, res.statusCode, durationSeconds);
      // Probes arrive every few seconds; at info they would drown everything else.
      const level = route === '/healthz' || route === '/readyz' || route === '/metrics' ? 'debug' : 'info';
      requestLog[level](
        {
          reqId: requestId,
          method: req.method,
          route,
          status: res.statusCode,
          durationMillis: Math.round(durationSeconds * 10_000) / 10,
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request finished',
      );
    });
    requestContext.run({ requestId }, next);
  };
}

const KNOWN_ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics']);

/** A bounded set of labels: the known routes, GraphiQL's assets as one, everything else as one. */
function routeLabel(path: string): string {
  if (KNOWN_ROUTES.has(path)) return path;
  if (path.startsWith('/graphiql-assets/')) return '/graphiql-assets/*';
  return 'unmatched';
}
