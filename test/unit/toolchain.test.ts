import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const packageJson = JSON.parse(read('package.json')) as { engines: { node: string }; scripts: Record<string, string> };

describe('the toolchain the project promises', () => {
  it('targets Node 24 LTS, with Node 22 also supported', () => {
    expect(packageJson.engines.node).toBe('>=22.22');
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it('CI installs exactly the lockfile on Node 24 (from the npm registry when the machine is older), then runs the README test command', () => {
    const ci = read('.ci/run');
    expect(ci).toMatch(/-lt 24/);
    expect(ci).toMatch(/npm install --prefix "\$node24" [^\n]*node@24/);
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).not.toMatch(/^npm install\b/m);
    const readmeTestCommand = /^npm test\b/m.exec(read('README.md'));
    expect(readmeTestCommand).not.toBeNull();
    expect(ci).toMatch(/^npm test$/m);
  });

  it('builds from scratch every time: no incremental state that a stale dist could trip', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions?: Record<string, unknown> };
    expect(build.compilerOptions?.incremental).toBeUndefined();
    expect(build.compilerOptions?.tsBuildInfoFile).toBeUndefined();
    expect(packageJson.scripts.prebuild).toMatch(/rmSync\('dist'/);
    expect(packageJson.scripts.prestart).toMatch(/build/);
  });

  it('loads an optional .env with Node itself', () => {
    expect(packageJson.scripts.start).toMatch(/^node --env-file-if-exists=\.env dist\/src\/main\.js$/);
  });
});
