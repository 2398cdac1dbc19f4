import pino, { type DestinationStream, type Logger } from 'pino';

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

/** JSON lines on stdout (or `destination`, for tests that read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'sessionql' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
