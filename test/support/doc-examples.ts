import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { findOnPath } from './global-setup';

/**
 * The examples of the documentation, as written. A fenced block is marked by an HTML comment
 * on the line before it (GitHub shows neither the comment nor anything of it):
 *
 *     <!-- example: mobile -->        code that a test runs; blocks of one name form one script
 *     <!-- answers: mobile -->        what the docs say it prints, `…` standing for anything
 */
export interface MarkedBlock {
  /** The comment's text, e.g. `example: mobile`. */
  marker: string;
  /** The fence's info string, e.g. `sh`, `js`, `ts`, `text`. */
  language: string;
  code: string;
}

export interface DocExample {
  name: string;
  language: string;
  /** Its blocks, joined in order. */
  code: string;
}

const MARKED_BLOCK = /^<!-- ([^\n]*?) -->\n```(\w*)\n([\s\S]*?)^```$/gm;

export function markedBlocks(markdown: string): MarkedBlock[] {
  return [...markdown.matchAll(MARKED_BLOCK)].map(([, marker, language, code]) => ({ marker: marker!, language: language!, code: code! }));
}

/** The `example: <name>` blocks, one example per name in order of first appearance; one language per example. */
export function docExamples(markdown: string): DocExample[] {
  const examples = new Map<string, DocExample>();
  for (const block of markedBlocks(markdown)) {
    const name = /^example: ([\w-]+)$/.exec(block.marker)?.[1];
    if (!name) continue;
    const example = examples.get(name);
    if (!example) {
      examples.set(name, { name, language: block.language, code: block.code });
    } else if (example.language !== block.language) {
      throw new Error(`example ${name} mixes ${example.language} and ${block.language} blocks`);
    } else {
      example.code += `\n${block.code}`;
    }
  }
  return [...examples.values()];
}

export function docExample(markdown: string, name: string): DocExample {
  const example = docExamples(markdown).find((candidate) => candidate.name === name);
  if (!example) throw new Error(`no block marked <!-- example: ${name} -->`);
  return example;
}

/** The lines of the one block marked `<!-- <marker> -->`. */
export function documentedLines(markdown: string, marker: string): string[] {
  const blocks = markedBlocks(markdown).filter((block) => block.marker === marker);
  if (blocks.length !== 1) throw new Error(`expected one block marked <!-- ${marker} -->, found ${blocks.length}`);
  return blocks[0]!.code.split('\n').filter((line) => line !== '');
}

/** A documented line as a pattern for a whole line: `…` stands for anything, the rest is literal. */
export function documentedLinePattern(line: string): RegExp {
  const literal = line.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*?')}$`);
}

const SHELL_SCRIPT_TIMEOUT_MILLIS = 30_000;

/**
 * Where curl is missing, a stand-in that does what the docs' curl calls do (-s, -sS, -H,
 * --data, -w '\n') with fetch, and keeps no cookies either.
 */
const CURL_STAND_IN = `#!/usr/bin/env node
const args = process.argv.slice(2);
const headers = {};
let url, body, trailer = '';
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '-H') { const [name, ...value] = args[++i].split(':'); headers[name.trim()] = value.join(':').trim(); }
  else if (arg === '--data') body = args[++i];
  else if (arg === '-w') trailer = args[++i].replace(/\\\\n/g, '\\n');
  else if (arg === '-s' || arg === '-sS') continue;
  else url = arg;
}
fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body })
  .then((response) => response.text())
  .then((text) => process.stdout.write(text + trailer), (error) => { process.stderr.write(String(error) + '\\n'); process.exit(7); });
`;

/**
 * Runs a documented shell script with bash (`set -euo pipefail`: a failing command or an
 * unset variable stops it) and only PATH and `env` in its environment; resolves with its
 * stdout. `--norc`: with its stdin a socket (Node's pipes are socket pairs) bash takes itself
 * for a remote shell and would run the user's ~/.bashrc first.
 */
export async function runShellExample(script: string, env: Record<string, string>): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'sessionql-doc-example-'));
  try {
    let path = process.env.PATH ?? '';
    if (!(await findOnPath('curl'))) {
      await writeFile(join(scratch, 'curl'), CURL_STAND_IN, { mode: 0o755 });
      path = `${scratch}${delimiter}${path}`;
    }
    const { stdout } = await promisify(execFile)('bash', ['--norc', '-c', `set -euo pipefail\n${script}`], {
      env: { PATH: path, ...env },
      timeout: SHELL_SCRIPT_TIMEOUT_MILLIS,
      killSignal: 'SIGKILL',
    });
    return stdout;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
