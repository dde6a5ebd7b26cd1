// The Critics and GAN training pages' trainer, in a Web Worker of the visitor's browser: the same networks, objectives,
// data and optimiser as dgm_core/models/critics.py and dgm_core/models/toy_gan.py (which stay the reference; the
// parity tests feed both the same weights and batch), on kit/tf_kit.js's networks, Adam and start-up (imported
// below, with kit/seeded_rng.js). Randomness comes from seeded_rng.js (xoshiro128**,
// seeded): the same seed gives the same film in any browser, not the server's (torch draws other numbers). The
// penalty's input gradient is written out as a chain of products, so its own gradient is first-order.
//
// Messages in: {cmd: 'init', runtime}, {cmd: 'retrain', theta, cfg, seed}, {cmd: 'gan', cfg, z, data, grid},
// {cmd: 'play', until}, {cmd: 'step'}, {cmd: 'pause'}, and the parity tests' 'critic_update' and 'gan_update'.
// Messages out: {type: 'ready', backend}, {type: 'error', message}, the retrain's 'progress' and 'done', the GAN's
// 'frame' (one per generator step) and 'stopped'.

import { adam, breathe, fill, flat, forward, fromWire, init, mlp, samplePool, tensors, tf, toWire } from '../kit/tf_kit.js';
import { seeded } from '../kit/seeded_rng.js';

// ---- data: (n, 2) as a flat Float32Array [x0, y0, x1, y1, ...] --------------------------------------------------

// P = (0, U[0, 1]) and Q_theta = (theta, U[0, 1]), as dgm_core.models.critics.sample_lines
function lines(theta, n, r) {
  const up = r.uniform(n); const uq = r.uniform(n);
  return [fill(2 * n, (i) => (i % 2 ? up[i >> 1] : 0)), fill(2 * n, (i) => (i % 2 ? uq[i >> 1] : theta))];
}

// dgm_core.models.toy_gan.sample_toy: the ring of 8 Gaussians, scikit-learn's two moons (noise 0.05), the line
function toy(name, n, r) {
  if (name === 'ring') {
    const u = r.uniform(n); const noise = r.normal(2 * n);
    return fill(2 * n, (i) => {
      const k = Math.floor(u[i >> 1] * 8) * (2 * Math.PI / 8);
      return 2 * (i % 2 ? Math.sin(k) : Math.cos(k)) + 0.05 * noise[i];
    });
  }
  if (name === 'moons') {  // make_moons: n // 2 on the outer half circle, the rest on the inner, shuffled, noised
    const nOut = Math.floor(n / 2); const nIn = n - nOut; const pts = [];
    for (let i = 0; i < nOut; i++) {
      const a = nOut > 1 ? Math.PI * i / (nOut - 1) : 0;
      pts.push([Math.cos(a), Math.sin(a)]);
    }
    for (let i = 0; i < nIn; i++) {
      const a = nIn > 1 ? Math.PI * i / (nIn - 1) : 0;
      pts.push([1 - Math.cos(a), 1 - Math.sin(a) - 0.5]);
    }
    const u = r.uniform64(n);
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(u[i] * (i + 1)); [pts[i], pts[j]] = [pts[j], pts[i]]; }
    const noise = r.normal(2 * n);
    return fill(2 * n, (i) => pts[i >> 1][i % 2] + 0.05 * noise[i]);
  }
  if (name === 'lines') return lines(0, n, r)[0];
  throw new Error(`unknown toy ${name}`);
}

// ---- networks (kit/tf_kit.js's mlp and forward) -------------------------------------------------------------------

const leaky = (h) => tf.leakyRelu(h, 0.2);
const critic = (params) => (x) => tf.reshape(forward(x, params, leaky), [-1]);  // T: (B, 2) -> (B,)
const generator = (params) => (z) => forward(z, params, tf.relu);

// the variational bound of dgm_core.models.critics.objective
function objective(kind, tp, tq) {
  if (kind === 'hellinger') return tf.add(tf.mean(tf.sub(1, tf.exp(tf.neg(tp)))), tf.mean(tf.sub(1, tf.exp(tq))));
  return tf.sub(tf.mean(tp), tf.mean(tq));
}

// LeakyReLU's slope (1 or 0.2) at every hidden unit of the critic on x: constants of the penalty's gradient (the
// slope is flat in x and in the weights, as torch's double backward treats it)
function slopes(params, x) {
  const out = [];
  let h = x;
  for (let i = 0; i + 2 < params.length; i += 2) {
    const pre = tf.add(tf.matMul(h, params[i]), params[i + 1]);
    out.push(tf.step(pre, 0.2));
    h = leaky(pre);
  }
  return out;
}

// the critic's gradient with respect to its input at the points whose hidden slopes are `s`: (B, 2), a chain of
// products of the weights (backpropagation written out), so its own gradient needs first-order derivatives only
function inputGradient(params, s) {
  const L = params.length;
  let g = tf.mul(s[s.length - 1], tf.reshape(params[L - 2], [1, -1]));
  for (let i = L - 4; i >= 0; i -= 2) {
    g = tf.matMul(g, params[i], false, true);
    if (i > 0) g = tf.mul(g, s[i / 2 - 1]);
  }
  return g;
}

