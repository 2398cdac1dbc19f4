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
  if (output === 'json') return fd === 1 ? pino(options) : pino(options, pino.destination({ dest: fd, sync: true }));
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
