// The 2-D flow page's panel (a Streamlit components-v2 component; Python side: ui/flow2d_view.py).
//
// One picture: the data (grey), points of noise carried by the learned flow to time t (blue) with the paths they
// took so far, and the learned velocity field at t as arrows. Time is scrubbed with the slider or played, here in
// the browser, a frame per screen refresh (the positions between two of the flow's computed times are interpolated).
// On "your drawing" a press and drag on the picture draws points; when the stroke ends the visitor's browser trains
// the flow on them (static/js/workers/flow_train.worker.js, TensorFlow.js in a Web Worker) and plays it while it
// trains, and the points go to the page (the link, the GAN page) as integer codes on a LEVELS x LEVELS grid over the
// box.
// Where the browser cannot train, the server does (mode 'server': the page sends the paths and the field).
// On a slide (`wait`) the film waits at t = 0, the noise, for Play while the flow trains; a slide's panel is kept while
// the browser tab lives (`keep`, its deck step): a step opened again shows the time it was left at. A panel whose
// page is gone pauses.

import { BACKENDS, startTrainer } from '../kit/train_kit.js';
import { button, canvas, el, ICONS, keptRoot } from '../kit/panel_kit.js';
import { typed } from '../kit/typed_json.js';

const VIEW = [480, 480];  // the picture, CSS pixels (it scales down to a narrower column)
const PASS_S = 2.5;  // one pass of Play from noise to data
const HOLD_S = 0.6;  // at the data before the next pass
const GAP = 0.1;  // drawn points along a stroke, at least this far apart (data units)

const flows = new WeakMap();  // the panel's root -> its view (one worker for the page's life)

