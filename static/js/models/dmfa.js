// DMFA and MFA's conditionals p(x_m | x_o) = Σ_k p_k N(m_k, A_kᵀA_k + diag d_k), a mixture of low-rank Gaussians
// (dgm_core/models/dmfa.py; Przewięźlikowski et al. 2020, arXiv:2002.11925): DMFA's network gives it (its exported
// graph); the mixture's summary, draws and the truth's NLL are here, in float64 where torch works in float64.

import { LOG_2PI, logSoftmax, logSumExp, multinomial } from '../kit/maths.js';
import { session, tensor } from '../kit/ort.js';

// the lower Cholesky factor of the l×l matrix a (row-major, float64), in place
export function cholesky(a, l) {
  for (let i = 0; i < l; i++) {
    for (let j = 0; j <= i; j++) {
      let v = a[i * l + j];
      for (let k = 0; k < j; k++) v -= a[i * l + k] * a[j * l + k];
      a[i * l + j] = i === j ? Math.sqrt(v) : v / a[j * l + j];
    }
    for (let j = i + 1; j < l; j++) a[i * l + j] = 0;
  }
  return a;
}

// L y = b for the lower factor L, in place
export function forward(L, b, l) {
  for (let i = 0; i < l; i++) {
    let v = b[i];
    for (let k = 0; k < i; k++) v -= L[i * l + k] * b[k];
    b[i] = v / L[i * l + i];
  }
  return b;
}

// Lᵀ y = b, in place
export function backward(L, b, l) {
  for (let i = l - 1; i >= 0; i--) {
    let v = b[i];
    for (let k = i + 1; k < l; k++) v -= L[k * l + i] * b[k];
    b[i] = v / L[i * l + i];
  }
  return b;
}

// one component k of a mixture held as flat arrays (mean: K×D, A: K×l×D, d: K×D): its views
export const part = (t, k, l, D) => ({ mean: t.mean.subarray(k * D, (k + 1) * D),
  A: t.A.subarray(k * l * D, (k + 1) * l * D), d: t.d.subarray(k * D, (k + 1) * D) });

// I + A_S D_S⁻¹ A_Sᵀ over the coordinates S = sel, and its lower Cholesky factor
export function core(c, sel, l, D) {
  const m = new Float64Array(l * l);
  for (let i = 0; i < l; i++) m[i * l + i] = 1;
  for (let j = 0; j < D; j++) {
    if (!sel[j]) continue;
    for (let i = 0; i < l; i++) {
      const ai = c.A[i * D + j] / c.d[j];
      for (let k = 0; k <= i; k++) m[i * l + k] += ai * c.A[k * D + j];
    }
  }
  for (let i = 0; i < l; i++) for (let k = 0; k < i; k++) m[k * l + i] = m[i * l + k];
  return cholesky(m, l);
}

// -log N(x_S; mean_S, A_Sᵀ A_S + diag d_S) by Woodbury and the determinant lemma (dmfa.lowrank_nll)
export function lowrankNll(x, c, sel, l, D) {
  const L = core(c, sel, l, D);
  const v = new Float64Array(l);
  let quad = 0; let logdet = 0; let n = 0;
  for (let j = 0; j < D; j++) {
    if (!sel[j]) continue;
    const r = x[j] - c.mean[j];
    quad += r * r / c.d[j]; logdet += Math.log(c.d[j]); n += 1;
    for (let i = 0; i < l; i++) v[i] += c.A[i * D + j] / c.d[j] * r;
  }
  forward(L, v, l);
  for (let i = 0; i < l; i++) { quad -= v[i] * v[i]; logdet += 2 * Math.log(L[i * l + i]); }
  return 0.5 * (quad + logdet + n * LOG_2PI);
}

// DMFA's conditional: its network on (x ⊙ mask, mask)
export async function dmfaConditional(spec, x, mask2d, shape) {
  const sess = await session(spec.conditional);
  const [, H, W] = shape;
  const r = await sess.run({ x: tensor(x, [1, ...shape]),
    mask: tensor(Float32Array.from(mask2d, (v) => (v ? 1 : 0)), [1, 1, H, W]) });
  return { logits: r.logits.data, mean: r.mean.data, A: r.A.data, d: r.d.data };
}

// the mixture's summary and draws (dmfa.impute_from): mean and spread of the most probable component, draws
// k ~ p_k then m_k + A_kᵀ ε + √d_k ⊙ η; observed pixels kept; with the truth, the NLL of its missing pixels
export function factorImpute(method, out, job, l, rng) {
  const x = job.image; const obs = job.observed; const D = x.length;
  const K = out.logits.length; const S = job.settings.n_draws;
  const logp = logSoftmax(out.logits);
  const probs = Float32Array.from(logp, Math.exp);
  let best = 0;
  for (let k = 1; k < K; k++) if (probs[k] > probs[best]) best = k;
  const b = part(out, best, l, D);
  const mean = new Float32Array(D); const std = new Float32Array(D); const factors = new Float32Array(l * D);
  for (let j = 0; j < D; j++) {
    if (obs[j]) { mean[j] = x[j]; continue; }
    let v = 0;
    for (let i = 0; i < l; i++) { v += b.A[i * D + j] * b.A[i * D + j]; factors[i * D + j] = b.A[i * D + j]; }
    mean[j] = b.mean[j]; std[j] = Math.sqrt(v + b.d[j]);
  }
  const comp = multinomial(probs, S, rng);
  const eps = rng.normal(S * l);
  const eta = rng.normal(S * D);
  const samples = new Float32Array(S * D);
  comp.forEach((k, s) => {
    const c = part(out, k, l, D);
    for (let j = 0; j < D; j++) {
      if (obs[j]) { samples[s * D + j] = x[j]; continue; }
      let v = c.mean[j];
      for (let i = 0; i < l; i++) v += eps[s * l + i] * c.A[i * D + j];
      samples[s * D + j] = v + Math.sqrt(c.d[j]) * eta[s * D + j];
    }
  });
  const res = { method, mean, std, samples, n_draws: S, weights: probs, component: best, factors, n_factors: l };
  if (job.truth) {  // -log Σ_k p_k N_k(x_m) (dmfa.mixture_nll): a density, not a probability
    const miss = Uint8Array.from(obs, (o) => 1 - o);
    res.cond_log_lik = logSumExp(Float64Array.from(logp, (lp, k) => lp - lowrankNll(job.truth, part(out, k, l, D),
      miss, l, D)));
  }
  return res;
}
