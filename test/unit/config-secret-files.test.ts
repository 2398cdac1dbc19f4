import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig, SECRET_VARIABLES } from '../../src/config';
import type { ReadTextFile } from '../../src/secret-files';

const SECRET = 'a-session-secret-read-from-a-file-0001';
const PRODUCTION = { NODE_ENV: 'production', SMTP_URL: 'smtp://relay.example.com', APP_ORIGIN: 'https://app.example.com' };

/** Files as a map from path to content; any other path fails as a missing file does. */
function files(contents: Record<string, string>): ReadTextFile & { reads: string[] } {
  const reads: string[] = [];
  const read = (path: string) => {
    reads.push(path);
    const content = contents[path];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return content;
  };
  return Object.assign(read, { reads });
}

function problemsFor(env: Record<string, string>, readFile: ReadTextFile): string[] {
  try {
    loadConfig(env, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected configuration problems');
}

describe('secrets from files (X_FILE)', () => {
  it('names only variables the configuration reads', () => {
    for (const name of SECRET_VARIABLES) expect(CONFIG_VARIABLES).toContain(name);
  });

  it('reads each secret variable from its file, without the trailing newline', () => {
    const readFile = files({
      '/run/secrets/session_secrets': `${SECRET}\n`,
      '/run/secrets/metrics_token': 'a-metrics-token-from-a-file\r\n',
      '/run/secrets/smtp_url': 'smtps://mailer:password@smtp.example.com\n',
      '/run/secrets/redis_url': 'redis://:password@redis:6379',
    });
    const config = loadConfig(
      {
        ...PRODUCTION,
        SMTP_URL: '',
        SESSION_SECRETS_FILE: '/run/secrets/session_secrets',
        METRICS_TOKEN_FILE: '/run/secrets/metrics_token',
        SMTP_URL_FILE: '/run/secrets/smtp_url',
        REDIS_URL_FILE: '/run/secrets/redis_url',
      },
      readFile,
    );
    expect(config.session.secrets).toEqual([SECRET]);
    expect(config.session.secretsGenerated).toBe(false);
    expect(config.metrics.token).toBe('a-metrics-token-from-a-file');
    expect(config.mail.smtpUrl).toBe('smtps://mailer:password@smtp.example.com');
    expect(config.store).toEqual({ kind: 'redis', url: 'redis://:password@redis:6379' });
  });

  it('reads no file unless an X_FILE variable names one, and none for variables that are not secrets', () => {
    const readFile = files({});
    loadConfig({ SESSION_SECRETS: SECRET, PORT_FILE: '/run/secrets/port', SESSION_SECRETS_FILE: ' ' }, readFile);
    expect(readFile.reads).toEqual([]);
  });

  it('refuses X and X_FILE together, naming both and neither value', () => {
    const readFile = files({ '/run/secrets/metrics_token': 'the-token-in-the-file' });
    const problems = problemsFor({ METRICS_TOKEN: 'the-token-in-the-environment', METRICS_TOKEN_FILE: '/run/secrets/metrics_token' }, readFile);
    expect(problems).toEqual(['METRICS_TOKEN and METRICS_TOKEN_FILE are both set: set only one']);
  });

  it('takes X_FILE when X is blank', () => {
    const readFile = files({ '/run/secrets/session_secrets': SECRET });
    expect(loadConfig({ SESSION_SECRETS: '', SESSION_SECRETS_FILE: '/run/secrets/session_secrets' }, readFile).session.secrets).toEqual([SECRET]);
  });

  it('names an unreadable file by its variable and path, and does not also call the secret missing', () => {
    const problems = problemsFor({ ...PRODUCTION, SESSION_SECRETS_FILE: '/run/secrets/missing' }, files({}));
    expect(problems).toEqual(['SESSION_SECRETS_FILE cannot be read: /run/secrets/missing (ENOENT)']);
  });

  it('refuses an empty file rather than running without the secret', () => {
    const problems = problemsFor({ SESSION_SECRETS_FILE: '/run/secrets/empty' }, files({ '/run/secrets/empty': '\n' }));
    expect(problems).toEqual(['SESSION_SECRETS_FILE names an empty file: /run/secrets/empty']);
  });

  it("puts the content through the variable's own rules, saying where it came from and never what it holds", () => {
    const shortSecret = 'hunter2-short-secret';
    const badUrl = 'http://admin:hunter2-redis-password@cache.example.com:6379';
    const readFile = files({ '/s/session': `${shortSecret}\n`, '/s/redis': badUrl });
    const problems = problemsFor({ SESSION_SECRETS_FILE: '/s/session', REDIS_URL_FILE: '/s/redis' }, readFile);
    expect(problems).toEqual([
      expect.stringMatching(/^REDIS_URL \(from REDIS_URL_FILE\) must use redis:\/\//),
      expect.stringMatching(/^SESSION_SECRETS \(from SESSION_SECRETS_FILE\) every secret must be at least 32 characters/),
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter2|admin|cache\.example/);
  });

  it('reports file problems with every other bad variable, in one error', () => {
    const problems = problemsFor({ PORT: 'eighty', SMTP_URL_FILE: '/nowhere', METRICS_TOKEN: 'x', METRICS_TOKEN_FILE: '/nowhere' }, files({}));
    expect(problems).toEqual([
      'METRICS_TOKEN and METRICS_TOKEN_FILE are both set: set only one',
      'SMTP_URL_FILE cannot be read: /nowhere (ENOENT)',
      expect.stringMatching(/^PORT /),
    ]);
  });

  it('reads real files by default', () => {
    const directory = mkdtempSync(join(tmpdir(), 'sessionql-secrets-'));
    try {
      writeFileSync(join(directory, 'session_secrets'), `${SECRET}\n`, { mode: 0o600 });
      expect(loadConfig({ SESSION_SECRETS_FILE: join(directory, 'session_secrets') }).session.secrets).toEqual([SECRET]);
      expect(() => loadConfig({ SESSION_SECRETS_FILE: directory })).toThrow(/SESSION_SECRETS_FILE cannot be read: .* \(EISDIR\)/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
