import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { findOnPath } from '../support/global-setup';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

const run = promisify(execFile);
const MOBILE_DOC = join(__dirname, '..', '..', 'examples', 'mobile.md');
const SCRIPT_TIMEOUT_MILLIS = 30_000;

/** The doc's ```sh blocks, in order: together they are one script. */
async function docScript(): Promise<string> {
  const markdown = await readFile(MOBILE_DOC, 'utf8');
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  return blocks.join('\n');
}

/**
 * Where curl is missing, a stand-in that does what the doc's curl calls do (-sS, -H,
 * --data, -w '\n') with fetch, and keeps no cookies either.
 */
const CURL_STAND_IN = `#!/usr/bin/env node
const args = process.argv.slice(2);
const headers = {};
let url, body, trailer = '';
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '-H') { const [name, ...value] = args[++i].split(':'); headers[name.trim()] = value.join(':').trim(); }
  else if (arg === '--data') body = args[++i];
  else if (arg === '-w') trailer = args[++i].replace(/\\\\n/g, '\\n');
  else if (arg === '-sS') continue;
  else url = arg;
}
fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body })
  .then((response) => response.text())
  .then((text) => process.stdout.write(text + trailer), (error) => { process.stderr.write(String(error) + '\\n'); process.exit(7); });
`;

async function pathWithCurl(directory: string): Promise<string> {
  const path = process.env.PATH ?? '';
  if (await findOnPath('curl')) return path;
  const standIn = join(directory, 'curl');
  await writeFile(standIn, CURL_STAND_IN, { mode: 0o755 });
  return `${directory}${delimiter}${path}`;
}

describe('mobile clients: the bearer flow with no cookie support', () => {
  let server: TestServer;
  let scratch: string;

  beforeAll(async () => {
    server = await startTestServer();
    scratch = await mkdtemp(join(tmpdir(), 'sessionql-mobile-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('the curl commands in examples/mobile.md work as written', async () => {
    const email = uniqueEmail('mobile-doc');
    const { stdout } = await run('bash', ['-c', `set -euo pipefail\n${await docScript()}`], {
      env: { PATH: await pathWithCurl(scratch), API: server.graphqlUrl, EMAIL: email, PASSWORD },
      timeout: SCRIPT_TIMEOUT_MILLIS,
      killSignal: 'SIGKILL',
    });
    const answers = stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { data?: Record<string, unknown>; errors?: unknown });
    expect(answers.map((answer) => answer.errors)).toEqual(Array(7).fill(undefined));
    const [signUp, login, me, sessions, logout, meAfterLogout, phoneMe] = answers.map((answer) => answer.data!) as Array<Record<string, any>>;

    expect(signUp!.signUp).toMatchObject({ token: expect.stringMatching(/^v1\./), user: { email }, session: { transport: 'HEADER' } });
    expect(login!.login).toMatchObject({ token: expect.stringMatching(/^v1\./), session: { transport: 'HEADER' } });
    expect(login!.login.token).not.toBe(signUp!.signUp.token);
    expect(me!.me).toMatchObject({ id: signUp!.signUp.user.id, email, roles: ['USER'] });
    // Both started at the same instant of the test clock, so in either order.
    expect(sessions!.mySessions).toHaveLength(2);
    expect(sessions!.mySessions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: login!.login.session.id, current: true, transport: 'HEADER' }),
        expect.objectContaining({ id: signUp!.signUp.session.id, current: false, transport: 'HEADER' }),
      ]),
    );
    expect(logout).toEqual({ logout: true });
    expect(meAfterLogout).toEqual({ me: null });
    expect(phoneMe).toEqual({ me: { email } });
  });

  it('over plain fetch: no response ever sets a cookie, and the header alone carries the session', async () => {
    const email = uniqueEmail('mobile-fetch');
    const setCookies: string[] = [];
    async function graphql(query: string, variables: Record<string, unknown> = {}, token?: string) {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      setCookies.push(...response.headers.getSetCookie());
      expect(response.headers.get('cache-control')).toBe('no-store');
      return ((await response.json()) as { data: Record<string, any> }).data;
    }
    const auth = '{ token session { id transport } }';
    const signUp = await graphql(`mutation ($input: SignUpInput!) { signUp(input: $input) ${auth} }`, {
      input: { email, password: PASSWORD, transport: 'HEADER' },
    });
    const login = await graphql(`mutation ($input: LoginInput!) { login(input: $input) ${auth} }`, {
      input: { email, password: PASSWORD, transport: 'HEADER' },
    });
    const phone: string = signUp.signUp.token;
    const tablet: string = login.login.token;

    expect((await graphql('{ me { email } }', {}, tablet)).me).toEqual({ email });
    const sessions = (await graphql('{ mySessions { id current } }', {}, tablet)).mySessions;
    expect(sessions).toHaveLength(2);
    expect(sessions).toEqual(
      expect.arrayContaining([
        { id: login.login.session.id, current: true },
        { id: signUp.signUp.session.id, current: false },
      ]),
    );
    expect(await graphql('mutation { logout }', {}, tablet)).toEqual({ logout: true });
    expect(await graphql('{ me { id } }', {}, tablet)).toEqual({ me: null });
    expect(await graphql('mutation { logout }', {}, tablet)).toEqual({ logout: false });
    expect((await graphql('{ me { email } }', {}, phone)).me).toEqual({ email });
    expect(setCookies).toEqual([]);
  });
});
