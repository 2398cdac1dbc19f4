import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { recipientFields } from '../../src/mail/mail-log';
import type { MailKind, MailMessage, MailMetrics } from '../../src/mail/mailer';
import { SmtpMailer, type SmtpMailerTuning } from '../../src/mail/smtp.mailer';
import { MailDeliveryError, type MailTransport } from '../../src/mail/smtp.transport';
import { captureLogs, LOG_LEVEL } from '../support/log-capture';

const TOKEN = 'SECRET-TOKEN-c2VjcmV0LXRva2VuLXZhbHVl';
const LINK = `https://app.example.com/reset-password?token=${TOKEN}`;

function resetMail(to = 'ada@example.com'): MailMessage {
  return { kind: 'passwordReset', to, subject: 'Reset your password', text: `Open ${LINK}`, html: `<a href="${LINK}">reset</a>`, link: LINK };
}

/** A relay failure whose message quotes everything a careless relay might: the link, the token, the address. */
function relayError(responseCode: number): MailDeliveryError {
  return new MailDeliveryError(`Message failed: ${responseCode} refused <ada@example.com> ${LINK} ${TOKEN}`, {
    permanent: responseCode >= 500 && responseCode !== 503,
    code: 'EMESSAGE',
    responseCode,
    command: 'DATA',
  });
}

class CountingMetrics implements MailMetrics {
  readonly sent: MailKind[] = [];
  readonly failed: MailKind[] = [];
  mailSent(kind: MailKind): void {
    this.sent.push(kind);
  }
  mailFailed(kind: MailKind): void {
    this.failed.push(kind);
  }
}

type Outcome = 'ok' | Error | 'hang' | 'hang-ignoring-abort' | { until: Promise<void> };

/** A relay that answers each attempt as scripted (then 'ok'), and records what it saw. */
class ScriptedTransport implements MailTransport {
  readonly attempts: MailMessage[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;

  constructor(private readonly script: Outcome[] = []) {}

  async deliver(message: MailMessage, signal: AbortSignal): Promise<void> {
    this.attempts.push(message);
    const outcome = this.script.shift() ?? 'ok';
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await nextTurn();
      if (outcome === 'ok') return;
      if (outcome instanceof Error) throw outcome;
      if (outcome === 'hang') {
        await new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      }
      if (outcome === 'hang-ignoring-abort') await new Promise<void>(() => {});
      if (typeof outcome === 'object') await outcome.until;
    } finally {
      this.inFlight -= 1;
    }
  }

