import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's package (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots of the browser tests (git-ignored). */
export const ARTIFACTS_DIR = join(__dirname, '..', 'e2e', 'artifacts');

/**
 * Headless Chromium with nothing that talks to the network by itself (no sync, no component
 * updates, no QUIC probes), so that a test can check that the page alone makes requests.
 * Playwright gives every launch a fresh temporary profile and deletes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium (the browser tests drive it)`);
  }
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
}

/** Loopback only: what "no request leaves this machine" means for a page. */
export function isLoopbackUrl(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
}

/**
 * The little of the DOM that the tests' page.evaluate callbacks touch. The project compiles
 * without the DOM library (it is a server), so each browser test declares `document` with
 * this type, for its own module only.
 */
export interface PageDocument {
  cookie: string;
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { textContent: string | null } | null;
}

export interface PageElement {
  dataset: Record<string, string | undefined>;
  classList: { contains(name: string): boolean };
}
