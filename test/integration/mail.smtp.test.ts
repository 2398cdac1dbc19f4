import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import { loadConfig } from '../../src/config';
import { createMailer } from '../../src/mail/create-mailer';
import { createMailTemplates } from '../../src/mail/mail.templates';
import type { Mailer } from '../../src/mail/mailer';
import type { SmtpMailerTuning } from '../../src/mail/smtp.mailer';
import { smtpTransportOptions } from '../../src/mail/smtp.transport';
import { AppMetrics } from '../../src/observability/metrics';
import { freeLoopbackPort } from '../support/global-setup';
import { captureLogs, LOG_LEVEL } from '../support/log-capture';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server';

const APP_ORIGIN = 'https://app.example.com';
const TOKEN = 'dGhpcy1pcy1hLXNpbmdsZS11c2UtdG9rZW4tMjU2LWJpdHM';
const templates = createMailTemplates({ appOrigin: APP_ORIGIN });
/** Short waits, so that retries take milliseconds; nothing asserts on how long anything takes. */
const FAST: SmtpMailerTuning = { retryDelaysMillis: [5, 5] };

function resetMail(to = 'ada@example.com', displayName = 'Ada') {
  return templates.passwordReset({ to, displayName, token: TOKEN, expiresInSeconds: 1800 });
}

async function counter(metrics: AppMetrics, name: string, kind: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return metric.values.find((value) => value.labels.kind === kind)?.value ?? 0;
}

describe('SMTP delivery (a real SMTP server in this process)', () => {
  let server: TestSmtpServer;
  let mailer: Mailer | undefined;

  beforeEach(async () => {
    server = await startTestSmtpServer();
  });
  afterEach(async () => {
    await mailer?.close();
    mailer = undefined;
    await server.close();
  });

  function start(env: Record<string, string>, tuning: SmtpMailerTuning = FAST) {
    const logs = captureLogs();
    const metrics = new AppMetrics();
    mailer = createMailer(loadConfig({ SMTP_URL: server.url, APP_ORIGIN, ...env }), logs.logger, metrics, tuning);
    return { mailer, logs, metrics };
  }

  it('delivers the text and HTML bodies from MAIL_FROM to the recipient, with the link, and counts it', async () => {
    const { mailer, logs, metrics } = start({ MAIL_FROM: 'sessionql <no-reply@sessionql.test>' });

    mailer.send(resetMail());
    const mail = await server.waitForMessage((received) => received.to.includes('ada@example.com'));

    expect(mail.envelope).toEqual({ from: 'no-reply@sessionql.test', to: ['ada@example.com'] });
    expect(mail.from).toEqual(['no-reply@sessionql.test']);
    expect(mail.parsed.from?.value[0]?.name).toBe('sessionql');
    expect(mail.subject).toBe('Reset your password');
    const link = `${APP_ORIGIN}/reset-password?token=${TOKEN}`;
    expect(mail.text).toContain(link);
    expect(mail.text).toContain('expires in 30 minutes');
    expect(mail.html).toContain(`<a href="${link}"`);
    expect(new URL(link).searchParams.get('token')).toBe(TOKEN);

    await mailer.idle();
    expect(await counter(metrics, 'sessionql_mail_sent_total', 'passwordReset')).toBe(1);
    expect(await counter(metrics, 'sessionql_mail_failures_total', 'passwordReset')).toBe(0);
    expect(logs.lines.map((line) => line.msg)).toEqual(['mail sent']);
    expect(logs.text()).not.toContain(TOKEN);
  });

  it('keeps non-ASCII text intact and user input escaped, end to end', async () => {
    const { mailer } = start({});

    mailer.send(resetMail('zoe@example.com', 'Zoë <b>Ünal</b> 李'));
    const mail = await server.waitForMessage();

    expect(mail.text).toMatch(/^Hello Zoë <b>Ünal<\/b> 李,/);
    expect(mail.html).toContain('Hello Zoë &lt;b&gt;Ünal&lt;/b&gt; 李,');
    expect(mail.html).not.toContain('<b>');
  });

  it('logs in with the credentials of SMTP_URL, percent-decoded', async () => {
    const { mailer } = start({ SMTP_URL: server.url.replace('smtp://', 'smtp://mailer%40example.com:p%40ss%20word@') });

    mailer.send(resetMail());
    await server.waitForMessage();

    expect(server.authentications).toEqual([{ username: 'mailer@example.com', password: 'p@ss word' }]);
  });

  it('retries a relay that refuses for a while (4xx), and delivers once', async () => {
    const { mailer, logs, metrics } = start({});
    server.refuseNext({ times: 2, code: 451, stage: 'RCPT' });

    mailer.send(resetMail());
    await mailer.idle();

    expect(server.transactions).toBe(3);
    expect(server.messages).toHaveLength(1);
    expect(await counter(metrics, 'sessionql_mail_sent_total', 'passwordReset')).toBe(1);
    expect(await counter(metrics, 'sessionql_mail_failures_total', 'passwordReset')).toBe(0);
    const retries = logs.lines.filter((line) => line.level === LOG_LEVEL.warn);
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({
      msg: 'mail not sent; will retry',
      mail: { kind: 'passwordReset', toDomain: 'example.com', attempt: 1, maxAttempts: 3 },
      error: { responseCode: 451, command: 'RCPT TO', permanent: false },
    });
    expect(logs.text()).not.toContain(TOKEN);
  });

  it('gives up after 3 attempts on a relay that keeps refusing, counting and logging it without the link', async () => {
    const { mailer, logs, metrics } = start({});
    server.refuseNext({ times: 10, code: 452, stage: 'DATA' });

    mailer.send(resetMail());
    await mailer.idle();

    expect(server.transactions).toBe(3);
    expect(server.messages).toHaveLength(0);
    expect(await counter(metrics, 'sessionql_mail_failures_total', 'passwordReset')).toBe(1);
    expect(await counter(metrics, 'sessionql_mail_sent_total', 'passwordReset')).toBe(0);
    const failure = logs.lines.find((line) => line.level === LOG_LEVEL.error)!;
    expect(failure).toMatchObject({ msg: 'mail not sent: every attempt failed', mail: { attempts: 3 }, error: { responseCode: 452 } });
    for (const secret of [TOKEN, 'reset-password', 'ada@example.com']) expect(logs.text()).not.toContain(secret);
  });

  it('does not retry a permanent refusal (5xx)', async () => {
    const { mailer, logs, metrics } = start({});
    server.refuseNext({ times: 1, code: 550, stage: 'RCPT' });

    mailer.send(resetMail());
    await mailer.idle();

    expect(server.transactions).toBe(1);
    expect(await counter(metrics, 'sessionql_mail_failures_total', 'passwordReset')).toBe(1);
    expect(logs.lines.map((line) => line.msg)).toEqual(['mail not sent: the relay refused it for good']);
  });

  it('retries a relay that is not listening, then gives up; send returns before anything happened', async () => {
    const { mailer, logs, metrics } = start({ SMTP_URL: `smtp://127.0.0.1:${await freeLoopbackPort()}` });

    expect(mailer.send(resetMail())).toBeUndefined();
    expect(logs.lines).toEqual([]);

    await mailer.idle();
    expect(logs.lines.map((line) => line.level)).toEqual([LOG_LEVEL.warn, LOG_LEVEL.warn, LOG_LEVEL.error]);
    expect(logs.lines[2]).toMatchObject({ msg: 'mail not sent: every attempt failed', error: { permanent: false } });
    expect(await counter(metrics, 'sessionql_mail_failures_total', 'passwordReset')).toBe(1);
  });
});

