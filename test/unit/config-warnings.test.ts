import { configurationWarnings, loadConfig } from '../../src/config';

describe('configurationWarnings: session lifetimes', () => {
  it('warns when the idle expiry could never end a session: SESSION_IDLE_TTL not shorter than SESSION_ABSOLUTE_TTL', () => {
    for (const [idle, absolute] of [
      ['14d', '7d'],
      ['7d', '7d'],
    ]) {
      const warnings = configurationWarnings(loadConfig({ SESSION_SECRETS: 'x'.repeat(32), SMTP_URL: 'smtp://relay.example.com', SESSION_IDLE_TTL: idle, SESSION_ABSOLUTE_TTL: absolute }));
      expect(warnings).toEqual([expect.stringMatching(/^SESSION_IDLE_TTL \(\d+s\) is not shorter than SESSION_ABSOLUTE_TTL \(\d+s\)/)]);
    }
  });

  it('says nothing when the idle expiry is shorter, as by default', () => {
    const quiet = { SESSION_SECRETS: 'x'.repeat(32), SMTP_URL: 'smtp://relay.example.com' };
    expect(configurationWarnings(loadConfig(quiet))).toEqual([]);
    expect(configurationWarnings(loadConfig({ ...quiet, SESSION_IDLE_TTL: '12h', SESSION_ABSOLUTE_TTL: '1d' }))).toEqual([]);
  });
});
