// The class poll's join page (static/poll/index.html, served at /poll/ and /poll/<code> by server/poll_routes.py).
// A phone joins a room by its link or its code, long-polls the room's state (GET /poll/api/<code>/state?v=...: the
// server answers when the state changes, or after 25 s), sends its answer (POST /poll/api/<code>/answer) under an
// anonymous token kept in this browser, and after the reveal draws the class's answers beside the model's.
// Every text the server sends is set as text, never as HTML.

const $ = (id) => document.getElementById(id);
const base = location.pathname.replace(/\/poll(\/[^/]*)?\/?$/, '');  // a proxy's prefix, if any
const api = (path) => `${base}/poll/api/${path}`;
const codeInPath = (location.pathname.match(/\/poll\/([^/]+)\/?$/) || [])[1];
const LETTERS = 'ABCDEFGHIJ'; // as many as a question's options (budgets.POLL_MAX_OPTIONS)
const view = { code: null, sig: '', state: null, offset: 0, timer: null };

function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function token() {
  let t = localStorage.getItem('dgm-poll-token');
  if (!t || !/^[A-Za-z0-9_-]{16,64}$/.test(t)) {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    t = btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    localStorage.setItem('dgm-poll-token', t);
  }
  return t;
}

// this phone's answers in this room: {"<question>/<round>": value}
const mine = {
  all() { try { return JSON.parse(localStorage.getItem(`dgm-poll-${view.code}`)) || {}; } catch { return {}; } },
  get(q) { return this.all()[`${q.id}/${q.round}`]; },
  set(q, value) {
    const a = this.all(); a[`${q.id}/${q.round}`] = value;
    localStorage.setItem(`dgm-poll-${view.code}`, JSON.stringify(a));
  },
};

function status(text, kind) {
  const s = $('status');
  s.textContent = text || '';
  s.className = `status ${kind || ''}`;
}

function fmt(x) { return Number.isInteger(x) ? String(x) : Number(x.toPrecision(3)).toString(); }

function answerText(q, v) {
  if (v === undefined) return null;
  return q.kind === 'choice' ? `${LETTERS[v]}: ${q.options[v]}` : `${fmt(v)}${q.unit ? ` ${q.unit}` : ''}`;
}

async function send(q, value) {
  status('Sending…');
  try {
    const r = await fetch(api(`${view.code}/answer`), {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ question: q.id, round: q.round, token: token(), value }),
    });
    const out = await r.json();
    if (!r.ok) { status(out.error, 'error'); return; }
    mine.set(q, value);
    markChosen(q);
    status(`Answer received: ${answerText(q, value)}. You can change it until the question is locked.`, 'ok');
  } catch {
    status('Your answer did not reach the server; check the connection and send it again.', 'error');
  }
}

