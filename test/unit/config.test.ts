import { ConfigError, configurationWarnings, loadConfig } from '../../src/config';

const SECRET_A = 'a-session-secret-that-is-long-enough-0001';
const SECRET_B = 'b-session-secret-that-is-long-enough-0002';
/** What production needs besides SESSION_SECRETS: a mail relay and the origin of the links. */
const PRODUCTION_MAIL = { SMTP_URL: 'smtps://mailer:password@smtp.example.com', APP_ORIGIN: 'https://app.example.com' };

/** The problems loadConfig reports for `env`; fails the test if it reports none. */
function problemsFor(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected configuration problems for ${JSON.stringify(Object.keys(env))}`);
}

function problemsNaming(variable: string, problems: string[]): string[] {
  return problems.filter((problem) => problem.includes(variable));
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('runs in development with an in-process store when nothing is set', () => {
      const config = loadConfig({});

      expect(config.environment).toBe('development');
      expect(config.http).toEqual({
        port: 4000,
        host: '127.0.0.1',
        trustProxy: false,
        corsOrigins: [],
        graphiqlEnabled: true,
      });
      expect(config.store).toEqual({ kind: 'memory' });
      expect(config.redisKeyPrefix).toBe('sq:');
      expect(config.session).toMatchObject({
        secretsGenerated: true,
        idleTtlSeconds: 7 * 86_400,
        absoluteTtlSeconds: 30 * 86_400,
        maxSessionsPerUser: 50,
        cookieSecure: false,
      });
      expect(config.passwords).toEqual({ bcryptCost: 12, queue: { maxQueued: 32, maxPerClient: 4, maxPerAccount: 2 } });
      expect(config.logLevel).toBe('info');
    });

    it('generates one random signing secret per process when none is given', () => {
      const first = loadConfig({}).session.secrets;
      const second = loadConfig({}).session.secrets;

      expect(first).toHaveLength(1);
      expect(first[0]!.length).toBeGreaterThanOrEqual(32);
      expect(second[0]).not.toBe(first[0]);
    });

    it('treats empty and blank variables as unset', () => {
      const config = loadConfig({ PORT: '', REDIS_URL: '   ', SESSION_SECRETS: '', LOG_LEVEL: ' ' });

      expect(config.http.port).toBe(4000);
      expect(config.store).toEqual({ kind: 'memory' });
      expect(config.session.secretsGenerated).toBe(true);
      expect(config.logLevel).toBe('info');
    });

    it('hides GraphiQL and requires secure cookies in production by default', () => {
      const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL });

      expect(config.environment).toBe('production');
      expect(config.http.graphiqlEnabled).toBe(false);
      expect(config.session.cookieSecure).toBe(true);
      expect(config.session.secretsGenerated).toBe(false);
    });

    it('ignores variables it does not know', () => {
      expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root', SOMETHING_ELSE: 'x' })).not.toThrow();
    });
  });

  describe('each variable', () => {
    it.each(['development', 'production', 'test'] as const)('accepts NODE_ENV=%s', (environment) => {
      expect(loadConfig({ NODE_ENV: environment, SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL }).environment).toBe(environment);
    });

    it('rejects an unknown NODE_ENV', () => {
      expect(problemsNaming('NODE_ENV', problemsFor({ NODE_ENV: 'staging' }))).toHaveLength(1);
    });

    it.each([
      ['8080', 8080],
      ['0', 0],
      ['65535', 65_535],
      [' 3000 ', 3000],
    ])('parses PORT=%j', (value, port) => {
      expect(loadConfig({ PORT: value }).http.port).toBe(port);
    });

    it.each(['65536', '-1', '80a', '1.5', '1e3', 'http'])('rejects PORT=%j', (value) => {
      expect(problemsNaming('PORT', problemsFor({ PORT: value }))).toHaveLength(1);
    });

    it('takes HOST as given', () => {
      expect(loadConfig({ HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
    });

    it.each([
      ['15m', 900],
      ['12h', 43_200],
      ['90s', 90],
    ])('parses SESSION_IDLE_TTL=%s', (value, seconds) => {
      expect(loadConfig({ SESSION_IDLE_TTL: value }).session.idleTtlSeconds).toBe(seconds);
    });

    it('parses SESSION_ABSOLUTE_TTL', () => {
      expect(loadConfig({ SESSION_ABSOLUTE_TTL: '14d' }).session.absoluteTtlSeconds).toBe(14 * 86_400);
    });

    it.each(['10', '1w', '0s', '-5m', 'forever'])('rejects the duration %j', (value) => {
      const problems = problemsFor({ SESSION_IDLE_TTL: value, SESSION_ABSOLUTE_TTL: value });
      expect(problemsNaming('SESSION_IDLE_TTL', problems)).toHaveLength(1);
      expect(problemsNaming('SESSION_ABSOLUTE_TTL', problems)).toHaveLength(1);
    });

    it.each([
      ['4', 4],
      ['10', 10],
      ['31', 31],
    ])('parses BCRYPT_COST=%s outside production', (value, cost) => {
      expect(loadConfig({ BCRYPT_COST: value }).passwords.bcryptCost).toBe(cost);
    });

    it.each(['3', '32', 'twelve', '12.5'])('rejects BCRYPT_COST=%j', (value) => {
      expect(problemsNaming('BCRYPT_COST', problemsFor({ BCRYPT_COST: value }))).toHaveLength(1);
    });

    it('parses SESSION_MAX_PER_USER and rejects zero', () => {
      expect(loadConfig({ SESSION_MAX_PER_USER: '5' }).session.maxSessionsPerUser).toBe(5);
      expect(problemsNaming('SESSION_MAX_PER_USER', problemsFor({ SESSION_MAX_PER_USER: '0' }))).toHaveLength(1);
    });

    it('parses CORS_ORIGINS as a list of exact origins', () => {
      const config = loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' });
      expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    });

    it.each(['https://app.example.com/', 'https://app.example.com/path', 'ftp://files.example.com', 'app.example.com', '*'])(
      'rejects the CORS origin %j',
      (origin) => {
        expect(problemsNaming('CORS_ORIGINS', problemsFor({ CORS_ORIGINS: origin }))).toHaveLength(1);
      },
    );

    it.each([
      ['true', true],
      ['false', false],
      ['2', 2],
      ['loopback', ['loopback']],
      ['loopback, 10.0.0.0/8, 192.168.1.1', ['loopback', '10.0.0.0/8', '192.168.1.1']],
      ['::1', ['::1']],
    ])('parses TRUST_PROXY=%j', (value, setting) => {
      expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(setting);
    });

    it.each(['everyone', '10.0.0.0/8/1', '10.0.0.0/abc', '999.1.1.1'])('rejects TRUST_PROXY=%j', (value) => {
      expect(problemsNaming('TRUST_PROXY', problemsFor({ TRUST_PROXY: value }))).toHaveLength(1);
    });

    it.each([
      ['true', true],
      ['1', true],
      ['YES', true],
      ['on', true],
      ['false', false],
      ['0', false],
      ['no', false],
      ['Off', false],
    ])('parses the boolean %j', (value, expected) => {
      const config = loadConfig({ COOKIE_SECURE: value, GRAPHIQL: value });
      expect(config.session.cookieSecure).toBe(expected);
      expect(config.http.graphiqlEnabled).toBe(expected);
    });

    it('rejects a boolean that is neither', () => {
      const problems = problemsFor({ COOKIE_SECURE: 'maybe', GRAPHIQL: 'sometimes' });
      expect(problemsNaming('COOKIE_SECURE', problems)).toHaveLength(1);
      expect(problemsNaming('GRAPHIQL', problems)).toHaveLength(1);
    });

    it('lets production turn GraphiQL on and secure cookies off explicitly', () => {
      const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL, GRAPHIQL: 'true', COOKIE_SECURE: 'false' });
      expect(config.http.graphiqlEnabled).toBe(true);
      expect(config.session.cookieSecure).toBe(false);
    });

    it('parses LOG_LEVEL and rejects unknown levels', () => {
      expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
      expect(problemsNaming('LOG_LEVEL', problemsFor({ LOG_LEVEL: 'verbose' }))).toHaveLength(1);
    });
  });

  describe('session secrets', () => {
    it('keeps SESSION_SECRETS in order: the first signs, all verify', () => {
      const config = loadConfig({ SESSION_SECRETS: ` ${SECRET_A} , ${SECRET_B}` });
      expect(config.session.secrets).toEqual([SECRET_A, SECRET_B]);
      expect(config.session.secretsGenerated).toBe(false);
    });

    it('accepts a secret of exactly 32 characters and rejects one of 31', () => {
      expect(loadConfig({ SESSION_SECRETS: 'x'.repeat(32) }).session.secrets).toEqual(['x'.repeat(32)]);
      expect(problemsNaming('SESSION_SECRETS', problemsFor({ SESSION_SECRETS: 'x'.repeat(31) }))).toHaveLength(1);
    });

    it('rejects a list with one short secret without echoing any of them', () => {
      const shortSecret = 'hunter2-short-secret';
      const error = (() => {
        try {
          loadConfig({ SESSION_SECRETS: `${SECRET_A},${shortSecret}` });
        } catch (caught) {
          return caught as ConfigError;
        }
        throw new Error('expected a ConfigError');
      })();

      expect(problemsNaming('SESSION_SECRETS', error.problems)).toHaveLength(1);
      for (const text of [...error.problems, error.message]) {
        expect(text).not.toContain(shortSecret);
        expect(text).not.toContain(SECRET_A);
      }
    });

    it('requires SESSION_SECRETS in production, and says so once', () => {
      expect(problemsNaming('SESSION_SECRETS', problemsFor({ NODE_ENV: 'production' }))).toHaveLength(1);
      expect(problemsNaming('SESSION_SECRETS', problemsFor({ NODE_ENV: 'production', SESSION_SECRETS: 'short' }))).toHaveLength(1);
    });
  });

  describe('TOTP encryption key', () => {
    it('takes TOTP_ENCRYPTION_KEY of 32 characters or more, and refuses a shorter one without echoing it', () => {
      expect(loadConfig({ TOTP_ENCRYPTION_KEY: SECRET_B }).twoFactor.encryptionKey).toBe(SECRET_B);
      const problems = problemsFor({ TOTP_ENCRYPTION_KEY: 'short-totp-key' });
      expect(problemsNaming('TOTP_ENCRYPTION_KEY', problems)).toHaveLength(1);
      expect(problems.join()).not.toContain('short-totp-key');
    });

    it('makes a random key for the in-process store, whose secrets die with it anyway; none for Redis, where nobody can then enrol', () => {
      const first = loadConfig({}).twoFactor.encryptionKey;
      expect(first).toEqual(expect.any(String));
      expect(first!.length).toBeGreaterThanOrEqual(32);
      expect(loadConfig({}).twoFactor.encryptionKey).not.toBe(first);
      expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).twoFactor.encryptionKey).toBeNull();
      expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', TOTP_ENCRYPTION_KEY: SECRET_B }).twoFactor.encryptionKey).toBe(SECRET_B);
    });

    it('is not required to start in production: without it, enrolment is refused and a warning says so', () => {
      const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL, REDIS_URL: 'redis://127.0.0.1:6379' });
      expect(config.twoFactor.encryptionKey).toBeNull();
      expect(configurationWarnings(config)).toContainEqual(expect.stringMatching(/^TOTP_ENCRYPTION_KEY is not set: nobody can turn on two-factor/));
      expect(configurationWarnings(loadConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL, REDIS_URL: 'redis://127.0.0.1:6379', TOTP_ENCRYPTION_KEY: SECRET_B })).join()).not.toMatch(/TOTP/);
    });
  });

  describe('production rules', () => {
    it('requires BCRYPT_COST of at least 10 in production', () => {
      expect(problemsNaming('BCRYPT_COST', problemsFor({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL, BCRYPT_COST: '9' }))).toHaveLength(1);
      expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL, BCRYPT_COST: '10' }).passwords.bcryptCost).toBe(10);
    });

    it('requires SMTP_URL and APP_ORIGIN in production, each named once, without echoing the SMTP password', () => {
      const problems = problemsFor({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A });
      expect(problems).toEqual([expect.stringMatching(/^SMTP_URL is required when NODE_ENV=production/), expect.stringMatching(/^APP_ORIGIN is required when NODE_ENV=production/)]);

      expect(problemsFor({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, SMTP_URL: PRODUCTION_MAIL.SMTP_URL })).toEqual([
        expect.stringMatching(/^APP_ORIGIN /),
      ]);
      const withoutRelay = problemsFor({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, APP_ORIGIN: PRODUCTION_MAIL.APP_ORIGIN });
      expect(withoutRelay).toEqual([expect.stringMatching(/^SMTP_URL /)]);
    });

    it('reports a bad SMTP_URL or APP_ORIGIN in production once, as bad rather than missing', () => {
      const problems = problemsFor({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, SMTP_URL: 'http://mailer:hunter2@smtp.example.com', APP_ORIGIN: 'app.example.com' });
      expect(problemsNaming('SMTP_URL', problems)).toEqual([expect.not.stringMatching(/required|hunter2/)]);
      expect(problemsNaming('APP_ORIGIN', problems)).toEqual([expect.not.stringMatching(/required/)]);
    });

    it('accepts production with both, keeping the default sender', () => {
      const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL });
      expect(config.mail).toEqual({
        smtpUrl: PRODUCTION_MAIL.SMTP_URL,
        from: 'sessionql <no-reply@localhost>',
        appOrigin: 'https://app.example.com',
        appOriginDefaulted: false,
      });
    });

    it('keeps the default cost of 12 in production', () => {
      expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, ...PRODUCTION_MAIL }).passwords.bcryptCost).toBe(12);
    });
  });

  describe('Redis', () => {
    it.each(['redis://localhost:6379', 'rediss://cache.example.com:6380/2', 'redis://:p%40ss@10.0.0.5:6379/0'])(
      'uses a single Redis at REDIS_URL=%s',
      (url) => {
        expect(loadConfig({ REDIS_URL: url }).store).toEqual({ kind: 'redis', url });
      },
    );

    it.each(['http://localhost:6379', 'localhost:6379', 'not a url', 'redis://localhost:6379/abc', 'redis:///0'])(
      'rejects REDIS_URL=%j',
      (url) => {
        expect(problemsNaming('REDIS_URL', problemsFor({ REDIS_URL: url }))).toHaveLength(1);
      },
    );

    it('never echoes the password of a bad REDIS_URL', () => {
      const problems = problemsFor({ REDIS_URL: 'http://admin:hunter2-redis-password@cache.example.com:6379' });
      expect(problemsNaming('REDIS_URL', problems)).toHaveLength(1);
      expect(problems.join('\n')).not.toContain('hunter2');
    });

    it('takes REDIS_KEY_PREFIX so that deployments can share a Redis', () => {
      expect(loadConfig({ REDIS_KEY_PREFIX: 'staging:sq:' }).redisKeyPrefix).toBe('staging:sq:');
    });

    it.each(['{tenant}:', 'with space', 'x'.repeat(65)])('rejects REDIS_KEY_PREFIX=%j', (prefix) => {
      expect(problemsNaming('REDIS_KEY_PREFIX', problemsFor({ REDIS_KEY_PREFIX: prefix }))).toHaveLength(1);
    });

    it('parses REDIS_CLUSTER_NODES, with REDIS_URL as the credentials', () => {
      const config = loadConfig({
        REDIS_CLUSTER_NODES: 'node-a:7000, 10.0.0.2:7001,[::1]:7002',
        REDIS_URL: 'redis://:secret@ignored-host:6379',
      });
      expect(config.store).toEqual({
        kind: 'cluster',
        nodes: [
          { host: 'node-a', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
          { host: '::1', port: 7002 },
        ],
        credentialsUrl: 'redis://:secret@ignored-host:6379',
      });
    });

    it('parses REDIS_CLUSTER_NODES without credentials', () => {
      expect(loadConfig({ REDIS_CLUSTER_NODES: 'node-a:7000' }).store).toEqual({
        kind: 'cluster',
        nodes: [{ host: 'node-a', port: 7000 }],
      });
    });

    it.each(['node-a', 'node-a:70000', 'node-a:0', 'node-a:7000,', ':7000'])('rejects REDIS_CLUSTER_NODES=%j', (value) => {
      expect(problemsNaming('REDIS_CLUSTER_NODES', problemsFor({ REDIS_CLUSTER_NODES: value }))).toHaveLength(1);
    });

    it('parses REDIS_SENTINELS with REDIS_SENTINEL_NAME', () => {
      const config = loadConfig({
        REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_URL: 'redis://:secret@master:6379/1',
      });
      expect(config.store).toEqual({
        kind: 'sentinel',
        sentinels: [
          { host: 'sentinel-1', port: 26_379 },
          { host: 'sentinel-2', port: 26_379 },
        ],
        masterName: 'mymaster',
        credentialsUrl: 'redis://:secret@master:6379/1',
      });
    });

    it('requires REDIS_SENTINEL_NAME with REDIS_SENTINELS', () => {
      expect(problemsNaming('REDIS_SENTINEL_NAME', problemsFor({ REDIS_SENTINELS: 'sentinel-1:26379' }))).toHaveLength(1);
    });

    it('refuses both REDIS_CLUSTER_NODES and REDIS_SENTINELS', () => {
      const problems = problemsFor({
        REDIS_CLUSTER_NODES: 'node-a:7000',
        REDIS_SENTINELS: 'sentinel-1:26379',
        REDIS_SENTINEL_NAME: 'mymaster',
      });
      expect(problems).toEqual([expect.stringMatching(/REDIS_CLUSTER_NODES.*REDIS_SENTINELS/)]);
    });
  });

  describe('mail', () => {
    it('logs mails instead of sending them, with links to the development SPA origin, when nothing is set', () => {
      expect(loadConfig({}).mail).toEqual({
        smtpUrl: null,
        from: 'sessionql <no-reply@localhost>',
        appOrigin: 'http://127.0.0.1:5173',
        appOriginDefaulted: true,
      });
    });

    it.each([
      'smtp://127.0.0.1:2525',
      'smtps://mailer:p%40ss@smtp.example.com:465',
      'smtp://apikey:secret@smtp.example.com:587/',
      'smtp://smtp.example.com?requireTLS=true',
    ])('takes SMTP_URL=%s', (url) => {
      expect(loadConfig({ SMTP_URL: url }).mail.smtpUrl).toBe(url);
    });

    it.each(['http://smtp.example.com', 'smtp.example.com:587', 'not a url', 'smtp://', 'smtp://smtp.example.com/relay', 'smtp://host:99999'])(
      'rejects SMTP_URL=%j',
      (url) => {
        expect(problemsNaming('SMTP_URL', problemsFor({ SMTP_URL: url }))).toHaveLength(1);
      },
    );

    it('never echoes any part of a bad SMTP_URL, whose password is a secret', () => {
      for (const url of ['http://mailer:hunter2-smtp-password@smtp.example.com', 'smtp://mailer:hunter2-smtp-password@smtp.example.com/path']) {
        const problems = problemsFor({ SMTP_URL: url });
        expect(problemsNaming('SMTP_URL', problems)).toHaveLength(1);
        expect(problems.join('\n')).not.toMatch(/hunter2|mailer|smtp\.example/);
      }
    });

    it.each(['no-reply@example.com', 'Example <no-reply@example.com>', '"Example, Inc." <no-reply@example.com>', 'Bücher <post@bücher.example>'])(
      'takes MAIL_FROM=%j',
      (from) => {
        expect(loadConfig({ MAIL_FROM: from }).mail.from).toBe(from);
      },
    );

    it.each([
      'no-reply',
      'Example',
      'a@example.com, b@example.com',
      'Example, Inc. <no-reply@example.com>',
      '<no-reply@example.com',
      'Example <no-reply@example.com>\r\nBcc: everyone@example.com',
    ])('rejects MAIL_FROM=%j on one line', (from) => {
      const problems = problemsNaming('MAIL_FROM', problemsFor({ MAIL_FROM: from }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).not.toMatch(/[\r\n]/);
    });

    it('takes APP_ORIGIN as an exact origin', () => {
      const config = loadConfig({ APP_ORIGIN: 'https://app.example.com' });
      expect(config.mail.appOrigin).toBe('https://app.example.com');
      expect(config.mail.appOriginDefaulted).toBe(false);
      expect(loadConfig({ APP_ORIGIN: 'http://localhost:3000' }).mail.appOrigin).toBe('http://localhost:3000');
    });

    it.each(['https://app.example.com/', 'https://app.example.com/reset', 'https://app.example.com?x=1', 'ftp://app.example.com', 'app.example.com', '*'])(
      'rejects APP_ORIGIN=%j',
      (origin) => {
        expect(problemsNaming('APP_ORIGIN', problemsFor({ APP_ORIGIN: origin }))).toHaveLength(1);
      },
    );
  });

  describe('errors', () => {
    it('reports every bad variable at once, each by name', () => {
      const variables = {
        NODE_ENV: 'staging',
        PORT: 'eighty',
        REDIS_URL: 'http://nope',
        SESSION_SECRETS: 'short',
        SESSION_IDLE_TTL: 'a while',
        BCRYPT_COST: '99',
        CORS_ORIGINS: 'nope',
        TRUST_PROXY: 'everyone',
        COOKIE_SECURE: 'maybe',
        LOG_LEVEL: 'loud',
      };

      const problems = problemsFor(variables);

      for (const variable of Object.keys(variables)) {
        expect(problemsNaming(variable, problems).length).toBeGreaterThanOrEqual(1);
      }
      expect(problems.length).toBeGreaterThanOrEqual(Object.keys(variables).length);
    });

    it('throws a ConfigError whose message lists the problems', () => {
      expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
      expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/invalid configuration: .*PORT/);
      try {
        loadConfig({ PORT: 'eighty' });
      } catch (error) {
        expect((error as Error).name).toBe('ConfigError');
      }
    });
  });

  describe('result', () => {
    it('is frozen all the way down', () => {
      const config = loadConfig({ REDIS_CLUSTER_NODES: 'node-a:7000', SESSION_SECRETS: SECRET_A, CORS_ORIGINS: 'https://app.example.com' });

      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.http)).toBe(true);
      expect(Object.isFrozen(config.http.corsOrigins)).toBe(true);
      expect(Object.isFrozen(config.session)).toBe(true);
      expect(Object.isFrozen(config.session.secrets)).toBe(true);
      expect(Object.isFrozen(config.store)).toBe(true);
      expect(config.store.kind === 'cluster' && Object.isFrozen(config.store.nodes[0])).toBe(true);
      expect(() => {
        (config.session as { maxSessionsPerUser: number }).maxSessionsPerUser = 1_000_000;
      }).toThrow(TypeError);
      expect(() => {
        config.session.secrets.push('another');
      }).toThrow(TypeError);
    });
  });
});

describe('configurationWarnings', () => {
  const production = { NODE_ENV: 'production', SESSION_SECRETS: SECRET_A, SMTP_URL: 'smtp://relay.example.com', APP_ORIGIN: 'https://app.example.com' };

  it('says nothing for a production configuration that names its proxies and protects /metrics', () => {
    expect(configurationWarnings(loadConfig({ ...production, TRUST_PROXY: 'loopback', METRICS_TOKEN: 'm'.repeat(24) }))).toEqual([]);
  });

  it('warns when /metrics is open in production, and only in production', () => {
    expect(configurationWarnings(loadConfig(production))).toEqual([expect.stringMatching(/^METRICS_TOKEN is not set/)]);
    expect(configurationWarnings(loadConfig({ NODE_ENV: 'development', SESSION_SECRETS: SECRET_A, SMTP_URL: 'smtp://relay.example.com' }))).toEqual([]);
  });

  it('warns that TRUST_PROXY=true lets any client choose its address', () => {
    const warnings = configurationWarnings(loadConfig({ ...production, TRUST_PROXY: 'true', METRICS_TOKEN: 'm'.repeat(24) }));
    expect(warnings).toEqual([expect.stringMatching(/^TRUST_PROXY=true trusts every hop/)]);
  });

  it('warns when the session secret was made up for this process, and when mail is only logged', () => {
    expect(configurationWarnings(loadConfig({}))).toEqual([expect.stringMatching(/^SESSION_SECRETS is not set/), expect.stringMatching(/^SMTP_URL is not set: mails .* are written to the log/)]);
  });
});
