// The sandbox HipChat client: rooms, history (live over server-sent events), the message box,
// glances, message and input actions, and the integrations panel — built from the descriptors
// of the installed add-ons, as HipChat's own client was.

import { api } from './api.js';
import { initComposer } from './composer.js';
import { appendItem, initHistory, showHistory } from './history.js';
import { initMenu, showMenu } from './menu.js';
import { closeOverlay, initOverlays, openOverlay } from './overlay.js';
import { authorName, el, renderMessage } from './render.js';
import { findModule, initViews, openModule, openPage } from './views.js';

const state = {
  users: [], rooms: [], installations: [], user: null, room: null, modules: [], messages: new Map(),
  unread: new Map(), // room id -> messages that arrived while another room was shown
};
const $ = (id) => document.getElementById(id);

function notice(text) {
  const li = el('li', 'notification color-red');
  li.append(el('div', 'msg-head', 'sandbox'), el('div', 'msg-body', text));
  appendItem(li, true);
}

const names = () => new Map(state.users.map((u) => [u.id, u.name]));

// --- state and rooms --------------------------------------------------------------------------

async function loadState() {
  const s = await api('GET', '/sandbox/api/state');
  state.users = s.users;
  state.rooms = s.rooms;
  state.installations = s.installations;
  const select = $('user');
  if (!select.options.length) {
    for (const u of state.users) select.append(new Option(u.name, u.id));
    const saved = Number(localStorage.getItem('sandbox-user')) || 1;
    select.value = String(state.users.some((u) => u.id === saved) ? saved : state.users[0].id);
  }
  state.user = state.users.find((u) => String(u.id) === select.value);
  renderRooms();
}

function renderRooms() {
  const list = $('room-list');
  // Rebuilding the list must not take focus away from the room link a keyboard user is on.
  const focused = list.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
  list.replaceChildren(...state.rooms.map(roomLink));
  if (focused) list.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
  if (state.room) {
    const fresh = state.rooms.find((r) => r.id === state.room.id);
    if (fresh) {
      state.room = fresh;
      $('room-name').textContent = fresh.name;
      $('room-topic').textContent = fresh.topic || '';
    }
  }
}

function roomLink(r) {
  const current = state.room && r.id === state.room.id;
  const a = el('a', current ? 'current' : '');
  a.append(el('span', 'room-name', r.name));
  a.href = `#room=${r.id}`;
  if (current) a.setAttribute('aria-current', 'page');
  if (r.guest_access) a.append(el('span', 'guest', 'guest'));
  const unread = state.unread.get(r.id) || 0;
  if (unread) {
    a.classList.add('has-unread');
    const badge = el('span', 'unread', String(unread));
    badge.append(el('span', 'visually-hidden', ' unread'));
    a.append(badge);
  }
  const li = el('li');
  li.append(a);
  return li;
}

/** Shows room `id` (the first room when there is none); `focus` puts focus in the message box. */
async function selectRoom(id, focus) {
  const room = state.rooms.find((r) => r.id === id) || state.rooms[0];
  if (!room) return;
  state.room = room;
  state.unread.delete(room.id);
  renderRooms();
  const [{ items }, { installations }] = await Promise.all([
    api('GET', `/sandbox/api/rooms/${room.id}/messages`),
    api('GET', `/sandbox/api/rooms/${room.id}/modules`),
  ]);
  state.modules = installations;
  state.messages = new Map(items.map((m) => [m.id, m]));
  showHistory(items.map(messageItem));
  renderGlances();
  document.getElementById('sidebar').classList.add('hidden');
  if (focus) $('message').focus();
}

// --- messages ---------------------------------------------------------------------------------

function installationOf(posted) {
  return posted.author && posted.author.kind === 'addon' ? state.modules.find((i) => i.oauth_id === posted.author.oauth_id) : null;
}

/** The message object handed to action handlers: HipChat's fields plus the card's metadata. */
function messageObject(posted) {
  return {
    id: posted.id, date: posted.date, message: posted.message, type: posted.kind,
    card: posted.card || null, metadata: (posted.card && posted.card.metadata) || null,
  };
}

function messageActions(posted) {
  const out = [];
  for (const inst of state.modules) {
    for (const action of inst.actions || []) {
      if (action.location === 'hipchat.message.action' && conditionsHold(action.conditions, posted)) out.push({ inst, action });
    }
  }
  return out;
}

/** card_matches and its and/or/invert composition; any other condition hides the action. */
function conditionsHold(conditions, posted) {
  if (!conditions || !conditions.length) return true;
  return conditions.every((c) => condition(c, posted));
}