function markChosen(q) {
  const v = mine.get(q);
  for (const b of document.querySelectorAll('#answer .option')) {
    const on = Number(b.dataset.value) === v;
    b.classList.toggle('chosen', on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
  }
}

function drawAnswer(q) {
  const box = $('answer');
  box.replaceChildren();
  const open = q.state === 'open';
  if (q.kind === 'choice') {
    q.options.forEach((text, i) => {
      const b = el('button', 'option', box);
      b.type = 'button'; b.dataset.value = String(i); b.disabled = !open;
      el('span', 'letter', b, LETTERS[i]);
      el('span', 'text', b, text);
      b.onclick = () => send(q, i);
    });
    markChosen(q);
  } else {
    const f = el('form', 'number', box);
    const label = el('label', '', f, `A number from ${fmt(q.lo)} to ${fmt(q.hi)}${q.unit ? ` (${q.unit})` : ''}`);
    label.htmlFor = 'value';
    const row = el('div', 'row', f);
    const input = el('input', '', row);
    Object.assign(input, { id: 'value', type: 'number', inputMode: 'decimal', step: 'any', min: q.lo, max: q.hi,
      required: true, disabled: !open });
    const prev = mine.get(q);
    if (prev !== undefined) input.value = prev;
    const b = el('button', '', row, 'Send');
    b.type = 'submit'; b.disabled = !open;
    f.onsubmit = (e) => {
      e.preventDefault();
      const v = Number(input.value);
      if (input.value.trim() === '' || !Number.isFinite(v)) { status('Type a number first.', 'error'); return; }
      send(q, v);
    };
  }
}

// one round's rows: an option (or a bin of a number question) a row, the class's share as a bar
function drawRound(parent, q, res, rnd, model) {
  const card = el('div', 'card', parent);
  const n = `${rnd.n} ${rnd.n === 1 ? 'answer' : 'answers'}`;
  el('h2', '', card, res.rounds.length > 1 ? `Round ${rnd.round}: ${n}` : `The class: ${n}`);
  const you = mine.all()[`${q.id}/${rnd.round}`];
  const labels = q.kind === 'choice' ? q.options.map((o, i) => `${LETTERS[i]}: ${o}`)
    : rnd.edges.slice(0, -1).map((lo, i) => `${fmt(lo)}–${fmt(rnd.edges[i + 1])}`);
  const bin = (v) => (q.kind === 'choice' ? v
    : Math.min(rnd.counts.length - 1, Math.floor(((v - q.lo) / (q.hi - q.lo)) * rnd.counts.length)));
  const right = res.correct === null || res.correct === undefined ? -1 : bin(res.correct);
  rnd.counts.forEach((c, i) => {
    const row = el('div', `bar${i === right ? ' right' : ''}`, card);
    const share = rnd.n ? c / rnd.n : 0;
    const head = el('div', 'label', row);
    el('span', '', head, labels[i]);
    if (i === right) el('span', 'tag model', head, q.kind === 'choice' ? 'model ★' : `model ${fmt(res.correct)} ★`);
    if (you !== undefined && bin(you) === i) el('span', 'tag you', head, 'you');
    const track = el('div', 'track', row);
    el('div', 'fill', track).style.width = `${(100 * share).toFixed(1)}%`;
    if (model && model.probs) {
      const m = el('div', 'prob', track);
      m.style.left = `${(100 * model.probs[i]).toFixed(1)}%`;
      m.title = `the model's probability: ${Math.round(100 * model.probs[i])} %`;
    }
    el('span', 'count', row, `${Math.round(100 * share)} % (${c})`);
  });
  if (rnd.right !== null && rnd.right !== undefined) {
    el('p', 'share', card, `${Math.round(100 * rnd.right)} % of the class agreed with the model.`);
  }
}

function drawResults(q) {
  const box = $('results');
  box.replaceChildren();
  box.hidden = !q.results;
  if (!q.results) return;
  const res = q.results;
  const m = res.model;
  const said = !m ? 'No model answer for this question.'
    : m.probs ? `The model: ${m.probs.map((p, i) => [p, i]).filter(([p]) => p >= 0.005).sort((a, b) => b[0] - a[0])
      .map(([p, i]) => `${answerText(q, i)} (${Math.round(100 * p)} %)`).join(', ')}; the dots mark each option's share.`
      : m.option !== undefined ? `The model's answer: ${answerText(q, m.option)}.`
        : `The model's answer: ${answerText(q, m.value)}.`;
  el('p', 'model-says', box, said);
  const rounds = el('div', 'rounds', box);
  for (const rnd of res.rounds) drawRound(rounds, q, res, rnd, m);
}

function tick() {
  const q = view.state && view.state.question;
  const t = $('timer');
  if (!q || q.state !== 'open' || !q.deadline) { t.hidden = true; return; }
  const left = Math.max(0, q.deadline - (Date.now() / 1000 + view.offset));
  t.hidden = false;
  t.textContent = left > 0 ? `Locks in ${Math.ceil(left)} s` : 'Locked';
  if (left <= 0) for (const b of document.querySelectorAll('#answer button, #answer input')) b.disabled = true;
}

function render(s) {
  view.state = s;
  view.offset = s.now - Date.now() / 1000;
  const q = s.question;
  const room = $('room');
  room.hidden = false; room.textContent = s.room;
  if (!q || q.state === 'waiting') {
    view.sig = '';
    $('prompt').textContent = 'Waiting for the lecturer to open a question…';
    $('round').hidden = true; $('answer').replaceChildren(); $('results').hidden = true;
    tick();
    return;
  }
  const sig = `${q.id}/${q.round}/${q.state}`;
  $('round').hidden = q.round < 2;
  $('round').textContent = q.state === 'revealed' ? 'Round 2' : 'Round 2: discuss with your neighbour, then answer again.';
  $('prompt').textContent = q.prompt;
  if (sig !== view.sig) {
    view.sig = sig;
    if (q.state === 'revealed') $('answer').replaceChildren();  // the results in its place, on the first screen
    else drawAnswer(q);
    drawResults(q);
    const prev = answerText(q, mine.get(q));
    if (q.state === 'open') status(prev ? `Your answer: ${prev}. You can change it until the question is locked.` : '');
    else if (q.state === 'locked') status(`Answers are locked. ${prev ? `Your answer: ${prev}.` : 'You did not answer.'}`);
    else status(prev ? `Your answer: ${prev}.` : 'You did not answer this round.');
  }
  tick();
}

async function follow(code) {
  view.code = code;
  history.replaceState(null, '', `${base}/poll/${code}`);
  $('join').hidden = true;
  let v = -1;
  for (;;) {
    try {
      const r = await fetch(api(`${code}/state?v=${v}&wait=25`), { cache: 'no-store' });
      const s = await r.json();
      if (!r.ok) {
        status(s.error, 'error');
        if (r.status === 404) { $('prompt').textContent = 'No such room.'; showJoin(); return; }
        await sleep(3000);
        continue;
      }
      render(s);
      v = s.version;
    } catch {
      status('Reconnecting…', 'error');
      await sleep(2000);
    }
  }
}

function showJoin() {
  const f = $('join');
  f.hidden = false;
  f.onsubmit = (e) => {
    e.preventDefault();
    const code = $('code').value.trim().toUpperCase();
    if (!/^[A-Z0-9]{5}$/.test(code)) { status('A room code is 5 letters and digits.', 'error'); return; }
    status('');
    follow(code);
  };
  $('code').focus();
}

setInterval(tick, 250);
if (codeInPath) follow(decodeURIComponent(codeInPath).toUpperCase());
else { $('prompt').textContent = 'Join the class poll'; showJoin(); }
