// The flow-matching page's trainer, in a Web Worker of the visitor's browser: flow matching on the straight path
// (Lipman et al., arXiv 2210.02747; Liu et al., arXiv 2209.03003) with the network, loss, Adam and learning-rate
// schedule of dgm_core/models/flow2d.py and its integrator (one Heun step per frame), which stays the reference: the
// parity tests feed both the same weights and batches. It imports kit/seeded_rng.js and kit/tf_kit.js (networks,
// Adam, start-up). Randomness comes from seeded_rng.js: the same seed
// gives the same training in any browser, not the server's (torch draws other numbers).
//
// Messages in: {cmd: 'init', runtime}; {cmd: 'flow', job} (job: dgm_core.demos.flow2d.browser_job's dict; a 'flow'
// while one trains replaces it); {cmd: 'stop'}; the parity tests' {cmd: 'flow_update', net, lr, lr_floor?,
// steps_total?, batches: [{x1, x0, t}]} and {cmd: 'flow_paths', net, z, grid, frames}.
// Messages out: {type: 'ready', backend}; {type: 'flow_progress', step, loss, paths, field} every report_every steps
// and {type: 'flow_done', step, loss, seconds, paths, field} at the end (paths: Float32Array (frames + 1) * M * 2,
// field: Float32Array (frames + 1) * G * 2, both transferred; loss: the mean batch loss since the last report);
// {type: 'flow_stopped', step} after a 'stop'; {type: 'parity', result}; {type: 'error', message}.

import { adam, breathe, fill, flat, forward, fromWire, init, mlp, samplePool, tensors, tf, toWire } from '../kit/tf_kit.js';
import { seeded } from '../kit/seeded_rng.js';

// ---- the model (dgm_core.models.flow2d): v(x, y, t), SiLU hidden layers --------------------------------------------

const silu = (h) => tf.mul(h, tf.sigmoid(h));
const velocity = (params) => (x, t) => forward(tf.concat([x, t], 1), params, silu);  // x (B, 2), t (B, 1) -> (B, 2)

// flow_loss, mean |v(x_t, t) - (x1 - x0)|^2 at x_t = (1 - t) x0 + t x1, and its gradients in the parameters' order,
// backpropagation written out as torch's autograd computes it. Not TensorFlow.js's own gradients: a matMul's are
// matMuls with a transposed operand, which its WebAssembly backend computes ~3x slower than a transpose followed by a
// plain matMul (a training step took ~7 ms in chromium on one shared core, against ~3 ms here)
function lossAndGrads(params, X1, X0, T) {
  const L = params.length / 2;
  const XT = tf.add(tf.mul(tf.sub(1, T), X0), tf.mul(T, X1));
  const hs = [tf.concat([XT, T], 1)]; const pre = []; const sig = [];  // each layer's input, pre-activation, sigmoid
  for (let l = 0; l < L; l++) {
    pre.push(tf.add(tf.matMul(hs[l], params[2 * l]), params[2 * l + 1]));
    if (l < L - 1) { sig.push(tf.sigmoid(pre[l])); hs.push(tf.mul(pre[l], sig[l])); }
  }
  const diff = tf.sub(pre[L - 1], tf.sub(X1, X0));
  const loss = tf.mean(tf.square(diff));
  let grad = tf.mul(diff, 2 / diff.size);  // d loss / d output
  const grads = new Array(2 * L);
  for (let l = L - 1; l >= 0; l--) {
    grads[2 * l] = tf.matMul(tf.transpose(hs[l]), grad);
    grads[2 * l + 1] = tf.sum(grad, 0);
    if (l > 0) {  // through the layer, then SiLU: silu'(a) = s (1 + a (1 - s)), s = sigmoid(a)
      const s = sig[l - 1]; const slope = tf.mul(s, tf.add(1, tf.mul(pre[l - 1], tf.sub(1, s))));
      grad = tf.mul(tf.matMul(grad, tf.transpose(params[2 * l])), slope);
    }
  }
  return { loss, grads };
}

// learning_rate: lr at step 1, a half cosine down to lr * lr_floor at step `steps`
function learningRate({ lr, lr_floor: floor, steps }, step) {
  return lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * (step - 1) / Math.max(steps - 1, 1))));
}

// flow_step: one Adam update at rate `lr` on the batch x1, x0 (B * 2), t (B) -> the batch's loss before it
function flowUpdate(net, opt, x1, x0, t, lr) {
  const n = t.length;
  return tf.tidy(() => {
    const X1 = tf.tensor2d(x1, [n, 2]); const X0 = tf.tensor2d(x0, [n, 2]); const T = tf.tensor2d(t, [n, 1]);
    const { loss, grads } = lossAndGrads(tensors(net), X1, X0, T);
    opt(grads.map((g) => g.dataSync()), lr);
    return loss.dataSync()[0];
  });
}

