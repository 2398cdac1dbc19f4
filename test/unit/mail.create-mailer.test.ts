import { loadConfig } from '../../src/config';
import { createMailer } from '../../src/mail/create-mailer';
import { LogMailer } from '../../src/mail/log.mailer';
import { describeFailure, recipientFields } from '../../src/mail/mail-log';
import { createMailTemplates } from '../../src/mail/mail.templates';
import { SmtpMailer } from '../../src/mail/smtp.mailer';
import { MailDeliveryError } from '../../src/mail/smtp.transport';
import { captureLogs, LOG_LEVEL } from '../support/log-capture';

const templates = createMailTemplates({ appOrigin: 'http://127.0.0.1:5173' });
const resetMail = templates.passwordReset({ to: 'ada@example.com', displayName: 'Ada', token: 'tok123', expiresInSeconds: 1800 });

describe('createMailer', () => {
  it('logs every mail instead of sending it when SMTP_URL is not set (development)', async () => {
    const { logger, lines } = captureLogs();
    const mailer = createMailer(loadConfig({}), logger);
    expect(mailer).toBeInstanceOf(LogMailer);

    mailer.send(resetMail);
    await mailer.idle();

    // The one place a link is logged: a person running `npm start` alone reads it here.
    expect(lines).toEqual([
      expect.objectContaining({
        level: LOG_LEVEL.info,
        msg: 'mail not sent (no SMTP_URL): "Reset your password" to ada@example.com',
        mail: 'passwordReset',
        to: 'ada@example.com',
        subject: 'Reset your password',
        link: 'http://127.0.0.1:5173/reset-password?token=tok123',
      }),
    ]);
    await mailer.close();
  });

  it('logs a notice without a link', () => {
    const { logger, lines } = captureLogs();
    const mailer = createMailer(loadConfig({ NODE_ENV: 'test' }), logger);
    mailer.send(templates.twoFactorDisabled({ to: 'ada@example.com', displayName: 'Ada', occurredAt: new Date() }));
    expect(lines[0]).not.toHaveProperty('link');
    expect(lines[0]).toMatchObject({ to: 'ada@example.com', subject: 'Two-factor authentication is off' });
  });

  it('sends through SMTP when SMTP_URL is set, in any environment', async () => {
    const { logger, lines } = captureLogs();
    for (const env of [{}, { NODE_ENV: 'production', SESSION_SECRETS: 'x'.repeat(32), APP_ORIGIN: 'https://app.example.com' }]) {
      const mailer = createMailer(loadConfig({ ...env, SMTP_URL: 'smtp://127.0.0.1:1' }), logger);
      expect(mailer).toBeInstanceOf(SmtpMailer);
      await mailer.close();
    }
    expect(lines).toEqual([]);
  });

  it('never logs links in production: without SMTP_URL it refuses', () => {
    const config = { ...loadConfig({}), environment: 'production' as const };
    expect(() => createMailer(config, captureLogs().logger)).toThrow('SMTP_URL is required when NODE_ENV=production');
  });
});

describe('mail log fields', () => {
  it('name a recipient by domain and a hash of the lower-cased address', () => {
    const fields = recipientFields(' Ada@Example.COM ');
    expect(fields).toEqual({ toDomain: 'example.com', toHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(recipientFields('ada@example.com')).toEqual(fields);
    expect(recipientFields('bob@example.com').toHash).not.toBe(fields.toHash);
  });

  it("strip the mail's link, token and address from a failure's message, and keep its SMTP details", () => {
    const error = new MailDeliveryError(
      `550 5.7.1 <ada@example.com> message refused: suspicious URL ${resetMail.link} (tok123; token=tok123)`,
      { permanent: true, code: 'EMESSAGE', responseCode: 550, command: 'DATA' },
    );
    expect(describeFailure(error, resetMail)).toEqual({
      message: '550 5.7.1 <[recipient]> message refused: suspicious URL [link] ([redacted]; token=[redacted])',
      permanent: true,
      code: 'EMESSAGE',
      responseCode: 550,
      command: 'DATA',
    });
  });

  it('redact any token= value and cut long messages', () => {
    const described = describeFailure(new Error(`see https://elsewhere.example/?token=abc&x=1 ${'x'.repeat(500)}`));
    expect(described.message).toMatch(/^see https:\/\/elsewhere\.example\/\?token=\[redacted\]&x=1 x+…$/);
    expect(described.message.length).toBeLessThanOrEqual(301);
  });
});
