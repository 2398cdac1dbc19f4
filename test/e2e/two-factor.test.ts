import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ManualClock } from '../../src/shared/clock';
import { totpCode } from '../../src/two-factor/totp';
import { ARTIFACTS_DIR, isLoopbackUrl, launchChromium, type PageDocument } from '../support/browser';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';
import { act, settled, SPA_DIR } from '../support/spa-page';
import { startStaticServer, type StaticServer } from '../support/static-server';

declare const document: PageDocument;

/**
 * Two-factor in the example SPA, in real Chromium against the real server: turn it on from
 * the QR code the page shows (drawn by the server, nothing else contacted), sign out, sign
 * in with a code the test computes as an authenticator app would, then with a recovery code.
 */
describe('two-factor sign-in in Chromium (examples/spa)', () => {
  let spa: StaticServer;
  let api: TestServer;
  let clock: ManualClock;
  let browser: Browser;

  beforeAll(async () => {
    spa = await startStaticServer(SPA_DIR);
    api = await startTestServer({ env: { CORS_ORIGINS: spa.origin, APP_ORIGIN: spa.origin, COOKIE_SECURE: 'false' } });
    clock = api.clock as ManualClock;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await spa?.close();
  });

  /** Clicks, then waits for the page to render the server's answer; returns the page's state. */
  function click(page: Page, selector: string): Promise<string> {
    return act(page, () => page.click(selector));
  }

  async function logIn(page: Page, email: string): Promise<string> {
    await page.fill('#login-form [name=email]', email);
    await page.fill('#login-form [name=password]', PASSWORD);
    return click(page, '#login-form button[type=submit]');
  }

  /** What an authenticator app shows: the next 30-second step's code (each code works once). */
  function appCode(secret: string): string {
    clock.advanceBySeconds(30);
    return totpCode(secret, clock.now());
  }

  it('turns two-factor on from a locally drawn QR code, then signs in with a TOTP code and with a recovery code', async () => {
    const email = uniqueEmail('browser-2fa');
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${spa.origin}/index.html?api=${encodeURIComponent(api.graphqlUrl)}`);
    expect(await settled(page)).toBe('signed-out');
    await page.fill('#signup-form [name=email]', email);
    await page.fill('#signup-form [name=password]', PASSWORD);
    expect(await click(page, '#signup-form button[type=submit]')).toBe('signed-in');
    expect(await page.textContent('#me-two-factor')).toBe('off');

    // Turn it on: the QR code is an image the server drew, the secret is there to type.
    await click(page, '#enable-two-factor');
    // Decoded and laid out by the browser: a real image, not a broken one.
    await page.waitForFunction(() => ((document.querySelector('#totp-qr') as unknown as { naturalWidth: number } | null)?.naturalWidth ?? 0) > 0);
    expect((await page.getAttribute('#totp-qr', 'src'))!.slice(0, 26)).toBe('data:image/svg+xml;base64,');
    const secret = (await page.textContent('#totp-secret'))!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'spa-two-factor-enrolment.png') });
    await page.fill('#enrollment-form [name=code]', totpCode(secret, clock.now()));
    expect(await click(page, '#enrollment-form button[type=submit]')).toBe('signed-in');
    expect(await page.textContent('#me-two-factor')).toBe('on');
    const recoveryCodes = await page.$$eval('#recovery-codes li', (items) => items.map((item) => item.textContent ?? ''));
    expect(recoveryCodes).toHaveLength(10);
    expect(await page.isVisible('#enrollment')).toBe(false);

    // Sign out; the password alone now leads to the code form, not in.
    expect(await click(page, '#logout')).toBe('signed-out');
    expect(await logIn(page, email)).toBe('second-factor');
    expect(await page.textContent('#pending-email')).toBe(email);
    await page.fill('#second-factor-form [name=code]', appCode(secret));
    expect(await click(page, '#second-factor-form button[type=submit]')).toBe('signed-in');
    expect(await page.textContent('#sessions tr.current td:nth-child(6)')).toBe('password + code');

    // Sign out again, and in with a recovery code, typed in lower case.
    expect(await click(page, '#logout')).toBe('signed-out');
    expect(await logIn(page, email)).toBe('second-factor');
    await page.fill('#second-factor-form [name=code]', 'WRONG-CODE-0000');
    expect(await click(page, '#second-factor-form button[type=submit]')).toBe('second-factor');
    expect(await page.textContent('#status')).toMatch(/not valid/);
    await page.fill('#second-factor-form [name=code]', recoveryCodes[0]!.toLowerCase());
    expect(await click(page, '#second-factor-form button[type=submit]')).toBe('signed-in');
    expect(await page.textContent('#me-email')).toBe(email);

    // The used recovery code is spent.
    expect(await click(page, '#logout')).toBe('signed-out');
    expect(await logIn(page, email)).toBe('second-factor');
    await page.fill('#second-factor-form [name=code]', recoveryCodes[0]!);
    expect(await click(page, '#second-factor-form button[type=submit]')).toBe('second-factor');
    expect(await click(page, '#cancel-second-factor')).toBe('signed-out');

    // Nothing but the SPA and the API was contacted: no QR service saw the secret.
    expect(requested.filter((url) => !isLoopbackUrl(url))).toEqual([]);
    expect(requested.filter((url) => !url.startsWith(spa.origin) && !url.startsWith(api.url) && !url.startsWith('data:'))).toEqual([]);
    await context.close();
  }, 90_000);
});
