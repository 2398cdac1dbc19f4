import type { Logger } from 'pino';
import { describeFailure, recipientFields } from './mail-log';
import { noMailMetrics, type MailMessage, type MailMetrics, type Mailer } from './mailer';
import { MailDeliveryError, type MailTransport } from './smtp.transport';

/** How hard SmtpMailer tries, and how much it holds; every field has a default. */
export interface SmtpMailerTuning {
  /**
   * The waits before the second, third, … attempt (each ±20% at random, so that mails failed
   * by one outage do not all retry at once); one attempt more than there are waits.
   * Default [2_000, 10_000]: 3 attempts over about 12 s.
   */
  retryDelaysMillis?: readonly number[];
  /** Mails accepted and not finished (waiting, sending, or waiting to retry); `send` drops mail beyond it. Default 1000. */
  maxPendingMails?: number;
  /** Deliveries at once, each its own SMTP connection. Default 2. */
  maxConcurrentDeliveries?: number;
  /**
   * One attempt's deadline, on top of the transport's socket timeouts: a relay that keeps
   * a connection busy by trickling its replies never trips those. Default 60_000.
   */
  attemptTimeoutMillis?: number;
  /** How long `close` lets accepted mails finish before it aborts and drops them. Default 5_000. */
  closeTimeoutMillis?: number;
}

export interface SmtpMailerOptions extends SmtpMailerTuning {
  /** The relay: createSmtpTransport(…) in the server, a stand-in in unit tests. */
  transport: MailTransport;
  logger: Logger;
  metrics?: MailMetrics;
}

const DEFAULT_RETRY_DELAYS_MILLIS = [2_000, 10_000];
const RETRY_JITTER = 0.2;

