// Own-table mode's "fill in my browser" panel (a components-v2 component, ui/own_table.py): its button starts
// tabular/train.worker.js (a module worker, its URL in the runtime the server sends) on the job the server sent
// (server.own_table_job), shows each model's progress and the whole job's time to go (tabular/eta.js), and reports the
// result to the server as the component's `result` state; its Cancel terminates the worker at once and changes
// nothing (the component's state keeps the earlier answer, so the page keeps its earlier results); where the browser
// cannot train (no WebAssembly, no module workers, the runtime's files unreachable, an error), its `fallback` state
// says why in words and the page offers the server's training instead.
import { pace, toGo } from '../tabular/eta.js';
import { plain, typedDeep } from '../tabular/wire.js';

const BACKENDS = { wasm: 'TensorFlow.js on WebAssembly', cpu: 'TensorFlow.js in plain JavaScript' };
const views = new WeakMap();  // the panel's root -> {id, busy, cancel}

function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function start(component, root, view) {
  const { data } = component;
  const say = root.querySelector('.otb-status'); const bar = root.querySelector('progress');
  const button = root.querySelector('button.primary'); const cancel = root.querySelector('button.otb-cancel');
  const fallback = (why) => { cancel.hidden = true; root.dataset.state = 'fallback'; say.textContent = `Cannot train here: ${why}.`; component.setStateValue('fallback', why); };
  if (typeof WebAssembly !== 'object') { fallback('this browser has no WebAssembly'); return; }
  const abs = Object.fromEntries(Object.entries(data.runtime).map(([k, v]) => [k, new URL(v, document.baseURI).href]));
  let worker;
  try {
    worker = new Worker(abs.worker, { type: 'module' });
  } catch { fallback('this browser cannot run module workers'); return; }
  view.busy = true; button.disabled = true; cancel.hidden = false; root.dataset.state = 'training';
  delete root.dataset.togo;
  const steps = data.job.iterations; const total = steps * data.job.models.length; const t0 = performance.now();
  const eta = pace(steps, data.job.models.length);
  view.cancel = () => {
    worker.terminate(); view.busy = false; button.disabled = false; cancel.hidden = true; bar.value = 0;
    root.dataset.state = 'cancelled'; delete root.dataset.togo;
    say.textContent = 'Cancelled; nothing was changed.';
  };
  const index = Object.fromEntries(data.job.models.map((m, i) => [m.method, i]));
  const label = Object.fromEntries(data.job.models.map((m) => [m.method, m.label]));
  say.textContent = 'Starting TensorFlow.js…';
  worker.onerror = (e) => { e.preventDefault(); view.busy = false; worker.terminate(); fallback(e.message || 'the trainer did not start'); };
  worker.onmessage = ({ data: msg }) => {
    if (msg.type === 'ready') {
      root.dataset.backend = msg.backend;
      say.textContent = `Training in your browser (${BACKENDS[msg.backend] || msg.backend})…`;
      worker.postMessage({ cmd: 'fill', job: typedDeep(data.job) });
    } else if (msg.type === 'progress') {
      const done = index[msg.method] * steps + msg.step;
      bar.value = done / total;
      const left = eta.step(done, msg.s);
      if (left !== null) root.dataset.togo = left.toFixed(1);
      say.textContent = `${label[msg.method]}: step ${msg.step.toLocaleString()} of ${msg.of.toLocaleString()}, loss ${msg.loss.toFixed(3)}`
        + (msg.step === msg.of ? ' (imputing…)' : '') + (left === null ? '' : `; the whole job ${toGo(left)}`);
    } else if (msg.type === 'imputed') {
      eta.imputed(msg.s);
    } else if (msg.type === 'done') {
      worker.terminate(); view.busy = false; bar.value = 1; cancel.hidden = true; delete root.dataset.togo;
      const wall = (performance.now() - t0) / 1000;
      root.dataset.state = 'done'; root.dataset.seconds = msg.result.seconds.toFixed(2); root.dataset.wall = wall.toFixed(2);
      say.textContent = `Trained and imputed in your browser in ${msg.result.seconds.toFixed(1)} s (${BACKENDS[msg.result.backend] || msg.result.backend}); the other imputers run on the server.`;
      component.setStateValue('result', plain(msg.result));
    } else if (msg.type === 'error') {
      worker.terminate(); view.busy = false; fallback(msg.message);
    }
  };
  worker.postMessage({ cmd: 'init', runtime: abs });
}

export default function panel(component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.otb');
  let view = views.get(root);
  if (view && view.id === data.job.id) return;  // the same job: keep what is on screen (a training goes on)
  if (view && view.busy) view.cancel();  // another table or settings: the old training's answer would be refused
  view = { id: data.job.id, busy: false };
  views.set(root, view);
  root.innerHTML = ''; root.dataset.state = 'idle'; delete root.dataset.backend;
  const row = el('div', 'otb-row', root);
  const button = el('button', 'primary', row, data.label);
  button.type = 'button'; button.title = data.help;
  el('progress', '', row).value = 0;
  const cancel = el('button', 'otb-cancel', row, 'Cancel');
  cancel.type = 'button'; cancel.hidden = true; cancel.title = 'Stop the training in your browser; nothing is kept';
  el('div', 'otb-status', root, data.note);
  button.addEventListener('click', () => { if (!view.busy) start(component, root, view); });
  cancel.addEventListener('click', () => { if (view.busy) view.cancel(); });
}
