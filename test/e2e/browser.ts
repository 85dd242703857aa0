/**
 * Starts the system's Chromium for the end-to-end test with playwright-core, which drives a
 * browser but never downloads one. Debian's package installs it at /usr/bin/chromium
 * (`apt-get install chromium`); CHROMIUM_PATH points elsewhere.
 */
import { access } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

/** Where the browser is looked for. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, without the sandbox (CI containers run as root) and without anything that would
 * reach the network or a GPU: WebGL then runs on the software rasterizer, or the page falls
 * back to wasm.
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches headless Chromium; throws saying how to install it when it is missing. */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH);
  } catch {
    throw new Error(`no browser at ${CHROMIUM_PATH}: install one (Debian: apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}
