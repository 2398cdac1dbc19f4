import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createMemoryStore } from '../src/storage/memory/memory-store';
import { printTable } from './support/report';

/*
 * npm run bench:login-timing [-- --cost 12 --samples 40]
 *
 * Does a login for an unknown email take as long as one with a wrong password for a known
 * email? Runs the real app (in-process store, so only the server's own work is measured)
 * and times both kinds of failed login over loopback HTTP, interleaved so that any drift
 * of the machine hits both alike. The throttles are raised for the run: they would
 * otherwise (rightly) block these repeated failures.
 */

const PASSWORD = 'the right password 123';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cost: { type: 'string' }, samples: { type: 'string' } } });
  const cost = Number(values.cost ?? 12);
  const samples = Number(values.samples ?? 40);
  const config = loadConfig({
    NODE_ENV: 'test',
    BCRYPT_COST: String(cost),
    SESSION_SECRETS: 'login-timing-benchmark-secret-0123456789',
    LOGIN_MAX_CONSECUTIVE_FAILURES: '1000',
    LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '100000',
    LOGIN_MAX_FAILURES_PER_IP_DAY: '1000000',
  });
  const store = createMemoryStore({ clock: { now: () => new Date() } });
  const app = await createApp(config, { store });
  await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(app.httpServer.address() as AddressInfo).port}/graphql`;

  const login = async (email: string, password: string): Promise<number> => {
    const started = process.hrtime.bigint();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: LoginInput!) { login(input: $input) { token } }',
        variables: { input: { email, password } },
      }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    if (body.errors?.[0]?.extensions?.code !== 'UNAUTHENTICATED') throw new Error(`unexpected answer: ${JSON.stringify(body)}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  try {
    const knownEmail = 'timing@example.com';
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
        variables: { input: { email: knownEmail, password: PASSWORD, transport: 'HEADER' } },
      }),
    });
    // Warm-up: the first requests pay for JIT and the dummy hash.
    for (let i = 0; i < 3; i++) {
      await login(`warmup-${i}@example.com`, 'wrong password');
      await login(knownEmail, 'wrong password');
    }
    const unknownEmail: number[] = [];
    const wrongPassword: number[] = [];
    for (let i = 0; i < samples; i++) {
      unknownEmail.push(await login(`nobody-${i}@example.com`, 'wrong password'));
      wrongPassword.push(await login(knownEmail, 'wrong password'));
    }

    const unknown = summary(unknownEmail);
    const wrong = summary(wrongPassword);
    const medianRatio = unknown.median / wrong.median;
    console.log(`\nLogin latency, ${samples} samples each, BCRYPT_COST=${cost}, loopback HTTP\n`);
    printTable(
      ['case', 'median ms', 'p10 ms', 'p90 ms'],
      [
        ['unknown email', ...[unknown.median, unknown.p10, unknown.p90].map((ms) => ms.toFixed(1))],
        ['wrong password, known email', ...[wrong.median, wrong.p10, wrong.p90].map((ms) => ms.toFixed(1))],
      ],
    );
    const withinTarget = Math.abs(medianRatio - 1) <= 0.2;
    console.log(`\nmedian ratio unknown/wrong: ${medianRatio.toFixed(3)} (target: within 20%: ${withinTarget ? 'met' : 'MISSED'})`);
    const results = join(__dirname, 'results', 'login-timing.json');
    await mkdir(join(__dirname, 'results'), { recursive: true });
    await writeFile(
      results,
      `${JSON.stringify({ measuredAt: new Date().toISOString(), bcryptCost: cost, samples, unknownEmailMillis: unknown, wrongPasswordMillis: wrong, medianRatio, withinTarget }, null, 2)}\n`,
    );
    console.log(`written to ${results}`);
  } finally {
    await app.stop();
    store.close();
  }
}

function summary(millis: number[]) {
  const sorted = [...millis].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
