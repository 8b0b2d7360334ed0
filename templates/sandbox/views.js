// Add-on views in iframes (sidebar web panels, dialogs, the configuration page), each loaded
// with a fresh signed_request, and the host side of the all.js bridge (HIPCHAT-CONNECT.md §11).

import { closeOverlay, openOverlay } from './overlay.js';
import { el } from './render.js';

const frames = new Map(); // contentWindow -> { iframe, installation, origin, registered, pending }
let host = null; // { user(), room(), participants(), chatInput(), api }

/** Wires the bridge to the client. */
export function initViews(client) {
  host = client;
  window.addEventListener('message', onMessage);
  document.getElementById('sidebar-close').addEventListener('click', closeSidebar);
  document.getElementById('modal-close').addEventListener('click', closeDialog);
}

async function signedUrl(installation, url, urlParameters) {
  const { token } = await host.api('POST', '/sandbox/api/sign', {
    oauth_id: installation.oauth_id, user_id: host.user().id, room_id: host.room().id,
  });
  const target = new URL(url);
  target.searchParams.set('signed_request', token);
  target.searchParams.set('theme', 'light');
  for (const [k, v] of Object.entries(urlParameters || {})) target.searchParams.set(k, v);
  return target.href;
}

async function load(iframe, installation, url, urlParameters) {
  const src = await signedUrl(installation, url, urlParameters);
  frames.set(iframe.contentWindow, { iframe, installation, origin: new URL(src).origin, registered: new Set(), pending: [] });
  iframe.src = src;
  // A dialog's own form gets focus once loaded, unless the user has moved on.
  const close = document.getElementById('modal-close');
  if (iframe.id === 'modal-frame') iframe.addEventListener('load', () => { if (document.activeElement === close) iframe.focus(); }, { once: true });
}

/** Finds a module of an installation by key, in any capability. */
export function findModule(installation, key) {
  for (const kind of ['webPanels', 'dialogs']) {
    const module = (installation[kind] || []).find((m) => m.key === key);
    if (module) return { kind, module };
  }
  return null;
}

/** Opens a module (web panel or dialog) by key; `delivery` is an event for it once it registers. */
export async function openModule(installation, target, delivery) {
  const key = typeof target === 'string' ? target : target && target.key;
  const found = findModule(installation, key);
  if (!found) {
    host.notice(`${installation.name} declares no web panel or dialog "${key}".`);
    return;
  }
  const urlParameters = (typeof target === 'object' && target.options && target.options.urlParameters) || {};
  if (found.kind === 'webPanels') await openSidebar(installation, found.module, urlParameters);
  else await openDialog(installation, found.module, urlParameters);
  if (delivery) {
    const frame = found.kind === 'webPanels' ? document.getElementById('sidebar-frame') : document.getElementById('modal-frame');
    deliver(frame.contentWindow, delivery.name, delivery.data);
  }
}

async function openSidebar(installation, module, urlParameters) {
  document.getElementById('sidebar').classList.remove('hidden');
  document.getElementById('sidebar-title').textContent = (module.name && module.name.value) || module.key;
  await load(document.getElementById('sidebar-frame'), installation, module.url, urlParameters);
}

function closeSidebar() {
  const frame = document.getElementById('sidebar-frame');
  frames.delete(frame.contentWindow);
  frame.removeAttribute('src');
  document.getElementById('sidebar').classList.add('hidden');
  host.chatInput().focus();
}

/** Opens any URL of an add-on in the modal without buttons (the configuration page). */
export async function openPage(installation, title, url) {
  setupModal(title, { primaryAction: null, secondaryActions: [], size: { width: '760px', height: '600px' } }, null);
  await load(document.getElementById('modal-frame'), installation, url, {});
}

async function openDialog(installation, module, urlParameters) {
  setupModal((module.title && module.title.value) || module.key, module.options || {}, installation);
  await load(document.getElementById('modal-frame'), installation, module.url, urlParameters);
}

