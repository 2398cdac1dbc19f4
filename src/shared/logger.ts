import pino, { type DestinationStream, type Logger } from 'pino';
import type { Environment } from '../config';

/**
 * Paths that could hold a credential if a request or an input object were ever logged.
 * Nothing logs them on purpose; this is the net under that rule.
 */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'currentPassword',
  '*.currentPassword',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'passwordHash',
  '*.passwordHash',
  'secretHash',
  '*.secretHash',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** JSON lines for programs that read logs, or pretty lines for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/**
 * Pretty only when a person reads stdout: a terminal, outside production. Everything else
 * (pipes, files, containers, tests, production) gets the JSON lines that log tools parse.
 */
export function logFormatFor(environment: Environment, stdoutIsTerminal: boolean): LogFormat {
  return stdoutIsTerminal && environment !== 'production' ? 'pretty' : 'json';
}

/**
 * Logs in `output` format on stdout (on stderr with `fd` 2: the CLI, whose stdout is its
 * answer), or JSON lines into a destination (for tests that read what was logged).
 */
export function createLogger(level: string, output: LogFormat | DestinationStream = 'json', fd: 1 | 2 = 1): Logger {
  const options = {
    level,
    base: { service: 'sessionql' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (output === 'json') return pino(options, fd === 1 ? linesPerTurn(pino.destination({ dest: 1, sync: true })) : pino.destination({ dest: fd, sync: true }));
  if (output === 'pretty') return pino(options, prettyLines(pino.destination({ dest: fd, sync: true })));
  return pino(options, output);
}

/**
 * pino's JSON lines made pretty as they are written, synchronously and in this thread: a line
 * has reached `destination` when the logging call returns, so a process that exits right
 * after logging (main.ts after `stopped`) loses nothing, with no worker thread (pino's
 * transports) or stream pipeline (pino-pretty's own stream) to flush first.
 */
export function prettyLines(destination: DestinationStream, options: { colorize?: boolean } = {}): DestinationStream {
  // Required here rather than imported: JSON output never loads pino-pretty.
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname,service', ...options });
  return { write: (line: string) => destination.write(prettify(line)) };
}

/** Destinations with lines not written yet: written synchronously when the process exits, however it exits. */
const unwritten = new Set<() => void>();
let exitHooked = false;

/**
 * The lines logged during one turn of the event loop, written in one call at its end: a busy
 * server logs a line per request, and one write per line was a system call per request
 * (about a tenth of a signed-in request's CPU). A line is written before the process
 * exits (an `exit` hook), so `stopped` and the lines before it are never lost; a process
 * killed with SIGKILL loses at most the lines of its last turn.
 */
export function linesPerTurn(destination: DestinationStream): DestinationStream & { flushSync(): void } {
  let pending: string[] = [];
  const flushSync = () => {
    if (pending.length === 0) return;
    const lines = pending.join('');
    pending = [];
    unwritten.delete(flushSync);
    destination.write(lines);
  };
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const flush of [...unwritten]) flush();
    });
  }
  return {
    write(line: string) {
      if (pending.length === 0) {
        unwritten.add(flushSync);
        setImmediate(flushSync);
      }
      pending.push(line);
    },
    flushSync,
  };
}
