// Browser test: settings cannot be saved wrong (issue 13, item 2). Installs the add-on globally
// in the demo, as an admin would from the room's integrations, opens its configuration page and
// checks the room picker offers the demo's rooms, a room that does not exist is refused on its
// field, overnight hours are saved with the time inputs, Save is in view without scrolling at
// 1280x800 and at 800x600, and a room installation's page says its settings are not in effect.
//
// Run from the repository root after `cargo build --bin hipboard`: node tests/browser/settings.test.mjs

import { runSteps } from './harness.mjs';

const steps = [];
function step(name, run) { steps.push({ name, run }); }

const settings = (page) => page.frameLocator('#modal-frame');

/** Save is inside the window and not covered, and the page behind it is longer than its frame. */
async function assertSaveInView(page) {
  const viewport = page.viewportSize();
  const box = await settings(page).locator('#save').boundingBox();
  if (!box || box.y < 0 || box.y + box.height > viewport.height || box.x + box.width > viewport.width) {
    throw new Error(`Save is outside the ${viewport.width}x${viewport.height} window: ${JSON.stringify(box)}`);
  }
  const frame = page.frames().find((f) => f.url().includes('/views/configure'));
  const seen = await frame.evaluate(() => {
    const save = document.getElementById('save');
    const r = save.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {
      inFrame: r.top >= 0 && r.bottom <= window.innerHeight,
      uncovered: hit === save || save.contains(hit),
      scrolled: window.scrollY,
      longer: document.documentElement.scrollHeight > window.innerHeight,
    };
  });
  if (!seen.inFrame || !seen.uncovered || seen.scrolled !== 0) {
    throw new Error(`Save is not in view without scrolling: ${JSON.stringify(seen)}`);
  }
  if (!seen.longer) throw new Error('the page fits its frame, so this proves nothing about scrolling');
}

step('the add-on is installed globally from the room integrations', async ({ page, sandbox }) => {
  await page.goto(`${sandbox}/#room=100`);
  await page.waitForSelector('#room-list a');
  const state = await (await page.request.get(`${sandbox}/sandbox/api/state`)).json();
  const descriptor = state.installations[0].descriptor_url;
  await page.click('#open-integrations');
  await page.fill('#descriptor-url', descriptor);
  await page.check('input[name=scope][value=global]');
  await page.click('#install-form button[type=submit]');
  await page.locator('#installed li', { hasText: '(global)' }).waitFor();
});

step('its configuration page opens with Save in view at 1280x800', async ({ page }) => {
  await page.locator('#installed li', { hasText: '(global)' }).locator('button', { hasText: 'Configure' }).click();
  await settings(page).locator('h1', { hasText: 'dynaBOARD settings' }).waitFor();
  await assertSaveInView(page);
});

step('the room picker lists the demo rooms', async ({ page }) => {
  const offered = await settings(page).locator('#room-options option').evaluateAll((options) => options.map((o) => o.value));
  for (const room of ['Support', 'Engineering', 'Incidents']) {
    if (!offered.includes(room)) throw new Error(`${room} is not offered: ${offered.join(', ')}`);
  }
  const zones = await settings(page).locator('#timezone option').count();
  if (zones < 300) throw new Error(`only ${zones} time zones offered`);
});

step('a room that does not exist is refused on its field', async ({ page }) => {
  await settings(page).locator('#notification_room').fill('Nowhere');
  await settings(page).locator('#save').click();
  await settings(page).locator('#notification_room-error', { hasText: 'There is no room Nowhere in HipChat.' }).waitFor();
  await settings(page).locator('.notice.bad', { hasText: 'nothing was saved' }).waitFor();
  await assertSaveInView(page);
});

step('overnight hours are saved with the time inputs', async ({ page }) => {
  const form = settings(page);
  await form.locator('#notification_room').fill('Incidents');
  await form.locator('input[name=hours_mode][value=hours]').check();
  await form.locator('#timezone').selectOption('Europe/Berlin');
  await form.locator('input[name=day0_open]').check();
  await form.locator('input[name=day0_from]').fill('22:00');
  await form.locator('input[name=day0_to]').fill('02:00');
  await form.locator('#save').click();
  await form.locator('.notice.ok', { hasText: 'Saved.' }).waitFor();
  const shown = {
    room: await form.locator('#notification_room').inputValue(),
    zone: await form.locator('#timezone').inputValue(),
    from: await form.locator('input[name=day0_from]').inputValue(),
    to: await form.locator('input[name=day0_to]').inputValue(),
  };
  const expected = { room: 'Incidents', zone: 'Europe/Berlin', from: '22:00', to: '02:00' };
  if (JSON.stringify(shown) !== JSON.stringify(expected)) {
    throw new Error(`saved form shows ${JSON.stringify(shown)}`);
  }
});

step('Save stays in view at 800x600', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 600 });
  await settings(page).locator('#save').waitFor();
  await assertSaveInView(page);
});

step("a room installation's page says its settings are not in effect and where they are", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('#modal-close');
  await page.click('#open-integrations');
  await page.locator('#installed li', { hasText: '(this room)' }).locator('button', { hasText: 'Configure' }).click();
  // The global installation now owns the demo's default dynaBOARD connection (DESIGN.md).
  await settings(page).locator('#not-in-effect', { hasText: 'under the settings of the global installation' }).waitFor();
});

await runSteps('settings', steps);
