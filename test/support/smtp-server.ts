import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** A mail the test server accepted, parsed. */
export interface ReceivedMail {
  /** The SMTP envelope: MAIL FROM and RCPT TO, as the client sent them. */
  envelope: { from: string; to: string[] };
  /** The From and To headers' addresses, and the bodies. */
  from: string[];
  to: string[];
  subject: string;
  text: string;
  html: string;
  parsed: ParsedMail;
}

/** Where in the SMTP transaction a scripted refusal happens. */
export type SmtpStage = 'MAIL' | 'RCPT' | 'DATA';

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`: SMTP_URL for the server under test (no TLS on loopback). */
  readonly url: string;
  readonly port: number;
  /** Every accepted mail, in order of arrival. */
  readonly messages: ReceivedMail[];
  /** Every AUTH a client presented (the server accepts any, and also mail without AUTH). */
  readonly authentications: Array<{ username: string; password: string }>;
  /** Mail transactions started (MAIL FROM commands), refused ones included: one per delivery attempt. */
  readonly transactions: number;
  /**
   * Refuses the next `times` transactions at `stage` with `code` (e.g. 451 for a transient
   * refusal, 550 for a permanent one); later ones go through. Calls add up in order.
   */
  refuseNext(options: { times: number; code: number; stage?: SmtpStage; message?: string }): void;
  /** The first mail (already received or yet to come) matching `predicate`; rejects after `timeoutMillis`. */
  waitForMessage(predicate?: (mail: ReceivedMail) => boolean, timeoutMillis?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const DEFAULT_WAIT_MILLIS = 5_000;

/**
 * A real SMTP server (smtp-server, from the nodemailer project) on a loopback port chosen by
 * the OS, collecting what it receives. STARTTLS is off (nodemailer would otherwise upgrade and
 * refuse the built-in self-signed certificate) and AUTH is offered in clear, so that a URL's
 * credentials can be checked: loopback only. smtp-server holds every new connection for
 * 100 ms before its greeting (its early-talker check, not configurable), so each delivery
 * takes about that long.
 */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const authentications: Array<{ username: string; password: string }> = [];
  const refusals: Array<{ stage: SmtpStage; code: number; message: string }> = [];
  const waiters = new Set<(mail: ReceivedMail) => void>();
  let transactions = 0;
  /** The refusal scripted for the current transaction, taken when it starts. */
  const refusalBySession = new Map<string, { stage: SmtpStage; code: number; message: string }>();

  const refuseAt = (stage: SmtpStage, session: SMTPServerSession): Error | null => {
    const refusal = refusalBySession.get(session.id);
    if (!refusal || refusal.stage !== stage) return null;
    refusalBySession.delete(session.id);
    return Object.assign(new Error(refusal.message), { responseCode: refusal.code });
  };

  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    // Connections still open at close() are cut after this, so that close() never waits long.
    closeTimeout: 500,
    onAuth(auth: SMTPServerAuthentication, _session, callback) {
      authentications.push({ username: auth.username ?? '', password: auth.password ?? '' });
      callback(null, { user: auth.username ?? '' });
    },
    onMailFrom(_address, session, callback) {
      transactions += 1;
      const refusal = refusals.shift();
      if (refusal) refusalBySession.set(session.id, refusal);
      else refusalBySession.delete(session.id);
      callback(refuseAt('MAIL', session));
    },
    onRcptTo(_address, session, callback) {
      callback(refuseAt('RCPT', session));
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        const refused = refuseAt('DATA', session);
        if (refused) {
          callback(refused);
          return;
        }
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
        };
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            const mail = toReceivedMail(envelope, parsed);
            // Stored before the reply: once a client's send resolves, its mail is in `messages`.
            messages.push(mail);
            for (const waiter of waiters) waiter(mail);
            callback(null, 'queued');
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client dropping its connection must not crash the test process.
  server.on('error', () => {});
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    authentications,
    get transactions() {
      return transactions;
    },
    refuseNext({ times, code, stage = 'RCPT', message = code >= 500 ? 'Rejected by the test server' : 'Try again later' }) {
      for (let index = 0; index < times; index += 1) refusals.push({ stage, code, message });
    },
    waitForMessage(predicate = () => true, timeoutMillis = DEFAULT_WAIT_MILLIS) {
      const received = messages.find(predicate);
      if (received) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const waiter = (mail: ReceivedMail) => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const subjects = messages.map((mail) => `"${mail.subject}" to ${mail.to.join(', ')}`);
          reject(new Error(`no matching mail within ${timeoutMillis} ms; received: ${subjects.join('; ') || 'none'}`));
        }, timeoutMillis);
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function toReceivedMail(envelope: ReceivedMail['envelope'], parsed: ParsedMail): ReceivedMail {
  return {
    envelope,
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : '',
    parsed,
  };
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return objects.flatMap((object) => object.value.map((entry) => entry.address ?? ''));
}
