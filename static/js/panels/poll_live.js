// The presenter's join panel of a class poll (a Streamlit components-v2 component; Python side: ui/poll.py).
//
// It shows the room's code, the QR code and link of the join page, and keeps the answer count live by long-polling
// the room's state route (GET <api>?question=...&v=...&a=...: the server answers as soon as an answer or an action
// changes the room, or after 25 s), with no Streamlit rerun per answer. It asks for one rerun (the `changed` trigger)
// only when the question's state or round differs from what the page drew: a countdown that ran out, another tab.

import { el } from '../kit/panel_kit.js';

const lives = new WeakMap();  // the panel's root -> its view
const STATES = { waiting: 'Waiting: press Open', open: 'Open: the class is answering', locked: 'Locked',
  revealed: 'Revealed' };

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

function build(root, data, component) {
  root.replaceChildren();
  const v = { data, component, stopped: false, abort: new AbortController(), state: null, asked: '' };
  el('div', 'label', root).textContent = 'Join at';
  const code = el('div', 'code', root);
  code.textContent = data.code;
  code.setAttribute('aria-label', `room code ${data.code.split('').join(' ')}`);
  const qr = el('div', 'qr', root);
  qr.innerHTML = data.qr;  // an SVG made by the server (segno) from the join link
  qr.setAttribute('role', 'img');
  qr.setAttribute('aria-label', `QR code of ${data.url}`);
  const link = el('a', 'url', root);
  link.href = data.url; link.target = '_blank'; link.rel = 'noopener'; link.textContent = data.url;
  v.count = el('div', 'count', root);
  v.line = el('div', 'line', root);
  v.over = el('div', 'over', root);
  v.over.hidden = true;
  v.timer = el('div', 'timer', root);
  v.stop = () => { v.stopped = true; v.abort.abort(); clearInterval(v.tick); };
  v.tick = setInterval(() => show(v), 250);
  loop(v);
  return v;
}

function show(v) {
  const q = (v.state && v.state.question) || { state: v.data.state, round: v.data.round, answers: 0,
    deadline: v.data.deadline };
  const now = Date.now() / 1000 + v.offset;
  const phones = (v.state && v.state.phones) || 0;
  v.count.textContent = `${q.answers} ${q.answers === 1 ? 'answer' : 'answers'}`;
  el('span', 'phones', v.count).textContent = ` from ${phones} ${phones === 1 ? 'phone' : 'phones'}`;
  v.over.hidden = !q.over;
  v.over.textContent = q.over ? 'More answers than phones: some answers were not sent by the phones that joined.' : '';
  const ago = q.last_answer_at ? `, the last ${Math.max(0, Math.round(now - q.last_answer_at))} s ago` : '';
  v.line.textContent = `${q.round > 1 ? 'Round 2. ' : ''}${STATES[q.state] || q.state}${ago}`;
  const left = q.state === 'open' && q.deadline ? q.deadline - now : null;
  v.timer.textContent = left === null ? '' : left > 0 ? `Locks in ${Math.ceil(left)} s` : 'Locked';
  // what the page drew is out of date: ask Python for one rerun
  const effective = left !== null && left <= 0 ? 'locked' : q.state;
  const sig = `${effective}/${q.round}`;
  if (v.state && sig !== `${v.data.state}/${v.data.round}` && sig !== v.asked) {
    v.asked = sig;
    v.component.setTriggerValue('changed', sig);
  }
}

async function loop(v) {
  let ver = -1;
  let ans = -1;
  while (!v.stopped) {
    try {
      const url = `${v.data.api}?question=${encodeURIComponent(v.data.question)}&v=${ver}&a=${ans}&wait=25`;
      const r = await fetch(url, { signal: v.abort.signal, cache: 'no-store' });
      const s = await r.json();
      if (!r.ok) { v.line.textContent = s.error; await pause(3000); continue; }
      [ver, ans] = [s.version, s.answers_version];
      v.offset = s.now - Date.now() / 1000;
      v.state = s;
      show(v);
    } catch {
      if (v.stopped) return;
      await pause(2000);
    }
  }
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return undefined;
  const root = parentElement.querySelector('.pl');
  let v = lives.get(root);
  if (!v || v.data.code !== data.code || v.data.question !== data.question) {
    if (v) v.stop();
    v = build(root, data, component);
    lives.set(root, v);
  }
  v.data = data;  // what Python drew this run
  v.component = component;
  v.offset = v.offset ?? data.now - Date.now() / 1000;
  show(v);
  return () => { v.stop(); lives.delete(root); };
}
