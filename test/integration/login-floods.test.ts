import type { ManualClock } from '../../src/shared/clock';
import { ForgetDeviceDocument, LoginDocument, LogoutDocument, MyDevicesDocument, SignUpDocument } from '../generated/graphql';
import { UNTHROTTLED_PASSWORD_CHECKS } from '../support/fixtures';
import { errorCodes, PASSWORD, serversClosedAfterAll, uniqueEmail, type StoreKind, type TestClient, type TestServer } from '../support/harness';
import { metricValue } from '../support/metrics';

const WRONG = 'not the right password';
const PASSWORD_CHECKS = 'sessionql_password_checks_total';

function from(ip: string): Record<string, string> {
  return { 'x-forwarded-for': ip };
}

async function signUp(server: TestServer, client: TestClient, ip = '198.51.100.1'): Promise<string> {
  const email = uniqueEmail('flood');
  const response = await client.request(SignUpDocument, { input: { email, password: PASSWORD } }, from(ip));
  expect(response.errors).toBeUndefined();
  return email;
}

describe.each<StoreKind>(['redis', 'memory'])('login floods (%s store)', (storeKind) => {
  const startServer = serversClosedAfterAll({ store: storeKind, env: { TRUST_PROXY: 'loopback' } });
  const start = (env: Record<string, string>): Promise<TestServer> => startServer({ env });

  describe('attempts are reserved before bcrypt', () => {
    it('lets at most LOGIN_MAX_CONSECUTIVE_FAILURES of 100 parallel wrong passwords reach bcrypt, then blocks the email + IP', async () => {
      // The line of password checks is opened wide: the reservation alone is under test.
      const server = await start({ ...UNTHROTTLED_PASSWORD_CHECKS, LOGIN_MAX_CONSECUTIVE_FAILURES: '10' });
      const email = await signUp(server, server.client());
      const checksBefore = await metricValue(server, PASSWORD_CHECKS);

      const responses = await Promise.all(
        Array.from({ length: 100 }, () => server.client().request(LoginDocument, { input: { email, password: WRONG } }, from('203.0.113.50'))),
      );

      const codes = responses.map((response) => errorCodes(response).join());
      expect(codes.filter((code) => code === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(10);
      expect(codes.filter((code) => code !== 'UNAUTHENTICATED' && code !== 'RATE_LIMITED')).toEqual([]);
      expect((await metricValue(server, PASSWORD_CHECKS)) - checksBefore).toBeLessThanOrEqual(10);
      // Blocked now, even with the right password; another address is not.
      expect(errorCodes(await server.client().request(LoginDocument, { input: { email, password: PASSWORD } }, from('203.0.113.50')))).toEqual(['RATE_LIMITED']);
      expect((await server.client().request(LoginDocument, { input: { email, password: PASSWORD } }, from('203.0.113.51'))).errors).toBeUndefined();
    });
  });

  describe('known devices keep their owner in', () => {
    it('lets the owner in from a known browser or app after an attacker used up the email\'s budget, and nobody else', async () => {
      const server = await start({ LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '5' });
      const browser = server.client();
      const email = await signUp(server, browser);
      const app = server.client({ cookies: false });
      const appLogin = await app.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } }, from('198.51.100.2'));
      const deviceToken = appLogin.data!.login.deviceToken!;
      expect(deviceToken).toMatch(/^d1\./);
      await browser.request(LogoutDocument);

      // The attacker spends the email's hourly budget from five addresses.
      for (let i = 1; i <= 5; i++) {
        expect(errorCodes(await server.client().request(LoginDocument, { input: { email, password: WRONG } }, from(`203.0.113.${i}`)))).toEqual(['UNAUTHENTICATED']);
      }
      const stranger = await server.client().request(LoginDocument, { input: { email, password: PASSWORD } }, from('192.0.2.77'));
      expect(errorCodes(stranger)).toEqual(['RATE_LIMITED']);

      // The owner's browser (device cookie) and app (X-Device-Token) are let in.
      expect((await browser.request(LoginDocument, { input: { email, password: PASSWORD } }, from('198.51.100.1'))).errors).toBeUndefined();
      const appAgain = await server.client({ cookies: false }).request(
        LoginDocument,
        { input: { email, password: PASSWORD, transport: 'HEADER' } },
        { ...from('198.51.100.2'), 'x-device-token': deviceToken },
      );
      expect(appAgain.errors).toBeUndefined();
      // A known device keeps its token: none is issued again.
      expect(appAgain.data!.login.deviceToken).toBeNull();
      // The same app without its token is a stranger.
      expect(errorCodes(await server.client({ cookies: false }).request(LoginDocument, { input: { email, password: PASSWORD } }, from('198.51.100.2')))).toEqual(['RATE_LIMITED']);
    });

    it('gives nothing to a device token of another account, a forged one or garbage', async () => {
      const server = await start({ LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '2' });
      const victim = await signUp(server, server.client());
      const other = server.client({ cookies: false });
      const otherEmail = uniqueEmail('other');
      const otherSignUp = await other.request(SignUpDocument, { input: { email: otherEmail, password: PASSWORD, transport: 'HEADER' } });
      const otherDevice = otherSignUp.data!.signUp.deviceToken!;
      for (let i = 1; i <= 2; i++) await server.client().request(LoginDocument, { input: { email: victim, password: WRONG } }, from(`203.0.113.${20 + i}`));

      for (const token of [otherDevice, `${otherDevice.slice(0, -3)}AAA`, 'd1.garbage', '']) {
        const attempt = await server.client({ cookies: false }).request(LoginDocument, { input: { email: victim, password: PASSWORD } }, { 'x-device-token': token });
        expect({ token, codes: errorCodes(attempt) }).toEqual({ token, codes: ['RATE_LIMITED'] });
      }
    });

    it('counts a known device\'s own failures on its own budget: it locks itself, not the owner\'s other devices', async () => {
      const server = await start({ LOGIN_MAX_CONSECUTIVE_FAILURES: '3' });
      const browser = server.client();
      const email = await signUp(server, browser);
      const phone = server.client();
      expect((await phone.request(LoginDocument, { input: { email, password: PASSWORD } }, from('198.51.100.1'))).errors).toBeUndefined();

      for (let i = 0; i < 3; i++) expect(errorCodes(await browser.request(LoginDocument, { input: { email, password: WRONG } }, from('198.51.100.1')))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await browser.request(LoginDocument, { input: { email, password: PASSWORD } }, from('198.51.100.1')))).toEqual(['RATE_LIMITED']);
      expect((await phone.request(LoginDocument, { input: { email, password: PASSWORD } }, from('198.51.100.1'))).errors).toBeUndefined();
    });

    it('lists the user\'s known devices, marks the current one, and forgets one on request (expiring its cookie)', async () => {
      const server = await start({});
      const browser = server.client();
      const email = await signUp(server, browser);
      (server.clock as ManualClock).advanceBySeconds(5);
      const app = server.client({ cookies: false });
      const appLogin = await app.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } }, { ...from('198.51.100.9'), 'user-agent': 'flood-app/2.0' });
      app.bearerToken = appLogin.data!.login.token!;

      const listed = (await browser.request(MyDevicesDocument)).data!.me!.knownDevices;
      expect(listed).toHaveLength(2);
      expect(listed[0]).toMatchObject({ current: false, ipAddress: '198.51.100.9', userAgent: 'flood-app/2.0' });
      expect(listed[1]!.current).toBe(true);
      const fromApp = (await app.request(MyDevicesDocument, undefined, { 'x-device-token': appLogin.data!.login.deviceToken! })).data!.me!.knownDevices;
      expect(fromApp.map((device) => device.current)).toEqual([true, false]);

      const forgotten = await browser.request(ForgetDeviceDocument, { id: listed[1]!.id });
      expect(forgotten.data!.forgetDevice).toBe(true);
      expect(forgotten.setCookies).toEqual([expect.stringMatching(/^did=; Max-Age=0/)]);
      expect((await browser.request(ForgetDeviceDocument, { id: listed[0]!.id.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })).data!.forgetDevice).toBe(false);
      expect((await browser.request(MyDevicesDocument)).data!.me!.knownDevices.map((device) => device.id)).toEqual([listed[0]!.id]);
      // Signing in again from that browser makes it a new known device.
      const again = await browser.request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(again.setCookies.some((cookie) => /^did=d1\./.test(cookie))).toBe(true);
    });
  });

  describe('a bounded line of password checks', () => {
    it('refuses one client\'s flood of correct logins at once, beyond its places in line, and lets another user in meanwhile', async () => {
      const server = await start({ BCRYPT_COST: '10' });
      const email = await signUp(server, server.client());
      const bystanderEmail = await signUp(server, server.client(), '198.51.100.200');
      const checksBefore = await metricValue(server, PASSWORD_CHECKS);

      const flood = Array.from({ length: 40 }, () => server.client().request(LoginDocument, { input: { email, password: PASSWORD } }, from('203.0.113.99')));
      const bystander = server.client().request(LoginDocument, { input: { email: bystanderEmail, password: PASSWORD } }, from('198.51.100.200'));
      const [floodResponses, bystanderResponse] = await Promise.all([Promise.all(flood), bystander]);

      expect(bystanderResponse.errors).toBeUndefined();
      const refused = floodResponses.filter((response) => response.errors);
      expect(refused.length).toBeGreaterThanOrEqual(30);
      for (const response of refused) {
        expect(errorCodes(response)).toEqual(['RATE_LIMITED']);
        expect(response.errors![0]!.extensions!.retryAfterSeconds).toBe(1);
      }
      // Only what was let in reached bcrypt (the bystander's check included).
      expect((await metricValue(server, PASSWORD_CHECKS)) - checksBefore).toBe(40 - refused.length + 1);
    });

    it('answers 503 with a retry time when the whole line is full', async () => {
      const server = await start({ BCRYPT_COST: '10', PASSWORD_QUEUE_MAX: '3', LOGIN_MAX_FAILURES_PER_IP_DAY: '1000' });
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          server.client().request(LoginDocument, { input: { email: uniqueEmail(`crowd-${i}`), password: WRONG } }, from(`203.0.113.${100 + i}`)),
        ),
      );
      const busy = responses.filter((response) => response.status === 503);
      expect(busy.length).toBeGreaterThanOrEqual(10);
      for (const response of busy) {
        expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
        expect(response.errors![0]!.message).toMatch(/busy/);
        expect(response.errors![0]!.extensions!.retryAfterSeconds).toBe(1);
        expect(response.headers.get('retry-after')).toBe('1');
      }
      expect(responses.filter((response) => response.status !== 503).every((response) => errorCodes(response).join() === 'UNAUTHENTICATED')).toBe(true);
    });
  });
});
