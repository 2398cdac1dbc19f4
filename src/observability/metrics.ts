import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { MAIL_KINDS, type MailKind, type MailMetrics } from '../mail/mailer';
import { SESSION_END_REASON_NAMES, SESSION_END_REASONS, type SessionEndReason } from '../session/session-end-reason';
import type { SessionTransport } from '../session/session.model';

/** What a login attempt came to; `throttled` means it was refused before the password was checked. */
export type LoginResult = 'ok' | 'failed' | 'throttled';

/** The narrow view of the metrics that the session code records into. */
export interface SessionMetrics {
  sessionStarted(transport: SessionTransport): void;
  sessionsEnded(reason: SessionEndReason, count: number): void;
}

/** The narrow view of the metrics that the auth code records into. */
export interface AuthMetrics {
  loginAttempted(result: LoginResult): void;
}

/** What a second-factor code came to; `throttled` means it was refused before it was checked. */
export type SecondFactorResult = 'ok' | 'failed' | 'throttled';
export type SecondFactorMethodLabel = 'totp' | 'recovery_code';

/** The narrow view of the metrics that the two-factor code records into. */
export interface SecondFactorMetrics {
  secondFactorChecked(method: SecondFactorMethodLabel, result: SecondFactorResult): void;
}

/** The narrow view of the metrics that password hashing records into. */
export interface PasswordMetrics {
  passwordChecked(): void;
}

/** For services built without metrics (unit tests, the admin CLI). */
export const noMetrics: AuthMetrics & SessionMetrics & PasswordMetrics & SecondFactorMetrics = {
  loginAttempted: () => {},
  secondFactorChecked: () => {},
  sessionStarted: () => {},
  sessionsEnded: () => {},
  passwordChecked: () => {},
};

const LOGIN_RESULTS: readonly LoginResult[] = ['ok', 'failed', 'throttled'];
const SECOND_FACTOR_RESULTS: readonly SecondFactorResult[] = ['ok', 'failed', 'throttled'];
const SECOND_FACTOR_METHODS: readonly SecondFactorMethodLabel[] = ['totp', 'recovery_code'];
/** The reasons a session is ended for on purpose by this server (expiry happens inside the store, unobserved). */
const COUNTED_END_REASONS = SESSION_END_REASON_NAMES.filter((reason) => SESSION_END_REASONS[reason].counted);
/** Store calls take well under a millisecond on loopback and tens of milliseconds when in trouble. */
const STORE_LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const HTTP_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One app instance's metrics, in its own registry (never prom-client's global one), so
 * that several apps in one process (tests, or a blue/green pair) count separately.
 */
