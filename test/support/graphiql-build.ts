import { readFileSync } from 'node:fs';
import { GRAPHIQL_BUILD_DIR, graphiqlBuildFiles } from '../../src/graphql/graphiql';

/** Where the page built by the global setup (dist/graphiql) loads its assets from: `/graphiql-assets/<content hash>/`. */
export function builtGraphiQLAssetsPath(): string {
  const page = readFileSync(graphiqlBuildFiles(GRAPHIQL_BUILD_DIR).page, 'utf8');
  const staticPath = /"staticPath": "([^"]+)"/.exec(page)?.[1];
  if (!staticPath) throw new Error('the built GraphiQL page names no staticPath');
  return staticPath;
}