describe('a relay that accepts connections and never answers', () => {
  let blackHole: ReturnType<typeof createServer>;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    blackHole.listen(0, '127.0.0.1');
    await once(blackHole, 'listening');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });

  it('never holds up the caller, and close() gives up on it after its grace period', async () => {
    const logs = captureLogs();
    const metrics = new AppMetrics();
    const { port } = blackHole.address() as AddressInfo;
    const mailer = createMailer(loadConfig({ SMTP_URL: `smtp://127.0.0.1:${port}` }), logs.logger, metrics, { closeTimeoutMillis: 50 });
    let idle = false;

    mailer.send(resetMail());
    void mailer.idle().then(() => {
      idle = true;
    });
    // The delivery is under way (connected, waiting for a greeting that never comes)…
    while (sockets.size === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);

    // …and shutting down does not wait for the relay's timeouts.
    await mailer.close();
    expect(idle).toBe(true);
    expect(await counter(metrics, 'sessionql_mail_failures_total', 'passwordReset')).toBe(1);
    expect(logs.lines.filter((line) => line.level === LOG_LEVEL.error).map((line) => line.msg)).toEqual([
      'mailer closing: giving up on mails not delivered in time',
      'mail not sent: the mailer closed before it could be sent',
    ]);
    expect(logs.text()).not.toContain(TOKEN);
  });
});

describe('SMTP transport options', () => {
  it('bounds every wait, and never lets a message read files or URLs', () => {
    expect(smtpTransportOptions('smtps://mailer:secret@smtp.example.com')).toMatchObject({
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  });

  it.each([
    ['smtp://mailer:secret@smtp.example.com:587', true],
    ['smtp://smtp.example.com:25', undefined],
    ['smtps://mailer:secret@smtp.example.com', undefined],
    ['smtp://mailer:secret@127.0.0.1:2525', undefined],
    ['smtp://mailer:secret@localhost:2525', undefined],
  ])('requires STARTTLS for %s: %s', (url, requireTLS) => {
    expect(smtpTransportOptions(url).requireTLS).toBe(requireTLS);
  });

  it("lets SMTP_URL's query override them, as nodemailer documents", () => {
    const transporter = createTransport(smtpTransportOptions('smtp://mailer:secret@smtp.example.com:587?requireTLS=false&socketTimeout=5000'));
    const resolved = (transporter.transporter as unknown as { options: Record<string, unknown> }).options;
    expect(resolved).toMatchObject({ host: 'smtp.example.com', port: 587, secure: false, requireTLS: false, socketTimeout: 5000 });
    transporter.close();
  });
});
