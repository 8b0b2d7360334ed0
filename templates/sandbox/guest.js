// The guest view of a room with guest access: a name, then the room's history and a message box.

import { api } from './api.js';
import { renderMessage } from './render.js';

const token = location.pathname.split('/').pop();
const $ = (id) => document.getElementById(id);
let guestName = '';

const names = new Map();

async function start() {
  const { room, messages } = await api('GET', `/sandbox/api/guest/${token}`);
  $('room-title').textContent = room.name;
  $('welcome').textContent = `Join ${room.name}`;
  $('guest-name').value = new URLSearchParams(location.search).get('name') || '';
  $('join').addEventListener('submit', (e) => {
    e.preventDefault();
    guestName = $('guest-name').value.trim();
    if (!guestName) return;
    $('join').classList.add('hidden');
    $('chat').classList.remove('hidden');
    $('history').replaceChildren(...messages.map((m) => renderMessage(m, names)));
    const source = new EventSource(`/sandbox/api/guest/${token}/events`);
    source.addEventListener('sandbox', (ev) => {
      const event = JSON.parse(ev.data);
      if (event.type === 'message') $('history').append(renderMessage(event.message, names));
      $('history').scrollTop = $('history').scrollHeight;
    });
    $('message').focus();
  });
  $('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('message').value;
    if (!text.trim()) return;
    $('message').value = '';
    await api('POST', `/sandbox/api/guest/${token}/messages`, { name: guestName, message: text });
  });
}

start();
