/** Every mail this server sends, one per template (mail.templates.ts). Also the `kind` label of the mail metrics. */
export const MAIL_KINDS = [
  'passwordReset',
  'passwordChanged',
  'emailVerification',
  'emailChangeConfirm',
  'emailChangeNotice',
  'accountDeleted',
  'twoFactorEnabled',
  'twoFactorDisabled',
  'recoveryCodesRegenerated',
] as const;

export type MailKind = (typeof MAIL_KINDS)[number];

/** One mail to one recipient, as the templates build it; the sender (MAIL_FROM) is the mailer's. */
export interface MailMessage {
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * The link the mail carries, if any. It holds a single-use token: only the development
   * LogMailer ever logs it; the SMTP mailer keeps it (and the bodies) out of every log line.
   */
  link?: string;
}

/**
 * What the services call. Sending is fire-and-forget: `send` queues the mail and returns at
 * once, so a slow or dead mail relay never delays or fails a GraphQL answer. A mail that
 * cannot be delivered is logged and counted (MailMetrics), never reported to the caller.
 */
export interface Mailer {
  /** Queues `message` for delivery. Never throws, never waits on the network. */
  send(message: MailMessage): void;
  /** Resolves once every mail accepted so far is delivered or given up on. For tests; never rejects. */
  idle(): Promise<void>;
  /**
   * Stops accepting mail, lets the accepted ones finish for a bounded time, then gives up
   * on the rest (logged and counted). For shutdown; never rejects.
   */
  close(): Promise<void>;
}

/** The narrow view of the metrics that the mailers record into. */
export interface MailMetrics {
  /** A mail the relay accepted. */
  mailSent(kind: MailKind): void;
  /** A mail given up on: every attempt failed, the relay refused it for good, or it was dropped (queue full, shutdown). */
  mailFailed(kind: MailKind): void;
}

/** For mailers built without metrics (unit tests, the admin CLI). */
export const noMailMetrics: MailMetrics = {
  mailSent: () => {},
  mailFailed: () => {},
};
