import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docExample, runShellExample } from '../support/doc-examples';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';

const MOBILE_DOC = join(__dirname, '..', '..', 'examples', 'mobile.md');

describe('mobile clients: the bearer flow with no cookie support', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('the curl commands in examples/mobile.md work as written', async () => {
    const email = uniqueEmail('mobile-doc');
    const { code } = docExample(await readFile(MOBILE_DOC, 'utf8'), 'mobile');
    const stdout = await runShellExample(code, { API: server.graphqlUrl, EMAIL: email, PASSWORD });
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