function condition(c, posted) {
  let result;
  if (c.conditions) {
    const parts = c.conditions.map((x) => condition(x, posted));
    result = c.type === 'or' ? parts.some(Boolean) : parts.every(Boolean);
  } else if (c.condition === 'card_matches') {
    const metadata = (posted.card && posted.card.metadata) || {};
    result = ((c.params && c.params.metadata) || []).every((m) => metadata[m.attr] === m.eq);
  } else if (c.condition === 'message_sent_by_current_user') {
    result = posted.author && posted.author.kind === 'user' && posted.author.id === state.user.id;
  } else {
    return false;
  }
  return c.invert ? !result : result;
}

function messageItem(posted) {
  const li = renderMessage(posted, names());
  const actions = messageActions(posted);
  if (actions.length) {
    const button = el('button', 'msg-actions', '…');
    button.type = 'button';
    button.title = 'Actions';
    button.setAttribute('aria-label', actionsLabel(posted));
    button.setAttribute('aria-haspopup', 'menu');
    button.setAttribute('aria-expanded', 'false');
    button.onclick = (e) => showMenu(e.currentTarget, actions.map(({ inst, action }) => ({
      label: (action.name && action.name.value) || action.key,
      run: () => openModule(inst, action.target, { name: action.key, data: messageObject(posted) }),
    })));
    li.append(button);
  }
  return li;
}

/** Each "…" names its message: who, when and what, so a screen reader can tell them apart. */
function actionsLabel(posted) {
  const time = new Date(posted.date).toLocaleTimeString();
  const text = (posted.card && posted.card.title) || new DOMParser().parseFromString(posted.message || '', 'text/html').body.textContent;
  const snippet = text.length > 60 ? `${text.slice(0, 59)}…` : text;
  return `Actions for the message from ${authorName(posted, names())} at ${time}: ${snippet}`;
}

const ownMessage = (posted) => posted.author && posted.author.kind === 'user' && state.user && posted.author.id === state.user.id;

function onMessage(posted) {
  if (state.room && posted.room_id === state.room.id) {
    state.messages.set(posted.id, posted);
    appendItem(messageItem(posted), ownMessage(posted));
  } else if (!ownMessage(posted)) {
    state.unread.set(posted.room_id, (state.unread.get(posted.room_id) || 0) + 1);
    renderRooms();
  }
}

function onEvent(event) {
  if (event.type === 'message') {
    onMessage(event.message);
  } else if (event.type === 'glance' && state.room && event.room_id === state.room.id) {
    showGlance(event.oauth_id, event.key, event.content);
  } else if (event.type === 'rooms') {
    loadState();
  }
}

function listen() {
  const source = new EventSource('/sandbox/api/events');
  source.addEventListener('sandbox', (e) => onEvent(JSON.parse(e.data)));
  source.addEventListener('reload', () => selectRoom(state.room && state.room.id));
}

// --- glances ----------------------------------------------------------------------------------

function renderGlances() {
  const box = $('glances');
  box.replaceChildren();
  for (const inst of state.modules) {
    for (const glance of inst.glances || []) {
      const button = el('button', 'glance');
      button.dataset.key = `${inst.oauth_id}/${glance.key}`;
      if (glance.icon && glance.icon.url) {
        const img = el('img');
        img.src = glance.icon.url;
        img.alt = '';
        button.append(img);
      }
      button.append(el('span', 'glance-label', (glance.name && glance.name.value) || glance.key), el('span', 'glance-status'));
      if (glance.target) button.onclick = () => openModule(inst, glance.target);
      box.append(button);
      queryGlance(inst, glance);
    }
  }
}

/** The browser asks the add-on's queryUrl itself, cross-origin, as HipChat's client did. */
async function queryGlance(inst, glance) {
  if (!glance.queryUrl) return;
  try {
    const { token } = await api('POST', '/sandbox/api/sign', { oauth_id: inst.oauth_id, user_id: state.user.id, room_id: state.room.id });
    const url = new URL(glance.queryUrl);
    url.searchParams.set('signed_request', token);
    const response = await fetch(url, { mode: 'cors' });
    if (response.ok) showGlance(inst.oauth_id, glance.key, await response.json());
  } catch {
    // HipChat showed name.value when the query failed; so do we.
  }
}

function showGlance(oauthId, key, content) {
  const button = document.querySelector(`.glance[data-key="${CSS.escape(`${oauthId}/${key}`)}"]`);
  if (!button || !content) return;
  const label = button.querySelector('.glance-label');
  const doc = new DOMParser().parseFromString(`<body>${(content.label && content.label.value) || ''}</body>`, 'text/html');
  label.textContent = doc.body.textContent; // glance labels: simple inline text
  const status = button.querySelector('.glance-status');
  status.replaceChildren();
  const s = content.status;
  if (s && s.type === 'lozenge' && s.value) status.append(el('span', `lozenge lozenge-${s.value.type}`, s.value.label));
  else if (s && s.type === 'icon' && s.value && s.value.url) status.append(Object.assign(el('img'), { src: s.value.url, alt: '' }));
}

// --- integrations -----------------------------------------------------------------------------

