// A lecture deck's keys, at the level of the document (ui/deck.py mounts this above every presented step): a
// presenter's clicker sends ←/→ or PageUp/PageDown, and they must step the deck whatever has the focus. They press
// the deck bar's own Back and Next buttons, so a key and a click take the same path.
//
// ←/→ stay with a focused slider or drop-down list only while the pointer is on it (a student or lecturer dragging
// it, choosing in it), and never in present mode, where the deck owns ←/→, PageUp/PageDown, space, Home and End
// whatever has the focus (a slide's controls are moved by pointer and touch); typing in a text box keeps its keys.
// A tab or a radio button never keeps them: a click on one leaves it focused with the pointer resting on it, and a
// lecturer's → after choosing a tab means the next step, not the next tab.
// In present mode it also tells the server the window's size, the stage a slide is drawn for (ui/slides.py).


const NEXT = ['ArrowRight', 'PageDown'];
const BACK = ['ArrowLeft', 'PageUp'];
const ENDS = { Home: 'first', End: 'last' };  // present mode only
const STEER = /^(Arrow(Left|Right)|Page(Up|Down)|Home|End)$/;  // keys a presented deck takes even from a text box
const TYPING = 'input[type="text"], input[type="number"], input:not([type]), textarea, [contenteditable="true"]';
const ARROWS = 'input[type="range"], [role="slider"], [role="listbox"], [role="combobox"]';

let hovered = null;  // the element under the pointer
let mounted = null;  // the step on screen, as this component last saw it
let present = false;  // whether the deck is presented (then it takes the arrows whatever has the focus)
let latest = null;  // the component as last mounted (its data: the window the server knows)
let resized = null;  // the timer of a resize not yet reported

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
  if (target.closest(TYPING) && !(present && STEER.test(event.key))) return;
  const typing = target.closest(TYPING);
  const forward = NEXT.includes(event.key) || (event.key === ' ' && (target === document.body || (present && !typing)));
  const back = BACK.includes(event.key);
  const end = present ? ENDS[event.key] : undefined;
  if (!forward && !back && !end) return;
  if (event.key.startsWith('Arrow') && keepsArrows(target)) return;
  if (press(end || (forward ? 'next' : 'back'))) {
    event.preventDefault();
    event.stopPropagation();
  }
}

function reportWindow() {
  resized = null;
  if (!present || !latest) return;
  const known = latest.data && latest.data.window;
  const w = window.innerWidth;
  const h = window.innerHeight;
  if (!known || Math.abs(known.w - w) > 24 || Math.abs(known.h - h) > 24) {
    latest.setStateValue('window', { w, h });
  }
}

export default function (component) {
  const { data } = component;
  present = Boolean(data && data.present);
  latest = component;
  reportWindow();
  if (!window.__dgmDeckKeys) {  // once per browser tab: a listener ahead of every widget's own (capture phase)
    window.__dgmDeckKeys = true;
    window.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerover', (e) => { hovered = e.target; }, true);
    document.addEventListener('pointerleave', () => { hovered = null; }, true);
    window.addEventListener('resize', () => {
      if (resized) clearTimeout(resized);
      resized = setTimeout(reportWindow, 400);
    });
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
