// MIWAE and not-MIWAE on a table, trained and imputed in TensorFlow.js: the twin of dgm_core/models/notmiwae.py
// (NotMIWAE.log_weights, Gaussian decoder), dgm_core/tabular.py (fit: Adam on -bound, batches of 16 rows; impute:
// importance weights, sampling-importance-resampling) on the same weights; the parity test
// (tests/js/tabular/parity.test.mjs) holds both to 1e-4 after 50 steps on the same batches and noise.
// Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data", ICLR 2021,
// arXiv 2006.12871 (eq. 8); Mattei & Frellsen, "MIWAE", ICML 2019, arXiv 1812.02633.
//
// `tf` is passed in (the worker's WebAssembly backend, Node's CPU backend in the test). Weights are torch's
// state_dict: {name: Float32Array}, a linear layer's weight (out, in); cfg: {D, p, hidden, missing, signs,
// min_scale, k, batch, lr}. Tables: x (N * D) standardised, 0 in the holes; mask (N * D), 1 = observed.

import { adam } from '../kit/tf_kit.js';

const LOG_2PI = Math.log(2 * Math.PI);

// the parameters in torch's order (NotMIWAE.named_parameters) and their shapes
export function shapes(cfg) {
  const { D, p, hidden: h } = cfg;
  const mlp = (name, inn, out) => [[`${name}.0.weight`, [h, inn]], [`${name}.0.bias`, [h]], [`${name}.2.weight`, [h, h]],
    [`${name}.2.bias`, [h]], [`${name}.4.weight`, [out, h]], [`${name}.4.bias`, [out]]];
  const out = [...mlp('encoder', D, 2 * p), ...mlp('decoder', p, 2 * D)];
  if (cfg.missing === 'selfmasking' || cfg.missing === 'selfmasking_known') out.push(['w_raw', [D]], ['b', [D]]);
  else if (cfg.missing === 'linear') out.push(['miss_net.weight', [D, D]], ['miss_net.bias', [D]]);
  else if (cfg.missing === 'nonlinear') {
    out.push(['miss_net.0.weight', [h, D]], ['miss_net.0.bias', [h]], ['miss_net.2.weight', [D, h]], ['miss_net.2.bias', [D]]);
  } else if (cfg.missing !== 'none') throw new Error(`unknown missing model ${cfg.missing}`);
  return out;
}

// y = x W^T + b, x (n, in): one fused kernel (and one in the backward pass) instead of two
const linear = (tf, x, W, b) => tf.fused.matMul({ a: x, b: W, transposeB: true, bias: b });

function mlp(tf, P, name, x) {
  const h1 = tf.tanh(linear(tf, x, P[`${name}.0.weight`], P[`${name}.0.bias`]));
  const h2 = tf.tanh(linear(tf, h1, P[`${name}.2.weight`], P[`${name}.2.bias`]));
  return linear(tf, h2, P[`${name}.4.weight`], P[`${name}.4.bias`]);
}

// logit P(s = 1 | x) for complete x (K, B, D): NotMIWAE.logits_s
function logitsS(tf, cfg, P, x) {
  const [K, B, D] = x.shape;
  if (cfg.missing === 'selfmasking' || cfg.missing === 'selfmasking_known') {
    const W = cfg.missing === 'selfmasking' ? P.w_raw : tf.mul(tf.tensor1d(cfg.signs), tf.softplus(P.w_raw));
    return tf.mul(tf.neg(W), tf.sub(x, P.b));
  }
  const flat = tf.reshape(x, [K * B, D]);
  const out = cfg.missing === 'linear' ? linear(tf, flat, P['miss_net.weight'], P['miss_net.bias'])
    : linear(tf, tf.tanh(linear(tf, flat, P['miss_net.0.weight'], P['miss_net.0.bias'])),
      P['miss_net.2.weight'], P['miss_net.2.bias']);
  return tf.reshape(out, [K, B, D]);
}

// NotMIWAE.log_weights: x, s (B, D) tensors, epsZ (K, B, p), epsX (K, B, D) -> {logW (K, B), xFull, loc (K, B, D)}
export function logWeights(tf, cfg, P, x, s, epsZ, epsX) {
  const [B, D] = x.shape; const K = epsZ.shape[0]; const { p } = cfg;
  const xo = tf.mul(x, s);  // zero-imputed: a hidden value is never read
  const [mu, raw] = tf.split(mlp(tf, P, 'encoder', xo), 2, 1);
  const logSig = tf.clipByValue(raw, -10, 10);
  const z = tf.add(mu, tf.mul(tf.exp(logSig), epsZ));  // (K, B, p)
  const out = tf.reshape(mlp(tf, P, 'decoder', tf.reshape(z, [K * B, p])), [K, B, 2 * D]);
  const [loc, rawScale] = tf.split(out, 2, 2);
  const scale = tf.add(tf.softplus(rawScale), cfg.min_scale);
  const u = tf.div(tf.sub(xo, loc), scale);
  // sum_j s_j (-(u^2 + log 2 pi) / 2 - log scale); the log 2 pi of each observed value is a constant, added once
  const logPx = tf.neg(tf.add(tf.sum(tf.mul(tf.add(tf.mul(0.5, tf.square(u)), tf.log(scale)), s), 2),
    tf.mul(0.5 * LOG_2PI, tf.sum(s, 1))));
  // log p(z) - log q(z | x): the eps^2 of q and the z^2 of the prior, the constants cancel
  const logPzQ = tf.add(tf.mul(0.5, tf.sum(tf.sub(tf.square(epsZ), tf.square(z)), 2)), tf.sum(logSig, 1));
  const xFull = tf.add(xo, tf.mul(tf.sub(1, s), tf.add(loc, tf.mul(scale, epsX))));  // x^o with sampled x^m
  let logW = tf.add(logPx, logPzQ);
  if (cfg.missing !== 'none') {  // log p(s | x) = sum_j s lg - softplus(lg): minus BCE with logits
    const lg = logitsS(tf, cfg, P, xFull);
    logW = tf.add(logW, tf.sum(tf.sub(tf.mul(lg, s), tf.softplus(lg)), 2));
  }
  return { logW, xFull, loc };
}

