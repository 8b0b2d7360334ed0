// The "…" menus: open under their button with focus on the first item; arrow keys, Home and
// End move; Enter runs; Esc and Tab close and hand focus back to the button.

import { el } from './render.js';

const menu = () => document.getElementById('menu');
let current = null; // { anchor, outside: AbortController }

/** Shows `items` ({label, run}) in the menu under `anchor`, named `label` for screen readers. */
export function showMenu(anchor, items, label) {
  hideMenu();
  const box = menu();
  box.setAttribute('aria-label', label || anchor.getAttribute('aria-label') || 'Actions');
  box.replaceChildren(...(items.length ? items.map(menuItem) : [el('div', 'empty', 'No actions')]));
  const r = anchor.getBoundingClientRect();
  box.style.left = `${Math.max(0, Math.min(r.left, window.innerWidth - 200))}px`;
  box.style.top = `${r.bottom + 2}px`;
  box.classList.remove('hidden');
  const outside = new AbortController();
  current = { anchor, outside };
  anchor.setAttribute('aria-expanded', 'true');
  // The click that opened the menu is still bubbling: listen for the next one.
  setTimeout(() => document.addEventListener('click', () => hideMenu(), { once: true, signal: outside.signal }), 0);
  const first = box.querySelector('[role=menuitem]');
  (first || anchor).focus();
}

/** Closes the menu; with `refocus`, focus goes back to the button that opened it. */
export function hideMenu(refocus) {
  menu().classList.add('hidden');
  if (!current) return;
  const { anchor, outside } = current;
  current = null;
  outside.abort();
  anchor.setAttribute('aria-expanded', 'false');
  if (refocus) anchor.focus();
}

/** Keyboard handling of the open menu. */
export function initMenu() {
  menu().addEventListener('keydown', (e) => {
    const items = [...menu().querySelectorAll('[role=menuitem]')];
    const at = items.indexOf(document.activeElement);
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
    if (e.key in moves && items.length) {
      e.preventDefault();
      items[(moves[e.key] + items.length) % items.length].focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      e.stopPropagation();
      hideMenu(true);
    }
  });
}

function menuItem(item) {
  const b = el('button', '', item.label);
  b.type = 'button';
  b.setAttribute('role', 'menuitem');
  b.tabIndex = -1;
  b.addEventListener('click', () => { hideMenu(); item.run(); });
  return b;
}
