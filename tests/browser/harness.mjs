// Shared harness of the browser tests: starts `hipboard demo` on free ports, runs named steps in
// headless Chromium (one page, screenshots per step), and fails on page errors and CSP
// violations. Each `*.test.mjs` file is one feature's scenario; `.ci/run` runs them all.

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const ROOT = new URL('../../', import.meta.url).pathname;
export const SHOTS = `${ROOT}.ci/artifacts/browser`;
const BINARY = process.env.HIPBOARD_BIN || `${ROOT}target/debug/hipboard`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(SHOTS, { recursive: true });

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startDemo() {
  const [addon, sandbox, dynaboard] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(BINARY, ['demo'], {
    env: {
      ...process.env,
      HIPBOARD_ADDR: `127.0.0.1:${addon}`,
      HIPBOARD_SANDBOX_ADDR: `127.0.0.1:${sandbox}`,
      HIPBOARD_DEMO_DYNABOARD_ADDR: `127.0.0.1:${dynaboard}`,
      RUST_LOG: 'hipboard=warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ctrl-C stops everything')) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', (code) => reject(new Error(`demo exited with ${code}:\n${out}`)));
  });
  return { child, sandbox: `http://127.0.0.1:${sandbox}`, dynaboard: `http://127.0.0.1:${dynaboard}` };
}

/** Types `text` in the message box and sends it. */
export async function say(page, text) {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

/** The last history item containing `text`. */
export const item = (page, text) => page.locator('#history > li', { hasText: text }).last();

/**
 * Runs `steps` ({name, run}) in order against a fresh demo; `prefix` names the screenshots.
 * `options.viewport` sets the window size. Exits the process with 1 when a step failed.
 */
export async function runSteps(prefix, steps, options = {}) {
  const demo = await startDemo();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let failed = 0;
  try {
    const context = await browser.newContext({ viewport: options.viewport || { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The sandbox's and the add-on's pages are under Content-Security-Policy: a violation is a bug.
    context.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) errors.push(m.text());
    });
    let n = 0;
    for (const { name, run } of steps) {
      n += 1;
      const shot = `${SHOTS}/${prefix}-${String(n).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
      try {
        await run({ page, context, browser, sandbox: demo.sandbox, dynaboard: demo.dynaboard });
        await page.screenshot({ path: shot });
        console.log(`ok    ${name}`);
      } catch (e) {
        failed += 1;
        await page.screenshot({ path: shot }).catch(() => {});
        console.log(`FAIL  ${name}\n      ${String(e.message).split('\n')[0]}`);
      }
    }
    if (errors.length) {
      failed += 1;
      console.log(`FAIL  the page raised errors: ${errors.join('; ')}`);
    }
  } finally {
    await browser.close();
    demo.child.kill('SIGTERM');
  }
  console.log(`${steps.length - failed}/${steps.length} steps passed; screenshots in ${SHOTS}`);
  process.exit(failed ? 1 : 0);
}
