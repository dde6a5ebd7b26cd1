// The lecture's class page (static/class/index.html, served at /class/<code> by server/class_routes.py): a phone
// follows the lecturer's deck with no Streamlit session. It joins the room (POST /poll/api/<code>/join: the server
// names the phone), reads the deck once (GET /poll/api/<code>/deck: each step's note, question and pictures, drawn
// once per step by the server), and long-polls the room's state (GET /poll/api/<code>/state?v=...&token=...: the
// lecturer's step and stage, the poll's question and this phone's own answers). A step shows its question first
// (the poll's buttons inline) until the lecturer shows its answer, then its note and pictures. The student may look
// back at earlier steps; one tap returns to the lecturer's.
//
// A lesson pack (python -m dgm_core pack DECK DIR) serves this page beside deck.json with no server: it follows no
// lecturer and shows no poll, and says so; the student steps through it alone.
// Every text the server sends is set as text, never as HTML.

import {
  drawQuestion, followRoom, join, sendAnswer, showJoin,
} from '../../poll/static/poll_view.js';

const $ = (id) => document.getElementById(id);
const base = location.pathname.replace(/\/class(\/[^/]*)?\/?$/, '');  // a proxy's prefix, if any
const api = (path) => `${base}/poll/api/${path}`;
const codeInPath = (location.pathname.match(/\/class\/([A-Za-z0-9]{5})\/?$/) || [])[1];
const view = {
  code: null, token: null, deck: null, state: null, at: 0, following: true, sig: '', alone: false, revealed: new Set(),
};

function say(text, kind) {
  const s = $('status');
  s.textContent = text || '';
  s.className = `status ${kind || ''}`;
}

// a note's Markdown, read as text: its emphasis marks dropped
const plain = (md) => md.replace(/\*\*|__|(?<![\w*])\*(?!\s)|(?<!\s)\*(?![\w*])/g, '').replace(/`/g, '');

// the lecturer's place: {step, shown}; alone (a lesson pack), the student's own
function lecturer() {
  const lec = view.state && view.state.lecture;
  return lec || { step: view.deck.steps.length - 1, shown: true };
}

function drawPoll(step, asking) {
  const q = view.state && view.state.question;
  const box = $('poll');
  const ours = !view.alone && step.poll && view.following && q && q.prompt === step.question;
  box.hidden = !ours;
  if (!ours) { view.sig = ''; return; }
  if (q.state === 'waiting') {
    view.sig = '';
    $('answer').replaceChildren(); $('results').hidden = true; $('round').hidden = true;
    say(asking ? 'Think of your answer: the lecturer opens the question in a moment.' : '');
    return;
  }
  const sig = `${q.id}/${q.round}/${q.state}/${asking}`;
  if (sig === view.sig) return;
  view.sig = sig;
  const boxes = { round: $('round'), answer: $('answer'), results: $('results') };
  drawQuestion(q, boxes, (value) => sendAnswer(api, view.code, view.token, q, value, $('answer'), say), say);
}

// a step's pictures -> their URLs: all of them from the step's one file (a data URL each), fetched once, or where
// that fails (an old server, a pack without it), each picture's own URL
const bundles = new Map();
function pictures(step) {
  const own = step.pictures.map((p) => p.src);
  if (!step.bundle) return Promise.resolve(own);
  if (!bundles.has(step.bundle)) {
    bundles.set(step.bundle, fetch(step.bundle).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status}`))))
      .then((b) => (Array.isArray(b.pictures) && b.pictures.length === own.length ? b.pictures : own))
      .catch(() => own));
  }
  return bundles.get(step.bundle);
}

function render() {
  const d = view.deck;
  if (!d) return;
  const lec = lecturer();
  if (view.following) view.at = Math.min(lec.step, d.steps.length - 1);
  const k = view.at;
  const step = d.steps[k];
  const here = k === lec.step;
  // a step's question is asked first: until the lecturer shows the answer (or, alone, until the student asks)
  const asking = Boolean(step.question) && (view.alone ? !view.revealed.has(k) : here && !lec.shown);
  $('steps').hidden = false;
  $('where').textContent = `Step ${k + 1} of ${d.steps.length}`;
  $('back').disabled = k === 0;
  $('next').disabled = k >= (view.alone ? d.steps.length - 1 : lec.step);
  $('rejoin').hidden = view.alone || view.following;
  $('follow').textContent = view.alone
    ? 'A lesson pack: it follows no lecturer and shows no poll. Step through it yourself.'
    : view.following ? 'Following the lecturer.' : `Looking back: the lecturer is on step ${lec.step + 1}.`;
  const text = $('text');
  text.textContent = asking ? step.question : plain(step.note);
  text.className = asking ? 'question' : '';
  const sig = `${d.deck}/${k}/${asking}`;
  if ($('pictures').dataset.sig !== sig) {
    $('pictures').dataset.sig = sig;
    $('pictures').replaceChildren();
    $('pictures').classList.toggle('many', step.pictures.length > 3);  // a row of the slide's pictures: three across
    const imgs = (asking ? [] : step.pictures).map((p) => {
      const f = document.createElement('figure');
      if (p.title) { const c = document.createElement('figcaption'); c.textContent = p.title; f.appendChild(c); }
      const img = document.createElement('img');
      img.alt = p.title || `step ${k + 1}'s picture`; img.decoding = 'async';
      f.appendChild(img);
      $('pictures').appendChild(f);
      return img;
    });
    if (imgs.length) {
      pictures(step).then((srcs) => {
        if ($('pictures').dataset.sig === sig) imgs.forEach((img, i) => { img.src = srcs[i]; });
      });
    }
  }
  // the next move's pictures, fetched while the lecturer talks: this step's (its answer's) and the next step's
  if (view.following && !view.alone) [step, d.steps[k + 1]].forEach((s) => s && s.pictures.length && pictures(s));
  drawExperiment(step, k, asking);
  $('missing').hidden = asking || !step.missing;
  $('missing').textContent = step.missing || '';
  $('reveal').hidden = !(view.alone && asking);
  drawPoll(step, asking);
}

