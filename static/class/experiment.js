// The class's own experiment on a step of the class page (class.js): the student hides any part of the step's image
// with a finger (or a preset), runs the exact sampler and pseudo-Gibbs on it in this phone's browser (the inpainting
// page's own Web Worker, static/js/workers/inpaint.worker.js, on the step's VAE as ONNX graphs), sees both fills and
// their scores, and sends the fills with the mask to the lecture's room (POST /poll/api/<code>/run), where the server
// scores them again against the image and pools the class's runs on the projector (a lesson pack sends nothing).
//
// The step's experiment (experiment.json, written when the deck is drawn: server/class_deck.py) names the image,
// the two methods and their settings, the graphs' and the worker's URLs, relative to the app's root.

import { paint, rgba, tinted } from '../../app/static/js/kit/pictures.js';
import { el } from '../../poll/static/poll_view.js';

const BRUSH = 1;  // the finger's square: (2 BRUSH + 1) image pixels a side

// the experiment's panel in `box`: spec (experiment.json), root (the app's root URL), send(body) -> a promise of
// the server's answer; send null: nothing to send to (a lesson pack), the run stays on this phone
export function mountExperiment(box, spec, root, send) {
  const [, H, W] = spec.shape;
  const image = Float32Array.from(spec.image);
  const observed = new Uint8Array(H * W).fill(1);
  const [a, b] = spec.methods;
  el('h2', 'exp-title', box, 'Your own experiment');
  el('p', 'exp-how', box, `Drag over the ${spec.dataset === 'mnist' ? 'digit' : 'image'} to hide part of it (grey), `
    + `then run the ${spec.labels[a]} and ${spec.labels[b]} on your mask, on this phone `
    + `(${spec.chain}).`);
  const canvas = el('canvas', 'exp-canvas', box);
  canvas.setAttribute('aria-label', 'the image: drag to hide pixels');
  const tools = el('div', 'exp-tools', box);
  const half = el('button', '', tools, 'Hide the bottom half');
  const clear = el('button', '', tools, 'Show all');
  const run = el('button', 'exp-run', box, 'Run both samplers');
  const bar = el('progress', 'exp-bar', box); bar.max = 1; bar.value = 0; bar.hidden = true;
  const status = el('p', 'exp-status', box); status.setAttribute('role', 'status');
  const out = el('div', 'exp-out', box);
  let busy = false; let worker = null;
  // the hidden pixels one flat colour, as the slides draw a question (dgm_core.masks.holed, its colour sent)
  const draw = () => paint(canvas, tinted(image, observed, spec.shape, spec.hole, 1), spec.shape);
  const hideAt = (e) => {
    const r = canvas.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) / r.width) * W);
    const y = Math.floor(((e.clientY - r.top) / r.height) * H);
    for (let dy = -BRUSH; dy <= BRUSH; dy++) {
      for (let dx = -BRUSH; dx <= BRUSH; dx++) {
        if (y + dy >= 0 && y + dy < H && x + dx >= 0 && x + dx < W) observed[(y + dy) * W + x + dx] = 0;
      }
    }
    draw();
  };
  let down = false;
  canvas.addEventListener('pointerdown', (e) => {
    if (busy) return;
    down = true; canvas.setPointerCapture(e.pointerId); hideAt(e); e.preventDefault();
  });
  canvas.addEventListener('pointermove', (e) => { if (down && !busy) hideAt(e); });
  canvas.addEventListener('pointerup', () => { down = false; });
  canvas.addEventListener('pointercancel', () => { down = false; });
  half.onclick = () => { if (!busy) { for (let i = (H >> 1) * W; i < H * W; i++) observed[i] = 0; draw(); } };
  clear.onclick = () => { if (!busy) { observed.fill(1); draw(); } };
  const finish = (text, kind) => {
    busy = false; bar.hidden = true; run.disabled = false; half.disabled = false; clear.disabled = false;
    status.textContent = text; status.className = `exp-status ${kind || ''}`;
    if (worker) worker.terminate();
    worker = null;
  };
  run.onclick = () => {
    const hidden = observed.reduce((n, o) => n + (1 - o), 0);
    if (hidden === 0 || hidden === H * W) {
      status.textContent = hidden === 0 ? 'Hide some pixels first: drag over the image.'
        : 'Leave some pixels visible: the samplers fill what is hidden from what is not.';
      status.className = 'exp-status error';
      return;
    }
    busy = true; run.disabled = true; half.disabled = true; clear.disabled = true;
    out.replaceChildren(); bar.hidden = false; bar.value = 0;
    status.textContent = 'Loading the model…'; status.className = 'exp-status';
    const results = {};
    const mask = Uint8Array.from(observed);
    try {
      worker = new Worker(new URL(spec.worker, root), { type: 'module' });
    } catch (err) { finish(`This phone could not start the samplers (${err.message || err}).`, 'error'); return; }
    worker.onerror = (e) => finish(`This phone could not run the samplers (${e.message || 'the worker stopped'}).`,
      'error');
    worker.onmessage = async ({ data: msg }) => {
      if (msg.type === 'progress') {
        bar.value = msg.fraction;
        status.textContent = `${spec.labels[msg.method]}: ${Math.round(100 * msg.fraction)} %`;
      } else if (msg.type === 'result') {
        results[msg.result.method] = msg.result;
      } else if (msg.type === 'error') {
        finish(`This phone could not run the samplers (${msg.message}).`, 'error');
      } else if (msg.type === 'done') {
        const seconds = msg.seconds;
        finish(`Ran in ${seconds.toFixed(1)} s on this phone.`);
        show(results, mask, seconds);
      }
    };
    worker.postMessage({ cmd: 'run', id: 'class', base: root, runtime: spec.runtime, models: spec.models, image,
      mask, shape: spec.shape, methods: spec.methods, settings: spec.settings, binary: spec.binary, track: [] });
  };
  async function show(results, mask, seconds) {
    const row = el('div', 'exp-fills', out);
    for (const m of spec.methods) {
      const r = results[m];
      const f = el('figure', '', row);
      const f1 = r && r.scores && r.scores.F1 !== undefined ? `F1 ${r.scores.F1.toFixed(2)}`
        : r && r.scores ? `MSE ${r.scores.MSE.toFixed(4)}` : '';
      el('figcaption', '', f, `${spec.labels[m]}: ${f1}`);
      const c = el('canvas', '', f);
      if (r) paint(c, rgba(r.mean, spec.shape), spec.shape);
    }
    if (!send) {
      el('p', 'exp-sent', out, 'Your run stays on this phone: a lesson pack has no projector to pool it.');
      return;
    }
    const said = el('p', 'exp-sent', out, 'Sending your run to the class…');
    const body = { mask: Array.from(mask, (o) => (o ? '1' : '0')).join(''),
      fills: Object.fromEntries(spec.methods.map((m) => [m, Array.from(results[m].mean,
        (v) => Math.round(Math.min(Math.max(v, 0), 1) * 1000) / 1000)])) };
    try {
      const got = await send(body, seconds);
      said.textContent = `Sent: the projector pools ${got.runs} run${got.runs === 1 ? '' : 's'} of the class.`;
    } catch (err) {
      said.textContent = err.message; said.className = 'exp-sent error';
    }
  }
  draw();
}
