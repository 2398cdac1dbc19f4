import { createMailTemplates, escapeHtml, formatDuration, formatTime, sanitizeDisplayName, type MailTemplates } from '../../src/mail/mail.templates';
import { MAIL_KINDS, type MailKind, type MailMessage } from '../../src/mail/mailer';

const ORIGIN = 'https://app.example.com';
const templates = createMailTemplates({ appOrigin: ORIGIN });
const AT = new Date('2026-05-01T14:03:27.000Z');
const TOKEN = 'tok_A-b_c+d/e=f&g';

/** One mail of every kind, addressed to `to`, greeting `displayName`. */
function everyMail(displayName: string, to = 'ada@example.com', build: MailTemplates = templates): Record<MailKind, MailMessage> {
  const notice = { to, displayName, occurredAt: AT };
  return {
    passwordReset: build.passwordReset({ to, displayName, token: TOKEN, expiresInSeconds: 1800 }),
    passwordChanged: build.passwordChanged({ ...notice, via: 'change' }),
    emailVerification: build.emailVerification({ to, displayName, token: TOKEN, expiresInSeconds: 86_400 }),
    emailChangeConfirm: build.emailChangeConfirm({ to, displayName, token: TOKEN, expiresInSeconds: 3600 }),
    emailChangeNotice: build.emailChangeNotice({ ...notice, newEmail: 'new@example.org' }),
    accountDeleted: build.accountDeleted(notice),
    twoFactorEnabled: build.twoFactorEnabled(notice),
    twoFactorDisabled: build.twoFactorDisabled(notice),
    recoveryCodesRegenerated: build.recoveryCodesRegenerated(notice),
  };
}

const mails = everyMail('Ada Lovelace');