// a step's own experiment (experiment.js): one panel per deck and step, kept while the student looks elsewhere
const panels = new Map();
const root = new URL('../', location.href).href;  // the app's root: the experiment's URLs are relative to it

async function sendRun(k, body) {
  const post = (token) => fetch(api(`${view.code}/run`), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, step: k, ...body }),
  });
  let r;
  try {
    r = await post(view.token);
    if (r.status === 403) r = await post(view.token = await join(api, view.code, true));
  } catch {
    throw new Error('Your run did not reach the server; check the connection and run again.');
  }
  const out = await r.json();
  if (!r.ok) throw new Error(out.error);
  return out;
}

function drawExperiment(step, k, asking) {
  const box = $('experiment');
  const key = `${view.deck.deck}/${k}`;
  box.hidden = asking || !step.experiment;
  if (box.hidden || box.dataset.sig === key) return;
  box.dataset.sig = key;
  if (!panels.has(key)) {
    const panel = document.createElement('div');
    panel.className = 'experiment';
    panel.textContent = 'Loading your own experiment…';
    panels.set(key, panel);
    // imported here, not with the page: it reads the app's picture kit and its worker, which only a step with an
    // experiment needs (a lesson pack carries them beside the page, as the app's server serves them)
    fetch(step.experiment).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status}`))))
      .then((spec) => (spec.kind === 'latent' ? import('./latent.js').then(({ mountLatent }) => {
        panel.replaceChildren();
        mountLatent(panel, spec, root);
      }) : import('./experiment.js').then(({ mountExperiment }) => {
        panel.replaceChildren();
        mountExperiment(panel, spec, root, view.alone ? null : (body) => sendRun(k, body));  // a pack sends nothing
      })))
      .catch(() => { panel.textContent = 'This step\'s experiment could not be loaded.'; });
  }
  box.replaceChildren(panels.get(key));
}

function look(dk) {
  const lec = lecturer();
  view.at = Math.max(0, Math.min(view.at + dk, view.alone ? view.deck.steps.length - 1 : lec.step));
  view.following = !view.alone && view.at === lec.step;
  render();
  window.scrollTo(0, 0);
}

async function loadDeck(code) {
  const r = await fetch(api(`${code}/deck`), { cache: 'no-store' });
  const out = await r.json();
  if (!r.ok) throw Object.assign(new Error(out.error), { status: r.status });
  view.deck = out;
  $('title').textContent = out.title;
}

async function show(s, token) {
  view.token = token;
  view.state = s;
  const shown = s.lecture && view.deck && view.deck.steps[s.lecture.step];
  if (s.lecture && (!view.deck || view.deck.deck !== s.lecture.deck || (shown && !shown.drawn))) {
    await loadDeck(view.code);  // a new deck, or the lecturer's step not drawn when the deck was read
  }
  if (!s.lecture) {  // a poll's room, no lecture: the question alone
    view.deck = view.deck || { deck: '', title: 'Class poll', steps: [{ note: '', question: '', poll: true,
      pictures: [], missing: '' }] };
    view.deck.steps[0].question = s.question ? s.question.prompt : 'Waiting for the lecturer to open a question…';
    s.lecture = { step: 0, shown: false };
  }
  render();
}

async function follow(code) {
  view.code = code;
  history.replaceState(null, '', `${base}/class/${code}`);
  $('join').hidden = true;
  $('room').hidden = false; $('room').textContent = code;
  await followRoom(api, code, show, (text) => { $('follow').textContent = text; });
  $('text').textContent = 'No such room.';
  showJoin($('join'), $('code'), say, follow);
}

// a lesson pack: deck.json beside the page, no server to follow
async function alone() {
  try {
    const r = await fetch('deck.json', { cache: 'no-cache' });
    if (!r.ok || !(r.headers.get('content-type') || '').includes('json')) return false;
    view.deck = await r.json();
  } catch {
    return false;
  }
  view.alone = true; view.following = false;
  $('title').textContent = view.deck.title;
  render();
  return true;
}

$('back').onclick = () => look(-1);
$('next').onclick = () => look(1);
$('rejoin').onclick = () => { view.following = true; render(); window.scrollTo(0, 0); };
$('reveal').onclick = () => { view.revealed.add(view.at); render(); };
if (codeInPath) follow(decodeURIComponent(codeInPath).toUpperCase());
else if (!(await alone())) { $('text').textContent = 'Follow the lecture'; showJoin($('join'), $('code'), say, follow); }
