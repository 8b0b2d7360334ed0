// Browser test of the meme dialog (issue 13 item 6): it opens with a real preview of the first
// template, says why Post is disabled until there is text, keeps a 100-character line inside
// the picture, and the posted card names who posted it.
//
// Run from the repository root after `cargo build`: node tests/browser/meme.test.mjs

import { item, runSteps, say } from './harness.mjs';

const steps = [];
function step(name, run) { steps.push({ name, run }); }
const dialog = (page) => page.frameLocator('#modal-frame');
const LONG_TOP = 'when the deploy goes green on a friday afternoon and nobody is around to see it happen, ship it now!';

/** The boxes of the picture's texts, measured by the browser with the fonts it has. */
async function textBoxes(page, svg) {
  const probe = await page.context().newPage();
  try {
    await probe.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    return await probe.evaluate(() => [...document.querySelectorAll('svg text')].map((t) => {
      const b = t.getBBox();
      const stroke = Number(t.getAttribute('stroke-width')) / 2;
      return { text: t.textContent, left: b.x - stroke, right: b.x + b.width + stroke, top: b.y - stroke, bottom: b.y + b.height + stroke };
    }));
  } finally {
    await probe.close();
  }
}

step('the dialog opens with a preview of the first template', async ({ page, sandbox }) => {
  await page.goto(`${sandbox}/#room=100`);
  await page.waitForSelector('#room-list a');
  await say(page, '/meme');
  await item(page, 'Open the meme dialog').locator('a[data-target]').click();
  const preview = dialog(page).locator('#preview');
  await preview.waitFor();
  const loaded = await preview.evaluate((img) => new Promise((resolve) => {
    const check = () => (img.complete && img.naturalWidth > 0 ? resolve(img.naturalWidth) : setTimeout(check, 50));
    check();
  }));
  if (!(loaded > 0)) throw new Error('the preview did not load');
  const first = await dialog(page).locator('input[name=template]').first().isChecked();
  if (!first) throw new Error('the first template is not chosen');
});

step('Post is disabled with a visible reason until text is written', async ({ page }) => {
  await page.locator('#modal-primary[disabled]').waitFor();
  const why = dialog(page).locator('#why');
  await why.filter({ hasText: 'Post is off until you write a top or a bottom line' }).waitFor({ state: 'visible' });
  await dialog(page).locator('#top').fill('all checks green');
  await page.locator('#modal-primary:not([disabled])').waitFor();
  await why.waitFor({ state: 'hidden' });
  await dialog(page).locator('#top').fill('');
  await page.locator('#modal-primary[disabled]').waitFor();
  await why.waitFor({ state: 'visible' });
});

step('a 100-character top line stays inside the picture', async ({ page }) => {
  if (LONG_TOP.length !== 100) throw new Error(`the test text has ${LONG_TOP.length} characters`);
  await dialog(page).locator('#top').fill(LONG_TOP);
  await dialog(page).locator('#bottom').fill('ship it');
  const value = await dialog(page).locator('#top').inputValue();
  if (value !== LONG_TOP) throw new Error(`the field kept ${value.length} of 100 characters`);
  const preview = dialog(page).locator('#preview');
  // The live preview follows the text after a short pause.
  await preview.evaluate((img, top) => new Promise((resolve) => {
    const shows = () => img.src && new URL(img.src).searchParams.get('top') === top;
    const check = () => (shows() && img.complete && img.naturalWidth > 0 ? resolve() : setTimeout(check, 50));
    check();
  }), LONG_TOP);
  const svg = await preview.evaluate(async (img) => (await fetch(img.src)).text());
  const boxes = await textBoxes(page, svg);
  const words = boxes.map((b) => b.text).join(' ');
  if (words !== `${LONG_TOP.toUpperCase()} SHIP IT`) throw new Error(`the picture says "${words}"`);
  for (const b of boxes) {
    if (b.left < 0 || b.right > 600 || b.top < 0 || b.bottom > 450) {
      throw new Error(`"${b.text}" leaves the 600×450 picture: ${JSON.stringify(b)}`);
    }
  }
});

step('the posted card names who posted it', async ({ page }) => {
  await page.locator('#modal-primary:not([disabled])').click();
  await page.locator('#modal').waitFor({ state: 'hidden' });
  const card = page.locator('#history > li', { has: page.locator('.card-image') }).last();
  await card.locator('img.card-thumb').waitFor();
  await card.locator('.card-activity', { hasText: 'Ada Admin posted a meme' }).waitFor();
});

await runSteps('meme', steps);
