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

/** One autocannon run, with every response's latency. */
export interface LoadSample {
  durationSeconds: number;
  /** Requests answered with 2xx within the duration. */
  requests: number;
  /** Requests sent, including those still in flight when the time was up (the server still served them). */
  requestsSent: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  latenciesMillis: number[];
}

export interface LoadResult {
  requests: number;
  requestsSent: number;
  requestsPerSecond: number;
  latencyMillis: { p50: number; p90: number; p99: number; max: number };
  /** Any error or non-2xx response voids the run: a fast error is not a fast answer. */
  errors: number;
  non2xx: number;
}

const HEADERS = { 'content-type': 'application/json', 'user-agent': 'sessionql-bench/1.0' };

/**
 * Keeps `connections` connections busy with one request each for the given time, with
 * autocannon (bounded: it stops by itself). Latencies are recorded here from every
 * response, in fractional milliseconds (autocannon's own histogram rounds to 1 ms).
 */
export async function runLoadSample(options: LoadOptions): Promise<LoadSample> {
  const latenciesMillis: number[] = [];
  let nextConnection = 0;
  let finished: (error: unknown, result: autocannon.Result) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon(
    {
      url: options.graphqlUrl,
      method: 'POST',
      headers: HEADERS,
      body: options.body,
      connections: options.connections,
      duration: options.durationSeconds,
      setupClient: (client) => {
        client.setHeaders({ ...HEADERS, ...options.headersOf?.(nextConnection++) });
      },
    },
    (error, result) => finished(error, result),
  );
  instance.on('response', (_client, _status, _bytes, responseTimeMillis) => {
    latenciesMillis.push(responseTimeMillis);
  });
  const result = await done;
  return {
    durationSeconds: result.duration,
    requests: result['2xx'],
    requestsSent: result.requests.sent,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    latenciesMillis,
  };
}

/** Throughput and latency percentiles over one or more samples of the same scenario. */
export function summarizeLoad(samples: LoadSample[]): LoadResult {
  const latencies = samples.flatMap((sample) => sample.latenciesMillis).sort((a, b) => a - b);
  const total = (pick: (sample: LoadSample) => number) => samples.reduce((sum, sample) => sum + pick(sample), 0);
  return {
    requests: total((sample) => sample.requests),
    requestsSent: total((sample) => sample.requestsSent),
    requestsPerSecond: total((sample) => sample.requests) / total((sample) => sample.durationSeconds),
    latencyMillis: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
    },
    errors: total((sample) => sample.errors),
    non2xx: total((sample) => sample.non2xx),
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return summarizeLoad([await runLoadSample(options)]);
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}
