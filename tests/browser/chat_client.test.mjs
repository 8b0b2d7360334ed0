// Browser test of the sandbox chat client, keyboard only (issue 13 item 5): focus in the message
// box, Shift+Enter, an over-long message refused with the draft kept, new messages in view or
// marked, unread rooms, menus and dialogs by keyboard, WCAG AA contrast, the 800 px and phone
// layouts, and staff named in the guest view.
//
// Run from the repository root after `cargo build`: node tests/browser/chat_client.test.mjs

import { SHOTS, item, runSteps, say } from './harness.mjs';

const steps = [];
function step(name, run) { steps.push({ name, run }); }

const LIMIT = 10000;
const SUPPORT = 100;
const ENGINEERING = 101;

function check(ok, message) {
  if (!ok) throw new Error(message);
}

const activeId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

/** Posts `message` to a room as another sandbox user, through the sandbox's control API. */
async function postAs(context, sandbox, room, message, user = 2) {
  const response = await context.request.post(`${sandbox}/sandbox/api/rooms/${room}/messages`, { data: { user_id: user, message } });
  return response.status();
}

/** Whether `locator`'s element is inside the visible part of the history. */
const inHistoryView = (locator) => locator.evaluate((e) => {
  const box = e.getBoundingClientRect();
  const view = document.getElementById('history').getBoundingClientRect();
  return box.bottom <= view.bottom + 1 && box.top >= view.top - 1;
});

// WCAG 2.x contrast of an element's text against what is behind it, from computed colours.
const CONTRAST = `(() => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const over = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const channel = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (e) => {
    const layers = [];
    for (let n = e; n; n = n.parentElement) layers.push(parse(getComputedStyle(n).backgroundColor));
    return layers.reverse().reduce((under, top) => over(top, under), { r: 255, g: 255, b: 255, a: 1 });
  };
  return (e) => {
    const bg = background(e);
    const fg = over(parse(getComputedStyle(e).color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
})()`;

async function contrast(page, selector) {
  const el = page.locator(selector).first();
  await el.waitFor();
  return el.evaluate((e, code) => (0, eval)(code)(e), CONTRAST);
}

step('focus is in the message box on load', async ({ page, sandbox }) => {
  await page.goto(`${sandbox}/#room=${SUPPORT}`);
  await page.waitForSelector('#room-list a.current');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'message');
});

step('Shift+Enter starts a new line, Enter sends', async ({ page }) => {
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  check(await page.inputValue('#message') === 'first line\nsecond line', 'Shift+Enter did not start a new line');
  check(await page.locator('#history > li', { hasText: 'second line' }).count() === 0, 'Shift+Enter sent the message');
  await page.keyboard.press('Enter');
  const sent = item(page, 'second line');
  await sent.waitFor();
  check((await sent.locator('.msg-body').innerText()).includes('first line\nsecond line'), 'the lines were joined');
  check(await page.inputValue('#message') === '', 'the box was not emptied after sending');
});

step('an over-long message is refused before sending, draft kept, count shown', async ({ page, context, sandbox }) => {
  const draft = 'x'.repeat(LIMIT + 1);
  const before = await page.locator('#history > li').count();
  await page.fill('#message', draft);
  await page.locator('#count', { hasText: `${LIMIT + 1} / ${LIMIT}` }).waitFor();
  await page.keyboard.press('Enter');
  const error = page.locator('#composer-error', { hasText: `HipChat allows ${LIMIT}` });
  await error.waitFor();
  check(await error.isVisible(), 'the refusal is not visible');
  const box = await error.boundingBox();
  const view = page.viewportSize();
  check(box.y >= 0 && box.y + box.height <= view.height, 'the refusal is off-screen');
  check(await page.inputValue('#message') === draft, 'the draft was lost');
  check(await activeId(page) === 'message', 'focus left the message box');
  await page.waitForTimeout(300);
  check(await page.locator('#history > li').count() === before, 'the over-long message was sent');
  // The server refuses it too.
  check(await postAs(context, sandbox, SUPPORT, draft, 1) === 400, 'the sandbox accepted 10001 characters');
  await page.keyboard.press('End');
  await page.keyboard.press('Backspace');
  await page.locator('#count', { hasText: `${LIMIT} / ${LIMIT}` }).waitFor();
  check(await error.count() === 0, 'the refusal stayed after the draft was shortened');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  check(await page.locator('#count').innerText() === '', 'the count stayed for an empty box');
});

