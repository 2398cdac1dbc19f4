import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Runs the script with a stand-in for npm (npm_execpath) that prints and exits as told. */
function runWithFakeNpm(exitCode: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'sessionql-fake-npm-'));
  const fakeNpm = join(directory, 'npm-cli.js');
  writeFileSync(fakeNpm, `process.stdout.write('npm ' + process.argv.slice(2).join(' ') + '\\n'); process.exit(${exitCode});\n`);
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/build-with-progress.mjs'], { cwd: root, env: { PATH: process.env.PATH ?? '', npm_execpath: fakeNpm } }, (error, stdout, stderr) => {
      rmSync(directory, { recursive: true, force: true });
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('npm start and npm run cli say that they are building', () => {
  it('run scripts/build-with-progress.mjs first; npm run build itself stays as CI and the Dockerfile use it', () => {
    expect(scripts.prestart).toBe('node scripts/build-with-progress.mjs');
    expect(scripts.cli).toMatch(/^node scripts\/build-with-progress\.mjs && node /);
    expect(scripts.build).not.toMatch(/progress/);
  });

  it('prints a line before and after the build, everything on stderr', async () => {
    const result = await runWithFakeNpm(0);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^sessionql: building \(TypeScript, then GraphiQL\)…\nnpm run --silent build\nsessionql: built in \d+\.\d s\n$/);
  });

  it("fails with the build's exit code, and says so", async () => {
    const result = await runWithFakeNpm(3);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^sessionql: building .*\nnpm run --silent build\nsessionql: build failed\n$/);
  });
});