// integrate and field: the paths of z (M * 2) from t = 0 to 1, one Heun step per frame as dgm_core.models.flow.path
// (t = k dt in double, then float32; t + dt added in float32), and the velocity on `grid` (G * 2) at t = k / frames
// -> {paths: (frames + 1) * M * 2, field: (frames + 1) * G * 2}
function film(net, z, grid, frames) {
  const m = z.length / 2; const g = grid.length / 2; const dt = 1 / frames;
  const paths = new Float32Array((frames + 1) * m * 2);
  paths.set(z);
  let field = null;
  tf.tidy(() => {  // returns nothing: tidy would walk a typed array it returned, element by element
    const v = velocity(tensors(net));
    let X = tf.tensor2d(z, [m, 2]);
    for (let k = 0; k < frames; k++) {
      const next = tf.tidy(() => {  // a step's intermediates freed at once, not 40 steps' at the end
        const T0 = tf.fill([m, 1], k * dt);
        const v1 = v(X, T0);
        const v2 = v(tf.add(X, tf.mul(v1, dt)), tf.add(T0, dt));
        return tf.add(X, tf.mul(tf.add(v1, v2), dt * 0.5));
      });
      X.dispose();
      X = next;
      paths.set(X.dataSync(), (k + 1) * m * 2);
    }
    // every frame's grid at once: rows (k, i) = grid point i at t = k / frames
    const G = tf.tile(tf.tensor2d(grid, [g, 2]), [frames + 1, 1]);
    const T = tf.tensor2d(fill((frames + 1) * g, (i) => Math.floor(i / g) / frames), [(frames + 1) * g, 1]);
    field = v(G, T).dataSync();
  });
  return { paths, field };
}

// ---- the page's job: train, reporting the film as it learns -------------------------------------------------------

let current = { stopped: true };  // the job in progress; a new 'flow' or a 'stop' marks it stopped


async function flowJob({ job }) {
  current.stopped = true;
  const run = { stopped: false, byStop: false };
  current = run;
  const { cfg } = job;
  const pool = new Float32Array(job.pool); const z = new Float32Array(job.z); const grid = new Float32Array(job.grid);
  if (pool.length < 2) throw new Error('there are no data points to train on');
  const t0 = performance.now();
  const r = seeded(cfg.seed);
  const net = mlp([3, ...Array(cfg.depth).fill(cfg.hidden), 2], r);
  const opt = adam(flat(net), cfg.lr, [0.9, 0.999]);
  let sum = 0; let count = 0;
  for (let s = 1; s <= cfg.steps; s++) {
    // the draws in torch's order (flow2d.train): x1 (indices, then jitter), x0 ~ N(0, I), t ~ U(0, 1)
    const x1 = samplePool(pool, cfg.batch, cfg.jitter, r);
    const x0 = r.normal(2 * cfg.batch); const t = r.uniform(cfg.batch);
    sum += flowUpdate(net, opt, x1, x0, t, learningRate(cfg, s)); count += 1;
    if (s % cfg.report_every === 0 || s === cfg.steps) {
      const { paths, field } = film(net, z, grid, cfg.frames);
      const msg = { type: s === cfg.steps ? 'flow_done' : 'flow_progress', step: s, loss: sum / count, paths, field };
      if (s === cfg.steps) msg.seconds = (performance.now() - t0) / 1000;
      postMessage(msg, [paths.buffer, field.buffer]);
      sum = 0; count = 0;
    }
    await breathe();  // a 'stop' or a new 'flow' is handled here
    if (run.stopped) {
      if (run.byStop) postMessage({ type: 'flow_stopped', step: s });
      return;
    }
  }
  run.stopped = true;
}

// ---- the parity tests' entry points: Adam updates from given weights and batches; the film of given weights ------

function parity(msg) {
  if (msg.cmd === 'flow_update') {
    const net = fromWire(msg.net); const opt = adam(flat(net), msg.lr, [0.9, 0.999]);
    const sched = msg.steps_total ? { lr: msg.lr, lr_floor: msg.lr_floor ?? 0.1, steps: msg.steps_total } : null;
    const losses = msg.batches.map((b, i) => flowUpdate(net, opt, new Float32Array(b.x1), new Float32Array(b.x0),
      new Float32Array(b.t), sched ? learningRate(sched, i + 1) : msg.lr));
    return { losses, net: toWire(net) };
  }
  if (msg.cmd === 'flow_paths') {
    const { paths, field } = film(fromWire(msg.net), new Float32Array(msg.z), new Float32Array(msg.grid), msg.frames);
    return { paths: Array.from(paths), field: Array.from(field) };
  }
  throw new Error(`unknown command ${msg.cmd}`);
}

// ---- messages ----------------------------------------------------------------------------------------------------

self.onmessage = async ({ data: msg }) => {
  try {
    if (msg.cmd === 'init') postMessage({ type: 'ready', backend: await init(msg) });
    else if (msg.cmd === 'flow') await flowJob(msg);
    else if (msg.cmd === 'stop') { if (!current.stopped) { current.stopped = true; current.byStop = true; } }
    else postMessage({ type: 'parity', result: parity(msg) });
  } catch (e) {
    postMessage({ type: 'error', message: String(e && e.message || e) });
  }
};
