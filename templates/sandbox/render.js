// Rendering messages as HipChat did: user text escaped and linkified, notification HTML cut
// down to HipChat's allowed subset (§7.3), cards with plain-text titles and labels.

const ALLOWED = {
  A: ['href', 'data-target', 'data-target-options'], B: [], I: [], STRONG: [], EM: [], BR: [],
  IMG: ['src', 'alt', 'width', 'height'], PRE: [], CODE: [], UL: [], OL: [], LI: [],
  TABLE: [], TBODY: [], THEAD: [], TR: [], TD: ['colspan', 'rowspan'], TH: ['colspan', 'rowspan'],
  SPAN: ['style'], P: [],
};
const DROP_WITH_CONTENT = new Set(['SCRIPT', 'STYLE', 'IFRAME', 'OBJECT', 'EMBED', 'TEMPLATE', 'NOSCRIPT']);
const SAFE_STYLE = /^(font-weight|color|text-decoration|height|width)\s*:\s*[#\w\s.%-]+$/i;

function safeUrl(value) {
  if (value === '#') return '#';
  try {
    const url = new URL(value, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function cleanNode(node, out) {
  for (const child of [...node.childNodes]) {
    if (child.nodeType === Node.TEXT_NODE) {
      out.append(document.createTextNode(child.textContent));
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE || DROP_WITH_CONTENT.has(child.tagName)) continue;
    const allowed = ALLOWED[child.tagName];
    if (!allowed) {
      cleanNode(child, out); // unknown tag: keep its text, drop the tag
      continue;
    }
    const el = document.createElement(child.tagName.toLowerCase());
    for (const name of allowed) {
      const value = child.getAttribute(name);
      if (value === null) continue;
      if (name === 'href' || name === 'src') {
        const url = safeUrl(value);
        if (url) el.setAttribute(name, url);
      } else if (name === 'style') {
        const kept = value.split(';').map((s) => s.trim()).filter((s) => SAFE_STYLE.test(s));
        if (kept.length) el.setAttribute('style', kept.join(';'));
      } else {
        el.setAttribute(name, value);
      }
    }
    if (el.tagName === 'A') {
      if (el.hasAttribute('data-target')) el.setAttribute('href', '#');
      else { el.target = '_blank'; el.rel = 'noopener noreferrer'; }
    }
    cleanNode(child, el);
    out.append(el);
  }
}

/** HTML from an add-on, reduced to HipChat's subset, as a fragment. */
export function sanitize(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const out = document.createDocumentFragment();
  cleanNode(doc.body, out);
  return out;
}

/** Plain text with its URLs made links. */
export function linkify(text) {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    out.append(text.slice(last, m.index));
    const a = document.createElement('a');
    a.href = safeUrl(m[0]) || '#';
    a.textContent = m[0];
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    out.append(a);
    last = m.index + m[0].length;
  }
  out.append(text.slice(last));
  return out;
}

export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function icon(spec) {
  const url = spec && safeUrl(typeof spec === 'string' ? spec : spec.url);
  if (!url) return null;
  const img = el('img');
  img.src = url;
  img.alt = '';
  return img;
}

/** A card (§8). */
export function renderCard(card) {
  const box = el('div', `card card-${card.style}`);
  const head = el('div', 'card-head');
  const i = icon(card.icon);
  if (i) head.append(i);
  const titleUrl = card.url && safeUrl(card.url);
  const title = el(titleUrl ? 'a' : 'span', 'card-title', card.title || '');
  if (titleUrl) { title.href = titleUrl; title.target = '_blank'; title.rel = 'noopener noreferrer'; }
  head.append(title);
  box.append(head);
  if (card.description) {
    const d = el('div', 'card-desc');
    if (typeof card.description === 'string') d.textContent = card.description;
    else if (card.description.format === 'html') d.append(sanitize(card.description.value || ''));
    else d.textContent = card.description.value || '';
    box.append(d);
  }
  if (card.thumbnail && safeUrl(card.thumbnail.url)) {
    const img = el('img', 'card-thumb');
    img.src = safeUrl(card.thumbnail.url);
    img.alt = card.title || '';
    box.append(img);
  }
  if (Array.isArray(card.attributes) && card.attributes.length) {
    const attrs = el('div', 'card-attrs');
    for (const a of card.attributes) {
      const item = el('span');
      if (a.label) item.append(el('span', 'label', `${a.label}: `));
      const v = a.value || {};
      const value = el(v.url && safeUrl(v.url) ? 'a' : 'span', v.style ? `lozenge ${v.style}` : '', v.label || '');
      if (v.url && safeUrl(v.url)) { value.href = safeUrl(v.url); value.target = '_blank'; }
      item.append(value);
      attrs.append(item);
    }
    box.append(attrs);
  }
  if (card.activity && card.activity.html) {
    const act = el('div', 'card-activity');
    act.append(sanitize(card.activity.html));
    box.append(act);
  }
  return box;
}

/** Who posted a history item, by name; `names` maps user ids to names. */
export function authorName(posted, names) {
  const author = posted.author || {};
  if (author.kind === 'addon') return author.label;
  if (author.kind === 'guest') return `${author.name} (guest)`;
  return names.get(author.id) || `user ${author.id}`;
}

/** One history item. `names` maps user ids to names. */
export function renderMessage(posted, names) {
  const li = el('li', posted.kind === 'notification' ? `notification color-${posted.color || 'yellow'}` : 'message');
  li.dataset.id = posted.id;
  if (posted.attach_to) li.classList.add('attached');
  const head = el('div', 'msg-head');
  head.append(el('span', 'from', authorName(posted, names)));
  if ((posted.author || {}).kind === 'addon') head.append(el('span', 'addon', 'add-on'));
  head.append(el('span', 'muted', new Date(posted.date).toLocaleTimeString()));
  const body = el('div', 'msg-body');
  if (posted.kind !== 'notification') body.append(linkify(posted.message));
  else if (posted.card) body.append(renderCard(posted.card));
  else if (posted.message_format === 'text') body.append(linkify(posted.message));
  else body.append(sanitize(posted.message));
  li.append(head, body);
  return li;
}
