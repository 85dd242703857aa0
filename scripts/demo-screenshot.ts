/**
 * Takes the README's picture of the web demo mid-training: serves the built demo (web/dist),
 * trains in headless Chromium until a step count and saves a screenshot of the running page.
 *
 * Usage: node --import tsx scripts/demo-screenshot.ts [--query 'dataset=mnist&speed=10']
 *          [--steps 600] [--out docs/demo.png]
 * (`npm run demo:screenshot` builds the demo first.)
 */
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/e2e/browser.js';
import { serveStatic } from '../test/e2e/server.js';

const { values } = parseArgs({
  options: {
    query: { type: 'string', default: 'dataset=mnist&speed=10' },
    steps: { type: 'string', default: '600' },
    out: { type: 'string', default: 'docs/demo.png' },
  },
});
const steps = Number(values.steps);
const server = await serveStatic('web/dist');
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${server.url}?${values.query}`);
  await page.waitForFunction('window.__demo?.samples > 0', null, { timeout: 60_000 });
  await page.click('#start');
  await page.waitForFunction(`window.__demo.step >= ${steps} || window.__demo.phase === "error"`, null, { timeout: 300_000 });
  await page.screenshot({ path: values.out });
  const summary = (await page.evaluate('`${window.__demo.backend}, step ${window.__demo.step}, accuracy ${window.__demo.accuracy}`')) as string;
  console.log(`saved ${values.out} (${summary})`);
} finally {
  await browser.close();
  await server.close();
}