function flowView(root) {
  const bar = el('div', 'bar', root);
  const play = button(bar, 'Pause', ICONS.pause, true, 'Play the flow from noise (t = 0) to data (t = 1), again and again');
  const slider = el('input', 'time', bar);
  Object.assign(slider, { type: 'range', min: 0, max: 1000, value: 0 });
  slider.setAttribute('aria-label', 'time t, from noise (0) to data (1)');
  const tLabel = el('span', 'tlabel', bar);
  const clear = button(bar, 'Clear drawing', '', false, 'Remove every drawn point');
  const ctx = canvas(root, VIEW, 'the data, the points carried by the flow to time t, and the velocity field at t');
  const cv = ctx.canvas;
  const note = el('div', 'note', root);
  const f = { component: null, data: null, key: null, trainer: null, backend: null, playing: false, t: 0, hold: 0,
    last: 0, res: null, codes: [], stroke: null, painted: 0, dirty: true, scale: 1 };
  // what the picture shows: a new one (a setting, a drawing from the link) trains again
  const keyOf = (d, codes) => JSON.stringify([d.mode, d.data, d.steps, d.seed, d.drawable ? codes : null]);

  // the box in the picture, and back
  const geometry = () => {
    const [x0, x1, y0, y1] = f.data.box;
    const s = Math.min((VIEW[0] - 12) / (x1 - x0), (VIEW[1] - 12) / (y1 - y0));
    const ox = (VIEW[0] - s * (x1 - x0)) / 2; const oy = (VIEW[1] - s * (y1 - y0)) / 2;
    return { x0, x1, y0, y1, s, px: (x) => ox + (x - x0) * s, py: (y) => oy + (y1 - y) * s,
      ux: (cx) => x0 + (cx - ox) / s, uy: (cy) => y1 - (cy - oy) / s };
  };
  const fromCodes = (codes) => {
    const [x0, x1, y0, y1] = f.data.box; const L = f.data.levels - 1;
    return Float32Array.from(codes, (c, i) => (i % 2 ? y0 + (c / L) * (y1 - y0) : x0 + (c / L) * (x1 - x0)));
  };
  const shown = () => (f.data.drawable ? fromCodes(f.codes) : f.data.points);

  // positions (or velocities) at time t from per-frame arrays (frames + 1, n, 2): linear between two frames
  const at = (arr, n, t, out) => {
    const frames = f.res.frames; const k = Math.min(t * frames, frames); const i = Math.min(Math.floor(k), frames - 1);
    const a = k - i; const A = i * n * 2; const B = A + n * 2;
    for (let j = 0; j < 2 * n; j++) out[j] = (1 - a) * arr[A + j] + a * arr[B + j];
    return out;
  };

  // a layer as big as the picture, drawn once and copied each frame: the box and the data (until they change), the
  // paths so far (added to frame by frame, redrawn only when time goes back)
  const layer = () => {
    const c = document.createElement('canvas');
    [c.width, c.height] = [cv.width, cv.height];
    const x = c.getContext('2d'); x.scale(cv.width / VIEW[0], cv.height / VIEW[1]);
    return x;
  };
  const dots = (c, pts, g, radius) => {  // one path, one fill
    c.beginPath();
    for (let i = 0; i < pts.length; i += 2) {
      const x = g.px(pts[i]); const y = g.py(pts[i + 1]);
      c.moveTo(x + radius, y); c.arc(x, y, radius, 0, 2 * Math.PI);
    }
    c.fill();
  };
  const base = (g) => {
    if (f.base) return f.base.canvas;
    const c = f.base = layer();
    c.fillStyle = '#fff'; c.fillRect(g.px(g.x0), g.py(g.y1), (g.x1 - g.x0) * g.s, (g.y1 - g.y0) * g.s);
    c.strokeStyle = '#999'; c.lineWidth = 1;
    c.strokeRect(g.px(g.x0), g.py(g.y1), (g.x1 - g.x0) * g.s, (g.y1 - g.y0) * g.s);
    c.fillStyle = 'rgba(0, 0, 0, 0.35)';
    dots(c, shown(), g, 2.2);
    return c.canvas;
  };
  const trails = (g, r, upto) => {
    let c = f.trails;
    if (!c || c.res !== r || upto < c.upto) {
      c = f.trails = layer(); c.res = r; c.upto = 0;
      c.strokeStyle = 'rgba(0, 114, 178, 0.18)'; c.lineWidth = 1;
    }
    if (upto > c.upto) {
      c.beginPath();
      for (let j = 0; j < r.m; j++) {
        let o = (c.upto * r.m + j) * 2;
        c.moveTo(g.px(r.paths[o]), g.py(r.paths[o + 1]));
        for (let i = c.upto + 1; i <= upto; i++) {
          o = (i * r.m + j) * 2;
          c.lineTo(g.px(r.paths[o]), g.py(r.paths[o + 1]));
        }
      }
      c.stroke();
      c.upto = upto;
    }
    return c.canvas;
  };

  const paint = () => {
    const g = geometry();
    ctx.clearRect(0, 0, VIEW[0], VIEW[1]);
    ctx.drawImage(base(g), 0, 0, VIEW[0], VIEW[1]);
    ctx.save();
    ctx.beginPath(); ctx.rect(g.px(g.x0), g.py(g.y1), (g.x1 - g.x0) * g.s, (g.y1 - g.y0) * g.s); ctx.clip();
    const r = f.res;
    if (r) {
      const vel = at(r.field, r.g, f.t, r.vbuf); const grid = f.data.grid;
      ctx.strokeStyle = 'rgba(120, 120, 120, 0.9)'; ctx.lineWidth = 1.2;
      ctx.beginPath();
      for (let i = 0; i < grid.length; i += 2) {  // an arrow per grid point, its length the speed there
        const ax = g.px(grid[i]); const ay = g.py(grid[i + 1]);
        const dx = vel[i] * f.scale; const dy = -vel[i + 1] * f.scale; const len = Math.hypot(dx, dy);
        if (len < 0.5) continue;
        const bx = ax + dx; const by = ay + dy; const hx = dx / len * 4; const hy = dy / len * 4;
        ctx.moveTo(ax, ay); ctx.lineTo(bx, by);
        ctx.moveTo(bx, by); ctx.lineTo(bx - hx - hy * 0.6, by - hy + hx * 0.6);
        ctx.moveTo(bx, by); ctx.lineTo(bx - hx + hy * 0.6, by - hy - hx * 0.6);
      }
      ctx.stroke();
      ctx.drawImage(trails(g, r, Math.floor(Math.min(f.t * r.frames, r.frames))), 0, 0, VIEW[0], VIEW[1]);
      ctx.fillStyle = 'rgba(0, 114, 178, 0.9)';
      dots(ctx, at(r.paths, r.m, f.t, r.pbuf), g, 2.6);
    }
    ctx.restore();
    const label = `t = ${f.t.toFixed(2)}`;  // the page's layout only when what it shows changes
    if (label !== tLabel.textContent) {
      tLabel.textContent = label;
      if (f.playing) slider.value = String(Math.round(f.t * 1000));  // else the slider is where t comes from
    }
    f.painted += 1;
    root.painted = f.painted;  // what the frame-rate benchmark counts (a property: no DOM change a frame)
    if (!f.playing) root.dataset.t = f.t.toFixed(3);
  };

  const tick = (now) => {
    const dt = f.last ? Math.min((now - f.last) / 1000, 0.1) : 0;
    f.last = now;
    if (!root.isConnected) {  // its page is gone (a deck's next step): paused where it was
      if (f.playing) { f.playing = false; buttons(); }
      requestAnimationFrame(tick);
      return;
    }
    if (f.playing && f.res) {
      if (f.t >= 1) {
        f.hold += dt;
        if (f.hold >= HOLD_S) { f.t = 0; f.hold = 0; }
      } else f.t = Math.min(1, f.t + dt / PASS_S);
      f.dirty = true;
    }
    if (f.dirty) { f.dirty = false; paint(); }
    requestAnimationFrame(tick);
  };

  const buttons = () => {
    play.querySelector('.label').textContent = f.playing ? 'Pause' : 'Play';
    play.querySelector('.icon').innerHTML = f.playing ? ICONS.pause : ICONS.play;
    play.disabled = !f.res;
    clear.style.display = f.data && f.data.drawable ? '' : 'none';
    clear.disabled = !f.codes.length;
    cv.classList.toggle('drawable', Boolean(f.data && f.data.drawable));
  };

  // a result (the worker's, or the server's): paths and field per frame; the arrows' scale from the largest speed
  const receive = (res) => {
    let top = 0;
    for (let i = 0; i < res.field.length; i += 2) top = Math.max(top, Math.hypot(res.field[i], res.field[i + 1]));
    const cell = geometry().s * (f.data.box[1] - f.data.box[0]) / (f.data.grid_n - 1);
    f.scale = top > 0 ? 0.9 * cell / top : 1;
    f.res = { ...res, pbuf: new Float32Array(res.m * 2), vbuf: new Float32Array(res.g * 2) };
    f.dirty = true; buttons();
  };

  const say = (text) => { note.textContent = text; };
  const minimum = () => `Draw at least ${f.data.min_points} points: press and drag on the picture`;

  const train = () => {  // the job for what is shown now, on the worker
    root.dataset.trained = '';
    if (f.data.drawable && f.codes.length / 2 < f.data.min_points) {
      f.res = null; f.dirty = true; buttons();
      if (f.trainer) f.trainer.postMessage({ cmd: 'stop' });
      say(`${minimum()} (${f.codes.length / 2} so far).`);
      return;
    }
    if (!f.trainer) return;
    const job = f.data.drawable ? { ...f.data.job, pool: Array.from(fromCodes(f.codes)) } : f.data.job;
    f.started = performance.now();
    say(`Training in this browser: step 0 of ${job.cfg.steps}…`);
    f.trainer.postMessage({ cmd: 'flow', job });
  };

  const onMessage = (msg) => {
    if (msg.type === 'flow_progress' || msg.type === 'flow_done') {
      const c = f.data.job.cfg;
      receive({ paths: msg.paths, field: msg.field, frames: c.frames, m: f.data.job.z.length / 2,
        g: f.data.grid.length / 2 });
      root.dataset.step = String(msg.step);
      const secs = ((performance.now() - f.started) / 1000).toFixed(1);
      if (msg.type === 'flow_done') {
        root.dataset.trained = String(msg.step);
        root.dataset.seconds = secs;
        say(`Trained in this browser in ${secs} s: ${msg.step} steps, last loss ${msg.loss.toFixed(3)} `
          + `(${BACKENDS[f.backend] || f.backend}, in a worker of its own; ${f.data.loads} downloaded once).`);
      } else say(`Training in this browser: step ${msg.step} of ${c.steps}, loss ${msg.loss.toFixed(3)}; the film plays what it has learned so far.`);
    } else if (msg.type === 'error') {
      say(`The training in this browser stopped (${msg.message}); the server trains instead.`);
      f.component.setStateValue('fallback', String(msg.message));
    }
  };

  // drawing: a press and drag adds points along the stroke, GAP apart; the stroke's end trains
  const point = (e) => {
    const rect = cv.getBoundingClientRect(); const g = geometry();
    const cx = (e.clientX - rect.left) * VIEW[0] / rect.width;
    const cy = (e.clientY - rect.top) * VIEW[1] / rect.height;
    return [g.ux(cx), g.uy(cy)];
  };
  const add = ([x, y]) => {
    const [x0, x1, y0, y1] = f.data.box; const L = f.data.levels - 1;
    if (x < x0 || x > x1 || y < y0 || y > y1) return;
    if (f.codes.length / 2 >= f.data.max_points) { f.full = true; return; }
    f.codes.push(Math.round((x - x0) / (x1 - x0) * L), Math.round((y - y0) / (y1 - y0) * L));
    f.stroke.last = [x, y]; f.base = null; f.dirty = true;
  };
  cv.addEventListener('pointerdown', (e) => {
    if (!f.data || !f.data.drawable) return;
    e.preventDefault(); cv.setPointerCapture(e.pointerId);
    f.stroke = { last: null }; f.full = false;
    add(point(e));
  });
  cv.addEventListener('pointermove', (e) => {
    if (!f.stroke) return;
    const p = point(e); const q = f.stroke.last;
    if (!q) { add(p); return; }
    const d = Math.hypot(p[0] - q[0], p[1] - q[1]);
    for (let i = 1; i <= Math.floor(d / GAP); i++) {
      add([q[0] + (p[0] - q[0]) * i * GAP / d, q[1] + (p[1] - q[1]) * i * GAP / d]);
    }
  });
  const end = () => {
    if (!f.stroke) return;
    f.stroke = null; f.key = keyOf(f.data, f.codes); buttons();
    f.component.setStateValue('codes', f.codes.slice());  // the page keeps them (the link, the GAN page)
    train();
    if (f.full) say(`${note.textContent} At most ${f.data.max_points} points are kept: the rest of the stroke was not.`);
  };
  cv.addEventListener('pointerup', end);
  cv.addEventListener('pointercancel', end);

  play.onclick = () => {  // a pause paints once more: the time it stopped at is the panel's (data-t)
    f.playing = !f.playing; if (f.playing && f.t >= 1) f.t = 0; f.hold = 0; f.dirty = true; buttons();
  };
  slider.addEventListener('input', () => {  // the buttons change (a layout) only when a drag stops Play
    if (f.playing) { f.playing = false; buttons(); }
    f.t = Number(slider.value) / 1000; f.dirty = true;
  });
  clear.onclick = () => {
    f.codes = []; f.base = null; f.key = keyOf(f.data, f.codes); buttons();
    f.component.setStateValue('codes', []); train();
  };

  f.update = (component) => {
    const { data } = component;
    f.component = component;
    const key = keyOf(data, data.codes);
    f.data = data; f.base = null;
    if (key === f.key) { buttons(); return; }  // what is shown already (a drawing the page just stored, too)
    if (data.drawable) f.codes = data.codes.slice();
    f.key = key; f.t = 0; f.hold = 0; f.playing = !data.wait; f.dirty = true;
    buttons();
    if (data.mode === 'server') {
      if (data.result) {
        receive({ ...data.result, paths: typed(data.result.paths), field: typed(data.result.field) });
        say(data.result.note);
      } else { f.res = null; say(data.drawable ? `${minimum()}.` : ''); }
      buttons();
      return;
    }
    train();
  };
  f.boot = (runtime) => startTrainer(runtime, onMessage).then(({ worker, backend }) => {
    f.trainer = worker; f.backend = backend; root.dataset.backend = backend;
    train();
  }, (err) => {
    say(`This browser cannot train here (${err.message}); the server trains instead…`);
    f.component.setStateValue('fallback', String(err.message || err));
  });
  f.say = say;
  requestAnimationFrame(tick);
  return f;
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = keptRoot(parentElement, '.fp', data.keep);
  let f = flows.get(root);
  if (f) { f.update(component); return; }
  root.innerHTML = '';
  f = flowView(root);
  flows.set(root, f);
  f.update(component);
  if (data.mode !== 'browser') return;
  if (!root.querySelector('.note').textContent) f.say('Loading the trainer into this browser…');
  f.boot(data.runtime);
}
