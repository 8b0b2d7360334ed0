// Browser test: runs `hipboard demo` and goes through it in headless Chromium as a new user
// would — /help, /issue, an unfurled link, an incident acknowledged from its card with the
// glance changing, the sidebar, the meme dialog, the configuration page, and dynaBOARD's event
// console with a chat request joined as a guest. Screenshots go to .ci/artifacts/browser/.
//
// Run from the repository root after `cargo build`: node tests/browser/demo.test.mjs

import { SHOTS, item, runSteps, say } from './harness.mjs';

const steps = [];
function step(name, run) { steps.push({ name, run }); }

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

await runSteps('demo', steps);
