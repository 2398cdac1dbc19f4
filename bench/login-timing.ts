import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { printTable } from './support/report';
import { startChildServer } from './support/server-process';

/*
 * npm run bench:login-timing [-- --cost 12 --samples 40]
 *
 * Does a login for an unknown email take as long as one with a wrong password for a known
 * email? And does a password-reset request for an unknown address answer as fast as one for
 * a known address? Runs the server in a process of its own (with the in-process store, so
 * only the server's own work is measured; in the benchmark's process, the work a known
 * address starts after its answer would delay the client reading it) and times each pair
 * over loopback HTTP, interleaved so that any drift of the
 * machine hits both alike. The login throttles are raised for the run, and every reset
 * request comes from its own address for its own email: the throttles would otherwise
 * (rightly) refuse these repeated requests.
 */

const PASSWORD = 'the right password 123';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cost: { type: 'string' }, samples: { type: 'string' } } });
  const cost = Number(values.cost ?? 12);
  const samples = Number(values.samples ?? 40);
  const logDirectory = await mkdtemp(join(tmpdir(), 'sessionql-login-timing-'));
  const server = await startChildServer({
    name: 'the server',
    entry: 'src/main.ts',
    nodeArguments: ['-r', '@swc-node/register'],
    environment: {
      NODE_ENV: 'development',
      GRAPHIQL: 'false',
      TRUST_PROXY: 'loopback',
      BCRYPT_COST: String(cost),
      SESSION_SECRETS: 'login-timing-benchmark-secret-0123456789',
      LOGIN_MAX_CONSECUTIVE_FAILURES: '1000',
      LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '100000',
      LOGIN_MAX_FAILURES_PER_IP_DAY: '1000000',
      LOG_LEVEL: 'warn',
    },
    readiness: { path: '/readyz' },
    logFile: join(logDirectory, 'server.log'),
  });
  const url = server.graphqlUrl;

  const timed = async (query: string, variables: Record<string, unknown>, expect: (body: unknown) => boolean, headers: Record<string, string> = {}): Promise<number> => {
    const started = process.hrtime.bigint();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    const body: unknown = await response.json();
    if (!expect(body)) throw new Error(`unexpected answer: ${JSON.stringify(body)}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const requestReset = (email: string, ip: string) =>
    timed('mutation ($email: String!) { requestPasswordReset(email: $email) }', { email }, (body) => (body as { data?: { requestPasswordReset?: boolean } }).data?.requestPasswordReset === true, {
      'x-forwarded-for': ip,
    });
  const signUp = (email: string) =>
    timed('mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }', { input: { email, password: PASSWORD, transport: 'HEADER' } }, () => true);

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
    await signUp(knownEmail);
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

    // Reset requests: one known account per sample, and every request from an address of its own.
    const knownForReset = Array.from({ length: samples + 3 }, (_, i) => `reset-timing-${i}@example.com`);
    for (const email of knownForReset) await signUp(email);
    const ip = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    for (let i = 0; i < 3; i++) {
      await requestReset(`reset-warmup-${i}@example.com`, ip(2 * i));
      await requestReset(knownForReset[samples + i]!, ip(2 * i + 1));
    }
    const resetUnknown: number[] = [];
    const resetKnown: number[] = [];
    // A pause between requests lets the work a known address starts after its answer (the
    // token and the mail) finish, as it would between an attacker's probes; the order
    // alternates (unknown first, then known first) so that neither always follows the other.
    for (let i = 0; i < samples; i++) {
      const probes = [
        async () => resetUnknown.push(await requestReset(`reset-nobody-${i}@example.com`, ip(10 + 2 * i))),
        async () => resetKnown.push(await requestReset(knownForReset[i]!, ip(11 + 2 * i))),
      ];
      for (const probe of i % 2 === 0 ? probes : probes.reverse()) {
        await probe();
        await delay(5);
      }
    }

    const unknown = summary(unknownEmail);
    const wrong = summary(wrongPassword);
    const medianRatio = unknown.median / wrong.median;
    const resetForUnknown = summary(resetUnknown);
    const resetForKnown = summary(resetKnown);
    const resetMedianRatio = resetForUnknown.median / resetForKnown.median;
    const row = (name: string, times: ReturnType<typeof summary>) => [name, ...[times.median, times.p10, times.p90].map((ms) => ms.toFixed(2))];
    console.log(`\nLatency, ${samples} samples each, BCRYPT_COST=${cost}, loopback HTTP\n`);
    printTable(
      ['case', 'median ms', 'p10 ms', 'p90 ms'],
      [
        row('login: unknown email', unknown),
        row('login: wrong password, known email', wrong),
        row('requestPasswordReset: unknown email', resetForUnknown),
        row('requestPasswordReset: known email', resetForKnown),
      ],
    );
    const withinTarget = Math.abs(medianRatio - 1) <= 0.2;
    const resetWithinTarget = Math.abs(resetMedianRatio - 1) <= 0.2;
    console.log(`\nmedian ratio, login unknown/wrong: ${medianRatio.toFixed(3)} (target: within 20%: ${withinTarget ? 'met' : 'MISSED'})`);
    console.log(`median ratio, reset request unknown/known: ${resetMedianRatio.toFixed(3)} (target: within 20%: ${resetWithinTarget ? 'met' : 'MISSED'})`);
    const results = join(__dirname, 'results', 'login-timing.json');
    await mkdir(join(__dirname, 'results'), { recursive: true });
    await writeFile(
      results,
      `${JSON.stringify(
        {
          measuredAt: new Date().toISOString(),
          node: process.version,
          bcryptCost: cost,
          samples,
          unknownEmailMillis: unknown,
          wrongPasswordMillis: wrong,
          medianRatio,
          withinTarget,
          passwordReset: { unknownEmailMillis: resetForUnknown, knownEmailMillis: resetForKnown, medianRatio: resetMedianRatio, withinTarget: resetWithinTarget },
        },
        null,
        2,
      )}\n`,
    );
    console.log(`written to ${results}`);
  } finally {
    await server.stop();
    await rm(logDirectory, { recursive: true, force: true });
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
