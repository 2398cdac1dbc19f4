import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import { splitRequestUrl } from '../shared/request-url';
import type { GraphQLContext } from './context';

/** A middleware that needs nothing of Express: it runs on the plain request and response too. */
export type PlainMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** How POST bodies are taken: at most `maxBodyBytes`; what is refused answers like Express' body parser did. */
export interface GraphQLHttpOptions {
  apollo: ApolloServer<GraphQLContext>;
  context: (req: IncomingMessage, res: ServerResponse) => Promise<GraphQLContext>;
  /** What runs before any request to /graphql, in order: request id and log line, security headers, no-store, CORS. */
  middleware: readonly PlainMiddleware[];
  maxBodyBytes: number;
  /** Writes a request-level refusal (413, 400) as JSON with its status: the same answer the Express path gives. */
  refuse: (res: ServerResponse, status: 400 | 413) => void;
}

const GRAPHQL_PATH = /^\/graphql\/?$/i;

/**
 * GraphQL over HTTP, in two doors to one room. `execute` runs an operation through Apollo
 * and writes its answer; Express' route for /graphql calls it (GET queries, and POSTs out of
 * the ordinary: compressed, another charset, a path with more after it) after Express' own
 * middleware and body parser. `serveDirectly` is the common case, a JSON POST to /graphql:
 * the same middleware, the body read here, the same `execute`, without Express' router, its
 * request and response extensions, the body parser's content negotiation, or an ETag over
 * each answer. The server sends a request to it when `servesDirectly` says so, and to
 * Express otherwise.
 */
export function createGraphQLHttp(options: GraphQLHttpOptions) {
  const { apollo, context } = options;

  async function execute(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const { search } = splitRequestUrl(req.url ?? '');
    const request: HTTPGraphQLRequest = { method: (req.method ?? 'GET').toUpperCase(), headers, search, body };
    const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: () => context(req, res) });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  /** A POST whose body this door can read as Express' JSON parser would: JSON in UTF-8, not compressed. */
  function servesDirectly(req: IncomingMessage): boolean {
    if (req.method !== 'POST') return false;
    if (!GRAPHQL_PATH.test(splitRequestUrl(req.url ?? '').path)) return false;
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    const [type, ...parameters] = (req.headers['content-type'] ?? '').split(';');
    if (type!.trim().toLowerCase() !== 'application/json') return false;
    return parameters.every((parameter) => {
      const [name, value = ''] = parameter.split('=');
      return name!.trim().toLowerCase() !== 'charset' || /^"?utf-8"?$/i.test(value.trim());
    });
  }

  /** The body first (its end is where the request's work begins), then the middleware, then the operation. */
  function serveDirectly(req: IncomingMessage, res: ServerResponse): void {
    readJsonBody(req, options.maxBodyBytes, (outcome) => handle(req, res, outcome));
  }

  function handle(req: IncomingMessage, res: ServerResponse, outcome: BodyOutcome): void {
    const failed = (error: unknown) => {
      // Nothing here throws on purpose: a failure is a bug, answered as Express' error handler would.
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      } else {
        res.destroy(error as Error);
      }
    };
    let index = 0;
    const next = (error?: unknown): void => {
      if (error) return failed(error);
      const middleware = options.middleware[index++];
      if (middleware) return middleware(req, res, next);
      if (outcome.kind === 'refused') return options.refuse(res, outcome.status);
      execute(req, res, outcome.body).catch(failed);
    };
    next();
  }

  return { execute, servesDirectly, serveDirectly };
}

type BodyOutcome = { kind: 'parsed'; body: unknown } | { kind: 'refused'; status: 400 | 413 };

/**
 * Reads a JSON body as Express' parser (body-parser, strict) does: more than `limit` bytes
 * is 413, whether announced or sent; what is not a JSON object or array is 400; an empty
 * body is an empty object.
 */
function readJsonBody(req: IncomingMessage, limit: number, finish: (outcome: BodyOutcome) => void): void {
  const announced = Number(req.headers['content-length']);
  if (announced > limit) {
    req.resume();
    return finish({ kind: 'refused', status: 413 });
  }
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const settle = (outcome: BodyOutcome) => {
    if (settled) return;
    settled = true;
    req.removeListener('data', onData);
    finish(outcome);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) {
      req.resume();
      return settle({ kind: 'refused', status: 413 });
    }
    chunks.push(chunk);
  };
  req.on('data', onData);
  req.once('end', () => {
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
    settle(parseStrictJson(text));
  });
  req.once('error', () => settle({ kind: 'refused', status: 400 }));
}

function parseStrictJson(raw: string): BodyOutcome {
  if (raw === '') return { kind: 'parsed', body: {} };
  // The body parser decodes with iconv-lite, which drops a byte order mark.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const first = /[^ \t\n\r]/.exec(text)?.[0];
  if (first !== '{' && first !== '[') return { kind: 'refused', status: 400 };
  try {
    return { kind: 'parsed', body: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'refused', status: 400 };
  }
}
