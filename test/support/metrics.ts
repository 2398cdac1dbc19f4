import type { TestServer } from './harness';

/** One sample's value from a Prometheus text exposition, matching the name and every given label. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** GET /metrics as a scraper does; fails the test unless it answers Prometheus text. */
export async function scrape(server: Pick<TestServer, 'url'>, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${server.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The current value of one series (0 when it has not appeared yet). */
export async function metricValue(server: Pick<TestServer, 'url'>, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample(await scrape(server), name, labels) ?? 0;
}
