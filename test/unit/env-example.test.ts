import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, SECRET_VARIABLES } from '../../src/config';

const root = join(__dirname, '..', '..');

/** The variables `.env.example` shows, commented out (`# NAME=…`) or not. */
function variablesIn(text: string): string[] {
  return [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
}

describe('.env.example', () => {
  const listed = variablesIn(readFileSync(join(root, '.env.example'), 'utf8'));
  const read = [...CONFIG_VARIABLES, ...SECRET_VARIABLES.map((name) => `${name}_FILE`)];

  it('lists every variable the configuration reads, the X_FILE form of each secret included', () => {
    expect(read.filter((name) => !listed.includes(name))).toEqual([]);
  });

  it('lists nothing the configuration does not read', () => {
    expect(listed.filter((name) => !read.includes(name))).toEqual([]);
  });

  it('lists each variable once', () => {
    expect(listed.filter((name, index) => listed.indexOf(name) !== index)).toEqual([]);
  });
});

describe('npm scripts', () => {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

  it('load .env the same way for the server and the CLI', () => {
    for (const script of [scripts.start!, scripts.cli!]) expect(script).toMatch(/\bnode --env-file-if-exists=\.env dist\/src\/main\.js\b/);
  });
});