describe('mail templates', () => {
  it('build a complete mail of every kind, to the given address', () => {
    expect(Object.keys(mails).sort()).toEqual([...MAIL_KINDS].sort());
    for (const [kind, mail] of Object.entries(mails)) {
      expect(mail).toMatchObject({ kind, to: 'ada@example.com' });
      expect(mail.subject.length).toBeGreaterThan(0);
      expect(mail.text).toMatch(/^Hello Ada Lovelace,\n\n/);
      expect(mail.text).toContain('app.example.com');
      expect(mail.html).toMatch(/^<!doctype html>/);
      expect(mail.html).toContain('<title>');
      // Every attribute is double-quoted and holds no double quote (a font name included).
      for (const tag of mail.html.match(/<[a-z][^>]*>/g)!) expect(tag).toMatch(/^<[a-z]+(?: [a-z-]+="[^"]*")*>$/);
      expect(mail.html).toContain('Hello Ada Lovelace,');
    }
  });

  it.each([
    ['passwordReset', 'Reset your password'],
    ['passwordChanged', 'Your password was changed'],
    ['emailVerification', 'Confirm your email address'],
    ['emailChangeConfirm', 'Confirm your new email address'],
    ['emailChangeNotice', 'Your email address is being changed'],
    ['accountDeleted', 'Your account was deleted'],
    ['twoFactorEnabled', 'Two-factor authentication is on'],
    ['twoFactorDisabled', 'Two-factor authentication is off'],
    ['recoveryCodesRegenerated', 'Your recovery codes were replaced'],
  ] as const)('give %s the subject %j', (kind, subject) => {
    expect(mails[kind].subject).toBe(subject);
  });

  describe('links', () => {
    it.each([
      ['passwordReset', '/reset-password', '30 minutes'],
      ['emailVerification', '/verify-email', '24 hours'],
      ['emailChangeConfirm', '/confirm-email-change', '1 hour'],
    ] as const)('%s links to APP_ORIGIN%s with the token in the query, and says it expires in %s', (kind, path, expiry) => {
      const mail = mails[kind];
      const link = new URL(mail.link!);

      expect(link.origin).toBe(ORIGIN);
      expect(link.pathname).toBe(path);
      expect([...link.searchParams.keys()]).toEqual(['token']);
      expect(link.searchParams.get('token')).toBe(TOKEN);
      expect(mail.link).toBe(`${ORIGIN}${path}?token=${encodeURIComponent(TOKEN).replace(/%20/g, '+')}`);
      expect(mail.text).toContain(`\n${mail.link}\n`);
      expect(mail.text).toContain(`expires in ${expiry}`);
      // In HTML the link is an attribute value and a text, both escaped.
      expect(mail.html).toContain(`href="${escapeHtml(mail.link!)}"`);
      expect(mail.html).toContain(`>${escapeHtml(mail.link!)}</a>`);
    });

    it('are built on the origin alone, whatever port or host it has', () => {
      const local = createMailTemplates({ appOrigin: 'http://127.0.0.1:5173' });
      const mail = local.passwordReset({ to: 'ada@example.com', displayName: 'Ada', token: 'abc', expiresInSeconds: 1800 });
      expect(mail.link).toBe('http://127.0.0.1:5173/reset-password?token=abc');
      expect(mail.text).toContain('your account at 127.0.0.1:5173');
    });

    it('appear in no notice', () => {
      for (const kind of ['passwordChanged', 'emailChangeNotice', 'accountDeleted', 'twoFactorEnabled', 'twoFactorDisabled', 'recoveryCodesRegenerated'] as const) {
        expect(mails[kind].link).toBeUndefined();
        expect(mails[kind].text).not.toContain('token');
        expect(mails[kind].html).not.toContain('token');
      }
    });
  });

  describe('user input', () => {
    const hostile = `<script>alert("x")</script> & 'co' <img src=x onerror=alert(1)>`;

    it('is HTML-escaped in every mail, and left as typed in the text body', () => {
      for (const mail of Object.values(everyMail(hostile))) {
        expect(mail.html).not.toContain('<script');
        expect(mail.html).not.toContain('<img');
        expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39; &lt;img src=x onerror=alert(1)&gt;');
        expect(mail.text).toContain(`Hello ${hostile},`);
      }
    });

    it('escapes the addresses it shows', () => {
      const notice = templates.emailChangeNotice({ to: 'ada@example.com', displayName: 'Ada', occurredAt: AT, newEmail: '"<b>x</b>"@example.org' });
      expect(notice.text).toContain('to "<b>x</b>"@example.org.');
      expect(notice.html).toContain('&quot;&lt;b&gt;x&lt;/b&gt;&quot;@example.org');
      expect(notice.html).not.toContain('<b>');

      const confirm = templates.emailChangeConfirm({ to: 'a<i>@example.org', displayName: 'Ada', token: 't', expiresInSeconds: 3600 });
      expect(confirm.html).toContain('a&lt;i&gt;@example.org');
      expect(confirm.html).not.toContain('<i>');
    });

    it('cannot add lines or reverse text through a display name', () => {
      const mail = templates.passwordReset({
        to: 'ada@example.com',
        displayName: 'Ada\r\n\r\nAlso visit https://evil.example\u202Egnp.exe\u0000',
        token: 't',
        expiresInSeconds: 1800,
      });
      expect(mail.text.split('\n')[0]).toBe('Hello Ada Also visit https://evil.example gnp.exe,');
      expect(mail.html).not.toMatch(/[\u202e\u0000]/);
    });

    it('greets without a name when the display name is blank', () => {
      expect(templates.twoFactorEnabled({ to: 'ada@example.com', displayName: ' \n ', occurredAt: AT }).text).toMatch(/^Hello,\n/);
    });
  });

  describe('wording', () => {
    it('tells a password reset from a password change', () => {
      const reset = templates.passwordChanged({ to: 'ada@example.com', displayName: 'Ada', occurredAt: AT, via: 'reset' });
      expect(reset.subject).toBe('Your password was reset');
      expect(reset.text).toContain('was reset on 2026-05-01 14:03 UTC');
      expect(reset.text).toContain('Every session was signed out.');
      expect(mails.passwordChanged.text).toContain('was changed on 2026-05-01 14:03 UTC');
      expect(mails.passwordChanged.text).toContain('Your other sessions were signed out.');
      for (const mail of [reset, mails.passwordChanged]) expect(mail.text).toContain("If this wasn't you");
    });

    it('names the new address in the change mails, to the new address and the old one', () => {
      const confirm = templates.emailChangeConfirm({ to: 'new@example.org', displayName: 'Ada', token: 't', expiresInSeconds: 3600 });
      expect(confirm.to).toBe('new@example.org');
      expect(confirm.text).toContain('to this address, new@example.org.');
      expect(mails.emailChangeNotice.to).toBe('ada@example.com');
      expect(mails.emailChangeNotice.text).toContain('asked to change its email address to new@example.org.');
    });

    it("says when a notice's event happened, in UTC", () => {
      for (const kind of ['passwordChanged', 'emailChangeNotice', 'accountDeleted', 'twoFactorEnabled', 'twoFactorDisabled', 'recoveryCodesRegenerated'] as const) {
        expect(mails[kind].text).toContain('2026-05-01 14:03 UTC');
      }
    });
  });
});

describe('formatDuration', () => {
  it.each([
    [60, '1 minute'],
    [90, '1 minute'],
    [900, '15 minutes'],
    [1800, '30 minutes'],
    [3600, '1 hour'],
    [5400, '90 minutes'],
    [7200, '2 hours'],
    [86_400, '24 hours'],
    [172_800, '48 hours'],
    [604_800, '7 days'],
    [10, '1 minute'],
  ])('%d s is "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('formatTime', () => {
  it('is minutes in UTC', () => {
    expect(formatTime(AT)).toBe('2026-05-01 14:03 UTC');
  });
});

describe('sanitizeDisplayName', () => {
  it('keeps ordinary names, including non-Latin ones', () => {
    expect(sanitizeDisplayName('Ada Lovelace')).toBe('Ada Lovelace');
    expect(sanitizeDisplayName('Zoë 李 محمد')).toBe('Zoë 李 محمد');
  });

  it('cuts overlong names at 64 characters', () => {
    expect(sanitizeDisplayName('x'.repeat(100))).toBe(`${'x'.repeat(64)}…`);
  });
});
