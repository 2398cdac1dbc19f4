import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, SECRET_VARIABLES } from '../../src/config';
import { parseDurationSeconds } from '../../src/shared/duration';
import { SHUTDOWN_CLOSE_MARGIN_MILLIS } from '../../src/shared/termination';

/**
 * The Dockerfile and docker-compose.yml, checked as far as a machine without a Docker engine
 * allows: `docker compose config` where the compose plugin works, and always a structural
 * check of both files (services, persistence, health checks, ports, environment, user).
 */
const root = join(__dirname, '..', '..');
const run = promisify(execFile);

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions by stage (continuation lines joined, comments dropped). */
function dockerfileStages(text: string): Array<{ name: string | null; from: string; instructions: Instruction[] }> {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Array<{ name: string | null; from: string; instructions: Instruction[] }> = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\w+)\s+([\s\S]*)$/.exec(line)!;
    const instruction = { keyword: keyword!.toUpperCase(), args: args!.replace(/\s+/g, ' ') };
    if (instruction.keyword === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)/i.exec(instruction.args)?.[1] ?? null, from: instruction.args.split(' ')[0]!, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

interface ComposeService {
  stop_grace_period?: string;
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

describe('Dockerfile', () => {
  const stages = dockerfileStages(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const runtime = stages.at(-1)!;
  const runtimeArgs = (keyword: string) => runtime.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);

  it('builds in one stage and runs from another that takes only the compiled output', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0]!;
    expect(build.name).toBeTruthy();
    expect(build.instructions.some((instruction) => instruction.keyword === 'RUN' && /npm run build/.test(instruction.args))).toBe(true);
    expect(runtimeArgs('COPY').some((args) => args.startsWith(`--from=${build.name} `) && /dist/.test(args))).toBe(true);
    // Sources and tests stay in the build stage.
    expect(runtimeArgs('COPY').filter((args) => /(^|\s)(src|test)\b/.test(args) && !args.startsWith('--from='))).toEqual([]);
  });

  it('runs on Node 24 in every stage', () => {
    for (const stage of stages) expect(stage.from).toMatch(/^node:24[-.]/);
  });

