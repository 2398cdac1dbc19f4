import autocannon from 'autocannon';

export interface LoadOptions {
  graphqlUrl: string;
  /** The GraphQL request body every connection sends. */
  body: string;
  connections: number;
  durationSeconds: number;
  /** Extra headers of connection `index` (e.g. its own session); none when omitted. */
  headersOf?: (index: number) => Record<string, string>;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  latencyMillis: { p50: number; p90: number; p99: number; max: number };
  /** Connection errors and timeouts, and responses that were not 2xx: any of them voids the run. */
  errors: number;
  non2xx: number;
}

/**
 * Keeps `connections` connections busy with one request each for the given time, with
 * autocannon (bounded: it stops by itself). Latencies are recorded here from every
 * response, in fractional milliseconds (autocannon's own histogram rounds to 1 ms).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let nextConnection = 0;
  let finished: (error: unknown, result: autocannon.Result) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon(
    {
      url: options.graphqlUrl,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'sessionql-bench/1.0' },
      body: options.body,
      connections: options.connections,
      duration: options.durationSeconds,
      setupClient: (client) => {
        const extra = options.headersOf?.(nextConnection++) ?? {};
        client.setHeaders({ 'content-type': 'application/json', 'user-agent': 'sessionql-bench/1.0', ...extra });
      },
    },
    (error, result) => finished(error, result),
  );
  instance.on('response', (_client, _status, _bytes, responseTimeMillis) => {
    latencies.push(responseTimeMillis);
  });
  const result = await done;
  latencies.sort((a, b) => a - b);
  return {
    requests: result['2xx'],
    requestsPerSecond: result['2xx'] / result.duration,
    latencyMillis: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
    },
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}
