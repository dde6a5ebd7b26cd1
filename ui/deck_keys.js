// A lecture deck's keys, at the level of the document (ui/deck.py mounts this above every presented step): a
// presenter's clicker sends ←/→ or PageUp/PageDown, and they must step the deck whatever has the focus. They press
// the deck bar's own Back and Next buttons, so a key and a click take the same path.
//
// ←/→ stay with a focused slider, tab list or option list only while the pointer is on it (a student or lecturer
// dragging it), and never in present mode; typing in a text box keeps every key.

const NEXT = ['ArrowRight', 'PageDown'];
const BACK = ['ArrowLeft', 'PageUp'];
const TYPING = 'input[type="text"], input[type="number"], input:not([type]), textarea, [contenteditable="true"]';
const ARROWS = 'input[type="range"], [role="slider"], [role="tablist"], [role="tab"], [role="radiogroup"], [role="listbox"], [role="combobox"]';

let hovered = null;  // the element under the pointer
let mounted = null;  // the step on screen, as this component last saw it
let present = false;  // whether the deck is presented (then it takes the arrows whatever has the focus)

function press(which) {
  const button = document.querySelector(`.st-key-_deck_${which} button`);
  if (!button || button.disabled) return false;
  button.click();
  return true;
}

function keepsArrows(target) {
  if (present) return false;
  const widget = target.closest && target.closest(ARROWS);
  // the widget as drawn (a slider's input is a hidden 1-pixel element; the pointer is on its track or thumb)
  const area = widget && (widget.closest('[data-testid="stElementContainer"], .stElementContainer') || widget);
  return Boolean(area && hovered && area.contains(hovered));
}

function onKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target instanceof Element ? event.target : document.body;
  if (target.closest(TYPING)) return;
  const forward = NEXT.includes(event.key) || (event.key === ' ' && target === document.body);
  const back = BACK.includes(event.key);
  if (!forward && !back) return;
  if (event.key.startsWith('Arrow') && keepsArrows(target)) return;
  if (press(forward ? 'next' : 'back')) {
    event.preventDefault();
    event.stopPropagation();
  }
}

export default function (component) {
  const { data } = component;
  present = Boolean(data && data.present);
  if (!window.__dgmDeckKeys) {  // once per browser tab: a listener ahead of every widget's own (capture phase)
    window.__dgmDeckKeys = true;
    window.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerover', (e) => { hovered = e.target; }, true);
    document.addEventListener('pointerleave', () => { hovered = null; }, true);
  }
  if (data && data.step !== mounted) {  // a new step opens at its top, its note pinned above it
    mounted = data.step;
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    for (const el of [document.scrollingElement, document.querySelector('[data-testid="stMain"]'),
                      document.querySelector('[data-testid="stAppViewContainer"]')]) {
      if (el) el.scrollTop = 0;
    }
  }
}