export class AppMetrics implements AuthMetrics, SessionMetrics, PasswordMetrics, SecondFactorMetrics, MailMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly httpSeries = new Map<string, { requests: Counter.Internal; duration: Histogram.Internal<'method' | 'route'> }>();
  private readonly graphqlErrors: Counter<'code'>;
  private readonly logins: Counter<'result'>;
  private readonly passwordChecks: Counter;
  private readonly secondFactorChecks: Counter<'method' | 'result'>;
  private readonly sessionsStarted: Counter<'transport'>;
  private readonly sessionsEndedTotal: Counter<'reason'>;
  private readonly storeLatency: Histogram<'operation' | 'outcome'>;
  private readonly mailsSent: Counter<'kind'>;
  private readonly mailFailures: Counter<'kind'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'sessionql_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'sessionql_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response.',
      labelNames: ['method', 'route'],
      buckets: HTTP_DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.graphqlErrors = new Counter({
      name: 'sessionql_graphql_errors_total',
      help: 'GraphQL errors sent to clients, by extensions.code.',
      labelNames: ['code'],
      registers,
    });
    this.logins = new Counter({
      name: 'sessionql_logins_total',
      help: 'Login attempts, by result: ok, failed (wrong email or password) or throttled.',
      labelNames: ['result'],
      registers,
    });
    this.passwordChecks = new Counter({
      name: 'sessionql_password_checks_total',
      help: 'bcrypt password comparisons started (logins, the dummy check for unknown emails, current-password checks).',
      registers,
    });
    this.secondFactorChecks = new Counter({
      name: 'sessionql_second_factor_total',
      help: 'Second-factor codes presented (verifySecondFactor, stepUp, disableTotp), by method (totp or recovery_code) and result: ok, failed (wrong or used before) or throttled.',
      labelNames: ['method', 'result'],
      registers,
    });
    this.sessionsStarted = new Counter({
      name: 'sessionql_sessions_started_total',
      help: 'Sessions started by signUp and login, by transport.',
      labelNames: ['transport'],
      registers,
    });
    this.sessionsEndedTotal = new Counter({
      name: 'sessionql_sessions_ended_total',
      help: 'Sessions ended explicitly, by reason (idle and absolute expiry happen in the store and are not counted).',
      labelNames: ['reason'],
      registers,
    });
    this.storeLatency = new Histogram({
      name: 'sessionql_store_operation_duration_seconds',
      help: 'Latency of session and user store operations, by operation and outcome (ok or error).',
      labelNames: ['operation', 'outcome'],
      buckets: STORE_LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.mailsSent = new Counter({
      name: 'sessionql_mail_sent_total',
      help: 'Mails the SMTP relay accepted, by kind (passwordReset, emailVerification, …).',
      labelNames: ['kind'],
      registers,
    });
    this.mailFailures = new Counter({
      name: 'sessionql_mail_failures_total',
      help: 'Mails given up on, by kind: every attempt failed, the relay refused them for good, or they were dropped (queue full, shutdown).',
      labelNames: ['kind'],
      registers,
    });
    // Every known series starts at 0, so that rate() and alerts see it before the first event.
    for (const result of LOGIN_RESULTS) this.logins.inc({ result }, 0);
    for (const method of SECOND_FACTOR_METHODS) for (const result of SECOND_FACTOR_RESULTS) this.secondFactorChecks.inc({ method, result }, 0);
    for (const transport of ['COOKIE', 'HEADER']) this.sessionsStarted.inc({ transport }, 0);
    for (const reason of COUNTED_END_REASONS) this.sessionsEndedTotal.inc({ reason }, 0);
    for (const kind of MAIL_KINDS) {
      this.mailsSent.inc({ kind }, 0);
      this.mailFailures.inc({ kind }, 0);
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'sessionql_' });
  }

  httpRequestFinished(method: string, route: string, status: number, durationSeconds: number): void {
    // The labelled series are few (known routes, methods, statuses): each is looked up once, not hashed per request.
    const key = `${method} ${route} ${status}`;
    let series = this.httpSeries.get(key);
    if (!series) {
      series = { requests: this.httpRequests.labels(method, route, String(status)), duration: this.httpDuration.labels(method, route) };
      this.httpSeries.set(key, series);
    }
    series.requests.inc();
    series.duration.observe(durationSeconds);
  }

  graphqlError(code: string): void {
    this.graphqlErrors.inc({ code });
  }

  loginAttempted(result: LoginResult): void {
    this.logins.inc({ result });
  }

  secondFactorChecked(method: SecondFactorMethodLabel, result: SecondFactorResult): void {
    this.secondFactorChecks.inc({ method, result });
  }

  passwordChecked(): void {
    this.passwordChecks.inc();
  }

  sessionStarted(transport: SessionTransport): void {
    this.sessionsStarted.inc({ transport });
  }

  sessionsEnded(reason: SessionEndReason, count: number): void {
    if (count > 0) this.sessionsEndedTotal.inc({ reason }, count);
  }

  mailSent(kind: MailKind): void {
    this.mailsSent.inc({ kind });
  }

  mailFailed(kind: MailKind): void {
    this.mailFailures.inc({ kind });
  }

  storeOperationFinished(operation: string, outcome: 'ok' | 'error', durationSeconds: number): void {
    this.storeLatency.observe({ operation, outcome }, durationSeconds);
  }
}
