import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import type { Browser, Request as PageRequest, Response as PageResponse } from 'playwright-core';
import { GRAPHIQL_BUILD_DIR, graphiqlBuildFiles } from '../../src/graphql/graphiql';
import { launchChromium } from '../support/browser';
import { docExamples, documentedLinePattern, documentedLines, runShellExample, type DocExample } from '../support/doc-examples';
import { signUpWithBearer } from '../support/flows';
import { TestClient } from '../support/harness';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { startStaticServer, type StaticServer } from '../support/static-server';

/**
 * The examples a reader copies: the README's client blocks and examples/mobile.md (the
 * blocks marked `<!-- example: … -->`, as written) and GraphiQL's default tab (as the server
 * serves it), run one after another against one fresh server started as `npm start` starts
 * it (development, in-process store): in the natural order and then backwards, so that every
 * pair of examples meets in both orders and every example meets what its own first run left;
 * then backwards on a second fresh server, so that each also starts from nothing in the other
 * order.
 */

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const MOBILE_DOC = readFileSync(join(ROOT, 'examples', 'mobile.md'), 'utf8');

/** Where the examples point: `npm start`'s server. */
const DOCUMENTED_ORIGIN = 'http://127.0.0.1:4000';
/** What the Apollo Client examples import as '@sessionql/client': the client package in this repository, from its source. */
const CLIENT_PACKAGE = join(ROOT, 'client', 'src', 'index.ts');
const TAKEN = 'An account with this email already exists.';
const GRAPHIQL_TAB = 'graphiql';

interface Example extends DocExample {
  source: string;
}

const DOC_EXAMPLES: Example[] = [
  ...docExamples(README).map((example) => ({ ...example, source: 'README.md' })),
  ...docExamples(MOBILE_DOC).map((example) => ({ ...example, source: 'examples/mobile.md' })),
];
const NATURAL_ORDER = [...DOC_EXAMPLES.map((example) => example.name), GRAPHIQL_TAB];

/** One GraphQL request an example made, and its answer. */
interface Exchange {
  /** The first root field the operation selects, e.g. `signUp`. */
  field: string;
  authorization: string | null;
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** What every run shares: the server, a browser, and a page of an origin in the server's CORS_ORIGINS. */
interface Stage {
  server: ServerProcess;
  browser: Browser;
  spa: StaticServer;
}

type ExampleRun = (stage: Stage, example: Example, runsBefore: number) => Promise<void>;

/** How each example is run and what it must show; every marked example needs an entry. */
const RUNS: Record<string, ExampleRun> = {
  'spa-fetch': async (stage, example, runsBefore) => {
    expectAccountFlow(await runInBrowser(stage, example.code), runsBefore, theAddressIn(example.code));
  },
  'apollo-cookie': async (stage, example, runsBefore) => {
    expectAccountFlow(await runInBrowser(stage, await bundleForBrowser(example.code)), runsBefore, theAddressIn(example.code));
  },
  'apollo-bearer': async (stage, example) => {
    // The app's secure storage holds the token of an earlier login (the example's `secureStorage`).
    const app = await signUpWithBearer(stage.server, 'examples-app');
    const secureStorage = `globalThis.secureStorage = { get: async (key) => (key === 'sessionql-token' ? ${JSON.stringify(app.token)} : null) };`;
    const exchanges = await runInBrowser(stage, await bundleForBrowser(example.code), secureStorage);
    expect(exchanges).toEqual([{ field: 'me', authorization: `Bearer ${app.token}`, data: { me: expect.objectContaining({ email: app.email }) } }]);
  },
  'curl-bearer': async ({ server }, example, runsBefore) => {
    const stdout = await runShellExample(example.code, { API: server.graphqlUrl });
    const answer = JSON.parse(stdout) as Pick<Exchange, 'data' | 'errors'>;
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toMatchObject({ me: { email: theAddressIn(example.code) } });
    // It does not log out: each run leaves its session, and the latest is the current one.
    const sessions = answer.data!.mySessions as Array<{ current: boolean }>;
    expect(sessions.map((session) => session.current)).toEqual([true, ...Array<boolean>(runsBefore).fill(false)]);
  },
  mobile: async ({ server }, example, runsBefore) => {
    const stdout = await runShellExample(example.code, { API: server.graphqlUrl });
    const documented = documentedLines(MOBILE_DOC, 'answers: mobile');
    if (runsBefore > 0) documented.splice(0, 1, ...documentedLines(MOBILE_DOC, 'answers: mobile, run again'));
    const answers = stdout.split('\n').filter((line) => line !== '');
    // Each line as documented, or the line itself where it is not.
    expect(answers.map((line, index) => (documented[index] && documentedLinePattern(documented[index]).test(line) ? documented[index] : line))).toEqual(documented);
  },
  [GRAPHIQL_TAB]: async (stage, _example, runsBefore) => {
    const tab = graphiqlTab(await (await fetch(stage.server.graphqlUrl, { headers: { accept: 'text/html' } })).text());
    expectAccountFlow(await runEveryOperation(stage, tab), runsBefore, theAddressIn(tab));
  },
};

/**
 * The account examples' story: on a fresh server the example signs its address up; run again,
 * it finds the address taken and logs in instead. Nothing else fails, `me` is that address,
 * and it ends with a logout.
 */
function expectAccountFlow(exchanges: Exchange[], runsBefore: number, address: string): void {
  const [signUp, ...rest] = exchanges;
  expect(signUp?.field).toBe('signUp');
  if (runsBefore === 0) {
    expect(signUp!.errors).toBeUndefined();
  } else {
    expect(signUp!.errors).toEqual([
      expect.objectContaining({ message: TAKEN, extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'email' }) }),
    ]);
    expect(rest[0]?.field).toBe('login');
  }
  expect(rest.filter((exchange) => exchange.errors)).toEqual([]);
  expect(rest.find((exchange) => exchange.field === 'me')?.data).toMatchObject({ me: { email: address } });
  expect(rest.at(-1)).toMatchObject({ field: 'logout', data: { logout: true } });
}

