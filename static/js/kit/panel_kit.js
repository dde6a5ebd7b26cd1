// Helpers every browser-drawn panel shares (a panel's module imports them).

export const FONT = '14px "Source Sans Pro", sans-serif';

export function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

// a canvas of [w, h] CSS pixels, sharp on any screen; returns its 2-D context, scaled to CSS pixels
export function canvas(parent, [w, h], label) {
  const c = el('canvas', '', parent);
  const dpr = window.devicePixelRatio || 1;
  [c.width, c.height] = [Math.round(w * dpr), Math.round(h * dpr)];
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  const ctx = c.getContext('2d');
  ctx.scale(dpr, dpr);
  return ctx;
}

// base64 -> bytes
export function bytes(b64) {
  const s = atob(b64); const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// '#rrggbb' and an opacity -> a CSS colour
export function rgba(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

// a panel's Play button icons (the fonts of a page may lack the media symbols): a triangle, two bars
export const ICONS = { play: '<svg viewBox="0 0 10 10" width="12" height="12"><path d="M2 1 L9 5 L2 9 Z" fill="currentColor"/></svg>',
  pause: '<svg viewBox="0 0 10 10" width="12" height="12"><path d="M2 1 H4 V9 H2 Z M6 1 H8 V9 H6 Z" fill="currentColor"/></svg>' };

export function button(parent, label, icon, primary, help) {
  const b = el('button', primary ? 'primary' : '', parent);
  b.type = 'button'; b.title = help;
  const i = el('span', 'icon', b); i.setAttribute('aria-hidden', 'true'); i.innerHTML = icon;
  el('span', 'label', b).textContent = label;
  return b;
}

// A panel kept across its remounts while the browser tab lives (a lecture deck's step left and opened again, its page
// drawn anew): `keep` names it (the deck's step; none: the panel is built anew as before). The first mount's root is
// kept; a later mount under the same name puts that root, with its canvases and its view's state, in place of the
// new empty one. Returns the root to use.
const keptRoots = new Map();
export function keptRoot(parentElement, selector, keep) {
  const root = parentElement.querySelector(selector);
  if (!keep) return root;
  const old = keptRoots.get(keep);
  if (old && old !== root && !old.isConnected) {
    root.replaceWith(old);
    return old;
  }
  if (!old) keptRoots.set(keep, root);
  return root;
}
