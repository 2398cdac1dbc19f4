import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { constants as zlibConstants, gzipSync } from 'node:zlib';
import { ruruHTML, type RuruClientConfig } from 'ruru/server';
import { GRAPHQL_PATH } from '../src/app';
import { GRAPHIQL_ASSETS_PATH, GRAPHIQL_BUILD_DIR, graphiqlBuildFiles } from '../src/graphql/graphiql';

/** The files ruru's own server (ruru/static) serves a compressed copy of, and their source maps. */
const RURU_STATIC_DIR = join(dirname(require.resolve('ruru/server')), '..', 'static');

/** GraphiQL's default tab: test/e2e/examples.test.ts runs it, as served, with the other examples. */
const EXAMPLE_OPERATIONS = `# GraphiQL runs in this browser with its cookies: run SignUp the first time
# (after that it answers that the address is taken) or Login, then the other
# operations act as that user.

mutation SignUp {
  signUp(input: { email: "ada+graphiql@example.com", password: "correct horse battery", displayName: "Ada" }) {
    user { id email displayName }
    session { id expiresAt }
  }
}

mutation Login {
  login(input: { email: "ada+graphiql@example.com", password: "correct horse battery" }) {
    user { id displayName }
  }
}

query Me {
  me { id email displayName roles }
}

query MySessions {
  mySessions { id current transport createdAt lastSeenAt expiresAt absoluteExpiresAt ipAddress userAgent }
}

mutation RevokeOtherSessions {
  revokeOtherSessions
}

mutation Logout {
  logout
}
`;

export interface GraphiQLBuild {
  /** The URL the page loads its assets from: GRAPHIQL_ASSETS_PATH and the content hash. */
  staticPath: string;
  assetCount: number;
  assetBytes: number;
  /** What a browser that accepts gzip downloads. */
  gzippedBytes: number;
}

/**
 * Builds GraphiQL for src/graphql/graphiql.ts to serve: ruru's page, rendered once here, and
 * the browser files ruru publishes, without their source maps, each also gzipped ahead of time
 * (11 MB of files, about 3 MB to download). Part of `npm run build`; the
 * test setup runs it too, since the tests serve GraphiQL from the same dist/graphiql.
 */
export function buildGraphiQL(buildDir: string = GRAPHIQL_BUILD_DIR): GraphiQLBuild {
  const files = graphiqlBuildFiles(buildDir);
  // The *.LICENSE.txt files stay: the bundles' license comments point at them.
  const assets = readdirSync(RURU_STATIC_DIR)
    .filter((name) => !name.endsWith('.map'))
    .sort()
    .map((name) => ({ name, content: readFileSync(join(RURU_STATIC_DIR, name)) }));
  const hash = createHash('sha256');
  for (const { name, content } of assets) hash.update(name).update('\0').update(content);
  const version = hash.digest('hex').slice(0, 16);

  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(join(files.assets, version), { recursive: true });
  mkdirSync(join(files.gzippedAssets, version), { recursive: true });
  let gzippedBytes = 0;
  for (const { name, content } of assets) {
    writeFileSync(join(files.assets, version, name), content);
    const gzipped = gzipSync(content, { level: zlibConstants.Z_BEST_COMPRESSION });
    writeFileSync(join(files.gzippedAssets, version, name), gzipped);
    gzippedBytes += gzipped.length;
  }
  const staticPath = `${GRAPHIQL_ASSETS_PATH}${version}/`;
  const page = ruruHTML({
    endpoint: GRAPHQL_PATH,
    staticPath,
    // ruru's published type marks every client option required; these two are all we set.
    clientConfig: { defaultQuery: EXAMPLE_OPERATIONS, initialQuery: EXAMPLE_OPERATIONS } as RuruClientConfig,
  });
  // Last: the server takes a page to mean a complete build.
  writeFileSync(files.page, page);
  return { staticPath, assetCount: assets.length, assetBytes: assets.reduce((total, { content }) => total + content.length, 0), gzippedBytes };
}

if (require.main === module) {
  const build = buildGraphiQL();
  const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.log(`GraphiQL: ${build.assetCount} assets (${megabytes(build.assetBytes)}, ${megabytes(build.gzippedBytes)} gzipped) in ${relative(process.cwd(), GRAPHIQL_BUILD_DIR)}, served at ${build.staticPath}`);
}
