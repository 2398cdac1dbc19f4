import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { buildGraphiQL } from '../../scripts/build-graphiql';
import { graphiqlBuildFiles, installGraphiQL } from '../../src/graphql/graphiql';

describe('the GraphiQL build (scripts/build-graphiql.ts)', () => {
  let buildDir: string;

  beforeAll(() => {
    buildDir = mkdtempSync(join(tmpdir(), 'sessionql-graphiql-build-'));
  });
  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
  });

  it("writes the page and ruru's browser files, without source maps, under a folder named by their content", () => {
    const first = buildGraphiQL(buildDir);
    const build = buildGraphiQL(buildDir);
    expect(build.staticPath).toBe(first.staticPath);

    const files = graphiqlBuildFiles(buildDir);
    const [version, ...otherVersions] = readdirSync(files.assets);
    expect(otherVersions).toEqual([]);
    expect(build.staticPath).toBe(`/graphiql-assets/${version}/`);
    const assets = readdirSync(join(files.assets, version!));
    expect(assets).toEqual(expect.arrayContaining(['ruru.js', 'ruru.css', 'editorWorker.js', 'graphqlWorker.js', 'jsonWorker.js']));
    expect(assets.filter((name) => name.endsWith('.map'))).toEqual([]);
    expect(assets).toHaveLength(build.assetCount);

    const page = readFileSync(files.page, 'utf8');
    expect(page).toContain(`"staticPath": "${build.staticPath}"`);
    expect(page).toContain('"endpoint": "/graphql"');
    expect(page).toContain('mutation SignUp');
    expect(page).not.toMatch(/https?:\/\//);
  });
});

describe('installGraphiQL', () => {
  it('refuses to start without a build, in one line that names the fix', () => {
    const missing = join(tmpdir(), 'sessionql-graphiql-never-built');
    expect(() => installGraphiQL(express.Router(), '/graphql', missing)).toThrow(
      /^GraphiQL is on but not built \(no [^\n]*never-built\/index\.html\): run `npm run build`, or set GRAPHIQL=false$/,
    );
  });
});