  close(): void {
    this.closed = true;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Short waits everywhere, so that no test depends on how long anything takes. */
const FAST: SmtpMailerTuning = { retryDelaysMillis: [1, 1], attemptTimeoutMillis: 10_000, closeTimeoutMillis: 10_000 };

function setUp(script: Outcome[] = [], tuning: SmtpMailerTuning = {}) {
  const transport = new ScriptedTransport(script);
  const metrics = new CountingMetrics();
  const logs = captureLogs();
  const mailer = new SmtpMailer({ transport, logger: logs.logger, metrics, ...FAST, ...tuning });
  return { transport, metrics, logs, mailer };
}

/** Nothing logged may hold the token, the link or the full recipient address. */
function expectNoSecrets(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain('reset-password');
  expect(text).not.toContain('ada@example.com');
}

describe('SmtpMailer', () => {
  it('returns from send at once and delivers in the background', async () => {
    const { transport, metrics, logs, mailer } = setUp();

    expect(mailer.send(resetMail())).toBeUndefined();
    // Not even started on the caller's turn.
    expect(transport.attempts).toHaveLength(0);

    await mailer.idle();
    expect(transport.attempts).toEqual([resetMail()]);
    expect(metrics.sent).toEqual(['passwordReset']);
    expect(metrics.failed).toEqual([]);
    const sent = logs.lines.find((line) => line.msg === 'mail sent')!;
    expect(sent.level).toBe(LOG_LEVEL.info);
    expect(sent.mail).toEqual({ kind: 'passwordReset', ...recipientFields('ada@example.com'), attempt: 1 });
    expectNoSecrets(logs.text());
    await mailer.close();
  });

  it('resolves idle at once when nothing is pending', async () => {
    const { mailer } = setUp();
    await expect(mailer.idle()).resolves.toBeUndefined();
    await mailer.close();
  });

  it('retries a transient failure and counts the mail once, as sent', async () => {
    const { transport, metrics, logs, mailer } = setUp([relayError(451), relayError(421)]);

    mailer.send(resetMail());
    await mailer.idle();

    expect(transport.attempts).toHaveLength(3);
    expect(metrics.sent).toEqual(['passwordReset']);
    expect(metrics.failed).toEqual([]);
    const retries = logs.lines.filter((line) => line.msg === 'mail not sent; will retry');
    expect(retries.map((line) => line.level)).toEqual([LOG_LEVEL.warn, LOG_LEVEL.warn]);
    expect(retries.map((line) => (line.mail as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(retries[0]!.error).toMatchObject({ responseCode: 451, code: 'EMESSAGE', command: 'DATA', permanent: false });
    expectNoSecrets(logs.text());
    await mailer.close();
  });

  it('gives up after the last attempt, counts the failure once and logs it at error without the token', async () => {
    const { transport, metrics, logs, mailer } = setUp([relayError(451), relayError(451), relayError(451), relayError(451)]);

    mailer.send(resetMail());
    await mailer.idle();

    expect(mailer.maxAttempts).toBe(3);
    expect(transport.attempts).toHaveLength(3);
    expect(metrics.sent).toEqual([]);
    expect(metrics.failed).toEqual(['passwordReset']);
    const failure = logs.lines.find((line) => line.msg === 'mail not sent: every attempt failed')!;
    expect(failure.level).toBe(LOG_LEVEL.error);
    expect(failure.mail).toMatchObject({ kind: 'passwordReset', toDomain: 'example.com', attempts: 3 });
    expect((failure.error as { message: string }).message).toBe('Message failed: 451 refused <[recipient]> [link] [redacted]');
    expectNoSecrets(logs.text());
    await mailer.close();
  });

  it('does not retry a permanent refusal', async () => {
    const { transport, metrics, logs, mailer } = setUp([relayError(550)]);

    mailer.send(resetMail());
    await mailer.idle();

    expect(transport.attempts).toHaveLength(1);
    expect(metrics.failed).toEqual(['passwordReset']);
    expect(logs.lines.map((line) => line.msg)).toEqual(['mail not sent: the relay refused it for good']);
    await mailer.close();
  });

  it('takes a failure of unknown shape as transient', async () => {
    const { transport, metrics, mailer } = setUp([new TypeError('socket hang up')]);

    mailer.send(resetMail());
    await mailer.idle();

    expect(transport.attempts).toHaveLength(2);
    expect(metrics.sent).toEqual(['passwordReset']);
    await mailer.close();
  });

  it('abandons an attempt at its deadline even when the transport ignores the abort', async () => {
    const { transport, metrics, logs, mailer } = setUp(['hang-ignoring-abort', 'hang'], { attemptTimeoutMillis: 20, retryDelaysMillis: [1] });

    mailer.send(resetMail());
    await mailer.idle();

    expect(transport.attempts).toHaveLength(2);
    expect(metrics.failed).toEqual(['passwordReset']);
    expect(logs.lines.at(-1)!.error).toMatchObject({ code: 'EABORT' });
    await mailer.close();
  });

  it('never throws from send, even when the transport throws synchronously', async () => {
    const metrics = new CountingMetrics();
    const transport: MailTransport = {
      deliver: () => {
        throw new Error('synchronous failure');
      },
      close: () => {},
    };
    const mailer = new SmtpMailer({ transport, logger: captureLogs().logger, metrics, ...FAST });

    expect(() => mailer.send(resetMail())).not.toThrow();
    await mailer.idle();
    expect(metrics.failed).toEqual(['passwordReset']);
    await mailer.close();
  });

  it('never throws from send, even when logging throws', async () => {
    const throwing = new Proxy({} as Logger, {
      get: () => () => {
        throw new Error('logger down');
      },
    });
    const mailer = new SmtpMailer({ transport: new ScriptedTransport(), logger: throwing, ...FAST });
    await mailer.close();
    expect(() => mailer.send(resetMail())).not.toThrow();
  });

  it('drops mail beyond maxPendingMails, counting and logging each', async () => {
    const release = deferred();
    const { transport, metrics, logs, mailer } = setUp([{ until: release.promise }, { until: release.promise }], { maxPendingMails: 2 });

    mailer.send(resetMail('one@example.com'));
    mailer.send(resetMail('two@example.com'));
    mailer.send(resetMail('three@example.org'));

    expect(metrics.failed).toEqual(['passwordReset']);
    const dropped = logs.lines.find((line) => line.msg === 'mail dropped: 2 mails are already waiting')!;
    expect(dropped.level).toBe(LOG_LEVEL.error);
    expect(dropped.mail).toMatchObject({ toDomain: 'example.org' });

    release.resolve();
    await mailer.idle();
    expect(transport.attempts.map((mail) => mail.to)).toEqual(['one@example.com', 'two@example.com']);
    expect(metrics.sent).toHaveLength(2);
    await mailer.close();
  });

  it('holds at most maxConcurrentDeliveries deliveries at once', async () => {
    const { transport, metrics, mailer } = setUp([relayError(451), relayError(451), 'ok', relayError(451)], { maxConcurrentDeliveries: 2 });

    for (let index = 0; index < 6; index += 1) mailer.send(resetMail(`user${index}@example.com`));
    await mailer.idle();

    expect(transport.maxInFlight).toBe(2);
    expect(metrics.sent).toHaveLength(6);
  });

  describe('close', () => {
    it('lets mails being delivered finish, then closes the transport', async () => {
      const release = deferred();
      const { transport, metrics, mailer } = setUp([{ until: release.promise }]);
      mailer.send(resetMail());
      while (transport.attempts.length === 0) await nextTurn();

      let closed = false;
      const closing = mailer.close().then(() => {
        closed = true;
      });
      for (let turn = 0; turn < 10; turn += 1) await nextTurn();
      expect(closed).toBe(false);
      expect(transport.closed).toBe(false);

      release.resolve();
      await closing;
      expect(metrics.sent).toEqual(['passwordReset']);
      expect(transport.closed).toBe(true);
    });

    it('retries at once instead of waiting out the delay', async () => {
      const { transport, metrics, logs, mailer } = setUp([relayError(451)], { retryDelaysMillis: [3_600_000] });
      mailer.send(resetMail());
      while (!logs.lines.some((line) => line.msg === 'mail not sent; will retry')) await nextTurn();

      await mailer.close();

      expect(transport.attempts).toHaveLength(2);
      expect(metrics.sent).toEqual(['passwordReset']);
    });

    it('gives up on what is not delivered within closeTimeoutMillis, counting every mail', async () => {
      const { transport, metrics, logs, mailer } = setUp(['hang-ignoring-abort'], { maxConcurrentDeliveries: 1, closeTimeoutMillis: 20 });
      mailer.send(resetMail('stuck@example.com'));
      mailer.send(resetMail('queued@example.com'));
      while (transport.attempts.length === 0) await nextTurn();

      await mailer.close();

      expect(transport.attempts.map((mail) => mail.to)).toEqual(['stuck@example.com']);
      expect(metrics.failed).toEqual(['passwordReset', 'passwordReset']);
      expect(transport.closed).toBe(true);
      const messages = logs.lines.filter((line) => line.level === LOG_LEVEL.error).map((line) => line.msg);
      expect(messages).toContain('mailer closing: giving up on mails not delivered in time');
      expect(messages.filter((message) => message === 'mail not sent: the mailer closed before it could be sent')).toHaveLength(2);
      expectNoSecrets(logs.text());
      await expect(mailer.idle()).resolves.toBeUndefined();
    });

    it('drops mail sent after it, and is idempotent', async () => {
      const { transport, metrics, logs, mailer } = setUp();
      const first = mailer.close();
      expect(mailer.close()).toBe(first);
      await first;

      mailer.send(resetMail());

      expect(metrics.failed).toEqual(['passwordReset']);
      expect(logs.lines.map((line) => line.msg)).toEqual(['mail dropped: the mailer is closed']);
      await nextTurn();
      expect(transport.attempts).toHaveLength(0);
    });
  });
});
