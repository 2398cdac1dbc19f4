import type { ManualClock } from '../../src/shared/clock';
import { ChangePasswordDocument, LoginDocument, LogoutDocument, MeDocument, MySessionsDocument, RevokeSessionDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, type TestServer } from './harness';
import { headerLogin, signUpInBrowser, type SignedInClient } from './flows';

/**
 * Sessions in every state a store failure must not change: a browser and a phone still
 * signed in, and sessions ended by a password change, a revocation and a logout. Made
 * before a crash or a failover; `expectDurabilityScenarioIntact` checks them after.
 */
export interface DurabilityScenario {
  browser: SignedInClient;
  live: SignedInClient;
  ended: { byPasswordChange: SignedInClient; revoked: SignedInClient; loggedOut: SignedInClient };
  newPassword: string;
}

export async function prepareDurabilityScenario(server: TestServer, clock: ManualClock, label: string): Promise<DurabilityScenario> {
  const browser = await signUpInBrowser(server, label);
  const byPasswordChange = await headerLogin(server, browser.email);
  const newPassword = `a password set before the ${label}`;
  expect((await browser.client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword } })).errors).toBeUndefined();
  const live = await headerLogin(server, browser.email, newPassword);
  const revoked = await headerLogin(server, browser.email, newPassword);
  const loggedOut = await headerLogin(server, browser.email, newPassword);
  clock.advanceBySeconds(1);
  expect((await browser.client.request(RevokeSessionDocument, { id: revoked.sessionId })).data!.revokeSession).toBe(true);
  clock.advanceBySeconds(1);
  expect((await loggedOut.client.request(LogoutDocument)).data!.logout).toBe(true);
  return { browser, live, ended: { byPasswordChange, revoked, loggedOut }, newPassword };
}

/** Every acknowledged write is there: the live sessions work, none that ended came back, the audit trail holds. */
export async function expectDurabilityScenarioIntact(server: TestServer, scenario: DurabilityScenario): Promise<void> {
  const { browser, live, ended } = scenario;
  expect((await browser.client.request(MeDocument)).data!.me!.id).toBe(browser.userId);
  expect((await live.client.request(MeDocument)).data!.me!.id).toBe(browser.userId);
  for (const session of Object.values(ended)) {
    const response = await session.client.request(MeDocument);
    expect(response.status).toBe(200);
    expect(response.data!.me).toBeNull();
  }
  const listed = (await browser.client.request(MySessionsDocument)).data!.mySessions.map((session) => session.id);
  expect(listed.sort()).toEqual([browser.sessionId, live.sessionId].sort());
  expect(errorCodes(await server.client().request(LoginDocument, { input: { email: browser.email, password: PASSWORD } }))).toEqual(['UNAUTHENTICATED']);
  const events = await server.store.sessions.listSessionEvents(browser.userId, 10);
  expect(events.map((event) => [event.sessionId, event.reason])).toEqual([
    [ended.loggedOut.sessionId, 'logout'],
    [ended.revoked.sessionId, 'revoked_by_user'],
    [ended.byPasswordChange.sessionId, 'password_change'],
  ]);
}
