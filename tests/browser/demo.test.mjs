// Browser test: runs `hipboard demo` and goes through it in headless Chromium as a new user
// would — /help, /issue, an unfurled link, an incident acknowledged from its card with the
// glance changing, the sidebar, the meme dialog, the configuration page, and dynaBOARD's event
// console with a chat request joined as a guest. Screenshots go to .ci/artifacts/browser/.
//
// Run from the repository root after `cargo build`: node tests/browser/demo.test.mjs

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const ROOT = new URL('../../', import.meta.url).pathname;
const SHOTS = `${ROOT}.ci/artifacts/browser`;
const BINARY = process.env.HIPBOARD_BIN || `${ROOT}target/debug/hipboard`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(SHOTS, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startDemo() {
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

const steps = [];
function step(name, run) { steps.push({ name, run }); }

async function say(page, text) {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

/** The last history item containing `text`. */
const item = (page, text) => page.locator('#history > li', { hasText: text }).last();

step('help lists the commands', async ({ page, sandbox }) => {
  await page.goto(`${sandbox}/#room=100`);
  await page.waitForSelector('#room-list a');
  await say(page, '/help');
  await item(page, 'dynaBOARD commands').waitFor();
});

step('/issue shows the issue card', async ({ page }) => {
  await say(page, '/issue DB-1');
  await page.locator('.card-title', { hasText: 'DB-1: Login fails for SSO users after password reset' }).waitFor();
});

step('a pasted link is unfurled', async ({ page, dynaboard }) => {
  await say(page, `please look at ${dynaboard}/browse/OPS-2 today`);
  await page.locator('.card-title', { hasText: 'OPS-2: Checkout returns 502 for EU customers' }).waitFor();
});

step('an incident is acknowledged from its card and the glance changes', async ({ page }) => {
  await say(page, '/incident Payment provider times out');
  const card = item(page, 'Payment provider times out');
  await card.waitFor();
  await page.locator('.glance', { hasText: '1 open incident' }).locator('.lozenge-error').waitFor();
  await card.locator('button.msg-actions').click();
  await page.click('#menu button:has-text("Acknowledge")');
  await page.frameLocator('#modal-frame').locator('#what', { hasText: 'Acknowledge INC-' }).waitFor();
  await page.locator('#modal-primary:not([disabled])').click();
  await item(page, 'acknowledged').locator('.lozenge-current').waitFor();
  await page.locator('.glance .lozenge-current', { hasText: 'acknowledged' }).waitFor();
});

step('the glance opens the sidebar with the incident', async ({ page }) => {
  await page.click('.glance');
  await page.frameLocator('#sidebar-frame').locator('li.incident', { hasText: 'Payment provider times out' }).waitFor();
});

step('the meme dialog posts a meme', async ({ page }) => {
  await say(page, '/meme');
  await item(page, 'Open the meme dialog').locator('a[data-target]').click();
  const dialog = page.frameLocator('#modal-frame');
  await dialog.locator('input[value=ship-it]').check({ force: true });
  await dialog.locator('#top').fill('all checks green');
  await dialog.locator('#bottom').fill('ship it');
  await page.waitForTimeout(500); // the live preview
  await page.locator('#modal-primary:not([disabled])').click();
  await page.locator('#history .card-image img.card-thumb').last().waitFor();
});

step('the configuration page opens from the room settings', async ({ page }) => {
  await page.click('#open-integrations');
  await page.click('#installed button:has-text("Configure")');
  await page.frameLocator('#modal-frame').locator('h1', { hasText: 'dynaBOARD settings' }).waitFor();
  await page.click('#modal-close');
});

step('dynaBOARD events reach the room, a chat request opens a guest chat', async ({ page, context, dynaboard }) => {
  const console = await context.newPage();
  await console.goto(`${dynaboard}/events`);
  await console.fill('#summary', 'Invoices show the wrong currency');
  await console.click('button[data-event=issue_created]');
  await console.locator('#log li', { hasText: '202' }).waitFor();
  await item(page, 'Invoices show the wrong currency').waitFor();
  const [guest] = await Promise.all([context.waitForEvent('page'), console.click('#chat')]);
  await guest.waitForLoadState();
  await guest.click('#join button[type=submit]');
  await guest.fill('#message', 'Hello, can someone help with my invoice?');
  await guest.press('#message', 'Enter');
  await guest.locator('#history li', { hasText: 'can someone help' }).waitFor();
  await guest.screenshot({ path: `${SHOTS}/guest-chat.png` });
  await console.screenshot({ path: `${SHOTS}/event-console.png` });
  await item(page, 'requests a chat').waitFor();
});

const demo = await startDemo();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
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
    const shot = `${SHOTS}/${String(n).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
    try {
      await run({ page, context, sandbox: demo.sandbox, dynaboard: demo.dynaboard });
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