/** The one address an example signs up (distinct examples, distinct addresses). */
function theAddressIn(code: string): string {
  const addresses = addressesIn(code);
  expect(addresses).toHaveLength(1);
  return addresses[0]!;
}

function addressesIn(code: string): string[] {
  return [...new Set(code.match(/[\w.+-]+@example\.com/g) ?? [])];
}

/** GraphiQL's default tab, out of its page (scripts/build-graphiql.ts renders it into ruru's config). */
function graphiqlTab(page: string): string {
  const literal = /^"defaultQuery": (".*"),$/m.exec(page)?.[1];
  if (!literal) throw new Error('the GraphiQL page holds no defaultQuery');
  return JSON.parse(literal) as string;
}

function operationsOf(document: string): OperationDefinitionNode[] {
  return parse(document).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
}

function rootField(query: string, operationName?: string | null): string {
  const operations = operationsOf(query);
  const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations[0];
  const field = operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
  if (!field) throw new Error(`no root field in ${operationName ?? 'the operation'}`);
  return field.name.value;
}

/** The examples name `npm start`'s origin; the test's server listens on a port of its own, and only the origin is replaced. */
function atServer(code: string, server: ServerProcess): string {
  expect(code).toContain(DOCUMENTED_ORIGIN);
  return code.replaceAll(DOCUMENTED_ORIGIN, server.url);
}

const bundles = new Map<string, string>();

/**
 * A TypeScript example as an app's bundler hands it to the browser: esbuild, with its imports
 * from node_modules, and '@sessionql/client' resolved to the package's source in client/ (an
 * app would have it installed).
 */
async function bundleForBrowser(code: string): Promise<string> {
  const known = bundles.get(code);
  if (known) return known;
  const result = await build({
    stdin: { contents: code, loader: 'ts', resolveDir: ROOT, sourcefile: 'example.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'client-package',
        setup: (esbuild) => esbuild.onResolve({ filter: /^@sessionql\/client$/ }, () => ({ path: CLIENT_PACKAGE })),
      },
    ],
  });
  const bundled = result.outputFiles[0]!.text;
  bundles.set(code, bundled);
  return bundled;
}

/**
 * Runs JavaScript as an ES module (top-level await and all) of a page on the SPA's origin, in
 * a fresh browser profile, as the README says to: the browser keeps and sends the cookie.
 * `setup` runs in the page first. Resolves with the GraphQL requests the module made.
 */
