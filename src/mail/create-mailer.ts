import type { Logger } from 'pino';
import type { Config } from '../config';
import { LogMailer } from './log.mailer';
import { noMailMetrics, type MailMetrics, type Mailer } from './mailer';
import { SmtpMailer, type SmtpMailerTuning } from './smtp.mailer';
import { createSmtpTransport } from './smtp.transport';

/**
 * The mailer the configuration asks for: SMTP when SMTP_URL is set, else (development and
 * tests only) the log. `tuning` shortens retries and timeouts in tests.
 */
export function createMailer(
  config: Pick<Config, 'environment' | 'mail'>,
  logger: Logger,
  metrics: MailMetrics = noMailMetrics,
  tuning: SmtpMailerTuning = {},
): Mailer {
  const { smtpUrl, from } = config.mail;
  if (smtpUrl) {
    return new SmtpMailer({ transport: createSmtpTransport({ smtpUrl, from }), logger, metrics, ...tuning });
  }
  if (config.environment === 'production') {
    // loadConfig already refuses this; a production server must never log live links.
    throw new Error('SMTP_URL is required when NODE_ENV=production');
  }
  return new LogMailer(logger);
}
