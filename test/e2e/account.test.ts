import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS_DIR, launchChromium, type PageDocument } from '../support/browser';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';
import { linkIn, nextMail } from '../support/mail';
import type { ReceivedMail } from '../support/smtp-server';
import { act, settled, SPA_DIR } from '../support/spa-page';
import { startStaticServer, type StaticServer } from '../support/static-server';

declare const document: PageDocument;

const NEW_PASSWORD = 'a password set from the mail';

/**
 * The example SPA's account pages in real Chromium, with real mail: the links the server
 * mails (to APP_ORIGIN, the SPA's origin) are read from the test's SMTP server and opened.
 */
describe('the account lifecycle in Chromium (examples/spa)', () => {
  let spa: StaticServer;
  let api: TestServer;
  let browser: Browser;
  const taken = new Set<ReceivedMail>();

  beforeAll(async () => {
    spa = await startStaticServer(SPA_DIR);
    api = await startTestServer({ smtp: true, env: { CORS_ORIGINS: spa.origin, APP_ORIGIN: spa.origin, COOKIE_SECURE: 'false' } });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await spa?.close();
  });

  /** Opens a link from a mail and waits for its page to finish (`done` or `failed`). */
  async function openLink(page: Page, link: URL, then?: () => Promise<void>): Promise<{ state: string; status: string }> {
    expect(link.origin).toBe(spa.origin);
    await page.goto(link.toString());
    if (then) await then();
    await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.state ?? ''));
    return { state: (await page.evaluate(() => document.body.dataset.state))!, status: (await page.textContent('#status'))! };
  }

  it('verifies the address from the mail, then resets a forgotten password from the mail and signs in with it', async () => {
    const email = uniqueEmail('browser-reset');
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${spa.origin}/index.html?api=${encodeURIComponent(api.graphqlUrl)}`);
    expect(await settled(page, 1)).toBe('signed-out');

    // Sign up: a verification mail comes.
    await page.fill('#signup-form [name=email]', email);
    await page.fill('#signup-form [name=password]', PASSWORD);
    expect(await act(page, () => page.click('#signup-form button[type=submit]'))).toBe('signed-in');
    expect(await page.textContent('#me-verified')).toBe('not verified yet');
    const verification = linkIn(await nextMail(api.mailbox!, email, 'Confirm your email address', taken), '/verify-email');
    expect(await openLink(page, verification)).toEqual({ state: 'done', status: 'Your email address is verified.' });
    await page.goto(`${spa.origin}/index.html`);
    expect(await settled(page, 1)).toBe('signed-in');
    expect(await page.textContent('#me-verified')).toBe('verified');

    // Log out, forget the password, ask for a link.
    expect(await act(page, () => page.click('#logout'))).toBe('signed-out');
    await page.fill('#forgot-form [name=email]', email);
    await act(page, () => page.click('#forgot-form button[type=submit]'));
    expect(await page.textContent('#status')).toMatch(/reset link is on its way/);

    // The link from the mail: choose a new password.
    const reset = linkIn(await nextMail(api.mailbox!, email, 'Reset your password', taken), '/reset-password');
    const outcome = await openLink(page, reset, async () => {
      await page.waitForFunction(() => document.body.dataset.state === 'ready');
      await page.fill('#reset-form [name=newPassword]', NEW_PASSWORD);
      await page.click('#reset-form button[type=submit]');
    });
    expect(outcome.state).toBe('done');
    expect(outcome.status).toMatch(/Your password is set/);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'spa-reset-password.png') });
    // Once only.
    expect(await openLink(page, reset, async () => {
      await page.waitForFunction(() => document.body.dataset.state === 'ready');
      await page.fill('#reset-form [name=newPassword]', 'and yet another password');
      await page.click('#reset-form button[type=submit]');
    })).toMatchObject({ state: 'failed' });

    // Sign in with the new password (the old one no longer works).
    await page.goto(`${spa.origin}/index.html`);
    expect(await settled(page, 1)).toBe('signed-out');
    await page.fill('#login-form [name=email]', email);
    await page.fill('#login-form [name=password]', PASSWORD);
    expect(await act(page, () => page.click('#login-form button[type=submit]'))).toBe('signed-out');
    expect(await page.textContent('#status')).toMatch(/Invalid email or password/);
    await page.fill('#login-form [name=email]', email);
    await page.fill('#login-form [name=password]', NEW_PASSWORD);
    expect(await act(page, () => page.click('#login-form button[type=submit]'))).toBe('signed-in');
    expect(await page.textContent('#me-email')).toBe(email);
    await context.close();
  }, 90_000);
});
