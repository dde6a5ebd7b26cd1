// The Critics page's retrain, in the visitor's browser (a Streamlit components-v2 component; Python side:
// ui/critics_view.py). The button starts static/js/workers/toy_train.worker.js (static/js/kit/train_kit.js; the first
// press loads TensorFlow.js) and asks it to retrain both critics at the slider's theta; while it trains, a bar names
// the critic and the step and
// a chart draws each critic's bound on its training batches. When both are done the panel sends the whole retrain
// back (state `result`) and the page shows it next to the shipped sweep. If the worker cannot start, the panel reports
// `fallback` and the page retrains on the server.

import { BACKENDS, startTrainer } from '../kit/train_kit.js';
import { canvas, el, FONT, rgba } from '../kit/panel_kit.js';

const retrainers = new WeakMap();  // the panel's root -> its view
const CHART = [1100, 300];

// each critic's bound against the step, its true value dashed
function chart(parent, data) {
  const ctx = canvas(parent, CHART, "each critic's bound on its training batches");
  const [W, H] = CHART; const [l, r, t, b] = [56, W - 16, 30, H - 40];
  return (curves) => {
    const all = data.kinds.flatMap((k) => curves[k.kind] || []).concat(data.kinds.map((k) => k.truth));
    const lo = Math.min(0, ...all.filter(Number.isFinite)); let hi = Math.max(0.1, ...all.filter(Number.isFinite));
    if (hi - lo < 1e-6) hi = lo + 1;
    const X = (x) => l + (x / data.cfg.steps) * (r - l); const Y = (y) => b - ((y - lo) / (hi - lo)) * (b - t);
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#31333f'; ctx.font = FONT; ctx.textAlign = 'left';
    ctx.fillText(`Retraining at θ = ${data.theta}: estimate on each training batch`, l, 18);
    ctx.textAlign = 'right';
    for (const y of [lo, (lo + hi) / 2, hi]) ctx.fillText(y.toFixed(2), l - 6, Y(y) + 5);
    ctx.fillText('training step', r, H - 4);
    ctx.textAlign = 'center';
    for (const x of [0, Math.round(data.cfg.steps / 2), data.cfg.steps]) ctx.fillText(String(x), X(x), b + 16);
    ctx.strokeStyle = '#bbb'; ctx.lineWidth = 1; ctx.strokeRect(l, t, r - l, b - t);
    data.kinds.forEach((k, i) => {
      ctx.setLineDash([5, 4]); ctx.strokeStyle = rgba(k.colour, 0.8); ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(l, Y(k.truth)); ctx.lineTo(r, Y(k.truth)); ctx.stroke(); ctx.setLineDash([]);
      const ys = curves[k.kind] || [];
      ctx.strokeStyle = k.colour; ctx.lineWidth = 2; ctx.beginPath();
      ys.forEach((y, j) => (j ? ctx.lineTo(X(j + 1), Y(y)) : ctx.moveTo(X(j + 1), Y(y))));
      ctx.stroke();
      ctx.fillStyle = k.colour; ctx.textAlign = 'left';
      ctx.fillText(`— ${k.label}`, l + 160 * i, H - 4);
    });
  };
}

function retrainView(root) {
  const go = el('button', 'primary', root); go.type = 'button';
  const bar = el('div', 'bar', root); const fill = el('div', 'fill', bar); const text = el('div', 'text', bar);
  bar.setAttribute('role', 'progressbar');
  const note = el('div', 'note', root);
  const box = el('div', 'chart', root);
  const v = { data: null, component: null, trainer: null, busy: false, curves: {}, draw: null, pending: false };
  bar.hidden = true; box.hidden = true;
  const progress = (frac, words) => {
    bar.hidden = false; fill.style.width = `${Math.round(100 * frac)}%`; text.textContent = words;
    bar.setAttribute('aria-valuenow', String(Math.round(100 * frac)));
  };
  const redraw = () => { v.pending = false; if (v.draw) v.draw(v.curves); };
  const onMessage = (msg) => {
    const d = v.data; const n = d.cfg.steps;
    if (msg.type === 'progress') {
      v.curves[msg.kind].push(msg.estimate);
      const i = d.kinds.findIndex((k) => k.kind === msg.kind);
      progress((i * n + msg.step) / (d.kinds.length * n), `${d.kinds[i].label}: step ${msg.step} of ${n}`);
      if (!v.pending) { v.pending = true; requestAnimationFrame(redraw); }
    } else if (msg.type === 'done') {
      v.busy = false; go.disabled = false;
      const res = msg.result;
      progress(1, `Done: both critics retrained at θ = ${res.theta}, ${res.steps} steps each, in `
        + `${res.seconds.toFixed(1)} s in this browser.`);
      box.hidden = true;  // the page draws the finished chart, beside the final estimates
      root.dataset.seconds = String(res.seconds);
      v.component.setStateValue('result', { ...res, backend: v.backend, config: d.cfg });
    } else if (msg.type === 'error') {
      v.busy = false; go.disabled = false;
      note.textContent = `The retrain in this browser stopped (${msg.message}); the server retrains instead.`;
      v.component.setStateValue('fallback', String(msg.message));
    }
  };
  const run = () => {
    const d = v.data;
    v.busy = true; go.disabled = true;
    v.curves = Object.fromEntries(d.kinds.map((k) => [k.kind, []]));
    box.innerHTML = ''; box.hidden = false; v.draw = chart(box, d); v.draw(v.curves);
    progress(0, `${d.kinds[0].label}: starting`);
    v.trainer.postMessage({ cmd: 'retrain', theta: d.theta, cfg: d.cfg, seed: d.seed });
  };
  go.onclick = () => {
    if (v.busy) return;
    if (v.trainer) { run(); return; }
    go.disabled = true;
    progress(0, `Loading the trainer into this browser (${v.data.loads}, once)…`);
    startTrainer(v.data.runtime, onMessage).then(({ worker, backend }) => {
      v.trainer = worker; v.backend = backend; root.dataset.backend = backend;
      note.textContent = `Trained in this browser: ${BACKENDS[backend] || backend}, in a worker of its own.`;
      run();
    }, (err) => {
      go.disabled = false; bar.hidden = true;
      note.textContent = `This browser cannot retrain here (${err.message}); the server retrains instead…`;
      v.component.setStateValue('fallback', String(err.message || err));
    });
  };
  v.receive = (component) => {
    v.component = component; const d = component.data;
    const changed = !v.data || v.data.theta !== d.theta || v.data.cfg.steps !== d.cfg.steps;
    v.data = d;
    go.textContent = `Retrain both critics at θ = ${d.theta}`;
    if (changed && !v.busy) { bar.hidden = true; box.hidden = true; }
  };
  return v;
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.cr');
  let v = retrainers.get(root);
  if (!v) { root.innerHTML = ''; v = retrainView(root); retrainers.set(root, v); }
  v.receive(component);
}
