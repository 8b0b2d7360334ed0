// Dialogs and panels over the page: they take focus when they open and keep it while open
// (Tab and Shift+Tab cycle inside; focus that wanders out is brought back), Esc closes the
// innermost, and once the last one closes focus returns to the message box.

const FOCUSABLE = 'button, [href], input, select, textarea, iframe, [tabindex]:not([tabindex="-1"])';
const stack = []; // open overlays, innermost last: { overlay, close }
let home = () => null;

/** Installs the key and focus handlers; `homeElement()` is where focus goes at the end. */
export function initOverlays(homeElement) {
  home = homeElement;
  document.addEventListener('keydown', onKey);
  document.addEventListener('focusin', onFocusIn);
}

/** Shows `overlay` and moves focus into it; `close()` is what Esc does. */
export function openOverlay(overlay, close) {
  overlay.classList.remove('hidden');
  if (!stack.some((o) => o.overlay === overlay)) stack.push({ overlay, close });
  if (!overlay.contains(document.activeElement)) focusFirst(overlay);
}

/** Hides `overlay`; focus goes to the overlay below it, else to the message box. */
export function closeOverlay(overlay) {
  overlay.classList.add('hidden');
  const at = stack.findIndex((o) => o.overlay === overlay);
  if (at < 0) return;
  stack.splice(at, 1);
  const below = top();
  if (below) focusFirst(below.overlay);
  else if (home()) home().focus();
}

/** Whether `overlay` is open. */
export const isOpen = (overlay) => stack.some((o) => o.overlay === overlay);

const top = () => stack[stack.length - 1];

function focusables(overlay) {
  return [...overlay.querySelectorAll(FOCUSABLE)].filter((e) => !e.disabled && e.getClientRects().length);
}

function focusFirst(overlay) {
  const first = focusables(overlay)[0];
  if (first) first.focus();
}

function onKey(e) {
  const open = top();
  if (!open) return;
  if (e.key === 'Escape') {
    e.preventDefault();
    open.close();
    return;
  }
  if (e.key !== 'Tab') return;
  const items = focusables(open.overlay);
  if (!items.length) return;
  const [first, last] = [items[0], items[items.length - 1]];
  const inside = open.overlay.contains(document.activeElement);
  if (e.shiftKey && (!inside || document.activeElement === first)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (!inside || document.activeElement === last)) {
    e.preventDefault();
    first.focus();
  }
}

function onFocusIn(e) {
  const open = top();
  if (open && !open.overlay.contains(e.target)) focusFirst(open.overlay);
}
