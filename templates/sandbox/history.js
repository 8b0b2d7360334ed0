// The room's history as it grows: a new item scrolls into view when the reader is at the end
// (or sent it), else a "new messages" marker offers the jump; pictures that arrive later keep
// the end in view.

const $ = (id) => document.getElementById(id);
let pinned = true; // the history is scrolled to its end

/** Wires the scroll tracking and the marker; `onJump()` runs after the marker was used. */
export function initHistory(onJump) {
  $('history').addEventListener('scroll', () => {
    pinned = atBottom($('history'));
    if (pinned) $('new-messages').classList.add('hidden');
  });
  $('new-messages').addEventListener('click', () => {
    pinned = true;
    scrollDown();
    onJump();
  });
}

/** Replaces the history with `items`, scrolled to the end. */
export function showHistory(items) {
  $('history').replaceChildren(...items);
  pinned = true;
  scrollDown();
  $('history').querySelectorAll('img').forEach(keepPinned);
}

/** Adds an item at the end; `own` (sent by the reader) always scrolls it into view. */
export function appendItem(li, own) {
  $('history').append(li);
  if (own || pinned) scrollDown();
  else $('new-messages').classList.remove('hidden');
  li.querySelectorAll('img').forEach(keepPinned);
}

function scrollDown() {
  const h = $('history');
  h.scrollTop = h.scrollHeight;
  $('new-messages').classList.add('hidden');
}

const atBottom = (h) => h.scrollHeight - h.scrollTop - h.clientHeight < 40;

// Pictures change the height when they arrive.
function keepPinned(img) {
  img.addEventListener('load', () => { if (pinned) scrollDown(); }, { once: true });
}