  it('installs exactly the lockfile (npm ci) in every stage, production dependencies only in the runtime stage', () => {
    const installs = stages.flatMap((stage) => stage.instructions.filter((instruction) => instruction.keyword === 'RUN' && /npm (install|ci)\b/.test(instruction.args)));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const install of installs) expect(install.args).toMatch(/\bnpm ci\b/);
    const runtimeInstalls = runtimeArgs('RUN').filter((args) => /npm ci\b/.test(args));
    expect(runtimeInstalls.length).toBeGreaterThan(0);
    for (const install of runtimeInstalls) expect(install).toMatch(/--omit=dev/);
  });

  it('runs as a non-root user, listening on every interface, with NODE_ENV=production', () => {
    const users = runtimeArgs('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const env = runtimeArgs('ENV').join(' ');
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(runtimeArgs('EXPOSE')).toContain('4000');
    expect(runtimeArgs('CMD').at(-1)).toMatch(/dist\/src\/main\.js/);
  });

  it('has a health check against /healthz', () => {
    const [healthcheck] = runtimeArgs('HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD .*\/healthz/);
  });

  it('keeps secrets, dependencies and build output out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.env', '.git', 'dist', 'secrets']));
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, ComposeService>;
    secrets?: Record<string, { file?: string }>;
    volumes?: Record<string, unknown>;
  };
  const { server, redis } = compose.services;

  it('runs the server and a Redis 7 that keeps its data (AOF, no eviction, a named volume)', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['redis', 'server']);
    expect(redis!.image).toMatch(/^redis:7/);
    const command = redis!.command!.join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(command).toMatch(/--maxmemory \S+/);
    const [volume] = redis!.volumes!;
    expect(volume).toMatch(/^([\w-]+):\/data$/);
    expect(Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
    expect(redis!.ports).toBeUndefined();
  });

  it('protects Redis with a password read from a secret, through the image entrypoint, and checks its health with it', () => {
    expect(redis!.secrets).toEqual(['redis_password']);
    // `sh -c <script> <name> <command…>`: the command's arguments arrive as "$@".
    const [shell, flag, script] = redis!.entrypoint!;
    expect([shell, flag]).toEqual(['sh', '-c']);
    // docker-entrypoint.sh drops root for the redis user when its first argument is redis-server.
    expect(script).toMatch(/^password="\$\$\(cat \/run\/secrets\/redis_password\)" && \[ -n "\$\$password" \] \|\| \{ [^}]*exit 1; \};/);
    expect(script).toMatch(/; exec docker-entrypoint\.sh "\$\$@" --requirepass "\$\$password"$/);
    expect(redis!.command![0]).toBe('redis-server');
    const healthcheck = redis!.healthcheck!.test;
    expect(healthcheck[0]).toBe('CMD-SHELL');
    expect(healthcheck[1]).toMatch(/REDISCLI_AUTH="\$\$\(cat \/run\/secrets\/redis_password\)" redis-cli ping \| grep -q PONG/);
  });

  it('passes every secret as a Compose secret (a file under ./secrets, git- and docker-ignored), never in the environment', () => {
    const used = Object.values(compose.services).flatMap((service) => service.secrets ?? []);
    expect(Object.keys(compose.secrets ?? {}).sort()).toEqual([...new Set(used)].sort());
    for (const [name, secret] of Object.entries(compose.secrets ?? {})) expect(secret).toEqual({ file: `./secrets/${name}` });
    const gitignored = readFileSync(join(root, '.gitignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(gitignored).toContain('secrets/');
    for (const service of Object.values(compose.services)) {
      for (const name of [...SECRET_VARIABLES, 'REDIS_PASSWORD']) expect(Object.keys(service.environment ?? {})).not.toContain(name);
    }
  });

  it('builds the server from this Dockerfile, publishes 4000, and waits for a healthy Redis', () => {
    expect(server!.build).toBe('.');
    expect(server!.ports).toEqual(['4000:4000']);
    expect(server!.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(server!.healthcheck!.test.join(' ')).toMatch(/\/readyz/);
  });

  it('gives the server longer to stop than its own grace period and close margin, so that it is stopped, not killed', () => {
    const graceSeconds = parseDurationSeconds(String(server!.environment!.SHUTDOWN_GRACE_PERIOD))!;
    const stopSeconds = parseDurationSeconds(String(server!.stop_grace_period))!;
    // main.ts gives up (exit 1) SHUTDOWN_CLOSE_MARGIN_MILLIS after the grace period; the stop must outlast that.
    expect(stopSeconds).toBeGreaterThan(graceSeconds + SHUTDOWN_CLOSE_MARGIN_MILLIS / 1000);
  });

  it('configures the server for production with Redis, each secret read from its file (X_FILE)', () => {
    const env = server!.environment!;
    expect(env.NODE_ENV).toBe('production');
    for (const name of SECRET_VARIABLES) {
      const secret = name.toLowerCase();
      expect(env[`${name}_FILE`]).toBe(`/run/secrets/${secret}`);
      expect(server!.secrets).toContain(secret);
    }
    // `${VAR:?message}`: compose refuses to start without it.
    expect(env.APP_ORIGIN).toMatch(/^\$\{APP_ORIGIN:\?.+\}$/);
    // Every variable it passes is one the server reads (src/config.ts).
    const read = [...CONFIG_VARIABLES, ...SECRET_VARIABLES.map((name) => `${name}_FILE`)];
    expect(Object.keys(env).filter((name) => !read.includes(name))).toEqual([]);
  });

  it('is valid compose: `docker compose config` where the plugin exists, else well-formed substitutions', async () => {
    const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    // `$$` is a literal dollar; any other `$` must start `${NAME}`, `${NAME:-default}` or `${NAME:?error}`.
    const substitutions = [...text.replace(/\$\$/g, '').matchAll(/\$(\{[^}]*\}?|.?)/g)].map((match) => match[0]);
    expect(substitutions.length).toBeGreaterThan(0);
    for (const substitution of substitutions) expect(substitution).toMatch(/^\$\{[A-Z][A-Z0-9_]*(:?[-?][^}]*)?\}$/);

    const plugin = await run('docker', ['compose', 'version'], { timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    // No compose plugin here (nor a Docker engine): the checks above and the structural ones are what this machine allows.
    if (!plugin) return;
    // A project directory of its own, with secret files to point at.
    const project = mkdtempSync(join(tmpdir(), 'sessionql-compose-'));
    try {
      mkdirSync(join(project, 'secrets'));
      for (const name of Object.keys(compose.secrets ?? {})) writeFileSync(join(project, 'secrets', name), 'x\n');
      const args = ['compose', '--file', join(root, 'docker-compose.yml'), '--project-directory', project, 'config'];
      const options = { cwd: project, timeout: 30_000, env: { ...process.env, APP_ORIGIN: 'https://app.example.com' } };
      const { stdout } = await run('docker', [...args, '--format', 'json'], options);
      const resolved = JSON.parse(stdout) as { services: Record<string, ComposeService>; secrets: Record<string, { file: string }> };
      expect(Object.keys(resolved.services).sort()).toEqual(['redis', 'server']);
      expect(resolved.secrets.session_secrets!.file).toBe(join(project, 'secrets', 'session_secrets'));
      await expect(run('docker', args, { ...options, env: { ...process.env, APP_ORIGIN: '' } })).rejects.toThrow(/APP_ORIGIN/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
