// Browser test of issue 13 items 4, 7 and 8: a typo'd command is answered, commands work in
// any case and after a blank, the event console's Log in appears in the room with the demo's
// defaults, and a chat request's card shows who, which customer and the room, and is taken from
// its "…" menu, after which a second staff member is told who has it.
//
// Run from the repository root after `cargo build --bin hipboard`: node tests/browser/talk.test.mjs

import { item, runSteps, say } from './harness.mjs';

const steps = [];
function step(name, run) { steps.push({ name, run }); }

step('a typo gets "did you mean"', async ({ page, sandbox }) => {
  await page.goto(`${sandbox}/#room=100`);
  await page.waitForSelector('#room-list a');
  await say(page, '/incidnet Checkout is down');
  await item(page, 'Unknown command /incidnet — did you mean /incident?').waitFor();
  await say(page, '/zzzz');
  await item(page, 'Unknown command /zzzz. /help lists the commands.').waitFor();
});

step('/HELP after a blank lists the commands', async ({ page }) => {
  await say(page, ' /HELP');
  await item(page, 'dynaBOARD commands').waitFor();
});

step('Log in in the event console appears in the room', async ({ page, context, dynaboard }) => {
  const console = await context.newPage();
  await console.goto(`${dynaboard}/events`);
  await console.click('button[data-event=user_login]');
  await console.locator('#log li', { hasText: '202' }).waitFor();
  await item(page, 'logged in to dynaBOARD').waitFor();
  await console.click('button[data-event=user_logout]');
  await item(page, 'logged out of dynaBOARD').waitFor();
  await console.close();
});

step('the chat request card shows who, the customer and the room', async ({ page, context, dynaboard }) => {
  const console = await context.newPage();
  await console.goto(`${dynaboard}/events`);
  const [guest] = await Promise.all([context.waitForEvent('page'), console.click('#chat')]);
  await guest.waitForLoadState();
  await guest.close();
  await console.close();
  const card = item(page, 'Chat request from Zoë Ångström');
  await card.waitFor();
  await card.locator('.card-attrs', { hasText: 'Customer: Acme Corp' }).waitFor();
  await card.locator('.card-attrs', { hasText: 'Asked:' }).waitFor();
  const room = card.locator('.card-attrs a', { hasText: 'dynaBOARD Zoë Ångström' });
  await room.waitFor();
  if (!/\/chat\/room\/\d+$/.test(await room.getAttribute('href'))) throw new Error('the room attribute does not link to the room');
});

step('Take this chat from the card', async ({ page }) => {
  const card = item(page, 'Chat request from Zoë Ångström');
  await card.locator('button.msg-actions').click();
  await page.click('#menu button:has-text("Take this chat")');
  const dialog = page.frameLocator('#modal-frame');
  await dialog.locator('#what', { hasText: 'Take the chat with Zoë Ångström (Acme Corp)?' }).waitFor();
  await dialog.locator('#state', { hasText: 'Nobody has taken it yet.' }).waitFor();
  await page.locator('#modal-primary:not([disabled])').click();
  await item(page, 'Ada Admin takes the chat with Zoë Ångström (Acme Corp)').waitFor();
});

step('a second staff member is told who has the chat', async ({ page }) => {
  await page.selectOption('#user', { label: 'Ben Builder' });
  const card = item(page, 'Chat request from Zoë Ångström');
  await card.locator('button.msg-actions').click();
  await page.click('#menu button:has-text("Take this chat")');
  const dialog = page.frameLocator('#modal-frame');
  await dialog.locator('#state', { hasText: 'Already taken by Ada Admin.' }).waitFor();
  if (await page.locator('#modal-primary').isEnabled()) throw new Error('Confirm is enabled on a taken chat');
  await page.click('#modal-close');
});

await runSteps('talk', steps);
