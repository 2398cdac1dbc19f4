import { MeDocument, SignUpDocument, UserPublicFieldsDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, type TestServer } from '../support/harness';

/**
 * ADMIN_EMAILS on the default in-process store, where no other process (the CLI) can reach
 * the users: the first admin is made at sign-up, over HTTP.
 */
describe('ADMIN_EMAILS: the first admin on the in-process store', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: 'memory', env: { ADMIN_EMAILS: 'Root@Example.com, ops@example.com' } });
  });
  afterAll(async () => {
    await server.close();
  });

  async function signUp(email: string) {
    const client = server.client();
    const response = await client.request(SignUpDocument, { input: { email, password: PASSWORD } });
    expect(response.errors).toBeUndefined();
    const me = await client.request(MeDocument);
    return { client, id: response.data!.signUp.user.id, roles: [...me.data!.me!.roles].sort() };
  }

  it('makes a user who signs up with a listed address ADMIN, whatever the case or width it is typed in', async () => {
    const root = await signUp('ROOT@example.COM');
    expect(root.roles).toEqual(['ADMIN', 'USER']);
    const ops = await signUp('ｏｐｓ＠ｅｘａｍｐｌｅ．ｃｏｍ');
    expect(ops.roles).toEqual(['ADMIN', 'USER']);

    // And the role works: an admin-only field answers.
    const other = await signUp('someone@example.com');
    expect(errorCodes(await root.client.request(UserPublicFieldsDocument, { id: other.id }))).toEqual([]);
  });

  it('makes everyone else a USER only', async () => {
    for (const email of ['root@example.com.evil.example', 'xroot@example.com', 'nobody@example.com']) {
      const user = await signUp(email);
      expect(user.roles).toEqual(['USER']);
      expect(errorCodes(await user.client.request(UserPublicFieldsDocument, { id: user.id }))).toEqual(['FORBIDDEN']);
    }
  });
});
