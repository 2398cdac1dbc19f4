import pino, { type Logger } from 'pino';

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

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'sessionql' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}