// dgm_core.models.wgan.gradient_penalty, one-sided: mean(relu(|grad T(x)| - 1)^2) at x = t p + (1 - t) q
function penalty(params, s) {
  const norms = tf.sqrt(tf.sum(tf.square(inputGradient(params, s)), 1));
  return tf.mean(tf.square(tf.relu(tf.sub(norms, 1))));
}

// one critic update (dgm_core.models.critics.critic_step): maximise the bound on (p, q), Wasserstein with its
// penalty on the pairs' interpolations at t (B); returns the bound on this batch (without the penalty)
function criticUpdate(kind, net, opt, p, q, t, weight) {
  const n = p.length / 2;
  return tf.tidy(() => {
    const P = tf.tensor2d(p, [n, 2]); const Q = tf.tensor2d(q, [n, 2]);
    let s = null;
    if (kind === 'wasserstein') {
      const T = tf.tensor2d(t, [n, 1]);
      s = slopes(tensors(net), tf.add(tf.mul(T, P), tf.mul(tf.sub(1, T), Q)));
    }
    let est = null;
    const { grads } = tf.valueAndGrads((...params) => {
      // a pass per batch, as torch: each bias's gradient is then a sum per batch, and where the bound's two
      // terms cancel (a unit with the same slope on every point) they cancel exactly, as in torch, and Adam leaves
      // the bias alone (one pass over both would leave a rounding error that Adam blows up to the learning rate)
      const T = critic(params);
      est = tf.keep(objective(kind, T(P), T(Q)));
      const loss = tf.neg(est);
      return s ? tf.add(loss, tf.mul(weight, penalty(params, s))) : loss;
    })(tensors(net));
    opt(grads.map((g) => g.dataSync()));
    const value = est.dataSync()[0];
    est.dispose();
    return value;
  });
}

// one generator update (dgm_core.models.toy_gan.ToyGAN.step's last part): Hellinger E[1 - exp(T(G(z)))],
// Wasserstein -E[T(G(z))], minimised; returns the loss
function generatorUpdate(kind, gen, crit, opt, z) {
  const n = z.length / 2;
  return tf.tidy(() => {
    const Z = tf.tensor2d(z, [n, 2]); const T = critic(tensors(crit));
    const { value, grads } = tf.valueAndGrads((...params) => {
      const tq = T(generator(params)(Z));
      return kind === 'hellinger' ? tf.mean(tf.sub(1, tf.exp(tq))) : tf.neg(tf.mean(tq));
    })(tensors(gen));
    opt(grads.map((g) => g.dataSync()));
    return value.dataSync()[0];
  });
}

const apply = (f, net, x) => tf.tidy(() => f(tensors(net))(tf.tensor2d(x, [x.length / 2, 2])).dataSync());

// ---- the critics page: both critics retrained at theta (dgm_core.demos.critics.live_retrain) ---------------------

function retrain({ theta, cfg, seed }) {
  const t0 = performance.now();
  const out = { theta, steps: cfg.steps, curves: {}, final: {} };
  for (const kind of ['hellinger', 'wasserstein']) {
    const r = seeded(seed);
    const sizes = [2, ...Array(cfg.depth).fill(cfg.hidden), 1];
    const net = mlp(sizes, r);
    const opt = adam(flat(net), cfg.lr, [0.9, 0.999]);
    out.curves[kind] = [];
    for (let s = 1; s <= cfg.steps; s++) {
      const [p, q] = lines(theta, cfg.batch, r);
      const t = kind === 'wasserstein' ? r.uniform(cfg.batch) : null;
      const est = criticUpdate(kind, net, opt, p, q, t, cfg.penalty_weight);
      out.curves[kind].push(est);
      postMessage({ type: 'progress', kind, step: s, estimate: est });
    }
    const [p, q] = lines(theta, cfg.eval_n, r);
    out.final[kind] = tf.tidy(() => {
      const T = critic(tensors(net));
      return objective(kind, T(tf.tensor2d(p, [cfg.eval_n, 2])), T(tf.tensor2d(q, [cfg.eval_n, 2]))).dataSync()[0];
    });
  }
  out.seconds = (performance.now() - t0) / 1000;
  postMessage({ type: 'done', result: out });
}

// ---- the GAN training page: one generator per objective (dgm_core.models.toy_gan.ToyGAN) ----------------------

let race = null;  // {cfg, z, data, grid, gans: {kind: {gen, crit, optG, optC, r}}, steps, playing, until}

