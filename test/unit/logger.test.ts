import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger, linesPerTurn, logFormatFor, prettyLines } from '../../src/shared/logger';

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

describe('linesPerTurn', () => {
  it('writes the lines of one turn of the event loop in one call, in order, at the end of the turn', async () => {
    const writes: string[] = [];
    const stream = linesPerTurn({ write: (text: string) => void writes.push(text) });
    stream.write('one\n');
    stream.write('two\n');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['one\ntwo\n']);
    stream.write('three\n');
    stream.flushSync();
    expect(writes).toEqual(['one\ntwo\n', 'three\n']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
  });

  it('writes what is left when the process exits, even right after logging', async () => {
    const script = `
      const { createLogger } = require('./src/shared/logger.ts');
      const logger = createLogger('info', 'json');
      for (let i = 0; i < 3; i++) logger.info({ i }, 'line');
      logger.info('stopped');
      process.exit(0);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: join(__dirname, '..', '..') });
    expect(stdout.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['line', 'line', 'line', 'stopped']);
  });
});
