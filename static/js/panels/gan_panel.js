// The GAN training page's pictures (a Streamlit components-v2 component; Python side: ui/gan_view.py).
//
// The server trains a few steps a run and sends the picture of each step (the generated points, the critic over
// the box); this panel plays them one step a frame, spaced over the time the server took to send them, so the
// film runs at the training's own rate without a rerun per frame. Per objective a field (the critic as shading,
// light = high, the data in black, the generated points in the critic's colour) and, below, both bounds and the
// distance to the data against the steps, drawn up to the step shown.
// In the browser mode a slide's panel is kept while the browser tab lives (`keep`, its deck step): a step opened again
// shows the race where it was left, paused there when its page went (a Play goes on only on the page).

import { BACKENDS, startTrainer } from '../kit/train_kit.js';
import { button, bytes, canvas, el, FONT, ICONS, keptRoot, rgba } from '../kit/panel_kit.js';

const views = new WeakMap();  // the panel's root -> its view (for one race: a new setting or Reset builds anew)
const FIELD = [540, 240];  // a field's canvas, CSS pixels (the canvas scales to its column)
const CURVES = [1100, 170];

// a step as sent (points as little-endian int16 hundredths, the critic as levels 0..255)
// -> {pts: [x, y, ...], t: levels}
function decode(shot, kinds) {
  const out = { step: shot.step };
  for (const { kind } of kinds) {
    const raw = bytes(shot[kind].pts); const dv = new DataView(raw.buffer);
    const pts = new Float32Array(raw.length / 2);
    for (let i = 0; i < pts.length; i++) pts[i] = dv.getInt16(2 * i, true) / 100;
    out[kind] = { pts, t: bytes(shot[kind].t) };
  }
  return out;
}

// one objective's field: the critic's n x n values (rows along y) as shading, then the data and the generated points
function field(parent, kind, data) {
  const box = el('div', 'field', parent);
  const title = el('div', 'title', box);
  const ctx = canvas(box, FIELD, `${kind.label} critic, the data and the generated points`);
  const [x0, x1, y0, y1] = data.box;
  const s = Math.min((FIELD[0] - 8) / (x1 - x0), (FIELD[1] - 8) / (y1 - y0));
  const ox = (FIELD[0] - s * (x1 - x0)) / 2; const oy = (FIELD[1] - s * (y1 - y0)) / 2;
  const px = (x) => ox + (x - x0) * s; const py = (y) => oy + (y1 - y) * s;
  const n = data.n;
  const off = document.createElement('canvas');
  [off.width, off.height] = [n, n];
  const octx = off.getContext('2d'); const img = octx.createImageData(n, n);
  const dots = (pts, colour, r) => {
    ctx.fillStyle = colour;
    for (let i = 0; i < pts.length; i += 2) {
      ctx.beginPath(); ctx.arc(px(pts[i]), py(pts[i + 1]), r, 0, 2 * Math.PI); ctx.fill();
    }
  };
  return (shot, step) => {
    title.textContent = `${kind.label} critic: step ${step}`;
    const t = shot.t;  // levels 0..255 between this frame's lowest and highest value of the critic
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const g = 255 - Math.round((1 - t[i * n + j] / 255) * 125);
        const o = 4 * ((n - 1 - i) * n + j);  // row i is the i-th y from the bottom
        img.data[o] = img.data[o + 1] = img.data[o + 2] = g; img.data[o + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    ctx.clearRect(0, 0, FIELD[0], FIELD[1]);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, px(x0), py(y1), (x1 - x0) * s, (y1 - y0) * s);
    ctx.save();  // points that left the box are not drawn outside it
    ctx.beginPath(); ctx.rect(px(x0), py(y1), (x1 - x0) * s, (y1 - y0) * s); ctx.clip();
    dots(data.data, 'rgba(0, 0, 0, 0.5)', 1.8);
    dots(shot.pts, rgba(kind.colour, 0.85), 2.6);
    ctx.restore();
    ctx.strokeStyle = '#999'; ctx.strokeRect(px(x0), py(y1), (x1 - x0) * s, (y1 - y0) * s);
  };
}

