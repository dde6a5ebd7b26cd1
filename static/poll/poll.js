// The class poll's join page (static/poll/index.html, served at /poll/ and /poll/<code> by server/poll_routes.py).
// A phone joins a room by its link or its code, long-polls the room's state (GET /poll/api/<code>/state?v=...: the
// server answers when the state changes, or after 25 s), sends its answer (POST /poll/api/<code>/answer) under the
// token the server gave it when it joined (POST /poll/api/<code>/join; kept in this browser, per room), and after the
// reveal draws the class's answers beside the model's. Its own answers are the server's (gone after a reset).
// Every text the server sends is set as text, never as HTML (poll_view.js draws the question).

import {
  drawQuestion, followRoom, sendAnswer, showJoin,
} from './poll_view.js';

const $ = (id) => document.getElementById(id);
const base = location.pathname.replace(/\/poll(\/[^/]*)?\/?$/, '');  // a proxy's prefix, if any
const api = (path) => `${base}/poll/api/${path}`;
const codeInPath = (location.pathname.match(/\/poll\/([^/]+)\/?$/) || [])[1];
const view = { code: null, sig: '', state: null, offset: 0, timer: null };

function status(text, kind) {
  const s = $('status');
  s.textContent = text || '';
  s.className = `status ${kind || ''}`;
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
  $('prompt').textContent = q.prompt;
  if (sig !== view.sig) {
    view.sig = sig;
    const boxes = { round: $('round'), answer: $('answer'), results: $('results') };
    drawQuestion(q, boxes, (value) => sendAnswer(api, view.code, view.token, q, value, $('answer'), status), status);
  }
  tick();
}

async function follow(code) {
  view.code = code;
  history.replaceState(null, '', `${base}/poll/${code}`);
  $('join').hidden = true;
  await followRoom(api, code, (s, token) => { view.token = token; render(s); }, status);
  $('prompt').textContent = 'No such room.';
  showJoin($('join'), $('code'), status, follow);
}

setInterval(tick, 250);
if (codeInPath) follow(decodeURIComponent(codeInPath).toUpperCase());
else { $('prompt').textContent = 'Join the class poll'; showJoin($('join'), $('code'), status, follow); }
