import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS_DIR, launchChromium, type PageDocument, type PageElement } from '../support/browser';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness';
import { act, settled, SPA_DIR } from '../support/spa-page';
import { startStaticServer, type StaticServer } from '../support/static-server';

/** In the page (page.evaluate and waitForFunction callbacks run there). */
declare const document: PageDocument;

/**
 * examples/spa in real headless Chromium, served from a second origin, against the real
 * API whose CORS_ORIGINS lists that origin (and no other).
 */
describe('example SPA (examples/spa) in Chromium, cross-origin with cookies', () => {
  let spa: StaticServer;
  let stranger: StaticServer;
  let api: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    spa = await startStaticServer(SPA_DIR);
    // A third origin, not in CORS_ORIGINS, serving the same files.
    stranger = await startStaticServer(SPA_DIR);
    api = await startTestServer({ env: { CORS_ORIGINS: spa.origin, COOKIE_SECURE: 'false' } });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await spa?.close();
    await stranger?.close();
  });

  async function openSpa(): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${spa.origin}/index.html?api=${encodeURIComponent(api.graphqlUrl)}`);
    await settled(page);
    return page;
  }

  async function sessionRows(page: Page): Promise<Array<{ id: string; current: boolean }>> {
    return page.$$eval('#sessions tr', (rows) =>
      (rows as unknown as PageElement[]).map((row) => ({ id: row.dataset.sessionId!, current: row.classList.contains('current') })),
    );
  }

  it('signs up, logs in, lists and revokes sessions, survives a reload and logs out; the cookie stays out of reach', async () => {
    const email = uniqueEmail('spa');

    // Sign up in the first browser.
    const laptop = await openSpa();
    expect(await settled(laptop)).toBe('signed-out');
    await laptop.fill('#signup-form [name=email]', email);
    await laptop.fill('#signup-form [name=password]', PASSWORD);
    await laptop.fill('#signup-form [name=displayName]', 'Ada <b>Lovelace</b>');
    expect(await act(laptop, () => laptop.click('#signup-form button[type=submit]'))).toBe('signed-in');
    expect(await laptop.textContent('#me-email')).toBe(email);
    // Rendered as text, never as markup.
    expect(await laptop.textContent('#me-name')).toBe('Ada <b>Lovelace</b>');
    expect(await laptop.$('#me-name b')).toBeNull();
    expect(await sessionRows(laptop)).toEqual([{ id: expect.any(String), current: true }]);

    // The session cookie exists for the API, HttpOnly and SameSite=Lax, and JavaScript cannot read it.
    const [cookie] = (await laptop.context().cookies(api.url)).filter((candidate) => candidate.name === 'sid');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
    expect(cookie!.value).toMatch(/^v1\./);
    expect(await laptop.evaluate(() => document.cookie)).toBe('');
    expect(await laptop.content()).not.toContain(cookie!.value);

    // Log in from a second browser: the first one sees two sessions and revokes the other.
    const phone = await openSpa();
    await phone.fill('#login-form [name=email]', email);
    await phone.fill('#login-form [name=password]', PASSWORD);
    expect(await act(phone, () => phone.click('#login-form button[type=submit]'))).toBe('signed-in');

    await act(laptop, () => laptop.click('#refresh'));
    const rows = await sessionRows(laptop);
    expect(rows.map((row) => row.current).sort()).toEqual([false, true]);
    const other = rows.find((row) => !row.current)!;
    await act(laptop, () => laptop.click(`#sessions tr[data-session-id="${other.id}"] button.revoke`));
    expect(await sessionRows(laptop)).toEqual([rows.find((row) => row.current)]);

    await phone.reload();
    expect(await settled(phone)).toBe('signed-out');
    expect((await phone.context().cookies(api.url)).filter((candidate) => candidate.name === 'sid')).toEqual([]);

    // A reload keeps the first browser signed in: the cookie is all the page needs.
    await laptop.reload();
    expect(await settled(laptop)).toBe('signed-in');
    expect(await laptop.textContent('#me-email')).toBe(email);

    await laptop.screenshot({ path: join(ARTIFACTS_DIR, 'spa-signed-in.png'), fullPage: true });

    expect(await act(laptop, () => laptop.click('#logout'))).toBe('signed-out');
    expect((await laptop.context().cookies(api.url)).filter((candidate) => candidate.name === 'sid')).toEqual([]);
    await laptop.reload();
    expect(await settled(laptop)).toBe('signed-out');
  }, 60_000);

  it('an origin that is not in CORS_ORIGINS can neither read the API nor change anything through it', async () => {
    const email = uniqueEmail('spa-cors');
    const victim = await openSpa();
    await victim.fill('#signup-form [name=email]', email);
    await victim.fill('#signup-form [name=password]', PASSWORD);
    expect(await act(victim, () => victim.click('#signup-form button[type=submit]'))).toBe('signed-in');

    // Same browser (same cookie jar), another origin.
    const evil = await victim.context().newPage();
    await evil.goto(`${stranger.origin}/index.html?api=${encodeURIComponent(api.graphqlUrl)}`);
    const attempts = await evil.evaluate(async (apiUrl) => {
      const outcome = async (request: Promise<Response>) => {
        try {
          const response = await request;
          return { type: response.type, status: response.status, body: await response.text() };
        } catch (error) {
          return { error: (error as Error).name };
        }
      };
      const json = { 'content-type': 'application/json' };
      return {
        // Needs a preflight, which names no allowed origin: the browser never sends it.
        readMe: await outcome(fetch(apiUrl, { method: 'POST', credentials: 'include', headers: json, body: JSON.stringify({ query: '{ me { email } }' }) })),
        logout: await outcome(fetch(apiUrl, { method: 'POST', credentials: 'include', headers: json, body: JSON.stringify({ query: 'mutation { logout }' }) })),
        // A "simple" request goes out without a preflight; the server refuses its text/plain body.
        blindLogout: await outcome(fetch(apiUrl, { method: 'POST', mode: 'no-cors', credentials: 'include', body: JSON.stringify({ query: 'mutation { logout }' }) })),
      };
    }, api.graphqlUrl);

    expect(attempts.readMe).toEqual({ error: 'TypeError' });
    expect(attempts.logout).toEqual({ error: 'TypeError' });
    // The browser sends this one, but shows the page nothing of the answer (an opaque
    // response, or an error where Chromium's opaque-response blocking drops it) ...
    expect([{ type: 'opaque', status: 0, body: '' }, { error: 'TypeError' }]).toContainEqual(attempts.blindLogout);
    // ... and the server refused its text/plain body before running anything.
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/^sessionql_http_requests_total\{method="POST",route="\/graphql",status="415"\} 1$/m);
    // The SPA's own code on that origin cannot even learn whether anyone is signed in.
    expect(await settled(evil)).toBe('unreachable');

    // The victim is still signed in.
    await victim.reload();
    expect(await settled(victim)).toBe('signed-in');
    expect(await victim.textContent('#me-email')).toBe(email);
  }, 60_000);
});
