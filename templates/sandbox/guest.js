// The guest view of a room with guest access: a name, then the room's history and a message box.
// Staff appear under their names, learnt from the room's guest API.

import { api } from './api.js';
import { initComposer } from './composer.js';
import { renderMessage } from './render.js';

const token = location.pathname.split('/').pop();
const $ = (id) => document.getElementById(id);
let guestName = '';

const names = new Map();

/** The room, its history and its people; remembers the people's names. */
async function fetchRoom() {
  const answer = await api('GET', `/sandbox/api/guest/${token}`);
  for (const p of answer.people || []) names.set(p.id, p.name);
  return answer;
}

async function show(message) {
  const author = message.author || {};
  // Someone who joined the group after the page loaded.
  if (author.kind === 'user' && !names.has(author.id)) await fetchRoom().catch(() => {});
  $('history').append(renderMessage(message, names));
  $('history').scrollTop = $('history').scrollHeight;
}

async function start() {
  const { room, messages } = await fetchRoom();
  $('room-title').textContent = room.name;
  $('welcome').textContent = `Join ${room.name}`;
  $('guest-name').value = new URLSearchParams(location.search).get('name') || '';
  $('guest-name').focus();
  $('join').addEventListener('submit', (e) => {
    e.preventDefault();
    guestName = $('guest-name').value.trim();
    if (!guestName) return;
    $('join').classList.add('hidden');
    $('chat').classList.remove('hidden');
    $('history').replaceChildren(...messages.map((m) => renderMessage(m, names)));
    $('history').scrollTop = $('history').scrollHeight;
    const source = new EventSource(`/sandbox/api/guest/${token}/events`);
    source.addEventListener('sandbox', (ev) => {
      const event = JSON.parse(ev.data);
      if (event.type === 'message') show(event.message);
    });
    $('message').focus();
  });
  initComposer({
    form: $('composer'), box: $('message'), error: $('composer-error'), count: $('count'),
    send: (text) => api('POST', `/sandbox/api/guest/${token}/messages`, { name: guestName, message: text }),
  });
}

start();
