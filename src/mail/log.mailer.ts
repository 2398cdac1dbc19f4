import type { Logger } from 'pino';
import type { MailMessage, Mailer } from './mailer';

/**
 * Development without SMTP_URL: every mail is written to the log instead of sent, with its
 * link, so that `npm start` alone lets a person reset a password or confirm an address.
 * The one place a link (and so a live token) is logged, on purpose: createMailer never
 * uses it in production, where SMTP_URL is required.
 */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  send(message: MailMessage): void {
    try {
      this.logger.info(
        { mail: message.kind, to: message.to, subject: message.subject, ...(message.link ? { link: message.link } : {}) },
        `mail not sent (no SMTP_URL): "${message.subject}" to ${message.to}`,
      );
    } catch {
      // send never throws into a request.
    }
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