step('new messages scroll into view, or a marker offers them', async ({ page, context, sandbox }) => {
  for (let i = 1; i <= 25; i += 1) check(await postAs(context, sandbox, SUPPORT, `filler ${i}`) === 200, 'post failed');
  const last = item(page, 'filler 25');
  await last.waitFor();
  await page.waitForFunction(() => {
    const h = document.getElementById('history');
    return h.scrollHeight - h.scrollTop - h.clientHeight < 5;
  });
  check(await inHistoryView(last), 'a new message at the end did not scroll into view');
  // Read back in the history (keyboard: the history is focusable and scrolls with Home).
  await page.focus('#history');
  await page.keyboard.press('Home');
  await page.waitForFunction(() => document.getElementById('history').scrollTop === 0);
  await postAs(context, sandbox, SUPPORT, 'arrived while reading back');
  const arrived = item(page, 'arrived while reading back');
  await arrived.waitFor({ state: 'attached' });
  const marker = page.locator('#new-messages');
  await marker.waitFor({ state: 'visible' });
  check(!(await inHistoryView(arrived)), 'the history jumped while the reader was reading back');
  await marker.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => {
    const h = document.getElementById('history');
    return h.scrollHeight - h.scrollTop - h.clientHeight < 5;
  });
  check(await inHistoryView(arrived), 'the marker did not bring the new message into view');
  await marker.waitFor({ state: 'hidden' });
  check(await activeId(page) === 'message', 'focus did not return to the message box');
});

step('another room shows an unread marker until opened', async ({ page, context, sandbox }) => {
  await postAs(context, sandbox, ENGINEERING, 'over in engineering');
  await postAs(context, sandbox, ENGINEERING, 'and again');
  const link = page.locator(`#room-list a[href="#room=${ENGINEERING}"]`);
  await link.locator('.unread', { hasText: '2 unread' }).waitFor();
  check(await page.locator(`#room-list a[href="#room=${SUPPORT}"] .unread`).count() === 0, 'the open room is marked unread');
  await link.focus();
  await page.keyboard.press('Enter');
  await item(page, 'over in engineering').waitFor();
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'message');
  check(await link.locator('.unread').count() === 0, 'the unread marker stayed after opening the room');
  await page.goto(`${sandbox}/#room=${SUPPORT}`);
  await item(page, 'arrived while reading back').waitFor();
});

step('a "…" menu works with arrow keys and Esc; each "…" has its own label', async ({ page }) => {
  await page.focus('#message');
  await say(page, '/incident Search index is stale');
  await item(page, 'Search index is stale').locator('button.msg-actions').waitFor();
  await say(page, '/incident Database replica lags behind');
  const card = item(page, 'Database replica lags behind');
  await card.locator('button.msg-actions').waitFor();
  await page.waitForTimeout(200);
  const button = card.locator('button.msg-actions').last();
  await button.focus();
  await page.keyboard.press('Enter');
  const items = page.locator('#menu [role=menuitem]');
  await items.first().waitFor();
  const labels = await items.allInnerTexts();
  check(labels.length >= 2, `the menu has ${labels.length} item(s)`);
  const focused = () => page.evaluate(() => document.activeElement.textContent);
  check(await focused() === labels[0], 'focus is not on the first item');
  await page.keyboard.press('ArrowDown');
  check(await focused() === labels[1], 'ArrowDown did not move to the next item');
  await page.keyboard.press('End');
  check(await focused() === labels[labels.length - 1], 'End did not move to the last item');
  await page.keyboard.press('ArrowDown');
  check(await focused() === labels[0], 'ArrowDown did not wrap to the first item');
  await page.keyboard.press('ArrowUp');
  check(await focused() === labels[labels.length - 1], 'ArrowUp did not wrap to the last item');
  await page.keyboard.press('Escape');
  await page.locator('#menu').waitFor({ state: 'hidden' });
  check(await button.evaluate((b) => b === document.activeElement), 'Esc did not hand focus back to the "…"');
  check(await button.getAttribute('aria-expanded') === 'false', 'aria-expanded stayed true');
  const names = await page.locator('#history button.msg-actions').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
  check(names.length >= 2, 'too few "…" to compare');
  check(new Set(names).size === names.length, `two "…" share a label: ${names.join(' | ')}`);
  check(names.every((n) => n.startsWith('Actions for the message from')), `a "…" is not described: ${names[0]}`);
  check(await page.getAttribute('#input-actions', 'aria-label') === 'Add-on actions', 'the input "…" is unlabelled');
});