/**
 * Delivers mail through an SMTP relay in the background, so that a slow or dead relay
 * costs the GraphQL request nothing: `send` only queues.
 *
 * Each mail gets a bounded number of attempts. A transient failure (no connection, a
 * timeout, a 4xx reply) is retried after a delay; a permanent refusal (a 5xx reply) is not,
 * since the relay would answer the same again. A mail given up on is logged at error and
 * counted by `mailFailed`; log lines name the recipient by domain and a hash only, and never
 * hold a body, a link or a token. Everything is bounded: the mails held (`maxPendingMails`,
 * beyond which `send` drops and counts), the connections at once, each attempt's duration,
 * and the time `close` waits.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: MailTransport;
  private readonly logger: Logger;
  private readonly metrics: MailMetrics;
  private readonly retryDelaysMillis: readonly number[];
  private readonly maxPendingMails: number;
  private readonly attemptTimeoutMillis: number;
  private readonly closeTimeoutMillis: number;
  private readonly slots: DeliverySlots;
  /** Aborted by `close`: waits between attempts end at once, so the remaining attempts fit in the grace period. */
  private readonly closing = new AbortController();
  /** Aborted when `close` runs out of time: attempts in progress are abandoned, and no new one starts. */
  private readonly givingUp = new AbortController();
  private pendingMails = 0;
  private idleWaiters: Array<() => void> = [];
  private closed: Promise<void> | null = null;

  constructor(options: SmtpMailerOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.metrics = options.metrics ?? noMailMetrics;
    this.retryDelaysMillis = options.retryDelaysMillis ?? DEFAULT_RETRY_DELAYS_MILLIS;
    this.maxPendingMails = options.maxPendingMails ?? 1000;
    this.attemptTimeoutMillis = options.attemptTimeoutMillis ?? 60_000;
    this.closeTimeoutMillis = options.closeTimeoutMillis ?? 5_000;
    this.slots = new DeliverySlots(options.maxConcurrentDeliveries ?? 2);
  }

  /** The number of attempts each mail gets at most. */
  get maxAttempts(): number {
    return this.retryDelaysMillis.length + 1;
  }

  send(message: MailMessage): void {
    try {
      if (this.closing.signal.aborted) {
        this.drop(message, 'the mailer is closed');
        return;
      }
      if (this.pendingMails >= this.maxPendingMails) {
        this.drop(message, `${this.maxPendingMails} mails are already waiting`);
        return;
      }
      this.pendingMails += 1;
      // Not even the message's encoding runs on the caller's turn of the event loop.
      setImmediate(() => {
        this.deliver(message)
          .catch((error: unknown) =>
            quietly(() => this.logger.error({ mail: this.describe(message), error: describeFailure(error, message) }, 'mail delivery crashed')),
          )
          .finally(() => this.finishedOne());
      });
    } catch {
      // send never throws into a request (a logger that throws included).
    }
  }

  idle(): Promise<void> {
    if (this.pendingMails === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing.abort();
    let deadline: NodeJS.Timeout | undefined;
    const finishedInTime = await Promise.race([
      this.idle().then(() => true),
      new Promise<false>((resolve) => {
        deadline = setTimeout(() => resolve(false), this.closeTimeoutMillis);
      }),
    ]);
    clearTimeout(deadline);
    if (!finishedInTime) {
      quietly(() =>
        this.logger.error({ mails: this.pendingMails, closeTimeoutMillis: this.closeTimeoutMillis }, 'mailer closing: giving up on mails not delivered in time'),
      );
      this.givingUp.abort();
      this.slots.cancelWaiting();
      // Every delivery now ends at its next step: no slot is granted, attempts are abandoned.
      await this.idle();
    }
    try {
      this.transport.close();
    } catch (error) {
      quietly(() => this.logger.warn({ error: describeFailure(error) }, 'mail transport did not close cleanly'));
    }
  }

  private async deliver(message: MailMessage): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const granted = await this.slots.acquire();
      if (!granted || this.givingUp.signal.aborted) {
        if (granted) this.slots.release();
        this.giveUp(message, attempt - 1, 'the mailer closed before it could be sent');
        return;
      }
      let failure: unknown = null;
      try {
        await this.attempt(message);
      } catch (error) {
        failure = error ?? new Error('delivery failed');
      } finally {
        this.slots.release();
      }

      if (failure === null) {
        this.metrics.mailSent(message.kind);
        this.logger.info({ mail: { ...this.describe(message), attempt } }, 'mail sent');
        return;
      }
      const logged = { mail: { ...this.describe(message), attempt, maxAttempts: this.maxAttempts }, error: describeFailure(failure, message) };
      if (this.givingUp.signal.aborted) {
        this.giveUp(message, attempt, 'the mailer closed before it could be sent', logged.error);
        return;
      }
      if (failure instanceof MailDeliveryError && failure.details.permanent) {
        this.giveUp(message, attempt, 'the relay refused it for good', logged.error);
        return;
      }
      if (attempt >= this.maxAttempts) {
        this.giveUp(message, attempt, 'every attempt failed', logged.error);
        return;
      }
      const delayMillis = jittered(this.retryDelaysMillis[attempt - 1]!);
      this.logger.warn({ ...logged, retryInMillis: delayMillis }, 'mail not sent; will retry');
      await this.wait(delayMillis);
    }
  }

  private async attempt(message: MailMessage): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.attemptTimeoutMillis), this.givingUp.signal]);
    // Raced as well as passed: an attempt ends at its deadline even if the transport ignores the signal.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new MailDeliveryError('delivery attempt abandoned (deadline or shutdown)', { permanent: false, code: 'EABORT' }));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.transport.deliver(message, signal), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
      aborted.catch(() => {});
    }
  }

  /** Resolves after `millis`, or at once when the mailer starts closing. */
  private wait(millis: number): Promise<void> {
    const closing = this.closing.signal;
    if (closing.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        closing.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, millis);
      closing.addEventListener('abort', done, { once: true });
    });
  }

  private giveUp(message: MailMessage, attempts: number, reason: string, error?: ReturnType<typeof describeFailure>): void {
    this.metrics.mailFailed(message.kind);
    this.logger.error({ mail: { ...this.describe(message), attempts }, ...(error ? { error } : {}) }, `mail not sent: ${reason}`);
  }

  private drop(message: MailMessage, reason: string): void {
    this.metrics.mailFailed(message.kind);
    this.logger.error({ mail: this.describe(message) }, `mail dropped: ${reason}`);
  }

  private describe(message: MailMessage) {
    return { kind: message.kind, ...recipientFields(message.to) };
  }

  private finishedOne(): void {
    this.pendingMails -= 1;
    if (this.pendingMails > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** A counting semaphore whose waiters can be turned away at shutdown. */
class DeliverySlots {
  private waiting: Array<(granted: boolean) => void> = [];

  constructor(private free: number) {}

  acquire(): Promise<boolean> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.free += 1;
  }

  cancelWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(false);
  }
}

/** Runs `log`, swallowing what it throws: a broken logger must not break sending or shutdown. */
function quietly(log: () => void): void {
  try {
    log();
  } catch {
    // Nothing left to tell it to.
  }
}

function jittered(millis: number): number {
  return Math.round(millis * (1 - RETRY_JITTER + 2 * RETRY_JITTER * Math.random()));
}
