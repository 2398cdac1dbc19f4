import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_PASSWORD, login, signUp, type Presented } from './support/graphql-client';
import { runLoadSample } from './support/load';
import { startBenchRedis } from './support/redis-server';
import { printTable } from './support/report';
import { startServerProcess } from './support/server-process';

/*
 * npm run bench:profile [-- --duration 15 --connections 50 --query '{ me { id email } }' --sessions 1 --functions 0]
 *
 * Where a signed-in request's CPU goes, layer by layer: the built server (as `npm start`
 * runs it) under `node --cpu-prof`, loaded with an authenticated query over loopback; the
 * profile's samples taken while the load ran (the machine's monotonic clock is the one V8
 * stamps samples with) are attributed to the layer of the function they were in, and
 * divided by the requests served. Prints the table the README's Performance section keeps.
 */

/** Where a sample's function comes from, in the order the layers are listed. */
const LAYERS: Array<{ layer: string; matches: (url: string, name: string) => boolean }> = [
  { layer: 'sessionql: authentication (token, session read, Caller)', matches: (url) => /\/dist\/src\/(session|graphql\/context-builder|graphql\/client-address)/.test(url) },
  { layer: 'sessionql: @auth directive, resolvers, services', matches: (url) => /\/dist\/src\/(graphql\/auth-directive|user|auth|account|device|two-factor)\//.test(url) || /\/dist\/src\/graphql\/auth-directive/.test(url) },
  { layer: 'sessionql: request context, request log, metrics', matches: (url) => /\/dist\/src\/observability\//.test(url) },
  { layer: 'sessionql: limits (cost, depth, aliases) and error translation', matches: (url) => /\/dist\/src\/graphql\/(query-cost|abuse-limits|error-translation)/.test(url) },
  { layer: 'sessionql: store (Redis records, scripts)', matches: (url) => /\/dist\/src\/storage\//.test(url) },
  { layer: 'sessionql: other', matches: (url) => /\/dist\/src\//.test(url) },
  { layer: 'pino (log lines, child loggers)', matches: (url) => /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)\//.test(url) },
  { layer: 'prom-client (metrics)', matches: (url) => /node_modules\/(prom-client|tdigest|bintrees)\//.test(url) },
  { layer: 'helmet, cors', matches: (url) => /node_modules\/(helmet|cors|vary|object-assign)\//.test(url) },
  { layer: 'Express (router, body parsing, response)', matches: (url) => /node_modules\/(express|router|body-parser|raw-body|iconv-lite|type-is|mime-types|mime-db|content-type|media-typer|bytes|on-finished|finalhandler|statuses|http-errors|depd|debug|ms|qs|send|serve-static|encodeurl|escape-html|parseurl|path-to-regexp|accepts|negotiator|fresh|range-parser|etag|merge-descriptors|utils-merge|proxy-addr|forwarded|ipaddr\.js|cookie|cookie-signature|content-disposition|safe-buffer|setprototypeof|inherits|toidentifier|unpipe|ee-first|destroy|methods|is-promise|once|wrappy|call-bind.*|get-intrinsic|side-channel.*|es-.*|function-bind|has-.*|hasown|gopd|dunder-proto|math-intrinsics|object-inspect)\//.test(url) },
  { layer: 'Apollo Server (+ Express integration)', matches: (url) => /node_modules\/(@apollo|@as-integrations|@graphql-tools\/schema|lru-cache|negotiator|whatwg-mimetype|loglevel|async-retry|retry|node-abort-controller|uuid|sha\.js|@josephg|long)\//.test(url) },
  { layer: 'graphql-js (parse, validate, execute)', matches: (url) => /node_modules\/graphql\//.test(url) },
  { layer: 'type-graphql, graphql-tools, graphql-scalars', matches: (url) => /node_modules\/(type-graphql|@graphql-tools|graphql-scalars|class-validator|tslib|reflect-metadata)\//.test(url) },
  { layer: 'graphql-armor, graphql-query-complexity', matches: (url) => /node_modules\/(@escape\.tech|graphql-query-complexity)\//.test(url) },
  { layer: 'ioredis (commands, reply parser)', matches: (url) => /node_modules\/(ioredis|redis-parser|redis-errors|cluster-key-slot|standard-as-callback|denque|lodash\.|@ioredis)/.test(url) },
  { layer: 'other packages', matches: (url) => /node_modules\//.test(url) },
  { layer: 'Node: HTTP, sockets, streams, timers', matches: (url) => /^node:(internal\/)?(http|_http|net|stream|streams|timers|events|buffer|url|async_hooks|internal\/async_hooks|dns|tls|util|zlib)/.test(url) || /^node:internal\/(http|streams|timers|event_target|process\/task_queues|async_hooks|util|url|buffer|errors|validators|net|stream_base_commons|dns|per_context|querystring|perf|webstreams)/.test(url) },
  { layer: 'Node: crypto', matches: (url) => /^node:(internal\/)?crypto/.test(url) },
  { layer: 'Node: other', matches: (url) => /^node:/.test(url) },
  { layer: 'V8: garbage collection', matches: (_url, name) => name === '(garbage collector)' },
  { layer: 'V8 and native (JSON, regexps, builtins without a script)', matches: () => true },
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Microseconds on the machine's monotonic clock: the clock V8 stamps profile samples with. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '15' },
      connections: { type: 'string', default: '50' },
      query: { type: 'string', default: '{ me { id email } }' },
      functions: { type: 'string', default: '0' },
      // One user with this many sessions presents the last on every connection (for mySessions).
      sessions: { type: 'string', default: '1' },
    },
  });
  const durationSeconds = Number(values.duration);
  const connections = Number(values.connections);
  const work = await mkdtemp(join(tmpdir(), 'sessionql-profile-'));
  const profiles = join(work, 'profiles');
  const redis = await startBenchRedis();
  try {
    const server = await startServerProcess({ redisUrl: redis.url, bcryptCost: 10, logFile: join(work, 'server.log'), cpuProfileDirectory: profiles });
    let window: { from: number; to: number };
    let requests: number;
    try {
      const viewers: Presented[] = [];
      const sessions = Number(values.sessions);
      if (sessions > 1) {
        const owner = { email: 'profile-owner@bench.example', password: BENCH_PASSWORD };
        await signUp(server.graphqlUrl, owner, 'HEADER');
        for (let i = 1; i < sessions; i++) viewers.splice(0, 1, await login(server.graphqlUrl, owner, 'HEADER'));
      } else {
        for (let i = 0; i < connections; i++) viewers.push(await signUp(server.graphqlUrl, { email: `profile-${i}@bench.example`, password: BENCH_PASSWORD }, i % 2 === 0 ? 'HEADER' : 'COOKIE'));
      }
      const load = { graphqlUrl: server.graphqlUrl, body: JSON.stringify({ query: values.query }), connections, headersOf: (index: number) => viewers[index % viewers.length]!.headers };
      console.log(`warming up, then ${durationSeconds} s of ${values.query} over ${connections} connections`);
      await runLoadSample({ ...load, durationSeconds: 3 });
      const from = monotonicMicros();
      const sample = await runLoadSample({ ...load, durationSeconds });
      window = { from, to: monotonicMicros() };
      requests = sample.requestsSent;
      if (sample.errors > 0 || sample.non2xx > 0) throw new Error(`${sample.errors} errors and ${sample.non2xx} non-2xx responses`);
    } finally {
      await server.stop();
    }
    const [file] = await readdir(profiles);
    const profile = JSON.parse(await readFile(join(profiles, file!), 'utf8')) as CpuProfile;
    const { byLayer, byFunction } = attribute(profile, window);
    const busyMicros = [...byLayer.values()].reduce((total, micros) => total + micros, 0);
    console.log(`\n${requests} requests; server CPU in the profile while loaded: ${(busyMicros / requests).toFixed(1)} µs per request\n`);
    printTable(
      ['layer', 'µs per request', 'share'],
      LAYERS.map(({ layer }) => byLayer.get(layer) ?? 0)
        .map((micros, index) => [LAYERS[index]!.layer, (micros / requests).toFixed(1), `${((100 * micros) / busyMicros).toFixed(1)}%`])
        .filter((row) => row[1] !== '0.0'),
    );
    const topFunctions = Number(values.functions);
    if (topFunctions > 0) {
      console.log(`\nthe ${topFunctions} functions with the most self time (µs per request):`);
      printTable(
        ['µs', 'function', 'where'],
        [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, topFunctions).map(([where, micros]) => [(micros / requests).toFixed(2), ...where.split('\t')] as string[]),
      );
    }
  } finally {
    await redis.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Each sample inside the window, by the layer of the function it was taken in; a builtin
 * without a script of its own (JSON.parse, a regexp, an array method) counts for the
 * function that called it. Idle and the program's own bookkeeping are left out.
 */
function attribute(profile: CpuProfile, window: { from: number; to: number }): { byLayer: Map<string, number>; byFunction: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const layerOf = new Map<number, string>();
  const classify = (id: number): string => {
    const cached = layerOf.get(id);
    if (cached) return cached;
    const { functionName, url } = nodes.get(id)!.callFrame;
    const parent = parents.get(id);
    const layer =
      url === '' && functionName !== '(garbage collector)' && parent !== undefined && nodes.get(parent)!.callFrame.functionName !== '(root)'
        ? classify(parent)
        : LAYERS.find((candidate) => candidate.matches(url, functionName))!.layer;
    layerOf.set(id, layer);
    return layer;
  };
  const byLayer = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]!;
    const next = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1]! : 0;
    if (at < window.from || at > window.to) continue;
    const { functionName } = nodes.get(profile.samples[i]!)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const layer = classify(profile.samples[i]!);
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + next);
    const { url, lineNumber } = nodes.get(profile.samples[i]!)!.callFrame as { url: string; lineNumber?: number };
    const where = `${functionName || '(anonymous)'}\t${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${(lineNumber ?? 0) + 1}`;
    byFunction.set(where, (byFunction.get(where) ?? 0) + next);
  }
  return { byLayer, byFunction };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