step('a dialog takes and holds focus, Cancel is reachable, Esc closes it, focus returns', async ({ page }) => {
  const openMeme = async () => {
    await page.focus('#message');
    await page.keyboard.press('Shift+Tab');
    check(await activeId(page) === 'input-actions', 'Shift+Tab from the message box does not reach the "…"');
    await page.keyboard.press('Enter');
    await page.locator('#menu [role=menuitem]', { hasText: 'Post a meme' }).waitFor();
    check(await page.evaluate(() => document.activeElement.textContent) === 'Post a meme', 'the menu did not take focus');
    await page.keyboard.press('Enter');
    await page.locator('#modal').waitFor({ state: 'visible' });
    await page.frameLocator('#modal-frame').locator('#top').waitFor();
  };
  const inDialog = () => page.evaluate(() => document.getElementById('modal').contains(document.activeElement));
  await openMeme();
  check(await inDialog(), 'the dialog did not take focus');
  let cancel = false;
  for (let i = 0; i < 20; i += 1) {
    await page.keyboard.press('Tab');
    check(await inDialog(), `focus left the dialog after ${i + 1} Tab(s)`);
    if (await page.evaluate(() => document.activeElement.textContent === 'Cancel')) cancel = true;
  }
  check(cancel, 'Tab never reached Cancel');
  for (let i = 0; i < 6; i += 1) {
    await page.keyboard.press('Shift+Tab');
    check(await inDialog(), `focus left the dialog after ${i + 1} Shift+Tab(s)`);
  }
  await page.keyboard.press('Escape');
  await page.locator('#modal').waitFor({ state: 'hidden' });
  check(await activeId(page) === 'message', 'focus did not return to the message box after Esc');

  // Esc typed inside the add-on's form closes the dialog too; Cancel by keyboard closes it.
  await openMeme();
  await page.frameLocator('#modal-frame').locator('#top').focus();
  await page.keyboard.press('Escape');
  await page.locator('#modal').waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'message');
  await openMeme();
  for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement.textContent === 'Cancel')); i += 1) {
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Enter');
  await page.locator('#modal').waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'message');
});

step('the guest view shows staff by name', async ({ page, context, sandbox, dynaboard }) => {
  const console = await context.newPage();
  await console.goto(`${dynaboard}/events`);
  const [guest] = await Promise.all([context.waitForEvent('page'), console.click('#chat')]);
  await guest.waitForLoadState();
  await guest.click('#join button[type=submit]');
  await guest.locator('#message').waitFor();
  const box = await guest.locator('#message').boundingBox();
  check(box.height >= 28, `the guest's message box is ${box.height} px tall`);
  const room = page.locator('#room-list a', { has: page.locator('.guest') }).last();
  await room.waitFor();
  const id = Number((await room.getAttribute('href')).split('=')[1]);
  check(await postAs(context, sandbox, id, 'Hi, Ada from support here', 1) === 200, 'staff could not post');
  const line = guest.locator('#history li', { hasText: 'Ada from support here' });
  await line.waitFor();
  const from = await line.locator('.from').innerText();
  check(from === 'Ada Admin', `the guest sees the staff member as "${from}"`);
  await guest.screenshot({ path: `${SHOTS}/chat-client-guest-names-staff.png` });
  await guest.close();
  await console.close();
});

