import 'reflect-metadata';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import proxyaddr from 'proxy-addr';
import pino, { type Logger } from 'pino';
import { AuthService } from './auth/auth.service';
import { BackgroundBcrypt, PASSWORD_THREAD_NICENESS } from './auth/background-bcrypt';
import { LoginThrottle } from './auth/login-throttle';
import { PasswordCheckAdmission } from './auth/password-check-admission';
import { defaultMaxConcurrentHashes, PasswordHasher } from './auth/password-hasher';
import { AccountNotices } from './account/account-notices';
import { AccountService } from './account/account.service';
import { EmailTokens } from './account/email-tokens';
import type { Config } from './config';
import { DeviceService } from './device/device.service';
import { abuseLimitRules } from './graphql/abuse-limits';
import type { GraphQLContext } from './graphql/context';
import { createContextBuilder } from './graphql/context-builder';
import { createErrorFormatter, errorStatusPlugin } from './graphql/error-translation';
import { createGraphQLHttp, type PlainMiddleware } from './graphql/graphql-http';
import { installGraphiQL } from './graphql/graphiql';
import { queryCostPlugin } from './graphql/query-cost';
import { buildAppSchema } from './graphql/schema';
import { graphqlErrorMetricsPlugin } from './observability/graphql-metrics.plugin';
import { AppMetrics } from './observability/metrics';
import { METRICS_PATH, metricsHandler } from './observability/metrics.route';
import { requestContextMiddleware, requestScopedLogger } from './observability/request-context';
import { timedStore } from './observability/timed-store';
import { DEVICE_TOKEN_HEADER, deviceCookieName, sessionCookieName } from './session/session-cookie';
import { SessionService } from './session/session.service';
import { systemClock, type Clock } from './shared/clock';
import type { Store } from './storage/store';
import { SecondFactorThrottle } from './two-factor/second-factor-throttle';
import { SecretBox } from './two-factor/secret-box';
import { TwoFactorService } from './two-factor/two-factor.service';
import { UserService } from './user/user.service';
import { createMailer, createMailTemplates, type Mailer } from './mail';

export const GRAPHQL_PATH = '/graphql';
/** Larger JSON bodies are refused with 413 before any parsing work (by both doors to /graphql). */
const MAX_REQUEST_BODY_BYTES = 100 * 1024;

export interface AppDependencies {
  store: Store;
  clock?: Clock;
  logger?: Logger;
  /** Also export the process's CPU, memory, event-loop and GC metrics (main.ts; tests leave it off). */
  processMetrics?: boolean;
  /** Where mail goes; by default the one the configuration names (SMTP, or the log in development). */
  mailer?: Mailer;
}

export interface App {
  /** Not listening yet: main.ts (or a test, on port 0) decides where. */
  httpServer: Server;
  /**
   * Stops Apollo (draining in-flight requests), closes the HTTP server, finishes the work a
   * request left running (a reset mail being prepared) and gives queued mail a bounded time
   * to go out. Call it once.
   */
  stop(): Promise<void>;
}

/**
 * The composition root: builds every service from the config and the store. Never listens
 * and never touches the process (signals, exit): main.ts and workers.ts own that.
 */
