import { createTransport, type SMTPTransportOptions } from 'nodemailer';
import type { MailMessage } from './mailer';

/** One delivery attempt to a relay; SmtpMailer adds the queue, the retries and the logging. */
export interface MailTransport {
  /**
   * Hands `message` to the relay. Resolves once the relay accepted it; rejects with a
   * MailDeliveryError (or anything else, taken as transient) when it did not. Gives up
   * when `signal` aborts.
   */
  deliver(message: MailMessage, signal: AbortSignal): Promise<void>;
  /** Closes connections; deliveries in progress may fail. */
  close(): void;
}

/** Why a delivery failed, without the message itself: nothing here holds a body or a link. */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';
  constructor(
    message: string,
    readonly details: {
      /** True when the relay refused the mail for good (a 5xx reply but 503): another attempt would get the same answer. */
      permanent: boolean;
      /** nodemailer's error code: ECONNECTION, ETIMEDOUT, ESOCKET, EAUTH, EENVELOPE, EMESSAGE, EABORT, … */
      code?: string;
      /** The SMTP reply code, when the relay answered. */
      responseCode?: number;
      /** The SMTP command the relay refused (MAIL FROM, RCPT TO, DATA, AUTH …). */
      command?: string;
    },
  ) {
    super(message);
  }
}

/** nodemailer's defaults wait 2 minutes for a connection and 10 for an idle socket: far too long for a queue of short mails. */
export const SMTP_TIMEOUTS_MILLIS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
  dnsTimeout: 10_000,
} as const;

export interface SmtpTransportOptions {
  /** SMTP_URL: smtp:// (STARTTLS when offered) or smtps:// (TLS from the start), credentials in the URL, nodemailer options in its query. */
  smtpUrl: string;
  /** MAIL_FROM, the From header and envelope sender of every mail. */
  from: string;
}

/**
 * A nodemailer SMTP transport, one connection per mail: auth mail is low volume, and a
 * connection per mail leaves no idle socket to go stale between mails or to hold the
 * process at shutdown, and no pool requeueing under SmtpMailer's own retries.
 *
 * smtp:// upgrades with STARTTLS whenever the relay offers it. When the URL carries
 * credentials and the relay is not on loopback, STARTTLS is required, so that a
 * man in the middle who strips the STARTTLS offer never sees the password in clear;
 * `?requireTLS=false` in the URL turns that off for a relay that has no TLS.
 */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const transporter = createTransport(smtpTransportOptions(options.smtpUrl), { from: options.from });

  return {
    async deliver(message, signal) {
      try {
        await transporter.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html, signal });
      } catch (error) {
        throw toDeliveryError(error);
      }
    },
    close() {
      transporter.close();
    },
  };
}

/** nodemailer's options for SMTP_URL (see createSmtpTransport); exported for tests. */
export function smtpTransportOptions(smtpUrl: string): SMTPTransportOptions {
  const url = new URL(smtpUrl);
  const hasCredentials = url.username !== '' || url.password !== '';
  return {
    // nodemailer reads host, port, secure (smtps:) and auth from the URL, and lets its query override the options here.
    url: smtpUrl,
    ...SMTP_TIMEOUTS_MILLIS,
    ...(url.protocol === 'smtp:' && hasCredentials && !isLoopbackHost(url.hostname) ? { requireTLS: true } : {}),
    // The mails are built here from text: nothing may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  };
}

interface NodemailerErrorFields {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  permanent?: unknown;
}

function toDeliveryError(error: unknown): MailDeliveryError {
  const fields: NodemailerErrorFields = typeof error === 'object' && error !== null ? error : {};
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  return new MailDeliveryError(typeof fields.message === 'string' ? fields.message : String(error), {
    // nodemailer sets `permanent` from the reply class (5xx except 503); no reply (a refused
    // connection, a timeout) is never permanent.
    permanent: fields.permanent === true,
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
    ...(responseCode !== undefined ? { responseCode } : {}),
    ...(typeof fields.command === 'string' ? { command: fields.command } : {}),
  });
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
