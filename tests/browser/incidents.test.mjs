// Browser test: incidents show their current state everywhere (issue 13 items 1 and 3). A card
// offers only the actions its state allows; an older card's dialog tells the current state and
// cannot confirm what is already done; a second user's open sidebar follows the changes; an
// incident announced in another installation's room is counted and acted on there.
//
// Run from the repository root after `cargo build`: node tests/browser/incidents.test.mjs

import { item, runSteps, say } from './harness.mjs';

const steps = [];
function step(name, run) { steps.push({ name, run }); }

/** The labels of a history item's "…" menu (none when it has no actions). */
async function actionsOf(page, li) {
  const button = li.locator('button.msg-actions');
  if (await button.count() === 0) return [];
  await button.click();
  await page.locator('#menu:not(.hidden)').waitFor();
  const labels = await page.locator('#menu button').allTextContents();
  await page.keyboard.press('Escape');
  await page.mouse.click(5, 5);
  await page.locator('#menu').waitFor({ state: 'hidden' });
  return labels.map((l) => l.trim());
}

function expectActions(found, wanted, what) {
  if (JSON.stringify(found) !== JSON.stringify(wanted)) {
    throw new Error(`${what}: actions ${JSON.stringify(found)}, wanted ${JSON.stringify(wanted)}`);
  }
}

const cards = (page, title) => page.locator('#history > li', { hasText: title }).filter({ has: page.locator('.card-title') });

step('an open incident card offers Acknowledge and Resolve', async ({ page, sandbox }) => {
  await page.goto(`${sandbox}/#room=100`);
  await page.waitForSelector('#room-list a');
  await say(page, '/incident Database replica lags');
  await item(page, 'Database replica lags').locator('.card-title').waitFor();
  expectActions(await actionsOf(page, cards(page, 'Database replica lags').last()), ['Acknowledge', 'Resolve'], 'open card');
});

step('acknowledged from its card, the new card offers only Resolve', async ({ page }) => {
  await cards(page, 'Database replica lags').last().locator('button.msg-actions').click();
  await page.click('#menu button:has-text("Acknowledge")');
  const dialog = page.frameLocator('#modal-frame');
  await dialog.locator('#state', { hasText: 'Currently open' }).waitFor();
  await page.locator('#modal-primary:not([disabled])').click();
  await page.locator('#modal').waitFor({ state: 'hidden' }).catch(() => {});
  await cards(page, 'Database replica lags').nth(1).waitFor();
  const latest = cards(page, 'Database replica lags').last();
  await latest.locator('.lozenge-current', { hasText: 'acknowledged' }).waitFor();
  expectActions(await actionsOf(page, latest), ['Resolve'], 'acknowledged card');
});

step("the older card's Acknowledge shows the current state and cannot confirm", async ({ page }) => {
  await cards(page, 'Database replica lags').first().locator('button.msg-actions').click();
  await page.click('#menu button:has-text("Acknowledge")');
  const dialog = page.frameLocator('#modal-frame');
  await dialog.locator('#state', { hasText: 'Currently acknowledged' }).waitFor();
  await dialog.locator('#notice', { hasText: 'already acknowledged' }).waitFor();
  if (await page.locator('#modal-primary').isEnabled()) throw new Error('Confirm is enabled for an acknowledged incident');
  await page.click('#modal-close');
});

step("a second user's open sidebar follows the room's changes", async ({ page, browser, sandbox }) => {
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const second = await other.newPage();
  second.setDefaultTimeout(15_000);
  await second.goto(`${sandbox}/#room=100`);
  await second.waitForSelector('#room-list a');
  await second.selectOption('#user', { index: 2 });
  await second.click('.glance');
  const sidebar = second.frameLocator('#sidebar-frame');
  await sidebar.locator('li.incident', { hasText: 'Database replica lags' }).waitFor();
  await say(page, '/incident Search index stale');
  await sidebar.locator('li.incident', { hasText: 'Search index stale' }).waitFor();
  const titled = page.locator('#history > li .card-title', { hasText: /INC-\d+: Search index stale/ }).last();
  const number = (await titled.textContent()).match(/INC-\d+/)[0];
  await say(page, `/resolve ${number}`);
  await sidebar.locator('li.incident', { hasText: 'Search index stale' }).waitFor({ state: 'detached' });
  await other.close();
});

step('a resolved card offers no actions', async ({ page }) => {
  const resolved = cards(page, 'Search index stale').last();
  await resolved.locator('.lozenge-success', { hasText: 'resolved' }).waitFor();
  expectActions(await actionsOf(page, resolved), [], 'resolved card');
});

step("an incident announced in another room is that room's: glance, sidebar and /ack there", async ({ page, context, sandbox, dynaboard }) => {
  // Support's installation owns the demo's dynaBOARD connection; announce its events in Incidents.
  await page.goto(`${sandbox}/#room=100`);
  await page.waitForSelector('#room-list a');
  await page.click('#open-integrations');
  await page.locator('#installed li', { hasText: '(this room)' }).locator('button', { hasText: 'Configure' }).click();
  const form = page.frameLocator('#modal-frame');
  await form.locator('#notification_room').fill('Incidents');
  await form.locator('#save').click();
  await form.locator('.notice.ok', { hasText: 'Saved.' }).waitFor();
  await page.click('#modal-close');

  const console = await context.newPage();
  await console.goto(`${dynaboard}/events`);
  await console.fill('#summary', 'Payments API returns 500');
  await console.selectOption('#type', 'Incident');
  await console.click('button[data-event=issue_created]');
  await console.locator('#log li', { hasText: '202' }).waitFor();
  await console.close();

  await page.click('#room-list a:has-text("Incidents")');
  // The event's own card comes first; the incident's card is the one titled INC-n.
  const card = page.locator('#history > li .card-title', { hasText: /INC-\d+: .*Payments API returns 500/ }).last();
  await card.waitFor();
  const number = (await card.textContent()).match(/INC-\d+/)[0];
  await page.locator('.glance', { hasText: '1 open incident' }).waitFor();
  await page.click('.glance');
  await page.frameLocator('#sidebar-frame').locator('li.incident', { hasText: 'Payments API returns 500' }).waitFor();
  await say(page, `/ack ${number}`);
  await item(page, `acknowledged ${number}`).waitFor();
  await page.frameLocator('#sidebar-frame').locator('li.incident', { hasText: 'Payments API returns 500' }).locator('.lozenge', { hasText: 'acknowledged' }).waitFor();
});

await runSteps('incidents', steps);
