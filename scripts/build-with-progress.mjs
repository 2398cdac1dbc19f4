// `npm start` and `npm run cli` build first (TypeScript, then GraphiQL), which takes several
// seconds: say so before and after. Everything goes to stderr, the build's own output too, so
// that the CLI's answers are alone on stdout.
// Plain JavaScript: it runs before anything is built, with no loader.
import { spawnSync } from 'node:child_process';

const started = performance.now();
console.error('sessionql: building (TypeScript, then GraphiQL)…');
// npm_execpath is the npm running this script: the build runs under the same one.
const npm = process.env.npm_execpath;
const stdio = ['inherit', process.stderr, 'inherit'];
const build = npm
  ? spawnSync(process.execPath, [npm, 'run', '--silent', 'build'], { stdio })
  : spawnSync('npm', ['run', '--silent', 'build'], { stdio, shell: process.platform === 'win32' });
if (build.status !== 0) {
  console.error('sessionql: build failed');
  process.exit(build.status ?? 1);
}
console.error(`sessionql: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