async function runInBrowser(stage: Stage, code: string, setup = ''): Promise<Exchange[]> {
  const context = await stage.browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const exchanges: Array<Promise<Exchange>> = [];
    page.on('response', (response) => {
      const request = response.request();
      if (request.method() === 'POST' && request.url() === stage.server.graphqlUrl) exchanges.push(exchangeOf(request, response));
    });
    await page.goto(`${stage.spa.origin}/`);
    // A string, not a function: the test's compiler would turn a function's import() into require().
    await page.evaluate(`(async () => {
      ${setup}
      const url = URL.createObjectURL(new Blob([${JSON.stringify(atServer(code, stage.server))}], { type: 'text/javascript' }));
      try { await import(url); } finally { URL.revokeObjectURL(url); }
    })()`);
    return await Promise.all(exchanges);
  } finally {
    await context.close();
  }
}

async function exchangeOf(request: PageRequest, response: PageResponse): Promise<Exchange> {
  const { query, operationName } = request.postDataJSON() as { query: string; operationName?: string | null };
  const body = (await response.json()) as Pick<Exchange, 'data' | 'errors'>;
  return { field: rootField(query, operationName), authorization: await request.headerValue('authorization'), ...body };
}

/** Each operation of a GraphiQL document by name, in order, as its run menu sends them, with one browser's cookies. */
async function runEveryOperation({ server }: Stage, document: string): Promise<Exchange[]> {
  const browserLike = new TestClient(server.graphqlUrl);
  const exchanges: Exchange[] = [];
  for (const operation of operationsOf(document)) {
    const operationName = operation.name!.value;
    const { data, errors } = await browserLike.post<Record<string, unknown>>({ query: document, operationName });
    exchanges.push({ field: rootField(document, operationName), authorization: null, data, ...(errors ? { errors } : {}) });
  }
  return exchanges;
}

describe('the documented examples, as written, in any order on one fresh server', () => {
  let browser: Browser;
  let spa: StaticServer;
  let spaRoot: string;

  beforeAll(async () => {
    // The SPA's origin: an empty page the examples run in as modules.
    spaRoot = await mkdtemp(join(tmpdir(), 'sessionql-examples-spa-'));
    await writeFile(join(spaRoot, 'index.html'), '<!doctype html><title>sessionql examples</title>\n');
    spa = await startStaticServer(spaRoot);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await spa?.close();
    await rm(spaRoot, { recursive: true, force: true });
    await stopEsbuild();
  });

  it('every marked example is run here, and no two examples share an address', () => {
    expect([...NATURAL_ORDER].sort()).toEqual(Object.keys(RUNS).sort());
    const tab = graphiqlTab(readFileSync(graphiqlBuildFiles(GRAPHIQL_BUILD_DIR).page, 'utf8'));
    const addresses = [...DOC_EXAMPLES.map((example) => addressesIn(example.code)), addressesIn(tab)].flat();
    expect(addresses.length).toBeGreaterThanOrEqual(5);
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  describe.each([
    ['in the natural order, then backwards', [...NATURAL_ORDER, ...[...NATURAL_ORDER].reverse()]],
    ['backwards', [...NATURAL_ORDER].reverse()],
  ])('%s', (_order, order) => {
    let server: ServerProcess;
    const ranBefore = new Map<string, number>();
    const steps = order.map((name, index, all) => {
      const runsBefore = all.slice(0, index).filter((earlier) => earlier === name).length;
      const source = DOC_EXAMPLES.find((example) => example.name === name)?.source ?? 'GraphiQL';
      return { name, runsBefore, label: `${index + 1}. ${name} (${source}), ${runsBefore === 0 ? 'first run' : 'run again'}` };
    });

    beforeAll(async () => {
      // As `npm start` runs it (no configuration: the in-process store, so a fresh server), the SPA's origin allowed.
      server = await startServerProcess({ CORS_ORIGINS: spa.origin }, { mode: 'development' });
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    it.each(steps)('$label', async ({ name, runsBefore }) => {
      // Each step expects what the steps before it left (a run filtered with -t would not have it).
      expect(ranBefore.get(name) ?? 0).toBe(runsBefore);
      ranBefore.set(name, runsBefore + 1);
      const example = DOC_EXAMPLES.find((candidate) => candidate.name === name) ?? { name, language: 'graphql', code: '', source: 'GraphiQL' };
      await RUNS[name]!({ server, browser, spa }, example, runsBefore);
    }, 60_000);
  });
});