async function showIntegrations() {
  await loadState();
  const list = $('installed');
  const here = state.modules;
  list.replaceChildren(...here.map((inst) => {
    const li = el('li');
    li.append(el('span', 'name', `${inst.name} ${inst.global ? '(global)' : '(this room)'}`));
    const conf = inst.configurable && inst.configurable.url;
    if (conf) {
      const b = el('button', '', 'Configure');
      b.onclick = () => { closeIntegrations(); openPage(inst, `Configure ${inst.name}`, conf); };
      li.append(b);
    }
    const remove = el('button', '', 'Uninstall');
    remove.onclick = async () => {
      remove.disabled = true;
      try {
        const r = await api('DELETE', `/sandbox/api/installations/${inst.oauth_id}`);
        $('install-result').textContent = `Uninstalled; the add-on answered ${r.addon_status}.`;
      } catch (e) {
        $('install-result').textContent = e.message;
      }
      await selectRoom(state.room.id);
      showIntegrations();
    };
    li.append(remove);
    return li;
  }));
  if (!here.length) list.append(el('li', 'muted', 'No add-on is installed in this room.'));
  openOverlay($('integrations'), closeIntegrations);
}

function closeIntegrations() {
  closeOverlay($('integrations'));
}

async function install(event) {
  event.preventDefault();
  const global = document.querySelector('input[name=scope]:checked').value === 'global';
  $('install-result').textContent = 'Installing…';
  $('install-errors').replaceChildren();
  try {
    const began = await api('POST', '/sandbox/api/installations', { descriptor_url: $('descriptor-url').value, room_id: global ? null : state.room.id });
    if (began && began.open_url) {
      // Redirect flow: the add-on reads its credentials, then sends this tab back here.
      window.location.assign(began.open_url);
      return;
    }
    $('install-result').textContent = 'Installed.';
    await selectRoom(state.room.id);
    showIntegrations();
  } catch (e) {
    showInstallErrors(e);
  }
}

/** A refused installation: the summary, then every broken descriptor rule on its own line. */
function showInstallErrors(e) {
  const errors = e.errors || [];
  $('install-result').textContent = errors.length
    ? `HipChat refused the descriptor (${errors.length} ${errors.length === 1 ? 'error' : 'errors'}):`
    : e.message;
  $('install-errors').replaceChildren(...errors.map((err) => {
    const li = el('li');
    li.append(el('code', '', err.path || '(descriptor)'), ` ${err.message} `, el('span', 'muted', `[${err.rule}]`));
    return li;
  }));
}

// --- start ------------------------------------------------------------------------------------

function roomFromHash() {
  const m = /room=(\d+)/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

async function start() {
  initOverlays(() => $('message'));
  initMenu();
  initViews({
    api,
    notice,
    user: () => state.user,
    room: () => state.room,
    participants: () => state.users.map((u) => ({ id: u.id, name: u.name, mention_name: u.mention_name })),
    chatInput: () => $('message'),
  });
  await loadState();
  $('user').addEventListener('change', () => {
    localStorage.setItem('sandbox-user', $('user').value);
    state.user = state.users.find((u) => String(u.id) === $('user').value);
    selectRoom(state.room.id);
  });
  window.addEventListener('hashchange', () => selectRoom(roomFromHash(), true));
  initComposer({
    form: $('composer'), box: $('message'), error: $('composer-error'), count: $('count'),
    send: (text) => api('POST', `/sandbox/api/rooms/${state.room.id}/messages`, { user_id: state.user.id, message: text }),
  });
  initHistory(() => $('message').focus());
  $('input-actions').addEventListener('click', (e) => {
    const items = [];
    for (const inst of state.modules) {
      for (const action of inst.actions || []) {
        if (action.location === 'hipchat.input.action') {
          items.push({ label: (action.name && action.name.value) || action.key, run: () => openModule(inst, action.target) });
        }
      }
    }
    showMenu(e.currentTarget, items, 'Add-on actions');
    e.stopPropagation();
  });
  // Links with data-target open that module of the add-on that posted them.
  $('history').addEventListener('click', (e) => {
    const link = e.target.closest('a[data-target]');
    if (!link) return;
    e.preventDefault();
    const li = link.closest('li');
    const posted = li && state.messages.get(li.dataset.id);
    const inst = posted && installationOf(posted);
    if (!inst || !findModule(inst, link.dataset.target)) return notice(`Nothing to open for "${link.dataset.target}".`);
    let options = {};
    try { options = JSON.parse(link.dataset.targetOptions || '{}'); } catch { /* ignore bad options */ }
    openModule(inst, { key: link.dataset.target, options });
  });
  $('open-integrations').addEventListener('click', showIntegrations);
  $('integrations-close').addEventListener('click', closeIntegrations);
  $('install-form').addEventListener('submit', install);
  listen();
  await selectRoom(roomFromHash() || (state.rooms[0] && state.rooms[0].id), true);
}

start();
