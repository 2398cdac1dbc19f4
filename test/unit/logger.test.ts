import { createLogger, logFormatFor, prettyLines } from '../../src/shared/logger';

describe('logFormatFor', () => {
  it.each([
    ['development', true, 'pretty'],
    ['test', true, 'pretty'],
    ['production', true, 'json'],
    ['development', false, 'json'],
    ['test', false, 'json'],
    ['production', false, 'json'],
  ] as const)('NODE_ENV=%s, stdout a terminal: %s → %s', (environment, terminal, format) => {
    expect(logFormatFor(environment, terminal)).toBe(format);
  });
});

describe('prettyLines', () => {
  it('writes a readable line, synchronously: it is there when the logging call returns', () => {
    const written: string[] = [];
    const stream = prettyLines({ write: (text: string) => void written.push(text) }, { colorize: false });
    stream.write(`${JSON.stringify({ level: 30, time: Date.now(), service: 'sessionql', msg: 'sessionql listening', store: 'memory' })}\n`);

    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: sessionql listening\n {4}store: "memory"\n$/);
  });
});

describe('createLogger', () => {
  it('writes JSON lines into a destination, with the service and redaction', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    logger.info({ token: 'a-token' }, 'hello');
    expect(lines).toEqual([expect.objectContaining({ level: 30, service: 'sessionql', msg: 'hello', token: '[redacted]' })]);
  });
});