// -mean over rows of log (1/K) sum_k w_k: the loss dgm_core.tabular.fit minimises
export function loss(tf, cfg, P, x, s, epsZ, epsX) {
  const { logW } = logWeights(tf, cfg, P, x, s, epsZ, epsX);
  return tf.neg(tf.mean(tf.sub(tf.logSumExp(logW, 0), Math.log(epsZ.shape[0]))));
}

// rows `idx` of a flat (N, D) table -> (idx.length * D)
function gather(a, idx, D) {
  const out = new Float32Array(idx.length * D);
  idx.forEach((r, i) => out.set(a.subarray(r * D, r * D + D), i * D));
  return out;
}

// A trainer: `weights` are copied, `rng` (rng.js) draws each step's rows, then z's noise, then x's, as
// dgm_core.tabular.fit(..., draws=Xoshiro(seed)); step() -> the step's loss. `draws` (the parity test's other path)
// may give a step's {rows, epsZ, epsX} instead.
export function trainer(tf, cfg, weights, x, mask, N, rng) {
  const names = shapes(cfg);
  const W = Object.fromEntries(names.map(([n]) => [n, Float32Array.from(weights[n])]));
  const arrays = names.map(([n]) => W[n]);
  const opt = adam(arrays, cfg.lr, [0.9, 0.999]);  // torch.optim.Adam's defaults
  const { D, p, k: K } = cfg; const B = Math.min(cfg.batch, N);
  const step = () => {
    const rows = rng.rows(N, B); const epsZ = rng.normal(K * B * p); const epsX = rng.normal(K * B * D);
    return tf.tidy(() => {
      const X = tf.tensor2d(gather(x, rows, D), [B, D]); const S = tf.tensor2d(gather(mask, rows, D), [B, D]);
      const EZ = tf.tensor3d(epsZ, [K, B, p]); const EX = tf.tensor3d(epsX, [K, B, D]);
      const { value, grads } = tf.valueAndGrads((...params) => {
        const P = Object.fromEntries(names.map(([n], i) => [n, params[i]]));
        return loss(tf, cfg, P, X, S, EZ, EX);
      })(names.map(([n, shape]) => tf.tensor(W[n], shape)));
      opt(grads.map((g) => g.dataSync()));
      return value.dataSync()[0];
    });
  };
  return { step, weights: W };
}

// dgm_core.tabular.impute, the mean and `M` draws: L importance samples per row (blocks of rows so that the (L, rows,
// hidden) activations stay small); not-MIWAE's mean weighs the sampled x^m, MIWAE's the decoder's means. -> {mean
// (N * D), draws (M * N * D)}, the observed cells the input's.
export function impute(tf, cfg, weights, x, mask, N, L, M, rng) {
  const { D, p } = cfg; const names = shapes(cfg);
  const mean = Float32Array.from(x); const draws = new Float32Array(M * N * D);
  for (let m = 0; m < M; m++) draws.set(x, m * N * D);
  const block = Math.max(1, Math.min(N, Math.floor(200000 / (L * Math.max(cfg.hidden, D)))));
  for (let r0 = 0; r0 < N; r0 += block) {
    const b = Math.min(block, N - r0);
    const epsZ = rng.normal(L * b * p); const epsX = rng.normal(L * b * D);
    const [alpha, point, full] = tf.tidy(() => {
      const P = Object.fromEntries(names.map(([n, shape]) => [n, tf.tensor(weights[n], shape)]));
      const X = tf.tensor2d(x.subarray(r0 * D, (r0 + b) * D), [b, D]);
      const S = tf.tensor2d(mask.subarray(r0 * D, (r0 + b) * D), [b, D]);
      const t = logWeights(tf, cfg, P, X, S, tf.tensor3d(epsZ, [L, b, p]), tf.tensor3d(epsX, [L, b, D]));
      const a = tf.softmax(tf.transpose(t.logW), 1);  // (b, L)
      // (L, b, D) each: what the mean weighs, and the sampled completions the draws resample
      return [a.dataSync(), (cfg.missing === 'none' ? t.loc : t.xFull).dataSync(), t.xFull.dataSync()];
    });
    const u = rng.uniform64(b * M);
    for (let i = 0; i < b; i++) {
      const row = r0 + i;
      for (let j = 0; j < D; j++) {
        if (mask[row * D + j]) continue;
        let acc = 0;
        for (let l = 0; l < L; l++) acc += alpha[i * L + l] * point[(l * b + i) * D + j];
        mean[row * D + j] = acc;
      }
      for (let m = 0; m < M; m++) {  // multinomial resampling of one completion by alpha
        let c = 0; let l = 0;
        while (l < L - 1 && (c += alpha[i * L + l]) < u[i * M + m]) l++;
        for (let j = 0; j < D; j++) {
          if (!mask[row * D + j]) draws[(m * N + row) * D + j] = full[(l * b + i) * D + j];
        }
      }
    }
  }
  return { mean, draws };
}
