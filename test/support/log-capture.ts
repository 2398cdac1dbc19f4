import type { Logger } from 'pino';
import { createLogger } from '../../src/shared/logger';

/** One JSON line as pino wrote it. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** pino's numeric levels, for filtering captured lines. */
export const LOG_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** The server's own logger (its redaction included) writing to lines a test can read back. */
export function captureLogs(level = 'debug'): { logger: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  const logger = createLogger(level, { write: (chunk: string) => lines.push(JSON.parse(chunk) as LogLine) });
  return { logger, lines, text: () => lines.map((line) => JSON.stringify(line)).join('\n') };
}
