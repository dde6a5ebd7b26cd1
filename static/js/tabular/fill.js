// The browser's own-table job, run: MIWAE and the chosen not-MIWAE trained on the table (notmiwae.js) from the server's
// initial weights with the seeded generator dgm_core replays (rng.js: a fresh one per model, its training's draws then
// its imputation's), then each model imputes the empty cells. train.worker.js runs it in a Web Worker; the Node test
// (tests/js/tabular/same_seed.test.mjs) runs it against the server's own training of the same table and seed.
//
// job: server.own_table_job Job.wire() with its typed arrays decoded; report({type: 'progress', method, step, of,
// loss, s}) every few steps (s: seconds since the job began) and ({type: 'imputed', method, s: seconds it took}).
// -> {id, backend, seconds, models: {method: {mean, draws, losses, weights, train_s, impute_s}}} (mean: the holes'
// fills in row-major order; draws: M planes of them).
import { seeded } from './rng.js';
import { trainer, impute } from './notmiwae.js';

// the values of `a` (N * D, or M planes of it) at the holes (mask 0), in row-major order
function atHoles(a, mask, planes = 1) {
  const holes = []; for (let i = 0; i < mask.length; i++) if (!mask[i]) holes.push(i);
  const out = new Float32Array(planes * holes.length);
  for (let m = 0; m < planes; m++) holes.forEach((i, h) => { out[m * holes.length + h] = a[m * mask.length + i]; });
  return out;
}

export function fill(tf, job, report = () => {}) {
  const start = performance.now();
  const since = () => (performance.now() - start) / 1000;
  const mask = Float32Array.from(job.mask);
  const models = {};
  const every = Math.max(1, Math.min(10, Math.floor(job.iterations / 50)));
  for (const { method, cfg, weights } of job.models) {
    const t0 = performance.now();
    const rng = seeded(job.seed);
    const t = trainer(tf, cfg, weights, job.x, mask, job.N, rng);
    const losses = [];
    for (let s = 1; s <= job.iterations; s++) {
      losses.push(t.step());
      if (s % every === 0 || s === job.iterations) {
        report({ type: 'progress', method, step: s, of: job.iterations, loss: losses[s - 1], s: since() });
      }
    }
    const t1 = performance.now();
    const { mean, draws } = impute(tf, cfg, t.weights, job.x, mask, job.N, job.L, job.M, rng);
    const imputeS = (performance.now() - t1) / 1000;
    report({ type: 'imputed', method, s: imputeS });
    models[method] = { mean: atHoles(mean, mask), draws: atHoles(draws, mask, job.M), losses, weights: t.weights,
      train_s: (t1 - t0) / 1000, impute_s: imputeS };
  }
  return { id: job.id, backend: tf.getBackend(), seconds: since(), models };
}
