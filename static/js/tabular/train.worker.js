// Own-table mode's trainer, a module Web Worker of the visitor's browser: MIWAE and the chosen not-MIWAE trained on
// the table the page sends (notmiwae.js; TensorFlow.js started by kit/tf_kit.js: WebAssembly, or plain JavaScript
// where WebAssembly fails to start), from the server's initial weights, with the seeded generator dgm_core replays
// (rng.js); then each model imputes the empty cells (importance weights, multiple imputations).
//
// In: {cmd: 'init', runtime: {tf, wasm, simd, plain} (absolute URLs), backend?: 'cpu'}, {cmd: 'fill', job}
// (server.own_table_job Job.wire(), typed arrays decoded). Out: {type: 'ready', backend},
// {type: 'progress', method, step, of, loss},
// {type: 'done', result: {id, backend, seconds, models: {method: {mean, draws, losses, weights, train_s, impute_s}}}}
// (mean: the holes' fills in row-major order; draws: M planes of them), {type: 'error', message}.
import { seeded } from './rng.js';
import { trainer, impute } from './notmiwae.js';
import { init, tf } from '../kit/tf_kit.js';

// the values of `a` (N * D, or M planes of it) at the holes (mask 0), in row-major order
function atHoles(a, mask, planes = 1) {
  const holes = []; for (let i = 0; i < mask.length; i++) if (!mask[i]) holes.push(i);
  const out = new Float32Array(planes * holes.length);
  for (let m = 0; m < planes; m++) holes.forEach((i, h) => { out[m * holes.length + h] = a[m * mask.length + i]; });
  return out;
}

function fill(job) {
  const start = performance.now();
  const models = {};
  const every = Math.max(1, Math.floor(job.iterations / 50));
  for (const { method, cfg, weights } of job.models) {
    const t0 = performance.now();
    const rng = seeded(job.seed);
    const t = trainer(tf, cfg, weights, job.x, job.mask, job.N, rng);
    const losses = [];
    for (let s = 1; s <= job.iterations; s++) {
      losses.push(t.step());
      if (s % every === 0 || s === job.iterations) postMessage({ type: 'progress', method, step: s, of: job.iterations, loss: losses[s - 1] });
    }
    const t1 = performance.now();
    const { mean, draws } = impute(tf, cfg, t.weights, job.x, job.mask, job.N, job.L, job.M, rng);
    models[method] = { mean: atHoles(mean, job.mask), draws: atHoles(draws, job.mask, job.M), losses,
      weights: t.weights,
      train_s: (t1 - t0) / 1000, impute_s: (performance.now() - t1) / 1000 };
  }
  return { id: job.id, backend: tf.getBackend(), seconds: (performance.now() - start) / 1000, models };
}

onmessage = async ({ data: msg }) => {
  try {
    if (msg.cmd === 'init') postMessage({ type: 'ready', backend: await init(msg) });
    else if (msg.cmd === 'fill') postMessage({ type: 'done', result: fill({ ...msg.job, mask: Float32Array.from(msg.job.mask) }) });
  } catch (e) {
    postMessage({ type: 'error', message: String((e && e.message) || e) });
  }
};
