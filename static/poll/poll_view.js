// What a phone draws of a class poll's question, shared by the poll's join page (poll.js) and the lecture's class
// page (static/class/class.js): the answer's buttons (or a number's field), and after the reveal the class's answers
// per round beside the model's. A question ``q`` is the room's state as the server sends it; ``q.mine`` holds this
// phone's own answers per round, as the server knows them. Every text is set as text, never as HTML.

export const LETTERS = 'ABCDEFGHIJ'; // as many as a question's options (budgets.POLL_MAX_OPTIONS)

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// this phone's token in the room, given by the server when it joins (a 429: many phones joining at once, wait);
// ``api(path)`` is the URL of a poll route; null: there is no such room
export async function join(api, code, again) {
  const name = `dgm-poll-token-${code}`;
  if (!again && localStorage.getItem(name)) return localStorage.getItem(name);
  for (;;) {
    const r = await fetch(api(`${code}/join`), { method: 'POST', cache: 'no-store' });
    const out = await r.json();
    if (r.ok) { localStorage.setItem(name, out.token); return out.token; }
    if (r.status === 404) return null;
    if (r.status !== 429) throw new Error(out.error);
    await sleep(1000 + Math.random() * 2000);
  }
}

// a phone in a room: joins, then long-polls the room's state under its token, calling ``show(state, token)`` on each
// change and ``say(text, kind)`` on a refusal or a lost connection; returns once there is no such room
export async function followRoom(api, code, show, say) {
  let token = null;
  let v = -1;
  for (;;) {
    try {
      token = token || await join(api, code, false);
      if (!token) return;
      const r = await fetch(api(`${code}/state?v=${v}&wait=25&token=${token}`), { cache: 'no-store' });
      const s = await r.json();
      if (!r.ok) {
        say(s.error, 'error');
        if (r.status === 404) return;
        if (r.status === 403) token = await join(api, code, true);  // a token this server does not know
        else await sleep(3000);
        continue;
      }
      await show(s, token);
      v = s.version;
    } catch {
      say('Reconnecting…', 'error');
      await sleep(2000);
    }
  }
}

// the room code's form: ``go(code)`` once a code is typed
export function showJoin(form, input, say, go) {
  form.hidden = false;
  form.onsubmit = (e) => {
    e.preventDefault();
    const code = input.value.trim().toUpperCase();
    if (!/^[A-Z0-9]{5}$/.test(code)) { say('A room code is 5 letters and digits.', 'error'); return; }
    say('');
    go(code);
  };
  input.focus();
}

// sends an answer under the phone's token (joined again where the server no longer knows it), marks it chosen in
// ``box`` and says so
export async function sendAnswer(api, code, token, q, value, box, say) {
  say('Sending…');
  const post = (t) => fetch(api(`${code}/answer`), {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ question: q.id, round: q.round, token: t, value }),
  });
  try {
    let r = await post(token);
    if (r.status === 403) r = await post(await join(api, code, true));
    const out = await r.json();
    if (!r.ok) { say(out.error, 'error'); return; }
    q.mine = { ...(q.mine || {}), [String(q.round)]: value };
    markChosen(box, q);
    say(`Answer received: ${answerText(q, value)}. You can change it until the question is locked.`, 'ok');
  } catch {
    say('Your answer did not reach the server; check the connection and send it again.', 'error');
  }
}

export function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

export function fmt(x) { return Number.isInteger(x) ? String(x) : Number(x.toPrecision(3)).toString(); }

// this phone's answer to a round of the question (the open one by default), as the server last said
export function mineOf(q, rnd = q.round) { return (q.mine || {})[String(rnd)]; }

export function answerText(q, v) {
  if (v === undefined) return null;
  return q.kind === 'choice' ? `${LETTERS[v]}: ${q.options[v]}` : `${fmt(v)}${q.unit ? ` ${q.unit}` : ''}`;
}

export function markChosen(box, q) {
  const v = mineOf(q);
  for (const b of box.querySelectorAll('.option')) {
    const on = Number(b.dataset.value) === v;
    b.classList.toggle('chosen', on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
  }
}

// the question's buttons (or its number's field) in ``box``; ``send(value)`` sends an answer, ``say(text, kind)``
// tells the phone what is wrong with what it typed
export function drawAnswer(box, q, send, say) {
  box.replaceChildren();
  const open = q.state === 'open';
  if (q.kind === 'choice') {
    q.options.forEach((text, i) => {
      const b = el('button', 'option', box);
      b.type = 'button'; b.dataset.value = String(i); b.disabled = !open;
      el('span', 'letter', b, LETTERS[i]);
      el('span', 'text', b, text);
      b.onclick = () => send(i);
    });
    markChosen(box, q);
  } else {
    const f = el('form', 'number', box);
    const label = el('label', '', f, `A number from ${fmt(q.lo)} to ${fmt(q.hi)}${q.unit ? ` (${q.unit})` : ''}`);
    label.htmlFor = 'value';
    const row = el('div', 'row', f);
    const input = el('input', '', row);
    Object.assign(input, { id: 'value', type: 'number', inputMode: 'decimal', step: 'any', min: q.lo, max: q.hi,
      required: true, disabled: !open });
    const prev = mineOf(q);
    if (prev !== undefined) input.value = prev;
    const b = el('button', '', row, 'Send');
    b.type = 'submit'; b.disabled = !open;
    f.onsubmit = (e) => {
      e.preventDefault();
      const v = Number(input.value);
      if (input.value.trim() === '' || !Number.isFinite(v)) { say('Type a number first.', 'error'); return; }
      send(v);
    };
  }
}

// a question's stage in the page's boxes {round, answer, results}: the round's line, the answer's buttons (or, once
// revealed, the results in their place, on the first screen) and what the phone answered; ``send(value)`` sends one
export function drawQuestion(q, boxes, send, say) {
  boxes.round.hidden = q.round < 2;
  boxes.round.textContent = q.state === 'revealed' ? 'Round 2' : 'Round 2: discuss with your neighbour, then answer again.';
  if (q.state === 'revealed') boxes.answer.replaceChildren();
  else drawAnswer(boxes.answer, q, send, say);
  drawResults(boxes.results, q);
  const prev = answerText(q, mineOf(q));
  if (q.state === 'open') say(prev ? `Your answer: ${prev}. You can change it until the question is locked.` : '');
  else if (q.state === 'locked') say(`Answers are locked. ${prev ? `Your answer: ${prev}.` : 'You did not answer.'}`);
  else say(prev ? `Your answer: ${prev}.` : 'You did not answer this round.');
}

// one round's rows: an option (or a bin of a number question) a row, the class's share as a bar
function drawRound(parent, q, res, rnd, model) {
  const card = el('div', 'card', parent);
  const n = `${rnd.n} ${rnd.n === 1 ? 'answer' : 'answers'}`;
  el('h2', '', card, res.rounds.length > 1 ? `Round ${rnd.round}: ${n}` : `The class: ${n}`);
  const you = mineOf(q, rnd.round);
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

// after the reveal: the model's answer, then the class's answers per round, in ``box``
export function drawResults(box, q) {
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
