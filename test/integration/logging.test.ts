import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_SECRET } from '../support/harness';
import { startServerProcess } from '../support/server-process';
import { startTestSmtpServer } from '../support/smtp-server';

const ROOT = join(__dirname, '..', '..');
/** util-linux's `script` runs a command on a pseudo-terminal: the server's stdout is then a terminal, as under `npm start`. */
const SCRIPT = '/usr/bin/script';
const withTerminal = process.platform === 'linux' && existsSync(SCRIPT) ? it : it.skip;
const STOP_TIMEOUT_MILLIS = 30_000;

/**
 * Starts `node src/main.ts` on a pseudo-terminal, waits for it to listen, types Ctrl-C as a
 * developer would (the terminal sends SIGINT), and returns everything it printed.
 */
async function runAtTerminal(env: Record<string, string>): Promise<{ output: string; code: number | null }> {
  const command = `exec ${process.execPath} -r @swc-node/register src/main.ts`;
  const child = spawn(SCRIPT, ['--quiet', '--return', '--flush', '--command', command, '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TERM: 'dumb', HOST: '127.0.0.1', PORT: '0', SESSION_SECRETS: TEST_SECRET, LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let interrupted = false;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    if (!interrupted && output.includes('sessionql listening')) {
      interrupted = true;
      child.stdin!.write('\x03');
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MILLIS);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  // The terminal echoes the Ctrl-C it was typed as `^C`, in front of the next line.
  return { output: output.replace(/\r\n/g, '\n').replace(/\^C/g, ''), code };
}

describe('log format', () => {
  it('is JSON lines when stdout is a pipe, even in development', async () => {
    const server = await startServerProcess({}, { mode: 'development' });
    await server.stop();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['sessionql listening', 'stopped']));
    // Every line parsed as JSON: the harness keeps an unparsable one as { msg } alone.
    for (const line of server.logs) expect(line).toMatchObject({ service: 'sessionql', level: expect.any(Number) });
  }, 60_000);

  withTerminal(
    'is pretty at a terminal in development, down to the last line before Ctrl-C exits',
    async () => {
      const { output, code } = await runAtTerminal({ NODE_ENV: 'development', BCRYPT_COST: '4' });
      expect(code).toBe(0);
      expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: sessionql listening$/m);
      expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: shutting down\n {4}signal: "SIGINT"$/m);
      expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: stopped$/m);
      expect(output).not.toContain('{"level"');
    },
    60_000,
  );

  withTerminal(
    'is JSON lines at a terminal in production',
    async () => {
      const mailbox = await startTestSmtpServer();
      try {
        const { output, code } = await runAtTerminal({ NODE_ENV: 'production', BCRYPT_COST: '10', SMTP_URL: mailbox.url, APP_ORIGIN: 'http://127.0.0.1:5173' });
        expect(code).toBe(0);
        const lines = output.split('\n').filter((line) => line.startsWith('{'));
        const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
        expect(messages).toEqual(expect.arrayContaining(['sessionql listening', 'shutting down', 'stopped']));
      } finally {
        await mailbox.close();
      }
    },
    60_000,
  );
});
