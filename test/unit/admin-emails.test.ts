import { ConfigError, configurationWarnings, loadConfig } from '../../src/config';
import { Role, rolesForNewUser } from '../../src/user/user.model';

const PRODUCTION = { NODE_ENV: 'production', SESSION_SECRETS: 'x'.repeat(32), SMTP_URL: 'smtp://relay.example.com', APP_ORIGIN: 'https://app.example.com', METRICS_TOKEN: 'm'.repeat(24) };

describe('ADMIN_EMAILS', () => {
  it('is empty by default', () => {
    expect(loadConfig({}).adminEmails).toEqual([]);
  });

  it('takes comma-separated addresses, as sign-up would store them', () => {
    expect(loadConfig({ ADMIN_EMAILS: ' Ada@Example.com, ｇｒａｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ ,' }).adminEmails).toEqual(['Ada@Example.com', 'grace@example.com']);
  });

  it.each(['ada', 'ada@example.com; grace@example.com', 'ada@example.com,@example.com', 'ada@exa mple.com'])('rejects ADMIN_EMAILS=%j on one line, naming the bad entry', (value) => {
    let problems: string[] = [];
    try {
      loadConfig({ ADMIN_EMAILS: value });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^ADMIN_EMAILS must be comma-separated email addresses \(bad entry "[^\n]*"\)$/)]);
  });

  it('is a warning in production, with how many addresses and never which', () => {
    const warnings = configurationWarnings(loadConfig({ ...PRODUCTION, ADMIN_EMAILS: 'ada@example.com,grace@example.com' }));
    expect(warnings).toEqual([expect.stringMatching(/^ADMIN_EMAILS lists 2 address\(es\): whoever signs up first with one of them becomes ADMIN/)]);
    expect(warnings.join('\n')).not.toMatch(/ada|grace/);
    expect(configurationWarnings(loadConfig({ ...PRODUCTION }))).toEqual([]);
    expect(configurationWarnings(loadConfig({ SESSION_SECRETS: 'x'.repeat(32), SMTP_URL: 'smtp://relay.example.com', ADMIN_EMAILS: 'ada@example.com' }))).toEqual([]);
  });
});

describe('rolesForNewUser', () => {
  const admins = ['Ada@Example.com'];

  it.each(['ada@example.com', 'ADA@EXAMPLE.COM', ' ada@example.com ', 'ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ'])('makes %j an ADMIN: addresses compare as at login', (email) => {
    expect(rolesForNewUser(email, admins)).toEqual([Role.USER, Role.ADMIN]);
  });

  it.each(['grace@example.com', 'ada@example.com.evil.example', 'xada@example.com', 'ada@example.co'])('makes %j a USER only', (email) => {
    expect(rolesForNewUser(email, admins)).toEqual([Role.USER]);
  });

  it('makes everyone a USER only when no address is configured', () => {
    expect(rolesForNewUser('ada@example.com', [])).toEqual([Role.USER]);
  });
});
