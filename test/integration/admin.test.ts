import { MeDocument, RevokeUserSessionsDocument, SignUpDocument, UserByIdDocument, UserPublicFieldsDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type TestClient, type TestServer } from '../support/harness';

describe('roles and field-level rules', () => {
  let server: TestServer;
  let admin: TestClient;
  let alice: { client: TestClient; id: string };
  let bob: { client: TestClient; id: string };

  async function signUp(label: string): Promise<{ client: TestClient; id: string; email: string }> {
    const email = uniqueEmail(label);
    const client = server.client();
    const response = await client.request(SignUpDocument, { input: { email, password: PASSWORD } });
    return { client, id: response.data!.signUp.user.id, email };
  }

  beforeAll(async () => {
    server = await startTestServer();
    const adminAccount = await signUp('admin');
    expect((await server.cli('grant-role', adminAccount.email, 'ADMIN')).code).toBe(0);
    admin = adminAccount.client;
    alice = await signUp('alice');
    bob = await signUp('bob');
  });
  afterAll(async () => {
    await server.close();
  });

  it('applies a granted role from the next request on', async () => {
    const me = await admin.request(MeDocument);
    expect(me.data!.me!.roles.sort()).toEqual(['ADMIN', 'USER']);
  });

  it('lets only an ADMIN read another user', async () => {
    expect(errorCodes(await alice.client.request(UserPublicFieldsDocument, { id: bob.id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await server.client().request(UserPublicFieldsDocument, { id: bob.id }))).toEqual(['UNAUTHENTICATED']);
    const asAdmin = await admin.request(UserByIdDocument, { id: bob.id });
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data!.user).toMatchObject({ id: bob.id, roles: ['USER'] });
    expect(asAdmin.data!.user!.email).toMatch(/^bob-/);
    expect(asAdmin.data!.user!.sessions).toEqual([expect.objectContaining({ current: false })]);
  });

  it('answers null for an unknown or malformed user id', async () => {
    expect((await admin.request(UserPublicFieldsDocument, { id: 'AAAAAAAAAAAAAAAAAAAAAA' })).data!.user).toBeNull();
    expect((await admin.request(UserPublicFieldsDocument, { id: '../../etc' })).data!.user).toBeNull();
  });

  it('revokeUserSessions ends all of a user’s sessions, for ADMINs only', async () => {
    const target = await signUp('target');
    expect(errorCodes(await alice.client.request(RevokeUserSessionsDocument, { userId: target.id }))).toEqual(['FORBIDDEN']);
    expect((await target.client.request(MeDocument)).data!.me).not.toBeNull();
    const response = await admin.request(RevokeUserSessionsDocument, { userId: target.id });
    expect(response.data!.revokeUserSessions).toBe(1);
    expect((await target.client.request(MeDocument)).data!.me).toBeNull();
    expect((await admin.request(RevokeUserSessionsDocument, { userId: 'not-an-id' })).data!.revokeUserSessions).toBe(0);
  });

  it('takes a revoked role away from the next request on', async () => {
    const promoted = await signUp('promoted');
    expect((await server.cli('grant-role', (await promoted.client.request(MeDocument)).data!.me!.email, 'ADMIN')).code).toBe(0);
    expect((await promoted.client.request(UserPublicFieldsDocument, { id: bob.id })).errors).toBeUndefined();
    expect((await server.cli('revoke-role', (await promoted.client.request(MeDocument)).data!.me!.email, 'ADMIN')).code).toBe(0);
    expect(errorCodes(await promoted.client.request(UserPublicFieldsDocument, { id: bob.id }))).toEqual(['FORBIDDEN']);
  });

  it('hides User.email and User.sessions of others from a non-admin reaching them through a shared path', async () => {
    // Session.user of my own sessions is myself, so email is readable there...
    const own = await alice.client.post({ query: '{ mySessions { user { id email } } me { sessions { id } } }' });
    expect(own.errors).toBeUndefined();
    // ...but a USER cannot read someone else's email through any path (only ADMIN can query user(id)).
    const other = await alice.client.post({ query: `{ user(id: "${bob.id}") { email } }` });
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
  });
});
