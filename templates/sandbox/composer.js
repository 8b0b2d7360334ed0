// The message box: Enter sends, Shift+Enter starts a new line, the box grows with its text, and
// a message over HipChat's length limit (HIPCHAT-CONNECT.md §7.2) is refused here, before
// sending, with the draft kept and a live count near the limit. The server refuses it too.

/** HipChat's longest message, in characters. */
export const MAX_CHARS = 10000;
// Below this the count would only be noise.
const COUNT_FROM = MAX_CHARS - 1000;

/** Characters as HipChat (and the sandbox's `chars().count()`) counts them: code points. */
export const charCount = (text) => [...text].length;

/**
 * Wires the composer. `send(text)` posts a message and throws an Error when it was refused;
 * the draft stays in the box until a send succeeds.
 */
export function initComposer({ form, box, error, count, send }) {
  const refresh = () => { grow(box); showCount(box, count); };
  box.addEventListener('input', () => { error.textContent = ''; refresh(); });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = box.value;
    if (sending || !text.trim()) return;
    const refusal = tooLong(text);
    if (refusal) {
      error.textContent = refusal;
      box.focus();
      return;
    }
    sending = true;
    error.textContent = '';
    try {
      await send(text);
      if (box.value === text) box.value = '';
    } catch (err) {
      error.textContent = `Not sent: ${err.message}`;
    } finally {
      sending = false;
      refresh();
      box.focus();
    }
  });
  refresh();
}

function tooLong(text) {
  const n = charCount(text);
  if (n <= MAX_CHARS) return '';
  return `Not sent: the message has ${n} characters and HipChat allows ${MAX_CHARS}; shorten it by ${n - MAX_CHARS}.`;
}

function showCount(box, count) {
  const n = charCount(box.value);
  const over = n > MAX_CHARS;
  count.textContent = n >= COUNT_FROM ? `${n} / ${MAX_CHARS}` : '';
  count.classList.toggle('over', over);
  box.classList.toggle('over', over);
  box.setAttribute('aria-invalid', String(over));
}

// Up to the CSS max-height, then the box scrolls.
function grow(box) {
  box.style.height = 'auto';
  if (!box.getClientRects().length) return; // not shown yet: nothing to measure
  box.style.height = `${box.scrollHeight + 2}px`;
}