/** Visible controls under `root` without an accessible name. */
const unlabelled = (page, root) => page.locator(root).evaluate((r) => [...r.querySelectorAll('button, input, select, textarea, iframe, a[href]')]
  .filter((c) => c.getClientRects().length)
  .filter((c) => {
    const by = c.getAttribute('aria-labelledby');
    const name = c.getAttribute('aria-label') || (by && document.getElementById(by)?.textContent)
      || (c.labels && [...c.labels].map((l) => l.textContent).join('')) || c.title
      || (['INPUT', 'SELECT', 'TEXTAREA', 'IFRAME'].includes(c.tagName) ? '' : c.textContent);
    return !(name || '').trim();
  })
  .map((c) => c.outerHTML.slice(0, 80)));

step('every control has a label; the Integrations panel holds focus and closes on Esc', async ({ page }) => {
  const bare = await unlabelled(page, 'body');
  check(!bare.length, `unlabelled: ${bare.join(' | ')}`);
  await page.focus('#open-integrations');
  await page.keyboard.press('Enter');
  await page.locator('#integrations').waitFor({ state: 'visible' });
  const inPanel = () => page.evaluate(() => document.getElementById('integrations').contains(document.activeElement));
  check(await inPanel(), 'the panel did not take focus');
  const inside = await unlabelled(page, '#integrations');
  check(!inside.length, `unlabelled in the panel: ${inside.join(' | ')}`);
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press('Tab');
    check(await inPanel(), `focus left the panel after ${i + 1} Tab(s)`);
  }
  await page.keyboard.press('Escape');
  await page.locator('#integrations').waitFor({ state: 'hidden' });
  check(await activeId(page) === 'message', 'focus did not return to the message box');
});

step('tags, muted text and buttons have WCAG AA contrast (4.5:1)', async ({ page }) => {
  await page.locator('#room-list .guest').first().waitFor();
  await postAs(page.context(), new URL(page.url()).origin, ENGINEERING, 'unread for the badge');
  await page.locator('#room-list .unread').first().waitFor();
  const checks = {
    'the "guest" tag': '#room-list .guest',
    'the "ADD-ON" tag': '#history .msg-head .addon',
    'the unread marker': '#room-list .unread',
    'the time of a message': '#history .msg-head .muted',
    'the Rooms heading': '#rooms h2',
    'the Send button': '#composer button[type=submit]',
    'the Integrations button': '#open-integrations',
    'the "…" button': '#input-actions',
    'the sandbox badge': '#top .badge',
    'a lozenge': '.glance .lozenge',
  };
  const low = [];
  for (const [what, selector] of Object.entries(checks)) {
    const ratio = await contrast(page, selector);
    if (!(ratio >= 4.5)) low.push(`${what} ${ratio.toFixed(2)}:1`);
  }
  check(!low.length, `below 4.5:1: ${low.join(', ')}`);
});

step('at 800 px Send is inside the window', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 700 });
  await page.waitForTimeout(100);
  const send = await page.locator('#composer button[type=submit]').boundingBox();
  check(send.x >= 0 && send.x + send.width <= 800 && send.y + send.height <= 700, `Send is at ${JSON.stringify(send)}`);
  const box = await page.locator('#message').boundingBox();
  check(box.width >= 150, `the message box is ${box.width} px wide`);
});

step('at phone width the chat column and message box are visible', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(100);
  const chat = await page.locator('#chat').boundingBox();
  check(chat && chat.width >= 350 && chat.x >= 0 && chat.x + chat.width <= 391, `the chat column is at ${JSON.stringify(chat)}`);
  const history = await page.locator('#history').boundingBox();
  check(history.height >= 200, `the history is ${history.height} px tall`);
  for (const selector of ['#message', '#composer button[type=submit]', '#input-actions']) {
    const b = await page.locator(selector).boundingBox();
    check(b && b.width > 0 && b.x >= 0 && b.x + b.width <= 390 && b.y >= 0 && b.y + b.height <= 844, `${selector} is at ${JSON.stringify(b)}`);
  }
  check(await page.locator('#message').isVisible(), 'the message box is hidden');
  await say(page, 'typed on a phone');
  await item(page, 'typed on a phone').waitFor();
});

await runSteps('chat-client', steps);