export async function createApp(config: Config, dependencies: AppDependencies): Promise<App> {
  const clock = dependencies.clock ?? systemClock;
  const baseLogger = dependencies.logger ?? pino({ level: 'silent' });
  // Every line a service logs while handling a request carries that request's id.
  const logger = requestScopedLogger(baseLogger);
  const metrics = new AppMetrics({ processMetrics: dependencies.processMetrics ?? false });
  const store = timedStore(dependencies.store, metrics);

  const maxConcurrentHashes = defaultMaxConcurrentHashes(config.runtime.workers);
  const bcrypt = new BackgroundBcrypt({ threads: maxConcurrentHashes, niceness: PASSWORD_THREAD_NICENESS });
  const hasher = new PasswordHasher(config.passwords.bcryptCost, { maxConcurrentHashes, bcrypt, metrics });
  const sessions = new SessionService({
    store: store.sessions,
    settings: {
      secrets: config.session.secrets,
      idleTtlSeconds: config.session.idleTtlSeconds,
      absoluteTtlSeconds: config.session.absoluteTtlSeconds,
      maxSessionsPerUser: config.session.maxSessionsPerUser,
    },
    clock,
    logger,
    metrics,
  });
  const users = new UserService(store.users, logger, clock);
  const devices = new DeviceService({ store: store.devices, secrets: config.session.secrets, clock, logger });
  const mailer = dependencies.mailer ?? createMailer(config, logger, metrics);
  const templates = createMailTemplates({ appOrigin: config.mail.appOrigin });
  const notices = new AccountNotices({ mailer, templates, clock });
  const emailTokens = new EmailTokens({ store: store.tokens, secrets: config.session.secrets, mailer, templates, clock, logger });
  const twoFactor = new TwoFactorService({
    users: store.users,
    sessions,
    devices,
    events: store.accountEvents,
    notices,
    throttle: new SecondFactorThrottle(store),
    secretBox: config.twoFactor.encryptionKey === null ? null : new SecretBox(config.twoFactor.encryptionKey),
    // What authenticator apps show the codes under: the site, as the mails name it.
    issuer: new URL(config.mail.appOrigin).host,
    clock,
    logger,
    metrics,
  });
  const auth = new AuthService({
    users: store.users,
    sessions,
    devices,
    hasher,
    throttle: new LoginThrottle(store, config.throttling),
    admission: new PasswordCheckAdmission(config.passwords.queue),
    notices,
    emailTokens,
    twoFactor,
    adminEmails: config.adminEmails,
    clock,
    logger,
    metrics,
  });
  const account = new AccountService({ users: store.users, sessions, auth, tokens: emailTokens, notices, store, logger });
  const schema = await buildAppSchema({ auth, sessions, users, devices, account, twoFactor }, { stepUpMaxAgeSeconds: config.session.stepUpMaxAgeSeconds, clock });

  const app = express();
  app.disable('x-powered-by');
  // Nothing here is cached (no-store, or per user): an ETag would be a hash over every answer for nothing.
  app.disable('etag');
  app.set('trust proxy', config.http.trustProxy);
  // Express' own compilation of TRUST_PROXY: the direct door reads the client's address exactly as `req.ip` does.
  const trustProxy = app.get('trust proxy fn') as Parameters<typeof proxyaddr>[1];
  const cookieSettings = {
    session: { name: sessionCookieName(config.session.cookieSecure), secure: config.session.cookieSecure },
    device: { name: deviceCookieName(config.session.cookieSecure), secure: config.session.cookieSecure },
  };
  const requestContext = requestContextMiddleware(baseLogger, metrics);
  const cors = config.http.corsOrigins.length > 0 ? corsFor(config.http.corsOrigins) : null;
  // Its requests are handed out once everything is built (below).
  const httpServer = createServer();
  const production = config.environment === 'production';
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // Explicit, never read from process.env by Apollo itself: the process is main.ts's to
    // run, so Apollo installs no SIGTERM handler of its own (two handlers raced to stop it).
    nodeEnv: config.environment,
    stopOnTerminationSignals: false,
    // GraphiQL (on in production only with GRAPHIQL=true) needs the schema for its docs and completion.
    introspection: !production || config.http.graphiqlEnabled,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    validationRules: abuseLimitRules(config.graphqlLimits),
    formatError: createErrorFormatter(logger),
    plugins: [
      // On stop: no new connections, in-flight requests finish, stragglers cut off after the grace period.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.runtime.shutdownGraceMillis }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      queryCostPlugin({ maxCost: config.graphqlLimits.maxCost, bounds: { sessionsPerUser: config.session.maxSessionsPerUser } }),
      errorStatusPlugin,
      graphqlErrorMetricsPlugin(metrics),
    ],
  });
  await apollo.start();
  await hasher.warmUp();

  const graphqlHttp = createGraphQLHttp({
    apollo,
    context: createContextBuilder(sessions, cookieSettings, clock, (req) => proxyaddr(req, trustProxy)),
    // What Express runs before /graphql, in the same order: the direct door runs it too.
    middleware: [requestContext, securityHeaders, noStore, ...(cors ? [cors] : [])],
    maxBodyBytes: MAX_REQUEST_BODY_BYTES,
    refuse: (res, status) => sendJson(res, status, refusalBody(status === 413 ? 'entity.too.large' : 'entity.parse.failed')),
  });

  app.use(requestContext);
  app.use(securityHeaders);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get(METRICS_PATH, metricsHandler(metrics.registry, config.metrics.token));
  app.get('/readyz', async (_req, res) => {
    try {
      await store.checkHealth();
      res.json({ status: 'ready', store: store.kind });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'session store unreachable', store: store.kind });
    }
  });

  const graphql = express.Router();
  graphql.use(noStore);
  if (cors) graphql.use(GRAPHQL_PATH, cors);
  if (config.http.graphiqlEnabled) installGraphiQL(graphql, GRAPHQL_PATH);
  graphql.post(GRAPHQL_PATH, requireJsonBody);
  // GET queries, and the POSTs the direct door leaves to Express (compressed, another charset).
  graphql.use(GRAPHQL_PATH, express.json({ limit: MAX_REQUEST_BODY_BYTES }), (req, res, next) => {
    graphqlHttp.execute(req, res, req.body).catch(next);
  });
  app.use(graphql);
  app.use(notFound);
  app.use(createHttpErrorHandler(logger));
  // A JSON POST to /graphql takes the direct door; everything else goes through Express.
  httpServer.on('request', (req, res) => (graphqlHttp.servesDirectly(req) ? graphqlHttp.serveDirectly(req, res) : app(req, res)));

  return {
    httpServer,
    stop: async () => {
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await account.idle();
      await mailer.close();
      await bcrypt.close();
    },
  };
}

