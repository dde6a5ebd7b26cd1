// The inpainting samplers' panel in the visitor's browser (a Streamlit components-v2 component; Python side:
// ui/browser_inpaint.py, which sends the job and the worker's URL, data.worker).
// A new job (data.job) starts workers/inpaint.worker.js in a module Web Worker of its own, so the page never freezes;
// a bar names the method running and how far it is. When every method is done the panel keeps the results in the page
// (kit/own_runs.js: the grid and the chains' film are drawn from them) and sends them back once, less what stays here
// (state `result`: the job's id and the answer as one JSON text); if the worker cannot start or stops, it sends
// `error` (one sentence's reason) and the page can run the server's samplers instead. A rerun with the same job
// changes nothing.

import { el } from '../kit/panel_kit.js';
import { keep, sent } from '../kit/own_runs.js';
import { typed } from '../kit/typed_json.js';

const views = new WeakMap();  // the panel's root -> its view

function inpaintView(root) {
  const bar = el('div', 'bar', root); const fill = el('div', 'fill', bar); const text = el('div', 'text', bar);
  bar.setAttribute('role', 'progressbar');
  const note = el('div', 'note', root);
  const v = { job: null, worker: null };
  const progress = (frac, words) => {
    bar.hidden = false; fill.style.width = `${Math.round(100 * frac)}%`; text.textContent = words;
    bar.setAttribute('aria-valuenow', String(Math.round(100 * frac)));
  };
  const stop = () => { if (v.worker) v.worker.terminate(); v.worker = null; };
  const fail = (component, job, message) => {
    stop();
    bar.hidden = true;
    note.textContent = `This browser could not run the samplers (${message}).`;
    component.setStateValue('error', { job, message: String(message) });
  };
  const start = (component) => {
    const d = component.data; const job = d.job;
    const results = []; const image = typed(d.image); const mask = typed(d.mask);
    note.textContent = '';
    progress(0, `${d.labels[d.methods[0]]} in this browser: loading the model…`);
    try {
      if (typeof WebAssembly !== 'object' || typeof Worker !== 'function') {
        throw new Error('no WebAssembly or Web Workers');
      }
      v.worker = new Worker(new URL(d.worker, document.baseURI), { type: 'module' });
    } catch (err) { fail(component, job, err.message || err); return; }
    v.worker.onerror = (e) => fail(component, job, e.message || 'the worker stopped');
    v.worker.onmessage = ({ data: msg }) => {
      if (msg.id !== v.job) return;
      if (msg.type === 'progress') {
        // a particle filter's effective sample size, live: how many of its particles the fill rests on now
        const ess = msg.ess === undefined ? '' : ` · effective sample size ${msg.ess.toFixed(1)} of ${msg.particles}`;
        progress(msg.fraction, `${d.labels[msg.method]} in this browser: ${Math.round(100 * msg.fraction)} %${ess}`);
      } else if (msg.type === 'result') {
        results.push(msg.result);
      } else if (msg.type === 'done') {
        stop();
        progress(1, `Done in this browser in ${msg.seconds.toFixed(1)} s.`);
        root.dataset.seconds = String(msg.seconds);
        keep(job, { image, mask, results });  // the page draws its pictures and film from these (kit/own_runs.js)
        // one JSON text, its job's id beside it: the server decodes it only within the job's size and depth
        const answer = JSON.stringify({ job, seconds: msg.seconds, results: results.map(sent) });
        component.setStateValue('result', { job, text: answer });
      } else if (msg.type === 'error') {
        fail(component, job, msg.message);
      }
    };
    v.worker.postMessage({ cmd: 'run', id: job, base: window.location.href, runtime: d.runtime, models: d.models,
      image, mask, shape: d.shape, methods: d.methods, settings: d.settings, binary: d.binary, track: d.track });
  };
  v.receive = (component) => {
    const d = component.data;
    if (d.job === v.job) return;  // a rerun of the same job: running, or done
    stop();
    v.job = d.job;
    root.dataset.job = d.job;
    if (d.done) { progress(1, 'Done in this browser.'); return; }  // the page already holds this job's result
    start(component);
  };
  return v;
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  const root = parentElement.querySelector('.bi');
  let v = views.get(root);
  if (!v) { root.innerHTML = ''; v = inpaintView(root); views.set(root, v); }
  v.receive(component);
}
