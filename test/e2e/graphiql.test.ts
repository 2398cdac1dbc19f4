import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS_DIR, isLoopbackUrl, launchChromium, type PageDocument } from '../support/browser';
import { startTestServer, type TestServer } from '../support/harness';

/** In the page (page.evaluate and waitForFunction callbacks run there). */
declare const document: PageDocument;

/**
 * GraphiQL (the ruru bundle served by the API itself) in real headless Chromium: its
 * default tab's example operations sign in with the cookie, and nothing is fetched from
 * anywhere but this server.
 */
describe('GraphiQL in Chromium', () => {
  let api: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    // A fresh keyspace: the example operations use a fixed email.
    api = await startTestServer();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  /** Picks an operation of the default document from the run button's menu and waits for its result. */
  async function runOperation(page: Page, operationName: string, expected: string): Promise<string> {
    await page.click('.graphiql-execute-button');
    await page.click(`[role=menuitem]:text-is("${operationName}")`);
    await page.waitForFunction(
      (text) => (document.querySelector('.graphiql-response')?.textContent ?? '').replace(/\s+/g, ' ').includes(text),
      expected,
    );
    return (await page.textContent('.graphiql-response'))!.replace(/\s+/g, ' ');
  }

  it('signs up from the example operations, then `me` answers as that user; no request leaves the machine', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    // Workers (the editor's language services) fetch on their own.
    context.on('request', (request) => requested.push(request.url()));
    const assetEncodings = new Map<string, string | undefined>();
    context.on('response', (response) => {
      const name = /\/graphiql-assets\/[0-9a-f]+\/(.+)$/.exec(response.url())?.[1];
      if (name) assetEncodings.set(name, response.headers()['content-encoding']);
    });

    const response = await page.goto(api.graphqlUrl);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-type']).toMatch(/text\/html/);
    await page.waitForSelector('.graphiql-execute-button');
    // The run button shows before the editor holds the document, and a click until then is lost.
    await page.waitForFunction(() => (document.querySelector('.graphiql-query-editor .view-lines')?.textContent ?? '').replace(/\s+/g, ' ').includes('mutation SignUp'));

    expect(await runOperation(page, 'Me', '"me": null')).toContain('"me": null');
    expect(await runOperation(page, 'SignUp', '"email": "ada+graphiql@example.com"')).toMatch(/"signUp": \{ "user": \{ "id": "[\w-]+", "email": "ada\+graphiql@example\.com", "displayName": "Ada" \}/);

    const cookies = (await context.cookies(api.url)).filter((cookie) => cookie.name === 'sid');
    expect(cookies).toEqual([expect.objectContaining({ httpOnly: true, sameSite: 'Lax' })]);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    const me = await runOperation(page, 'Me', '"me": {');
    expect(me).toContain('"email": "ada+graphiql@example.com"');
    expect(me).toContain('"roles": [ "USER" ]');
    expect(await runOperation(page, 'MySessions', '"current": true')).toContain('"transport": "COOKIE"');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'graphiql-me.png') });

    expect(await runOperation(page, 'Logout', '"logout": true')).toContain('"logout": true');
    expect(await runOperation(page, 'Me', '"me": null')).toContain('"me": null');
    expect((await context.cookies(api.url)).filter((cookie) => cookie.name === 'sid')).toEqual([]);

    // The page, its assets and its API calls: all from this server.
    expect(requested.some((url) => url.includes('/graphiql-assets/'))).toBe(true);
    // The editor (11 MB as it is) arrives as the build's gzipped copies.
    expect(assetEncodings.get('ruru.js')).toBe('gzip');
    expect([...assetEncodings].filter(([, encoding]) => encoding !== 'gzip')).toEqual([]);
    expect(requested.filter((url) => !isLoopbackUrl(url))).toEqual([]);
    await context.close();
  }, 60_000);
});