function newRace({ cfg, z, data, grid, start }) {
  const gans = {};
  for (const kind of ['hellinger', 'wasserstein']) {
    const r = seeded(cfg.seed);
    const h = cfg.hidden;
    const gen = mlp([2, h, h, 2], r);
    const last = gen[gen.length - 1];
    for (let i = 0; i < last.W.length; i++) last.W[i] *= 0.1;  // a small blob ...
    last.b.set(start);  // ... away from the data
    const crit = mlp([2, h, h, h, 1], r);
    const betas = [0.5, 0.9];
    gans[kind] = { gen, crit, optG: adam(flat(gen), cfg.lr, betas), optC: adam(flat(crit), cfg.lr, betas), r };
  }
  race = { cfg, z: new Float32Array(z), data: new Float32Array(data), grid: new Float32Array(grid), gans, steps: 0,
    pool: new Float32Array(cfg.pool || []),
    playing: false, until: 0, est: { hellinger: NaN, wasserstein: NaN } };
  postMessage(frame());
}

function ganStep(kind, g) {
  const { cfg } = race; const { r } = g; const n = cfg.batch;
  let est = NaN;
  for (let k = 0; k < cfg.critic_steps; k++) {
    const p = cfg.toy === 'drawn' ? samplePool(race.pool, n, cfg.jitter, r) : toy(cfg.toy, n, r);  // 'drawn': the 2-D flow page's points
    const q = apply(generator, g.gen, r.normal(2 * n));
    const t = kind === 'wasserstein' ? r.uniform(n) : null;
    est = criticUpdate(kind, g.crit, g.optC, p, q, t, cfg.penalty_weight);
  }
  generatorUpdate(kind, g.gen, g.crit, g.optG, r.normal(2 * n));
  return est;
}

// mean distance from each point of a to the nearest of b (both flat (n, 2))
function nearest(a, b) {
  let total = 0;
  for (let i = 0; i < a.length; i += 2) {
    let best = Infinity;
    for (let j = 0; j < b.length; j += 2) {
      const dx = a[i] - b[j]; const dy = a[i + 1] - b[j + 1]; const d = dx * dx + dy * dy;
      if (d < best) best = d;
    }
    total += Math.sqrt(best);
  }
  return total / (a.length / 2);
}

// what the page draws of this step: per objective the generated points of the fixed z, the critic over the grid,
// the bound and both distances (dgm_core.models.toy_gan.distances)
function frame() {
  const out = { type: 'frame', step: race.steps };
  for (const [kind, g] of Object.entries(race.gans)) {
    const pts = apply(generator, g.gen, race.z);
    const t = apply(critic, g.crit, race.grid);
    out[kind] = { pts, t, est: race.est[kind], off: nearest(pts, race.data), missed: nearest(race.data, pts) };
  }
  return out;
}

function advance() {
  for (const [kind, g] of Object.entries(race.gans)) race.est[kind] = ganStep(kind, g);
  race.steps += 1;
  const f = frame();
  postMessage(f, Object.keys(race.gans).flatMap((k) => [f[k].pts.buffer, f[k].t.buffer]));
}

async function play(until) {
  if (race.playing) return;
  race.playing = true; race.until = until;
  while (race.playing && race.steps < race.until) {
    advance();
    await breathe();
  }
  race.playing = false;
  postMessage({ type: 'stopped', step: race.steps });
}

// ---- the parity tests' entry points: one update from given weights and batches --------------------------------

function parity(msg) {
  if (msg.cmd === 'critic_update') {
    const net = fromWire(msg.critic); const opt = adam(flat(net), msg.lr, msg.betas);
    const estimates = msg.batches.map((b) => criticUpdate(msg.kind, net, opt, new Float32Array(b.p),
      new Float32Array(b.q), b.t ? new Float32Array(b.t) : null, msg.weight));
    return { estimates, critic: toWire(net) };
  }
  // gan_update: the critic's updates on the given batches (q = G(zq)), then the generator's on zg
  const gen = fromWire(msg.gen); const crit = fromWire(msg.critic);
  const optC = adam(flat(crit), msg.lr, msg.betas); const optG = adam(flat(gen), msg.lr, msg.betas);
  const estimates = msg.batches.map((b) => criticUpdate(msg.kind, crit, optC, new Float32Array(b.p),
    apply(generator, gen, new Float32Array(b.zq)), b.t ? new Float32Array(b.t) : null, msg.weight));
  const gLoss = generatorUpdate(msg.kind, gen, crit, optG, new Float32Array(msg.zg));
  return { estimates, gLoss, gen: toWire(gen), critic: toWire(crit) };
}

// ---- messages ----------------------------------------------------------------------------------------------------

self.onmessage = async ({ data: msg }) => {
  try {
    if (msg.cmd === 'init') postMessage({ type: 'ready', backend: await init(msg) });
    else if (msg.cmd === 'retrain') retrain(msg);
    else if (msg.cmd === 'gan') newRace(msg);
    else if (msg.cmd === 'play') play(msg.until);
    else if (msg.cmd === 'step') { if (!race.playing && race.steps < msg.max) advance(); postMessage({ type: 'stopped', step: race.steps }); }
    else if (msg.cmd === 'pause') { if (race) race.playing = false; }
    else postMessage({ type: 'parity', result: parity(msg) });
  } catch (e) {
    postMessage({ type: 'error', message: String(e && e.message || e) });
  }
};
