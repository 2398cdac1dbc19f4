import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LIMIT_BYTES = 100 * 1024 * 1024;

interface LockedPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** The bytes of a package's own files: its folder without the packages nested in its node_modules (counted on their own). */
function ownBytes(directory: string): number {
  let total = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') total += ownBytes(path);
    } else {
      total += lstatSync(path).size;
    }
  }
  return total;
}

/**
 * What `npm ci --omit=dev` installs (the image's and `npm install --omit=dev`'s node_modules),
 * measured offline: every package the lockfile marks as not dev-only, as installed here.
 * Optional packages for other platforms are not installed, and not counted.
 */
describe('the production install', () => {
  it('stays under 100 MB (GraphiQL comes prebuilt in dist/graphiql, not as a dependency)', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };
    let bytes = 0;
    const counted: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev || entry.devOptional || entry.link) continue;
      const directory = join(ROOT, path);
      try {
        bytes += ownBytes(directory);
        counted.push(path);
      } catch (error) {
        if (entry.optional && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
    }
    expect(counted).toContain('node_modules/@apollo/server');
    expect(counted).not.toContain('node_modules/ruru');
    console.log(`production install: ${counted.length} packages, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
    expect(bytes).toBeLessThan(LIMIT_BYTES);
  });
});
