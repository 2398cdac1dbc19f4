import { ChangePasswordDocument, LogoutDocument, MeDocument, RevokeSessionDocument, SignUpDocument } from '../generated/graphql';
import { PASSWORD, TestClient, uniqueEmail } from '../support/harness';
import { serverProcessesOnTestRedis, type ServerProcess } from '../support/server-process';
import { headerLogin } from '../support/flows';

/*
 * Real server processes (node src/main.ts) on the run's Redis, each test under its own key
 * prefix. Nothing is shared between processes but Redis: what one process ends, the others
 * refuse at the very next request.
 */
describe('several server processes on one Redis', () => {
  const start = serverProcessesOnTestRedis('processes');

  function bearer(server: ServerProcess, token: string): TestClient {
    return new TestClient(server.graphqlUrl, { cookies: false, bearerToken: token });
  }

  it('share every login, and refuse a session ended on another process at the very next request', async () => {
    const [first, second] = await Promise.all([start(), start()]);
    const email = uniqueEmail('two-processes');
    const signUp = await new TestClient(first.graphqlUrl, { cookies: false }).request(SignUpDocument, {
      input: { email, password: PASSWORD, transport: 'HEADER' },
    });
    const userId = signUp.data!.signUp.user.id;
    const owner = signUp.data!.signUp.token!;

    // A login on one works on the other, both ways.
    const phone = await headerLogin(second, email);
    expect((await bearer(first, phone.token).request(MeDocument)).data!.me!.id).toBe(userId);
    expect((await bearer(second, owner).request(MeDocument)).data!.me!.id).toBe(userId);

    // Revoked on the first: refused by the second at once.
    expect((await bearer(first, owner).request(RevokeSessionDocument, { id: phone.sessionId })).data!.revokeSession).toBe(true);
    expect((await bearer(second, phone.token).request(MeDocument)).data!.me).toBeNull();

    // Logged out on the second: refused by the first at once.
    const tablet = await headerLogin(first, email);
    expect((await bearer(second, tablet.token).request(MeDocument)).data!.me!.id).toBe(userId);
    expect((await bearer(second, tablet.token).request(LogoutDocument)).data!.logout).toBe(true);
    expect((await bearer(first, tablet.token).request(MeDocument)).data!.me).toBeNull();

    // A password changed on one ends the other sessions on both.
    const laptop = await headerLogin(second, email);
    const newPassword = 'changed on the other process';
    const changed = await bearer(first, owner).request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword } });
    expect(changed.errors).toBeUndefined();
    expect((await bearer(second, laptop.token).request(MeDocument)).data!.me).toBeNull();
    expect((await bearer(second, owner).request(MeDocument)).data!.me!.id).toBe(userId);
    await headerLogin(second, email, newPassword);
  }, 60_000);

  it('with WEB_CONCURRENCY=2: two workers serve one port, a dead worker is replaced, and SIGTERM stops them all with exit code 0', async () => {
    const server = await start({ WEB_CONCURRENCY: '2' }, { listening: 2 });
    const workerPids = server.logs.filter((line) => line.msg === 'worker started').map((line) => line.workerPid as number);
    expect(workerPids).toHaveLength(2);
    expect(workerPids).not.toContain(server.pid);

    const email = uniqueEmail('workers');
    const signUp = await new TestClient(server.graphqlUrl, { cookies: false }).request(SignUpDocument, {
      input: { email, password: PASSWORD, transport: 'HEADER' },
    });
    const token = signUp.data!.signUp.token!;
    const userId = signUp.data!.signUp.user.id;
    // New connections are handed to the workers in turn: every request here is signed in.
    for (let i = 0; i < 6; i++) expect((await fresh(server, token)).data!.me!.id).toBe(userId);

    process.kill(workerPids[0]!, 'SIGKILL');
    const died = await server.waitForLog((line) => line.msg === 'worker died; starting another', 'the primary noticing the dead worker');
    expect(died.workerPid).toBe(workerPids[0]);
    await server.waitForLog(() => server.logs.filter((line) => line.msg === 'sessionql listening').length >= 3, 'a third worker listening');
    for (let i = 0; i < 6; i++) expect((await fresh(server, token)).data!.me!.id).toBe(userId);

    const running = server.logs.filter((line) => line.msg === 'worker started').map((line) => line.workerPid as number).filter((pid) => pid !== workerPids[0]);
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    for (const pid of running) expect(isRunning(pid)).toBe(false);
  }, 60_000);
});

/** A request on a connection of its own (fetch would reuse one, and so one worker). */
async function fresh(server: ServerProcess, token: string) {
  return new TestClient(server.graphqlUrl, { cookies: false, bearerToken: token, headers: { connection: 'close' } }).request(MeDocument);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
