/**
 * Outgoing mail: templates that build each mail, and mailers that send them (SMTP) or log
 * them (development without SMTP_URL). Services depend on `Mailer` and `MailTemplates` only.
 */
export { createMailer } from './create-mailer';
export { LogMailer } from './log.mailer';
export { createMailTemplates, MAIL_LINK_PATHS, type MailTemplates, type NoticeParams, type Recipient, type TokenMailParams } from './mail.templates';
export { MAIL_KINDS, noMailMetrics, type MailKind, type MailMessage, type Mailer, type MailMetrics } from './mailer';
export { SmtpMailer, type SmtpMailerOptions, type SmtpMailerTuning } from './smtp.mailer';
export { createSmtpTransport, MailDeliveryError, type MailTransport, type SmtpTransportOptions } from './smtp.transport';