function setupModal(title, options, installation) {
  const modal = document.getElementById('modal');
  const box = modal.querySelector('.modal-box');
  box.classList.toggle('warning', options.style === 'warning');
  const size = options.size;
  const sizes = { small: ['400px', '260px'], medium: ['600px', '420px'], large: ['800px', '560px'], xlarge: ['960px', '680px'] };
  const [w, h] = typeof size === 'string' ? sizes[size] || sizes.medium : [size && size.width, size && size.height];
  box.style.width = w || '600px';
  box.style.height = h ? `calc(${h} + 100px)` : '480px';
  document.getElementById('modal-title').textContent = title;
  document.getElementById('modal-hint').textContent = (options.hint && options.hint.value) || '';
  const primary = document.getElementById('modal-primary');
  const frame = document.getElementById('modal-frame');
  if (options.primaryAction) {
    const key = options.primaryAction.key || 'primary-action-selected';
    primary.classList.remove('hidden');
    primary.textContent = (options.primaryAction.name && options.primaryAction.name.value) || 'OK';
    primary.disabled = options.primaryAction.enabled === false;
    primary.onclick = () => buttonClick(frame.contentWindow, key);
  } else {
    primary.classList.add('hidden');
  }
  const secondary = document.getElementById('modal-secondary');
  secondary.replaceChildren();
  const secondaries = options.secondaryActions === undefined
    ? (installation ? [{ name: { value: 'Close' }, key: 'close' }] : [])
    : options.secondaryActions || [];
  for (const action of secondaries) {
    // Buttons, not bare links, so Tab reaches them.
    const button = el('button', '', (action.name && action.name.value) || action.key);
    button.type = 'button';
    button.onclick = () => buttonClick(frame.contentWindow, action.key);
    secondary.append(button);
  }
  openOverlay(modal, closeDialog);
}

function closeDialog() {
  const frame = document.getElementById('modal-frame');
  frames.delete(frame.contentWindow);
  frame.removeAttribute('src');
  closeOverlay(document.getElementById('modal'));
}

/** A dialog button: the view decides through its dialog-button-click handler, else it closes. */
function buttonClick(win, key) {
  const entry = frames.get(win);
  if (entry && entry.registered.has('dialog-button-click')) send(entry, { hipchat: 'event', name: 'dialog-button-click', data: { action: key } });
  else closeDialog();
}

function send(entry, message) {
  entry.iframe.contentWindow.postMessage(message, entry.origin);
}

/** Sends an event once the view has registered a handler for it. */
function deliver(win, name, data) {
  const entry = frames.get(win);
  if (!entry) return;
  if (entry.registered.has(name)) send(entry, { hipchat: 'event', name, data });
  else entry.pending.push({ name, data });
}

async function onMessage(event) {
  const entry = frames.get(event.source);
  // Only frames we opened, speaking from the origin we loaded them from.
  if (!entry || event.origin !== entry.origin) return;
  const m = event.data || {};
  if (m.hipchat !== 'call') return;
  const reply = (result, error) => send(entry, { hipchat: 'reply', id: m.id, result, error });
  try {
    reply(await handle(entry, m.name, m.args || {}));
  } catch (e) {
    reply(undefined, String(e && e.message ? e.message : e));
  }
}

async function handle(entry, name, args) {
  switch (name) {
    case 'register':
      for (const n of args.names || []) entry.registered.add(n);
      entry.pending = entry.pending.filter((p) => {
        if (!entry.registered.has(p.name)) return true;
        send(entry, { hipchat: 'event', name: p.name, data: p.data });
        return false;
      });
      return true;
    case 'auth.withToken': {
      const { token } = await host.api('POST', '/sandbox/api/sign', {
        oauth_id: entry.installation.oauth_id, user_id: host.user().id, room_id: host.room().id,
      });
      return token;
    }
    case 'dialog.open': {
      const found = findModule(entry.installation, args.key);
      if (!found || found.kind !== 'dialogs') throw new Error(`no dialog ${args.key}`);
      await openDialog(entry.installation, found.module, args.urlParameters || {});
      return true;
    }
    case 'dialog.updatePrimaryAction':
      if (entry.iframe.id === 'modal-frame') document.getElementById('modal-primary').disabled = args.enabled === false;
      return true;
    case 'dialog.close':
      if (entry.iframe.id === 'modal-frame') closeDialog();
      return true;
    case 'escape': // Esc pressed inside a view: as on the page, it closes the dialog
      if (entry.iframe.id === 'modal-frame') closeDialog();
      else host.chatInput().focus();
      return true;
    case 'chat.appendMessage':
      host.chatInput().value += String(args.text || '');
      host.chatInput().dispatchEvent(new Event('input')); // the count and height follow
      return true;
    case 'chat.focus':
      host.chatInput().focus();
      return true;
    case 'room.getRoomDetails': {
      const r = host.room();
      return { id: r.id, name: r.name, topic: r.topic, privacy: r.privacy, is_guest_accessible: r.guest_access };
    }
    case 'room.getParticipants':
      return host.participants();
    case 'user.getCurrentUser': {
      const u = host.user();
      return { id: u.id, name: u.name, mention_name: u.mention_name, email: u.email, timezone: u.timezone };
    }
    case 'sidebar.openView': {
      const found = findModule(entry.installation, args.key);
      if (!found || found.kind !== 'webPanels') throw new Error(`no web panel ${args.key}`);
      await openSidebar(entry.installation, found.module, args.urlParameters || {});
      return true;
    }
    default:
      throw new Error(`all.js call ${name} is not supported by the sandbox`);
  }
}
