import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { CLI_USAGE } from '../../src/cli';
import { freeLoopbackPort } from '../support/global-setup';

const root = join(__dirname, '..', '..');

/** `node src/main.ts <args>` as `npm run cli` runs the built one; resolves however it exits. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', '@swc-node/register', 'src/main.ts', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('the admin CLI process (npm run cli)', () => {
  /** A TCP port that counts who connects: a "Redis" the help must never touch. */
  let listener: Server;
  let connections = 0;
  let untouchedRedisUrl: string;

  beforeAll(async () => {
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const address = listener.address();
    untouchedRedisUrl = `redis://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0, reading no configuration and touching no store', async (flag) => {
    // A configuration that could not load, and a store that would be reached if it were opened.
    const result = await run(['cli', flag], { NODE_ENV: 'production', PORT: 'eighty', REDIS_URL: untouchedRedisUrl });
    expect(result).toEqual({ code: 0, stdout: `${CLI_USAGE}\n`, stderr: '' });
    expect(connections).toBe(0);
  }, 60_000);

  it('with no command prints the usage on stderr and exits 2 (and starts no server)', async () => {
    const result = await run(['cli']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`sessionql: no command given\n\n${CLI_USAGE}\n`);
  }, 60_000);

  it.each([
    [['cli', 'frobnicate'], 'unknown command "frobnicate"'],
    [['cli', 'grant-role', '--force', 'ada@example.com', 'ADMIN'], "Unknown option '--force'"],
    [['cli', 'revoke-role', 'ada@example.com', 'USER'], 'only ADMIN can be revoked'],
  ])('refuses %j with the usage on stderr and exit code 2', async (args, problem) => {
    const result = await run(args, { REDIS_URL: untouchedRedisUrl });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain(CLI_USAGE);
    expect(connections).toBe(0);
  }, 60_000);

  it('reports a bad configuration for a command as the server does, on one line, exit 1', async () => {
    const result = await run(['cli', 'grant-role', 'ada@example.com', 'ADMIN'], { PORT: 'eighty', REDIS_URL: untouchedRedisUrl });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sessionql: invalid configuration: PORT [^\n]*\n$/);
  }, 60_000);

  it('points to ADMIN_EMAILS on the in-process store, exit 1', async () => {
    const result = await run(['cli', 'grant-role', 'ada@example.com', 'ADMIN']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sessionql: admin commands need a shared store: set REDIS_URL .*ADMIN_EMAILS/);
  }, 60_000);

  it('says so when the store cannot be reached, on one line, exit 1', async () => {
    const result = await run(['cli', 'grant-role', 'ada@example.com', 'ADMIN'], { REDIS_URL: `redis://127.0.0.1:${await freeLoopbackPort()}`, LOG_LEVEL: 'silent' });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'sessionql: session store is unreachable\n' });
  }, 60_000);

  it('refuses any other argument of the process itself rather than starting a server, exit 2', async () => {
    // The old way of calling the CLI: it must not be mistaken for a server start.
    const result = await run(['grant-role', 'ada@example.com', 'ADMIN'], { PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^sessionql: unknown argument "grant-role": the server takes none; the admin CLI is `cli`/);
  }, 60_000);
});