// both objectives' bounds (left) and the generated points' distance to the data (right) against the steps
function curves(parent, data) {
  const ctx = canvas(el('div', 'curves', parent), CURVES, "the critics' bounds and the distance to the data");
  const W = CURVES[0] / 2; const H = CURVES[1];
  const plot = (left, title, key, ceiling, upto, floor, roof) => {
    const [l, r, t, b] = [left + 46, left + W - 16, 26, H - 34];
    const pts = data.kinds.map((k) => {
      const h = data.history[k.kind];
      const out = [];
      for (let i = 0; i < h.step.length && h.step[i] <= upto; i++) {
        if (Number.isFinite(h[key][i])) out.push([h.step[i], h[key][i]]);
      }
      return out;
    });
    const all = pts.flat();
    const xmax = Math.max(10, upto);
    // a bound can dive far below 0 for a step (a critic behind its generator): the range stops at `floor`, the
    // curve runs off the plot there, so the ceiling stays readable
    const lo = Math.max(floor, Math.min(0, ...all.map((p) => p[1])));
    let hi = Math.min(roof, Math.max(ceiling ? ceiling * 1.05 : 0.1, ...all.map((p) => p[1])));
    if (hi - lo < 1e-6) hi = lo + 1;
    const X = (x) => l + (x / xmax) * (r - l); const Y = (y) => b - ((y - lo) / (hi - lo)) * (b - t);
    ctx.fillStyle = '#31333f'; ctx.font = FONT; ctx.textAlign = 'center';
    ctx.fillText(title, (l + r) / 2, 16);
    ctx.textAlign = 'right';
    ctx.fillText('generator steps', r, H - 4);
    ctx.textAlign = 'right';
    const label = (y) => (Math.abs(y) < 0.005 ? 0 : y).toFixed(2);  // a bound a hair below 0 reads 0.00, not -0.00
    for (const y of [lo, (lo + hi) / 2, hi]) ctx.fillText(label(y), l - 6, Y(y) + 5);
    ctx.textAlign = 'center';
    for (const x of [0, Math.round(xmax / 2), xmax]) ctx.fillText(String(x), X(x), b + 16);
    ctx.strokeStyle = '#bbb'; ctx.lineWidth = 1; ctx.strokeRect(l, t, r - l, b - t);
    if (ceiling) {
      ctx.setLineDash([4, 4]); ctx.strokeStyle = rgba(data.kinds[0].colour, 0.8);
      ctx.beginPath(); ctx.moveTo(l, Y(ceiling)); ctx.lineTo(r, Y(ceiling)); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = data.kinds[0].colour; ctx.textAlign = 'right';
      ctx.fillText(`${data.kinds[0].label} ceiling ${ceiling}`, r - 4, Y(ceiling) + 16);
    }
    ctx.save(); ctx.beginPath(); ctx.rect(l, t, r - l, b - t); ctx.clip();
    pts.forEach((p, i) => {
      ctx.strokeStyle = data.kinds[i].colour; ctx.lineWidth = 2; ctx.beginPath();
      p.forEach(([x, y], j) => (j ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
      ctx.stroke();
    });
    ctx.restore();
    data.kinds.forEach((k, i) => {  // the legend, under the axis' left end
      ctx.fillStyle = k.colour; ctx.textAlign = 'left';
      ctx.fillText(`— ${k.label}`, l + 110 * i, H - 4);
    });
  };
  return (upto) => {
    ctx.clearRect(0, 0, CURVES[0], CURVES[1]);
    plot(0, "the critic's bound", 'est', data.ceiling, upto, -1, 2 * data.ceiling);
    plot(W, "generated points' distance to the data", 'off', 0, upto, 0, Infinity);
  };
}

function build(root, data) {
  const row = el('div', 'fields', root);
  const fields = data.kinds.map((k) => field(row, k, data));
  const view = { id: data.id, data, queue: [], spacing: 50, last: 0, arrived: 0, looping: false };
  const drawCurves = curves(root, data);
  view.draw = (shot) => {
    data.kinds.forEach((k, i) => fields[i](shot[k.kind], shot.step));
    drawCurves(shot.step);
    root.dataset.step = String(shot.step);
  };
  const tick = (now) => {
    // a long queue (a slow browser, a burst) is played faster so the film never lags far behind the training
    const spacing = view.queue.length > 2 * view.batch ? view.spacing / 2 : view.spacing;
    if (view.queue.length && now - view.last >= spacing - 2) {
      view.draw(view.queue.shift());
      view.last = now;
    }
    if (view.queue.length) requestAnimationFrame(tick); else view.looping = false;
  };
  view.receive = (d) => {
    // the curves' numbers: all of them, or those from the first step sent on (the earlier ones are kept)
    const h = view.data.history;
    if (!d.history.from || !h) view.data.history = d.history;
    else {
      for (const { kind } of data.kinds) {
        const cut = h[kind].step.findIndex((x) => x >= d.history.from);
        for (const key of ['step', 'est', 'off']) {
          h[kind][key] = (cut < 0 ? h[kind][key] : h[kind][key].slice(0, cut)).concat(d.history[kind][key]);
        }
      }
    }
    if (d.frames.length) {
      const now = performance.now();
      // this run's steps spread over the time since the last run's arrived (a frame at most 60 per second)
      if (view.arrived) view.spacing = Math.min(250, Math.max(16, (now - view.arrived) / d.frames.length));
      view.arrived = now; view.batch = d.frames.length;
      view.queue.push(...d.frames.map((f) => decode(f, data.kinds)));
      if (!view.looping) { view.looping = true; requestAnimationFrame(tick); }
    } else if (!view.queue.length) {
      view.arrived = 0;
      view.draw(decode(d.now, data.kinds));
    }
  };
  return view;
}

// ---- browser mode ------------------------------------------------------------------------------------------------

const trainers = new WeakMap();  // the panel's root -> its browser trainer's view (one worker for the page's life)

// a worker's frame -> what `draw` takes: the critic's values as levels 0..255 between its lowest and highest
function shotOf(f, kinds) {
  const out = { step: f.step };
  for (const { kind } of kinds) {
    const t = f[kind].t; let lo = Infinity; let hi = -Infinity;
    for (const v of t) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const levels = new Uint8Array(t.length);
    for (let i = 0; i < t.length; i++) levels[i] = hi > lo ? Math.round((t[i] - lo) / (hi - lo) * 255) : 255;
    out[kind] = { pts: f[kind].pts, t: levels };
  }
  return out;
}

function browserView(root) {
  const bar = el('div', 'controls', root);
  const play = button(bar, 'Play', ICONS.play, true, '');
  const step = button(bar, 'Step', '', false, 'One generator step of each, with its critic steps');
  const reset = button(bar, 'Reset', '', false, 'Both generators back to the start');
  const note = el('div', 'note', root);
  const film = el('div', 'film', root);
  const b = { id: null, component: null, data: null, view: null, trainer: null, playing: false, step: 0,
    last: null, latest: null, drawing: false, told: 0 };
  note.textContent = 'Loading the trainer into this browser…';
  const buttons = () => {
    const ready = b.trainer !== null && b.view !== null; const done = b.step >= (b.data ? b.data.max_steps : 0);
    play.querySelector('.label').textContent = b.playing ? 'Pause' : 'Play';
    play.querySelector('.icon').innerHTML = b.playing ? ICONS.pause : ICONS.play;
    play.title = b.playing ? 'Stop after the step in progress' : `${b.data ? b.data.play_steps : ''} generator steps of each, each drawn as it comes, then a pause`;
    play.disabled = !ready || (done && !b.playing);
    step.disabled = !ready || b.playing || done;
    reset.disabled = !ready;
  };
  const report = () => {
    if (!b.last) return;
    const out = { id: b.id, step: b.last.step };
    for (const { kind } of b.data.kinds) {
      const f = b.last[kind];
      out[kind] = { est: Number.isFinite(f.est) ? f.est : null, off: f.off, missed: f.missed };
    }
    b.told = out.step;
    b.component.setStateValue('frame', out);
  };
  const paint = () => {
    b.drawing = false;
    if (!b.latest) return;
    b.view.draw(shotOf(b.latest, b.data.kinds));
    root.dataset.step = String(b.latest.step);  // what a test or a benchmark watches
    b.latest = null;
  };
  const onMessage = (msg) => {
    if (msg.type === 'frame') {
      if (msg.step === 0) {  // a new race's start: a fresh film
        film.innerHTML = '';
        b.view = build(film, { ...b.data, history: { from: 0 } });
        b.view.data.history = Object.fromEntries(b.data.kinds.map(({ kind }) => [kind,
          { step: [], est: [], off: [] }]));
      }
      const h = b.view.data.history;
      for (const { kind } of b.data.kinds) {
        h[kind].step.push(msg.step); h[kind].est.push(Number.isFinite(msg[kind].est) ? msg[kind].est : null);
        h[kind].off.push(msg[kind].off);
      }
      b.step = msg.step; b.last = msg; b.latest = msg;
      if (b.playing && !root.isConnected) b.trainer.postMessage({ cmd: 'pause' });  // its page is gone
      if (!b.drawing) { b.drawing = true; requestAnimationFrame(paint); }
      // a race's start: the page is told only if it holds a later step (a Reset); on a fresh page its verdict is
      // already the start's, and a rerun then would be one more for the server and could cross a deck's next step
      if (msg.step === 0) { buttons(); if (b.told > 0) report(); }
    } else if (msg.type === 'stopped') {
      b.playing = false; buttons();
      if (root.isConnected) report();  // else told when the page is drawn again
    } else if (msg.type === 'error') {
      b.playing = false; buttons();
      note.textContent = `The training in this browser stopped (${msg.message}); the server trains instead.`;
      b.component.setStateValue('fallback', String(msg.message));
    }
  };
  b.start = (data) => {  // a new race (a new setting, Reset): the worker starts both generators again
    b.id = data.id; b.data = data; b.playing = false; b.step = 0; b.last = null;
    buttons();
    if (b.trainer) b.trainer.postMessage({ cmd: 'gan', ...data.race });
  };
  play.onclick = () => {
    if (b.playing) { b.trainer.postMessage({ cmd: 'pause' }); return; }
    b.playing = true; buttons();
    b.trainer.postMessage({ cmd: 'play', until: Math.min(b.step + b.data.play_steps, b.data.max_steps) });
  };
  step.onclick = () => b.trainer.postMessage({ cmd: 'step', max: b.data.max_steps });
  b.report = report;
  reset.onclick = () => b.start(b.data);
  b.boot = (runtime, loads) => startTrainer(runtime, onMessage).then(({ worker, backend }) => {
    b.trainer = worker;
    note.textContent = `Trained in this browser: ${BACKENDS[backend] || backend}, in a worker of its own (${loads} `
      + 'downloaded once, then kept by the browser).';
    root.dataset.backend = backend;
    b.start(b.data);
  }, (err) => {
    note.textContent = `This browser cannot train here (${err.message}); the server trains instead…`;
    b.component.setStateValue('fallback', String(err.message || err));
  });
  return b;
}

function browserMode(component, root) {
  const { data } = component;
  let b = trainers.get(root);
  if (!b) {
    root.innerHTML = '';
    b = browserView(root);
    trainers.set(root, b);
    b.component = component; b.data = data; b.id = data.id;
    b.boot(data.runtime, data.loads);
    return;
  }
  const again = b.component.parentElement !== component.parentElement;  // kept, and drawn on a new page
  b.component = component;
  if (b.id !== data.id) b.start(data);  // a new setting; a rerun with the same one changes nothing
  else if (again && b.step > 0) b.report();  // the new page's verdict knows no step yet: this one's
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = keptRoot(parentElement, '.gp', data.keep);
  if (data.mode === 'browser') { browserMode(component, root); return; }
  let view = views.get(root);
  if (!view || view.id !== data.id) {
    root.innerHTML = '';
    view = build(root, data);
    views.set(root, view);
  }
  view.receive(data);
}