/**
 * helmet's headers for an API: nothing it serves should render, frame or load anything,
 * so the CSP forbids all; the GraphiQL page sets its own policy (graphql/graphiql.ts).
 */
const securityHeaders: PlainMiddleware = precomputed(
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
  }),
);

/**
 * A header-setting middleware whose headers do not depend on the request (helmet's, with no
 * nonce): run once here, against a response that records what it sets and removes, and
 * replayed on every response from the recorded list.
 */
function precomputed(middleware: RequestHandler): PlainMiddleware {
  const set: Array<[string, string | string[]]> = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => set.push([name, typeof value === 'number' ? String(value) : (value as string | string[])]),
    removeHeader: (name: string) => removed.push(name),
  };
  let finished = false;
  middleware({ method: 'GET', headers: {} } as Request, recorder as unknown as Response, () => {
    finished = true;
  });
  if (!finished) throw new Error('a precomputed middleware must finish synchronously');
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}

const noStore: PlainMiddleware = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * CSRF: a browser sends a cross-site `text/plain`, form or multipart POST without a
 * preflight, so only JSON is accepted (and Apollo's own CSRF check covers GET).
 */
const requireJsonBody: RequestHandler = (req, res, next) => {
  if (req.is('application/json')) return next();
  res.status(415).json(errorBody('POST /graphql accepts only Content-Type: application/json.', 'BAD_REQUEST'));
};

function corsFor(origins: readonly string[]): PlainMiddleware {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', DEVICE_TOKEN_HEADER, 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
}

const notFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody('Not found.', 'NOT_FOUND'));
};

/** Body-parser and other HTTP-level failures as JSON with their 4xx status; anything else masked. */
function createHttpErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: { status?: number; statusCode?: number; type?: string; expose?: boolean }, _req, res, _next) => {
    const status = error.status ?? error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      res.status(status).json(refusalBody(error.type));
      return;
    }
    logger.error({ err: error }, 'unhandled HTTP error');
    res.status(500).json(errorBody('Internal server error.', 'INTERNAL_SERVER_ERROR'));
  };
}

function errorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** A body the server would not read (the body parser's error types), as JSON. */
function refusalBody(type: string | undefined) {
  const message =
    type === 'entity.too.large' ? `Request body is larger than ${MAX_REQUEST_BODY_BYTES / 1024}kb.` : type === 'entity.parse.failed' ? 'Request body is not valid JSON.' : 'Bad request.';
  return errorBody(message, 'BAD_REQUEST');
}

/** What Express' `res.status(status).json(body)` writes, for the door without Express. */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
