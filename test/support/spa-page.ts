import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { PageDocument } from './browser';

/** In the page (page.evaluate and waitForFunction callbacks run there). */
declare const document: PageDocument;

/** The example SPA's files (served by test/support/static-server.ts). */
export const SPA_DIR = join(__dirname, '..', '..', 'examples', 'spa');

/**
 * Waits until the SPA's main page has rendered the server's answer at least `renders` times
 * and is idle; returns its state (`signed-out`, `second-factor`, `signed-in`, `unreachable`).
 */
export async function settled(page: Page, renders = 1): Promise<string> {
  await page.waitForFunction((minimum) => Number(document.body.dataset.renders ?? 0) >= minimum && document.body.dataset.busy === undefined, renders);
  return page.evaluate(() => document.body.dataset.state!);
}

/** Does something in the page, then waits for the SPA to render the outcome (not an earlier state). */
export async function act(page: Page, action: () => Promise<unknown>): Promise<string> {
  const before = await page.evaluate(() => Number(document.body.dataset.renders ?? 0));
  await action();
  return settled(page, before + 1);
}
